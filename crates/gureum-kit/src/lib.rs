//! The service kit: the building blocks every Gureum service shares above
//! [`gureum_core`] and [`gureum_store`], written once so that fifteen
//! services do not each write their own.
//!
//! - [`paging`]: one page of a listing straight from a store scan
//!   (`MaxResults`/`NextToken`, `Marker`/`MaxItems`), with opaque tokens;
//!   a page never loads the rest of the scope.
//! - [`filter`]: the `Filters` (`Name`/`Values`, wildcards) that EC2,
//!   RDS, ELB and Auto Scaling describe operations take.
//! - [`bootstrap`]: per-scope set-up that runs once before the first
//!   request in an account's region (EC2's default VPC).
//! - [`encryption`]: the [`encryption::Encryptor`] seam to KMS that
//!   services storing encrypted values (SSM, Secrets Manager) go through.
//! - [`metering`]: the [`metering::UsageSource`] seam billing reads
//!   live billable resources through.
//! - [`metrics`]: the [`metrics::MetricSink`] seam services emit their
//!   CloudWatch metrics through (AWS's namespaces and dimensions).
//! - [`service_events`]: the [`service_events::ServiceEvents`] seam
//!   services publish their AWS events (to EventBridge) through.
//! - [`parameters`]: the [`parameters::ParameterResolver`] seam services
//!   resolve Systems Manager parameters through (`resolve:ssm:`).
//! - [`quotas`]: the quotas Gureum enforces and the value applied to an
//!   account (Service Quotas writes it, enforcing services read it).
//! - [`resource`]: a registry of resource types (name, id prefix, lookup,
//!   NotFound error), so tagging resolves any id from one declaration.
//!
//! State keys come from [`gureum_core::Scope`]; errors are declared with
//! [`gureum_core::aws_errors!`]. `docs/NEW_SERVICE.md` ("Adding a service")
//! shows how a new service puts these together, with
//! `crates/gureum-servicequotas` as the worked example.

pub mod bootstrap;
pub mod certificates;
pub mod dns_targets;
pub mod encryption;
pub mod filter;
pub mod master_key;
pub mod metering;
pub mod metrics;
pub mod paging;
pub mod parameters;
pub mod quotas;
pub mod resource;
pub mod role_sessions;
pub mod service_events;

pub use bootstrap::Bootstrap;
pub use filter::Filter;
pub use paging::{Page, PageRequest};
pub use resource::{Registry, ResourceType};
