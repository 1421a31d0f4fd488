//! EBS: volumes and snapshots. Attaching a volume to an instance joins
//! compute and lives there.

pub mod snapshots;
pub mod volumes;
