//! Gureum's one endpoint.
//!
//! Every AWS service answers on one port. A request flows through:
//!
//! 1. [`route`]: which service model, in which protocol (SigV4 scope,
//!    `X-Amz-Target`, `smithy-protocol`, `Action=`/`Version=`, `Host`, path);
//! 2. authentication ([`accounts`] + `gureum-auth`): the signature is
//!    verified for every key whose secret Gureum knows, and the caller
//!    becomes a [`gureum_core::Principal`];
//! 3. the protocol layer (`gureum-protocol`): operation, parsed and
//!    validated input;
//! 4. the service (`gureum_core::Service`), then serialization, and one log
//!    line ([`pipeline`]).
//!
//! `/_gureum/*` (and `/_localstack/health`, `/_localstack/state/reset`,
//! `/moto-api/reset`) are Gureum's own endpoints ([`admin`]).

pub mod accounts;
pub mod admin;
pub mod admin_state;
pub mod alarm_actions;
mod authenticate;
mod authorize;
pub mod body;
pub mod budget;
pub mod config;
pub mod conn;
mod elb_host;
mod elbv2_wiring;
pub mod gunzip;
pub mod lambda_sources;
mod panic_guard;
pub mod pipeline;
pub mod post_object;
mod queue_url;
pub mod registry;
mod repoll;
pub mod rotation_functions;
pub mod route;
mod s3_cors;
mod s3_website;
mod serve;
mod sns_functions;
mod sns_links;
pub mod state_file;
pub mod state_reader;
pub mod targets;
pub mod unrouted;

pub use config::Config;
pub use serve::{serve, Server};
