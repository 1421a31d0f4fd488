//! Shared mechanics every family uses: CIDR math, `Filters`, tag records,
//! request helpers, the declared errors, and the read-only catalogues
//! (regions and zones, public images, instance types).

pub mod catalog;
pub mod catalog_images;
pub mod cidr;
pub mod errors;
pub mod filter;
pub mod idempotency;
pub mod instance_types;
pub mod network;
pub mod tags;
pub mod unsupported;
