//! Images: `DescribeImages` over the public catalogue, the account's own
//! AMIs, their operations and attributes, and `DeleteSnapshot` (refused
//! while an image uses the snapshot).

pub mod ami_attributes;
pub mod ami_ops;
pub mod amis;
#[cfg(test)]
mod amis_tests;
pub mod public;
pub mod snapshot_deletion;
