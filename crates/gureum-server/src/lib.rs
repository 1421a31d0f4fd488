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
mod acm_wiring;
pub mod admin;
pub mod admin_state;
pub mod alarm_actions;
mod alias_targets_wiring;
pub mod apigateway_wiring;
mod apigw_domains;
mod authenticate;
mod authorize;
pub mod autoscaling_wiring;
pub mod billing_wiring;
pub mod body;
pub mod budget;
mod cloudfront_edge;
mod cloudfront_tls;
pub mod config;
pub mod conn;
mod console_wiring;
mod dynamodb_wiring;
mod efs_wiring;
mod elb_host;
mod elbv2_wiring;
mod execute_api;
pub mod execute_api_v2;
mod function_url_stream;
mod function_urls;
mod glacier_wiring;
pub mod gunzip;
pub mod instances_wiring;
pub mod lambda_sources;
pub mod lambdax_wiring;
pub mod logs_wiring;
mod panic_guard;
pub mod pipeline;
pub mod post_object;
mod queue_url;
mod rds_wiring;
pub mod registry;
mod repoll;
pub mod rotation_functions;
pub mod route;
mod route53_wiring;
mod s3_calls;
mod s3_cors;
mod s3_website;
mod serve;
mod sns_functions;
mod sns_links;
pub mod state_file;
pub mod state_reader;
pub mod targets;
pub mod unrouted;
mod vpc_dns_wiring;

pub use config::Config;
pub use serve::{serve, Server};
