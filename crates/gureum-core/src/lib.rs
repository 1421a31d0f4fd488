//! What every Gureum service shares.
//!
//! A service crate receives a [`RequestContext`] (who is calling, in which
//! account and region, under which request id, at what time on Gureum's
//! [`Clock`]) and answers with a value or an [`AwsError`]. IDs and ARNs are
//! made in AWS's shapes by [`id`] and [`Arn`]; the regions and availability
//! zones of the `aws` partition live in [`region`].

pub mod arn;
pub mod body;
pub mod clock;
pub mod context;
pub mod error;
pub mod errors;
pub mod hex;
pub mod id;
pub mod member;
pub mod region;
pub mod scope;
pub mod service;
pub mod timestamp;

pub use arn::Arn;
pub use body::{ByteSource, Reply, RequestBody, ResponseBody};
pub use clock::Clock;
pub use context::{Principal, RequestContext, SessionContext};
pub use error::AwsError;
pub use errors::{CommonError, DeclaredError};
pub use scope::Scope;
pub use service::{Authorization, AuthzTarget, OpResult, Service, Value};

/// The account the default credentials (`test`/`test`) belong to.
pub const DEFAULT_ACCOUNT_ID: &str = "000000000000";
/// The region used when a request names none.
pub const DEFAULT_REGION: &str = "us-east-1";
