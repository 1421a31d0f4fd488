//! Test-only helpers.

pub mod decode;
