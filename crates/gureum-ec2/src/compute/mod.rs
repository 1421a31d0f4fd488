//! Compute: instances, key pairs and launch templates.

pub mod address_associations;
pub mod create_image;
pub mod instances;
pub mod interface_holders;
pub mod key_pairs;
pub mod launch_templates;
pub mod volume_attachments;
