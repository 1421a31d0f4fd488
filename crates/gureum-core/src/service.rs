//! The interface every service crate implements.
//!
//! The server hands a service the operation's AWS name and its input as a
//! protocol-neutral [`Value`] (see `gureum-protocol`'s docs for the value
//! conventions); the service answers with an output value or an
//! [`AwsError`]. Operations a service does not list answer
//! [`AwsError::not_implemented`], so the surface stays honest while coverage
//! grows one operation at a time.

use crate::body::{Reply, RequestBody};
use crate::{AwsError, RequestContext};
use std::future::Future;
use std::pin::Pin;

/// Inputs and outputs of operations.
pub type Value = serde_json::Value;

/// What an operation returns.
pub type OpResult = Result<Value, AwsError>;

/// A boxed future of an operation's result.
pub type OpFuture<'a> = Pin<Box<dyn Future<Output = OpResult> + Send + 'a>>;

/// A boxed future of a streaming operation's reply.
pub type ReplyFuture<'a> = Pin<Box<dyn Future<Output = Result<Reply, AwsError>> + Send + 'a>>;

/// One permission a request needs: an IAM action on a resource.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuthzTarget {
    /// `s3:GetObject`.
    pub action: String,
    /// The resource's ARN, or `*` for actions without resource types.
    pub resource: String,
}

impl AuthzTarget {
    /// A target from an action and a resource.
    pub fn new(action: impl Into<String>, resource: impl Into<String>) -> Self {
        AuthzTarget {
            action: action.into(),
            resource: resource.into(),
        }
    }
}

/// How the server authorizes an operation before its handler runs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Authorization {
    /// `<iam prefix>:<OperationName>` on `*`: right for most list/describe
    /// operations, and the default until a service says more.
    Default,
    /// These permissions, all of which must be allowed.
    Targets(Vec<AuthzTarget>),
    /// Anyone signed may call it (`sts:GetCallerIdentity`).
    Public,
    /// The handler authorizes (`sts:AssumeRole`, where the trust policy
    /// decides together with the caller's policies).
    ByHandler,
}

/// A service (one AWS service model) that Gureum serves.
pub trait Service: Send + Sync + 'static {
    /// The model name (`s3`, `logs`, `ec2`).
    fn model_name(&self) -> &'static str;

    /// The operations this service implements, by AWS name.
    fn implemented(&self) -> &'static [&'static str];

    /// Runs `operation` with `input`.
    fn call<'a>(
        &'a self,
        ctx: &'a RequestContext,
        operation: &'a str,
        input: Value,
    ) -> OpFuture<'a>;

    /// Runs an operation whose request or response payload streams (S3's
    /// object bodies): `body` is the request payload, unread. The server
    /// calls this for every operation of a service that says
    /// [`Service::streams`]; the default ignores the body and answers
    /// [`Service::call`]'s output.
    fn call_streaming<'a>(
        &'a self,
        ctx: &'a RequestContext,
        operation: &'a str,
        input: Value,
        body: RequestBody,
    ) -> ReplyFuture<'a> {
        drop(body);
        let call = self.call(ctx, operation, input);
        Box::pin(async move { call.await.map(Reply::value) })
    }

    /// Whether this service implements [`Service::call_streaming`].
    fn streams(&self) -> bool {
        false
    }

    /// The permissions `operation` with `input` needs. Services override this
    /// where an operation's IAM action or resource differs from the default.
    fn authorization(&self, ctx: &RequestContext, operation: &str, input: &Value) -> Authorization {
        let _ = (ctx, operation, input);
        Authorization::Default
    }

    /// A one-word state for the health endpoint.
    fn health(&self) -> &'static str {
        "running"
    }

    /// Forgets what the service keeps in memory about its state (caches,
    /// indexes, bootstraps done), after the store's tables of the service
    /// were cleared or replaced (`POST /_gureum/reset`, an import). What
    /// it sets up per scope comes back on next use.
    fn reset(&self) {}
}

