//! Lambda's rules, through `Service::call`.

use super::*;
use gureum_core::{Clock, Reply, RequestBody, Service};
use serde_json::json;

fn ctx() -> RequestContext {
    RequestContext::root("123456789012", "us-east-1", Clock::system())
}

fn zip_b64(files: &[(&str, &str)]) -> String {
    let dir = std::env::temp_dir().join(format!("gureum-lambda-test-{}", new_request_id()));
    std::fs::create_dir_all(&dir).expect("test");
    for (name, text) in files {
        std::fs::write(dir.join(name), text).expect("test");
    }
    let names: Vec<&str> = files.iter().map(|(n, _)| *n).collect();
    let ok = std::process::Command::new("zip")
        .arg("-q")
        .arg("code.zip")
        .args(&names)
        .current_dir(&dir)
        .status()
        .expect("test");
    assert!(ok.success());
    let bytes = std::fs::read(dir.join("code.zip")).expect("test");
    std::fs::remove_dir_all(&dir).expect("test");
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

use base64::Engine;

/// Every operation through `call_streaming`, as the server calls a
/// streaming service.
async fn call(svc: &LambdaService, ctx: &RequestContext, op: &str, input: Value) -> OpResult {
    svc.call_streaming(ctx, op, input, RequestBody::empty())
        .await
        .map(|r| r.output)
}

const ROLE: &str = "arn:aws:iam::123456789012:role/r";

async fn create(svc: &LambdaService, name: &str, code: &str) -> OpResult {
    call(svc, &ctx(),
        "CreateFunction",
        json!({"FunctionName": name, "Runtime": "python3.12", "Role": ROLE,
               "Handler": "lambda_function.handler", "Code": {"ZipFile": zip_b64(&[("lambda_function.py", code)])}}),
    )
    .await
}

async fn invoke(svc: &LambdaService, name: &str, payload: &str) -> Reply {
    let b64 = base64::engine::general_purpose::STANDARD.encode(payload);
    svc.call_streaming(
        &ctx(),
        "Invoke",
        json!({"FunctionName": name, "Payload": b64, "LogType": "Tail"}),
        RequestBody::empty(),
    )
    .await
    .expect("invoke")
}

fn payload(r: &Reply) -> Value {
    let b = base64::engine::general_purpose::STANDARD
        .decode(r.output["Payload"].as_str().expect("test"))
        .expect("test");
    serde_json::from_slice(&b).expect("test")
}

#[tokio::test(flavor = "multi_thread")]
async fn a_created_function_is_pending_then_active() {
    let svc = LambdaService::new(Store::in_memory().expect("test"));
    let out = create(&svc, "f", "def handler(e, c):\n    return 1\n")
        .await
        .expect("test");
    assert_eq!(out["State"], "Pending");
    assert_eq!(out["StateReasonCode"], "Creating");
    std::thread::sleep(std::time::Duration::from_millis(5));
    let got = call(
        &svc,
        &ctx(),
        "GetFunctionConfiguration",
        json!({"FunctionName": "f"}),
    )
    .await
    .expect("test");
    assert_eq!(got["State"], "Active");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_second_function_of_the_same_name_is_a_conflict() {
    let svc = LambdaService::new(Store::in_memory().expect("test"));
    create(&svc, "f", "x = 1\n").await.expect("test");
    let err = create(&svc, "f", "x = 1\n").await.expect_err("an error");
    assert_eq!(err.code, "ResourceConflictException");
    assert_eq!(err.message, "Function already exist: f");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unknown_function_is_not_found_with_its_arn() {
    let svc = LambdaService::new(Store::in_memory().expect("test"));
    let err = call(&svc, &ctx(), "GetFunction", json!({"FunctionName": "nope"}))
        .await
        .expect_err("an error");
    assert_eq!(err.code, "ResourceNotFoundException");
    assert_eq!(
        err.message,
        "Function not found: arn:aws:lambda:us-east-1:123456789012:function:nope"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_timeout_over_900_seconds_is_refused() {
    let svc = LambdaService::new(Store::in_memory().expect("test"));
    let err = call(
        &svc,
        &ctx(),
        "CreateFunction",
        json!({"FunctionName": "f", "Runtime": "python3.12", "Role": ROLE, "Handler": "a.b",
                   "Timeout": 901, "Code": {"ZipFile": zip_b64(&[("a.py", "")])}}),
    )
    .await
    .expect_err("an error");
    assert_eq!(err.code, "ValidationException");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_zip_that_is_not_a_zip_is_refused_with_aws_text() {
    let svc = LambdaService::new(Store::in_memory().expect("test"));
    let err = call(
        &svc,
        &ctx(),
        "CreateFunction",
        json!({"FunctionName": "f", "Runtime": "python3.12", "Role": ROLE, "Handler": "a.b",
                   "Code": {"ZipFile": "aGVsbG8="}}),
    )
    .await
    .expect_err("an error");
    assert_eq!(err.code, "InvalidParameterValueException");
    assert_eq!(
        err.message,
        "Could not unzip uploaded file. Please check your file, then try to upload again."
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn invoke_runs_python_and_reuses_the_environment() {
    let svc = LambdaService::new(Store::in_memory().expect("test"));
    create(
        &svc,
        "f",
        "import os\ndef handler(e, c):\n    print('hi')\n    return {'n': e['n'] + 1, 'name': os.environ['AWS_LAMBDA_FUNCTION_NAME']}\n",
    )
    .await
    .expect("test");
    let r = invoke(&svc, "f", r#"{"n": 1}"#).await;
    assert_eq!(payload(&r), json!({"n": 2, "name": "f"}));
    let log = String::from_utf8(
        base64::engine::general_purpose::STANDARD
            .decode(r.output["LogResult"].as_str().expect("test"))
            .expect("test"),
    )
    .expect("test");
    assert!(log.starts_with("START RequestId: "), "{log}");
    assert!(log.contains("\nhi\n"), "{log}");
    assert!(log.contains("Init Duration: "), "{log}");
    let r = invoke(&svc, "f", r#"{"n": 5}"#).await;
    assert_eq!(payload(&r)["n"], 6);
    assert_eq!(svc.running_environments(), 1);
    svc.shutdown();
    assert_eq!(svc.running_environments(), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_exception_is_reported_as_aws_reports_it() {
    let svc = LambdaService::new(Store::in_memory().expect("test"));
    create(
        &svc,
        "f",
        "def handler(e, c):\n    raise ValueError('boom')\n",
    )
    .await
    .expect("test");
    let r = invoke(&svc, "f", "{}").await;
    assert_eq!(r.output["FunctionError"], "Unhandled");
    let p = payload(&r);
    assert_eq!(p["errorType"], "ValueError");
    assert_eq!(p["errorMessage"], "boom");
    assert!(
        p["stackTrace"][0]
            .as_str()
            .expect("test")
            .contains("in handler"),
        "{p}"
    );
    svc.shutdown();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_missing_module_is_an_import_error() {
    let svc = LambdaService::new(Store::in_memory().expect("test"));
    call(&svc, &ctx(),
        "CreateFunction",
        json!({"FunctionName": "f", "Runtime": "python3.12", "Role": ROLE, "Handler": "missing.handler",
               "Code": {"ZipFile": zip_b64(&[("a.py", "")])}}),
    )
    .await
    .expect("test");
    let r = invoke(&svc, "f", "{}").await;
    let p = payload(&r);
    assert_eq!(p["errorType"], "Runtime.ImportModuleError");
    assert_eq!(
        p["errorMessage"],
        "Unable to import module 'missing': No module named 'missing'"
    );
    svc.shutdown();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_slow_function_times_out_with_aws_text() {
    let svc = LambdaService::new(Store::in_memory().expect("test"));
    call(&svc, &ctx(),
        "CreateFunction",
        json!({"FunctionName": "f", "Runtime": "python3.12", "Role": ROLE, "Handler": "a.handler",
               "Timeout": 1,
               "Code": {"ZipFile": zip_b64(&[("a.py", "import time\ndef handler(e, c):\n    time.sleep(5)\n")])}}),
    )
    .await
    .expect("test");
    let r = invoke(&svc, "f", "{}").await;
    assert_eq!(r.output["FunctionError"], "Unhandled");
    let p = payload(&r);
    assert!(
        p["errorMessage"]
            .as_str()
            .expect("test")
            .ends_with("Task timed out after 1.00 seconds"),
        "{p}"
    );
    assert_eq!(svc.running_environments(), 0);
    svc.shutdown();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_service_needs_a_permission_to_invoke() {
    let svc = LambdaService::new(Store::in_memory().expect("test"));
    create(&svc, "f", "def handler(e, c):\n    return 1\n")
        .await
        .expect("test");
    let arn = "arn:aws:lambda:us-east-1:123456789012:function:f";
    let rule = "arn:aws:events:us-east-1:123456789012:rule/r";
    let sender = policy::ServiceSender {
        service: "events.amazonaws.com",
        source_arn: rule,
        source_account: "123456789012",
    };
    let err = svc
        .invoke_from_service(&sender, arn, b"{}", false)
        .expect_err("an error");
    assert_eq!(err.code, "AccessDeniedException");
    call(
        &svc,
        &ctx(),
        "AddPermission",
        json!({"FunctionName": "f", "StatementId": "s", "Action": "lambda:InvokeFunction",
               "Principal": "events.amazonaws.com", "SourceArn": rule}),
    )
    .await
    .expect("test");
    let out = svc
        .invoke_from_service(&sender, arn, b"{}", false)
        .expect("test")
        .expect("test");
    assert_eq!(out.payload, b"1");
    let other = policy::ServiceSender {
        source_arn: "arn:aws:events:us-east-1:123456789012:rule/other",
        ..sender
    };
    assert!(svc.invoke_from_service(&other, arn, b"{}", false).is_err());
    svc.shutdown();
}

async fn create_with(
    svc: &LambdaService,
    name: &str,
    runtime: &str,
    handler: &str,
    files: &[(&str, &str)],
) {
    call(
        svc,
        &ctx(),
        "CreateFunction",
        json!({"FunctionName": name, "Runtime": runtime, "Role": ROLE, "Handler": handler,
               "Code": {"ZipFile": zip_b64(files)}}),
    )
    .await
    .expect("created");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_node_function_runs_and_reports_errors_with_a_trace() {
    let svc = LambdaService::new(Store::in_memory().expect("store"));
    create_with(
        &svc,
        "n",
        "nodejs20.x",
        "index.handler",
        &[(
            "index.mjs",
            "export const handler = async (e) => { if (e.fail) throw new TypeError('nope'); return e.n * 2; };",
        )],
    )
    .await;
    assert_eq!(payload(&invoke(&svc, "n", r#"{"n": 4}"#).await), json!(8));
    let r = invoke(&svc, "n", r#"{"fail": true}"#).await;
    assert_eq!(r.output["FunctionError"], "Unhandled");
    let p = payload(&r);
    assert_eq!(p["errorType"], "TypeError");
    assert_eq!(p["errorMessage"], "nope");
    assert_eq!(p["trace"][0], "TypeError: nope");
    svc.shutdown();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_provided_bootstrap_that_exits_is_a_runtime_exit_error() {
    let svc = LambdaService::new(Store::in_memory().expect("store"));
    create_with(
        &svc,
        "p",
        "provided.al2023",
        "x",
        &[("bootstrap", "#!/bin/sh\nexit 3\n")],
    )
    .await;
    let p = payload(&invoke(&svc, "p", "{}").await);
    assert_eq!(p["errorType"], "Runtime.ExitError");
    assert!(
        p["errorMessage"]
            .as_str()
            .expect("message")
            .ends_with("Error: Runtime exited with error: exit status 3"),
        "{p}"
    );
    svc.shutdown();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_version_keeps_its_code_after_an_update() {
    let svc = LambdaService::new(Store::in_memory().expect("store"));
    create(&svc, "v", "def handler(e, c):\n    return 1\n")
        .await
        .expect("created");
    call(&svc, &ctx(), "PublishVersion", json!({"FunctionName": "v"}))
        .await
        .expect("published");
    call(&svc, &ctx(),
        "UpdateFunctionCode",
        json!({"FunctionName": "v", "ZipFile": zip_b64(&[("lambda_function.py", "def handler(e, c):\n    return 2\n")])}),
    )
    .await
    .expect("updated");
    assert_eq!(payload(&invoke(&svc, "v", "{}").await), json!(2));
    assert_eq!(payload(&invoke(&svc, "v:1", "{}").await), json!(1));
    call(&svc, &ctx(), "DeleteFunction", json!({"FunctionName": "v"}))
        .await
        .expect("deleted");
    assert_eq!(svc.running_environments(), 0);
    svc.shutdown();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_payload_that_is_not_json_is_refused() {
    let svc = LambdaService::new(Store::in_memory().expect("store"));
    create(&svc, "f", "def handler(e, c):\n    return 1\n")
        .await
        .expect("created");
    let err = svc
        .call_streaming(
            &ctx(),
            "Invoke",
            json!({"FunctionName": "f", "Payload": base64::engine::general_purpose::STANDARD.encode("{nope")}),
            RequestBody::empty(),
        )
        .await
        .expect_err("refused");
    assert_eq!(err.code, "InvalidRequestContentException");
}

#[tokio::test(flavor = "multi_thread")]
async fn concurrent_invocations_get_an_environment_each_and_idle_ones_are_reaped() {
    let svc = std::sync::Arc::new(LambdaService::new(Store::in_memory().expect("store")));
    create(
        &svc,
        "c",
        "import time\ndef handler(e, c):\n    time.sleep(0.5)\n    return e['i']\n",
    )
    .await
    .expect("created");
    let mut calls = Vec::new();
    for i in 0..3 {
        let svc = svc.clone();
        calls.push(tokio::spawn(async move {
            payload(&invoke(&svc, "c", &format!(r#"{{"i": {i}}}"#)).await)
        }));
    }
    let mut got = Vec::new();
    for c in calls {
        got.push(c.await.expect("joined"));
    }
    assert_eq!(got, vec![json!(0), json!(1), json!(2)]);
    assert_eq!(svc.running_environments(), 3);
    svc.pool.reap(std::time::Duration::ZERO);
    assert_eq!(svc.running_environments(), 0);
    svc.shutdown();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_result_that_is_not_json_is_a_marshal_error() {
    let svc = LambdaService::new(Store::in_memory().expect("store"));
    create(&svc, "m", "def handler(e, c):\n    return {1, 2}\n")
        .await
        .expect("created");
    let p = payload(&invoke(&svc, "m", "{}").await);
    assert_eq!(p["errorType"], "Runtime.MarshalError");
    assert_eq!(
        p["errorMessage"],
        "Unable to marshal response: Object of type set is not JSON serializable"
    );
    svc.shutdown();
}
