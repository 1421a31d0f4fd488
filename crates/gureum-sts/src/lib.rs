//! STS (query protocol, global endpoint and regional endpoints).
//!
//! So far `GetCallerIdentity`; `AssumeRole` and friends come with the IAM
//! issue, which also brings the keys they issue.

use gureum_core::{OpResult, RequestContext, Value};
use serde_json::json;

/// The STS service.
#[derive(Debug, Default)]
pub struct StsService {}

impl StsService {
    /// A new STS service.
    pub fn new() -> Self {
        StsService {}
    }

    /// `GetCallerIdentity`: who signed this request. Needs no permission,
    /// as in AWS (even an explicit deny does not stop it).
    fn get_caller_identity(&self, ctx: &RequestContext, _input: Value) -> OpResult {
        Ok(json!({
            "UserId": ctx.principal.user_id(),
            "Account": ctx.principal.account_id().unwrap_or(&ctx.account_id),
            "Arn": ctx.principal.arn(),
        }))
    }
}

gureum_core::service_operations! {
    StsService, "sts",
    "GetCallerIdentity" => get_caller_identity,
}

#[cfg(test)]
mod tests {
    use super::*;
    use gureum_core::{Clock, Service};

    #[test]
    fn root_caller_is_the_account_root() {
        let ctx = RequestContext::root("000000000000", "us-east-1", Clock::system());
        let out = StsService::new()
            .get_caller_identity(&ctx, json!({}))
            .expect("ok");
        assert_eq!(out["Account"], "000000000000");
        assert_eq!(out["Arn"], "arn:aws:iam::000000000000:root");
        assert_eq!(out["UserId"], "000000000000");
    }

    #[test]
    fn other_operations_are_not_implemented() {
        let svc = StsService::new();
        let ctx = RequestContext::root("000000000000", "us-east-1", Clock::system());
        let fut = svc.call(&ctx, "DecodeAuthorizationMessage", json!({}));
        let res = futures_lite_block_on(fut);
        assert_eq!(
            res.map_err(|e| (e.code, e.status)),
            Err(("NotImplemented".into(), 501))
        );
    }

    /// The handlers are synchronous, so their futures are ready at once.
    fn futures_lite_block_on<F: std::future::Future>(f: F) -> F::Output {
        use std::task::{Context, Poll, Waker};
        let mut f = std::pin::pin!(f);
        match f.as_mut().poll(&mut Context::from_waker(Waker::noop())) {
            Poll::Ready(v) => v,
            Poll::Pending => panic!("service futures are ready at once"),
        }
    }
}