/// Declares a service's operations, by AWS name, next to the methods that
/// implement them, and implements [`Service`] from that table.
///
/// ```ignore
/// gureum_core::service_operations! {
///     LogsService, "logs",
///     "CreateLogGroup" => create_log_group,
///     "DescribeLogGroups" => describe_log_groups,
/// }
/// ```
///
/// Each method is `fn(&self, &RequestContext, Value) -> OpResult`. Before
/// the table, in this order, a service may name:
///
/// - `prepare = method,` — a `fn(&self, &RequestContext) -> Result<(),
///   AwsError>` run before every operation (per-scope set-up such as
///   EC2's default VPC, through `gureum_kit::Bootstrap`);
/// - `reset = method,` — a `fn(&self)` that forgets in-memory state
///   after a reset or import ([`Service::reset`]);
/// - `authorization = method,` — a `fn(&self, &RequestContext, &str,
///   &Value) -> Authorization` for operations whose IAM action or resource
///   differs from the default;
/// - after `authorization`, `streaming { "PutObject" => put_object, … },`
///   for operations whose bodies stream (S3): each an `async fn(&self,
///   &RequestContext, Value, RequestBody) -> Result<Reply, AwsError>`.
#[macro_export]
macro_rules! service_operations {
    ($ty:ty, $model:literal, $(prepare = $prep:ident,)? $(reset = $reset:ident,)? authorization = $authz:ident,
     streaming { $($sop:literal => $smethod:ident),* $(,)? },
     $($op:literal => $method:ident),* $(,)?) => {
        $crate::service_operations!(@impl $ty, $model, [$($prep)?], [$($reset)?], {
            fn call_streaming<'a>(
                &'a self,
                ctx: &'a $crate::RequestContext,
                operation: &'a str,
                input: $crate::service::Value,
                body: $crate::RequestBody,
            ) -> $crate::service::ReplyFuture<'a> {
                $(if let Err(e) = self.$prep(ctx) {
                    return Box::pin(std::future::ready(Err(e)));
                })?
                match operation {
                    $($sop => Box::pin(self.$smethod(ctx, input, body)),)*
                    _ => {
                        drop(body);
                        let call = $crate::service::Service::call(self, ctx, operation, input);
                        Box::pin(async move { call.await.map($crate::Reply::value) })
                    }
                }
            }

            fn streams(&self) -> bool {
                true
            }

            fn authorization(
                &self,
                ctx: &$crate::RequestContext,
                operation: &str,
                input: &$crate::service::Value,
            ) -> $crate::service::Authorization {
                self.$authz(ctx, operation, input)
            }
        } ; [$($sop),*] ; $($op => $method),*);
    };
    ($ty:ty, $model:literal, $(prepare = $prep:ident,)? $(reset = $reset:ident,)? authorization = $authz:ident,
     $($op:literal => $method:ident),* $(,)?) => {
        $crate::service_operations!(@impl $ty, $model, [$($prep)?], [$($reset)?], {
            fn authorization(
                &self,
                ctx: &$crate::RequestContext,
                operation: &str,
                input: &$crate::service::Value,
            ) -> $crate::service::Authorization {
                self.$authz(ctx, operation, input)
            }
        } ; [] ; $($op => $method),*);
    };
    ($ty:ty, $model:literal, $(prepare = $prep:ident,)? $(reset = $reset:ident,)? $($op:literal => $method:ident),* $(,)?) => {
        $crate::service_operations!(@impl $ty, $model, [$($prep)?], [$($reset)?], {} ; [] ; $($op => $method),*);
    };
    (@impl $ty:ty, $model:literal, [$($prep:ident)?], [$($reset:ident)?], { $($extra:tt)* } ; [$($sop:literal),*] ;
     $($op:literal => $method:ident),*) => {
        impl $crate::service::Service for $ty {
            fn model_name(&self) -> &'static str {
                $model
            }

            fn implemented(&self) -> &'static [&'static str] {
                &[$($sop,)* $($op),*]
            }

            fn call<'a>(
                &'a self,
                ctx: &'a $crate::RequestContext,
                operation: &'a str,
                input: $crate::service::Value,
            ) -> $crate::service::OpFuture<'a> {
                $(if let Err(e) = self.$prep(ctx) {
                    return Box::pin(std::future::ready(Err(e)));
                })?
                let result = match operation {
                    $($op => self.$method(ctx, input),)*
                    $($sop => Err($crate::AwsError::internal(
                        format!("{operation} streams its body: call_streaming answers it"),
                    )),)*
                    other => Err($crate::AwsError::not_implemented($model, other)),
                };
                Box::pin(std::future::ready(result))
            }

            $(fn reset(&self) {
                self.$reset()
            })?

            $($extra)*
        }
    };
}

/// Reads a typed input from a value (for handlers that prefer serde structs).
/// A shape mismatch is a bug in the model or the struct, so it answers
/// `InternalFailure` rather than blaming the caller.
pub fn input<T: serde::de::DeserializeOwned>(value: Value) -> Result<T, AwsError> {
    serde_json::from_value(value).map_err(|e| AwsError::internal(format!("input shape: {e}")))
}

/// Turns a typed output into a value.
pub fn output<T: serde::Serialize>(value: &T) -> OpResult {
    serde_json::to_value(value).map_err(|e| AwsError::internal(format!("output shape: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Clock;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[derive(Default)]
    struct Counter {
        prepared: AtomicUsize,
        refuse: bool,
    }

    impl Counter {
        fn prepare(&self, _ctx: &RequestContext) -> Result<(), AwsError> {
            self.prepared.fetch_add(1, Ordering::SeqCst);
            if self.refuse {
                return Err(AwsError::internal("set-up failed"));
            }
            Ok(())
        }

        fn ping(&self, _ctx: &RequestContext, _input: Value) -> OpResult {
            Ok(serde_json::json!({"Pong": true}))
        }
    }

    crate::service_operations! {
        Counter, "counter",
        prepare = prepare,
        "Ping" => ping,
    }

    fn run(svc: &Counter, op: &str) -> OpResult {
        let ctx = RequestContext::root("000000000000", "us-east-1", Clock::system());
        let fut = svc.call(&ctx, op, serde_json::json!({}));
        // The macro's futures are ready at once.
        let waker = std::task::Waker::noop();
        let mut cx = std::task::Context::from_waker(waker);
        let mut fut = fut;
        match fut.as_mut().poll(&mut cx) {
            std::task::Poll::Ready(r) => r,
            std::task::Poll::Pending => panic!("a table operation is never pending"),
        }
    }

    #[test]
    fn prepare_runs_before_every_operation_even_unimplemented_ones() {
        let svc = Counter::default();
        assert_eq!(run(&svc, "Ping").expect("pong")["Pong"], true);
        let e = run(&svc, "Nope").expect_err("not implemented");
        assert_eq!(e.code, "NotImplemented");
        assert_eq!(svc.prepared.load(Ordering::SeqCst), 2);
        assert_eq!(svc.implemented(), ["Ping"]);
    }

    #[test]
    fn a_failed_prepare_answers_instead_of_the_operation() {
        let svc = Counter {
            refuse: true,
            ..Counter::default()
        };
        assert_eq!(
            run(&svc, "Ping").expect_err("refused").message,
            "set-up failed"
        );
    }
}
