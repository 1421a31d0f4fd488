//! EBS: volumes and snapshots.

pub mod snapshots;
pub mod volumes;
