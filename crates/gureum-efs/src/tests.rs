//! The service's rules, one test each, through `Service::call`.

use crate::EfsService;
use gureum_core::{AwsError, Clock, RequestContext, Service, Value};
use gureum_store::Store;
use serde_json::json;
use std::future::Future;

fn call(svc: &EfsService, ctx: &RequestContext, op: &str, input: Value) -> Result<Value, AwsError> {
    let mut f = std::pin::pin!(svc.call(ctx, op, input));
    match f
        .as_mut()
        .poll(&mut std::task::Context::from_waker(std::task::Waker::noop()))
    {
        std::task::Poll::Ready(v) => v,
        std::task::Poll::Pending => panic!("operation waited"),
    }
}

fn ctx() -> RequestContext {
    RequestContext::root("123456789012", "us-east-1", Clock::system())
}

#[test]
fn a_creation_token_names_one_file_system() {
    let svc = EfsService::new(Store::in_memory().expect("store"));
    let ctx = ctx();
    let first = call(
        &svc,
        &ctx,
        "CreateFileSystem",
        json!({"CreationToken": "t"}),
    )
    .expect("created");
    assert_eq!(first["LifeCycleState"], "creating");
    let e = call(
        &svc,
        &ctx,
        "CreateFileSystem",
        json!({"CreationToken": "t"}),
    )
    .expect_err("refused");
    assert_eq!(e.code, "FileSystemAlreadyExists");
    assert_eq!(
        e.message,
        format!(
            "File system '{}' already exists with creation token 't'",
            first["FileSystemId"].as_str().unwrap_or_default()
        )
    );
}

#[test]
fn an_empty_file_system_meters_six_kibibytes() {
    let svc = EfsService::new(Store::in_memory().expect("store"));
    let ctx = ctx();
    let fs = call(
        &svc,
        &ctx,
        "CreateFileSystem",
        json!({"CreationToken": "m"}),
    )
    .expect("created");
    assert_eq!(fs["SizeInBytes"]["Value"], 6144);
}

#[test]
fn an_unknown_file_system_is_not_found_by_id() {
    let svc = EfsService::new(Store::in_memory().expect("store"));
    let e = call(
        &svc,
        &ctx(),
        "DeleteFileSystem",
        json!({"FileSystemId": "fs-0123"}),
    )
    .expect_err("refused");
    assert_eq!((e.code.as_str(), e.status), ("FileSystemNotFound", 404));
    assert_eq!(e.message, "File system 'fs-0123' does not exist.");
}
