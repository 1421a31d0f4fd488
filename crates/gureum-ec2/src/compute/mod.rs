//! Compute: instances, key pairs and launch templates.

pub mod instances;
pub mod key_pairs;
pub mod launch_templates;
