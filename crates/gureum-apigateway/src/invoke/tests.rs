//! The data plane's rules, one test each.

use super::{proxy, FunctionResult, Functions, Request, Resolved, Response};
use crate::tests::{api, ok, service};
use crate::ApigatewayService;
use parking_lot::Mutex;
use serde_json::{json, Value};

/// Records what it was sent and answers `answer`.
struct Fake {
    answer: Result<FunctionResult, String>,
    seen: Mutex<Vec<(String, String, Value)>>,
}

impl Fake {
    fn answering(payload: Value) -> Self {
        Fake {
            answer: Ok(FunctionResult {
                payload: payload.to_string().into_bytes(),
                failed: false,
            }),
            seen: Mutex::new(Vec::new()),
        }
    }
}

impl Functions for Fake {
    fn invoke(
        &self,
        function_arn: &str,
        source_arn: &str,
        payload: &[u8],
    ) -> Result<FunctionResult, String> {
        let p = serde_json::from_slice(payload).unwrap_or(Value::Null);
        self.seen
            .lock()
            .push((function_arn.into(), source_arn.into(), p));
        self.answer.clone()
    }
}

const FUNCTION: &str = "arn:aws:lambda:us-east-1:123456789012:function:f";

fn request(method: &str, path: &str, query: &str) -> Request {
    Request {
        method: method.into(),
        path: path.into(),
        query: query.into(),
        headers: vec![
            ("Host".into(), "abc.execute-api.localhost".into()),
            ("X-Multi".into(), "1".into()),
            ("X-Multi".into(), "2".into()),
        ],
        body: b"{\"n\": 3}".to_vec(),
        source_ip: "127.0.0.1".into(),
        domain: "abc.execute-api.localhost".into(),
        caller: None,
    }
}

/// An API with `/items/{id}` (GET, integration `integration`) deployed
/// to `prod` with a stage variable.
fn deployed(svc: &ApigatewayService, integration: Value) -> String {
    let (id, root) = api(svc);
    let items = ok(
        svc,
        "CreateResource",
        json!({"restApiId": id, "parentId": root, "pathPart": "items"}),
    );
    let item = ok(
        svc,
        "CreateResource",
        json!({"restApiId": id, "parentId": items["id"], "pathPart": "{id}"}),
    );
    let m = json!({"restApiId": id, "resourceId": item["id"], "httpMethod": "GET"});
    let mut put = m.clone();
    put["authorizationType"] = json!("NONE");
    ok(svc, "PutMethod", put);
    let mut i = integration;
    for k in ["restApiId", "resourceId", "httpMethod"] {
        i[k] = m[k].clone();
    }
    ok(svc, "PutIntegration", i);
    let mut r = m.clone();
    r["statusCode"] = json!("200");
    ok(svc, "PutMethodResponse", r.clone());
    r["responseTemplates"] =
        json!({"application/json": "{\"got\": $input.json('$'), \"id\": \"$input.params('id')\"}"});
    ok(svc, "PutIntegrationResponse", r);
    ok(
        svc,
        "CreateDeployment",
        json!({"restApiId": id, "stageName": "prod", "variables": {"env": "p"}}),
    );
    id
}

fn run(svc: &ApigatewayService, api: &str, stage: &str, req: &Request, f: &Fake) -> Response {
    match svc.resolve(api, stage, req) {
        Resolved::Target(t) => svc.run(&t, req, f, 1_583_798_639_428),
        Resolved::Answer(r) => r,
        Resolved::NotMine => panic!("not mine"),
    }
}

fn lambda_proxy() -> Value {
    json!({"type": "AWS_PROXY", "integrationHttpMethod": "POST", "uri": format!("arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/{FUNCTION}/invocations")})
}

#[test]
fn unknown_api_ids_fall_through() {
    let svc = service();
    assert!(matches!(
        svc.resolve("zzzzzzzzzz", "prod", &request("GET", "/", "")),
        Resolved::NotMine
    ));
}

