//! Compute: instances, key pairs and launch templates, and the operations
//! that join an instance with a lower family (volume attachments, Elastic
//! IP associations, `CreateImage`, the instances' side of network
//! interfaces).

pub mod address_associations;
mod boot;
#[cfg(test)]
mod boot_tests;
pub mod create_image;
pub mod host;
pub mod image_parameters;
pub mod instance_events;
pub mod instances;
pub mod interface_holders;
pub mod key_pairs;
pub mod launch_templates;
mod metadata_options;
mod network_plan;
#[cfg(test)]
mod network_plan_tests;
mod network_push;
pub mod service_api;
pub mod volume_attachments;