#[test]
fn unknown_routes_answer_missing_authentication_token() {
    let svc = service();
    let id = deployed(&svc, json!({"type": "MOCK"}));
    let f = Fake::answering(json!({}));
    for (method, path) in [("GET", "/nope"), ("POST", "/items/1"), ("GET", "/items")] {
        let r = run(&svc, &id, "prod", &request(method, path, ""), &f);
        assert_eq!(
            (r.status, r.body.as_slice()),
            (403, &br#"{"message":"Missing Authentication Token"}"#[..]),
            "{method} {path}"
        );
    }
    let r = run(&svc, &id, "nostage", &request("GET", "/items/1", ""), &f);
    assert_eq!(
        (r.status, r.body.as_slice()),
        (403, &br#"{"message":"Forbidden"}"#[..])
    );
}

#[test]
fn the_deployed_snapshot_is_served_not_the_live_tree() {
    let svc = service();
    let id = deployed(
        &svc,
        json!({"type": "MOCK", "requestTemplates": {"application/json": "{\"statusCode\": 200}"}}),
    );
    let root = ok(&svc, "GetRestApi", json!({"restApiId": id}))["rootResourceId"].clone();
    ok(
        &svc,
        "CreateResource",
        json!({"restApiId": id, "parentId": root, "pathPart": "later"}),
    );
    let items = ok(&svc, "GetResources", json!({"restApiId": id}))["items"].clone();
    let item = items
        .as_array()
        .expect("items")
        .iter()
        .find(|r| r["path"] == "/items/{id}")
        .expect("item")["id"]
        .clone();
    ok(
        &svc,
        "DeleteMethod",
        json!({"restApiId": id, "resourceId": item, "httpMethod": "GET"}),
    );
    let r = run(
        &svc,
        &id,
        "prod",
        &request("GET", "/items/7", ""),
        &Fake::answering(json!({})),
    );
    assert_eq!(r.status, 200);
}

#[test]
fn mock_integrations_answer_through_their_response_template() {
    let svc = service();
    let id = deployed(
        &svc,
        json!({"type": "MOCK", "requestTemplates": {"application/json": "{\"statusCode\": 200}"}}),
    );
    let r = run(
        &svc,
        &id,
        "prod",
        &request("GET", "/items/7", ""),
        &Fake::answering(json!({})),
    );
    assert_eq!(r.status, 200);
    let body: Value = serde_json::from_slice(&r.body).expect("json");
    assert_eq!(body, json!({"got": {}, "id": "7"}));
}

#[test]
fn lambda_proxy_events_have_the_rest_shape() {
    let svc = service();
    let id = deployed(&svc, lambda_proxy());
    let f = Fake::answering(json!({"statusCode": 201, "headers": {"X-A": "b"}, "body": "hi"}));
    let r = run(
        &svc,
        &id,
        "prod",
        &request("GET", "/items/7", "a=1&a=2&b=x"),
        &f,
    );
    assert_eq!((r.status, r.body.as_slice()), (201, &b"hi"[..]));
    assert!(r.headers.contains(&("X-A".into(), "b".into())));
    let seen = f.seen.lock();
    let (function, source, e) = &seen[0];
    assert_eq!(function, FUNCTION);
    assert_eq!(
        source,
        &format!("arn:aws:execute-api:us-east-1:123456789012:{id}/prod/GET/items/7")
    );
    assert_eq!(e["resource"], "/items/{id}");
    assert_eq!(e["path"], "/items/7");
    assert_eq!(e["httpMethod"], "GET");
    assert_eq!(e["pathParameters"], json!({"id": "7"}));
    assert_eq!(e["queryStringParameters"], json!({"a": "2", "b": "x"}));
    assert_eq!(
        e["multiValueQueryStringParameters"],
        json!({"a": ["1", "2"], "b": ["x"]})
    );
    assert_eq!(e["headers"]["X-Multi"], "2");
    assert_eq!(e["multiValueHeaders"]["X-Multi"], json!(["1", "2"]));
    assert_eq!(e["stageVariables"], json!({"env": "p"}));
    assert_eq!(e["body"], "{\"n\": 3}");
    assert_eq!(e["isBase64Encoded"], false);
    assert_eq!(e["requestContext"]["stage"], "prod");
    assert_eq!(e["requestContext"]["resourcePath"], "/items/{id}");
    assert_eq!(e["requestContext"]["path"], "/prod/items/7");
    assert_eq!(
        e["requestContext"]["requestTime"],
        "10/Mar/2020:00:03:59 +0000"
    );
    assert_eq!(e["requestContext"]["identity"]["sourceIp"], "127.0.0.1");
}

#[test]
fn malformed_proxy_responses_are_502() {
    for bad in [
        json!("text"),
        json!({"statusCode": 200, "body": {"a": 1}}),
        json!({"body": "x"}),
        json!({"statusCode": 200, "extra": 1}),
    ] {
        let r = proxy::proxy_response(bad.to_string().as_bytes());
        assert_eq!(
            (r.status, r.body.as_slice()),
            (502, &br#"{"message":"Internal server error"}"#[..]),
            "{bad}"
        );
    }
    let r = proxy::proxy_response(br#"{"statusCode": "204", "multiValueHeaders": {"Set": ["a", "b"]}, "body": "aGk=", "isBase64Encoded": true}"#);
    assert_eq!((r.status, r.body.as_slice()), (204, &b"hi"[..]));
    assert_eq!(r.headers.iter().filter(|(k, _)| k == "Set").count(), 2);
}

#[test]
fn refused_lambda_invocations_are_500() {
    let svc = service();
    let id = deployed(&svc, lambda_proxy());
    let f = Fake {
        answer: Err("AccessDenied".into()),
        seen: Mutex::new(Vec::new()),
    };
    let r = run(&svc, &id, "prod", &request("GET", "/items/7", ""), &f);
    assert_eq!(
        (r.status, r.body.as_slice()),
        (500, &br#"{"message":"Internal server error"}"#[..])
    );
}

#[test]
fn aws_lambda_integrations_map_request_and_response() {
    let svc = service();
    let mut integration = lambda_proxy();
    integration["type"] = json!("AWS");
    integration["requestTemplates"] = json!({"application/json": "{\"n\": $input.path('$.n'), \"stage\": \"$stageVariables.env\"}"});
    let id = deployed(&svc, integration);
    let f = Fake::answering(json!({"doubled": 6}));
    let r = run(&svc, &id, "prod", &request("GET", "/items/9", ""), &f);
    assert_eq!(f.seen.lock()[0].2, json!({"n": 3, "stage": "p"}));
    let body: Value = serde_json::from_slice(&r.body).expect("json");
    assert_eq!(
        (r.status, body),
        (200, json!({"got": {"doubled": 6}, "id": "9"}))
    );
}

#[test]
fn greedy_paths_take_the_rest_and_any_serves_every_verb() {
    let svc = service();
    let (id, root) = api(&svc);
    let proxy = ok(
        &svc,
        "CreateResource",
        json!({"restApiId": id, "parentId": root, "pathPart": "{proxy+}"}),
    );
    ok(
        &svc,
        "PutMethod",
        json!({"restApiId": id, "resourceId": proxy["id"], "httpMethod": "ANY", "authorizationType": "NONE"}),
    );
    let mut i = lambda_proxy();
    i["restApiId"] = json!(id);
    i["resourceId"] = proxy["id"].clone();
    i["httpMethod"] = json!("ANY");
    ok(&svc, "PutIntegration", i);
    ok(
        &svc,
        "CreateDeployment",
        json!({"restApiId": id, "stageName": "v1"}),
    );
    let f = Fake::answering(json!({"statusCode": 200, "body": ""}));
    let r = run(&svc, &id, "v1", &request("DELETE", "/a/b/c", ""), &f);
    assert_eq!(r.status, 200);
    assert_eq!(
        f.seen.lock()[0].2["pathParameters"],
        json!({"proxy": "a/b/c"})
    );
    let r = run(&svc, &id, "v1", &request("GET", "/", ""), &f);
    assert_eq!(r.status, 403, "the root has no method");
}

#[test]
fn api_keys_are_required_when_the_method_says_so() {
    let svc = service();
    let (id, root) = api(&svc);
    ok(
        &svc,
        "PutMethod",
        json!({"restApiId": id, "resourceId": root, "httpMethod": "GET", "authorizationType": "NONE", "apiKeyRequired": true}),
    );
    ok(
        &svc,
        "PutIntegration",
        json!({"restApiId": id, "resourceId": root, "httpMethod": "GET", "type": "MOCK", "requestTemplates": {"application/json": "{\"statusCode\": 200}"}}),
    );
    ok(
        &svc,
        "PutMethodResponse",
        json!({"restApiId": id, "resourceId": root, "httpMethod": "GET", "statusCode": "200"}),
    );
    ok(
        &svc,
        "PutIntegrationResponse",
        json!({"restApiId": id, "resourceId": root, "httpMethod": "GET", "statusCode": "200"}),
    );
    ok(
        &svc,
        "CreateDeployment",
        json!({"restApiId": id, "stageName": "prod"}),
    );
    let key = ok(&svc, "CreateApiKey", json!({"name": "k", "enabled": true}));
    let plan = ok(
        &svc,
        "CreateUsagePlan",
        json!({"name": "p", "apiStages": [{"apiId": id, "stage": "prod"}], "quota": {"limit": 2, "period": "DAY"}}),
    );
    ok(
        &svc,
        "CreateUsagePlanKey",
        json!({"usagePlanId": plan["id"], "keyId": key["id"], "keyType": "API_KEY"}),
    );
    let f = Fake::answering(json!({}));
    let mut req = request("GET", "/", "");
    let r = run(&svc, &id, "prod", &req, &f);
    assert_eq!(
        (r.status, r.body.as_slice()),
        (403, &br#"{"message":"Forbidden"}"#[..])
    );
    req.headers.push((
        "x-api-key".into(),
        key["value"].as_str().expect("value").into(),
    ));
    assert_eq!(run(&svc, &id, "prod", &req, &f).status, 200);
    assert_eq!(run(&svc, &id, "prod", &req, &f).status, 200);
    let r = run(&svc, &id, "prod", &req, &f);
    assert_eq!(
        (r.status, r.body.as_slice()),
        (429, &br#"{"message":"Limit Exceeded"}"#[..])
    );
}

/// An API whose root GET is guarded by a TOKEN authorizer and answers its
/// principal through a MOCK.
fn guarded(svc: &ApigatewayService) -> String {
    let (id, root) = api(svc);
    let uri = format!(
        "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/{FUNCTION}/invocations"
    );
    let a = ok(
        svc,
        "CreateAuthorizer",
        json!({"restApiId": id, "name": "auth", "type": "TOKEN", "authorizerUri": uri, "identitySource": "method.request.header.Authorization", "identityValidationExpression": "Bearer .+"}),
    );
    let m = json!({"restApiId": id, "resourceId": root, "httpMethod": "GET"});
    let mut put = m.clone();
    put["authorizationType"] = json!("CUSTOM");
    put["authorizerId"] = a["id"].clone();
    ok(svc, "PutMethod", put);
    let mut i = m.clone();
    i["type"] = json!("MOCK");
    i["requestTemplates"] = json!({"application/json": "{\"statusCode\": 200}"});
    ok(svc, "PutIntegration", i);
    let mut r = m.clone();
    r["statusCode"] = json!("200");
    ok(svc, "PutMethodResponse", r.clone());
    r["responseTemplates"] =
        json!({"application/json": "$context.authorizer.principalId/$context.authorizer.tier"});
    ok(svc, "PutIntegrationResponse", r);
    ok(
        svc,
        "CreateDeployment",
        json!({"restApiId": id, "stageName": "prod"}),
    );
    id
}

fn policy(effect: &str) -> Value {
    json!({"principalId": "user-1", "context": {"tier": "gold"}, "policyDocument": {"Version": "2012-10-17", "Statement": [{"Effect": effect, "Action": "execute-api:Invoke", "Resource": "arn:aws:execute-api:us-east-1:123456789012:*/prod/GET/*"}]}})
}

#[test]
fn token_authorizers_allow_and_pass_their_context() {
    let svc = service();
    let id = guarded(&svc);
    let f = Fake::answering(policy("Allow"));
    let mut req = request("GET", "/", "");
    req.headers
        .push(("Authorization".into(), "Bearer abc".into()));
    let r = run(&svc, &id, "prod", &req, &f);
    assert_eq!((r.status, r.body.as_slice()), (200, &b"user-1/gold"[..]));
    let seen = f.seen.lock();
    assert_eq!(
        seen[0].2,
        json!({"type": "TOKEN", "authorizationToken": "Bearer abc", "methodArn": format!("arn:aws:execute-api:us-east-1:123456789012:{id}/prod/GET/")})
    );
    assert_eq!(
        seen[0].1,
        format!(
            "arn:aws:execute-api:us-east-1:123456789012:{id}/authorizers/{}",
            ok(&svc, "GetAuthorizers", json!({"restApiId": id}))["items"][0]["id"]
                .as_str()
                .expect("id")
        )
    );
    drop(seen);
    run(&svc, &id, "prod", &req, &f);
    assert_eq!(f.seen.lock().len(), 1, "the policy is cached for the token");
}

#[test]
fn token_authorizers_refuse_missing_or_malformed_tokens_without_a_call() {
    let svc = service();
    let id = guarded(&svc);
    let f = Fake::answering(policy("Allow"));
    let r = run(&svc, &id, "prod", &request("GET", "/", ""), &f);
    assert_eq!(
        (r.status, r.body.as_slice()),
        (401, &br#"{"message":"Unauthorized"}"#[..])
    );
    let mut req = request("GET", "/", "");
    req.headers.push(("Authorization".into(), "Basic x".into()));
    assert_eq!(run(&svc, &id, "prod", &req, &f).status, 401);
    assert!(f.seen.lock().is_empty());
}

#[test]
fn a_denying_policy_is_403() {
    let svc = service();
    let id = guarded(&svc);
    let mut req = request("GET", "/", "");
    req.headers
        .push(("Authorization".into(), "Bearer abc".into()));
    let r = run(&svc, &id, "prod", &req, &Fake::answering(policy("Deny")));
    let body: Value = serde_json::from_slice(&r.body).expect("json");
    assert_eq!(
        (r.status, body),
        (
            403,
            json!({"Message": "User is not authorized to access this resource with an explicit deny"})
        )
    );
}

/// What the data plane costs per request, without HTTP or Lambda: resolve
/// on the deployed snapshot, the proxy event, the proxy response
/// (`cargo test --release -p gureum-apigateway proxy_request_cost -- --ignored --nocapture`).
#[test]
#[ignore]
fn proxy_request_cost() {
    let svc = service();
    let id = deployed(&svc, lambda_proxy());
    let f = Fake::answering(json!({"statusCode": 200, "body": "ok"}));
    let req = request("GET", "/items/7", "a=1&b=2");
    let one = || match svc.resolve(&id, "prod", &req) {
        Resolved::Target(t) => svc.run(&t, &req, &f, 0),
        _ => panic!("not routed"),
    };
    for _ in 0..1000 {
        one();
    }
    f.seen.lock().clear();
    let n = 20_000;
    let started = std::time::Instant::now();
    for i in 0..n {
        assert_eq!(one().status, 200);
        if i % 1000 == 0 {
            f.seen.lock().clear();
        }
    }
    let us = started.elapsed().as_secs_f64() * 1e6 / n as f64;
    println!("resolve + run (Lambda proxy, fake function): {us:.1} µs per request");
}

#[test]
fn binary_media_types_base64_the_proxy_body_from_the_deployment_on() {
    let svc = service();
    let id = deployed(&svc, lambda_proxy());
    ok(
        &svc,
        "UpdateRestApi",
        json!({"restApiId": id, "patchOperations": [{"op": "add", "path": "/binaryMediaTypes/image~1*"}]}),
    );
    let f = Fake::answering(json!({"statusCode": 200, "body": ""}));
    let mut req = request("GET", "/items/1", "");
    req.headers
        .push(("Content-Type".into(), "image/png".into()));
    req.body = b"png".to_vec();
    run(&svc, &id, "prod", &req, &f);
    assert_eq!(
        f.seen.lock()[0].2["isBase64Encoded"],
        false,
        "not deployed yet"
    );
    ok(
        &svc,
        "CreateDeployment",
        json!({"restApiId": id, "stageName": "prod"}),
    );
    run(&svc, &id, "prod", &req, &f);
    let seen = f.seen.lock();
    assert_eq!(
        (
            seen[1].2["isBase64Encoded"].clone(),
            seen[1].2["body"].clone()
        ),
        (json!(true), json!("cG5n"))
    );
}

#[test]
fn a_disabled_default_endpoint_is_forbidden_once_deployed() {
    let svc = service();
    let id = deployed(&svc, json!({"type": "MOCK"}));
    ok(
        &svc,
        "UpdateRestApi",
        json!({"restApiId": id, "patchOperations": [{"op": "replace", "path": "/disableExecuteApiEndpoint", "value": "true"}]}),
    );
    ok(
        &svc,
        "CreateDeployment",
        json!({"restApiId": id, "stageName": "prod"}),
    );
    let r = run(
        &svc,
        &id,
        "prod",
        &request("GET", "/items/1", ""),
        &Fake::answering(json!({})),
    );
    assert_eq!(
        (r.status, r.body.as_slice()),
        (403, &br#"{"message":"Forbidden"}"#[..])
    );
}
