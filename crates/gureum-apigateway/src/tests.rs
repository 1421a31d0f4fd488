//! The control plane's rules, one test each, through `Service::call`.

use crate::ApigatewayService;
use gureum_core::{AwsError, Clock, RequestContext, Service, Value};
use gureum_store::Store;
use serde_json::json;

pub(crate) fn service() -> ApigatewayService {
    ApigatewayService::new(Store::in_memory().expect("store"))
}

pub(crate) fn ctx() -> RequestContext {
    RequestContext::root("123456789012", "us-east-1", Clock::system())
}

pub(crate) fn call(svc: &ApigatewayService, op: &str, input: Value) -> Result<Value, AwsError> {
    futures_lite(svc.call(&ctx(), op, input))
}

/// Polls a ready future (the service's calls never wait).
fn futures_lite<F: std::future::Future>(f: F) -> F::Output {
    let waker = std::task::Waker::noop();
    let mut cx = std::task::Context::from_waker(waker);
    let mut f = std::pin::pin!(f);
    loop {
        if let std::task::Poll::Ready(v) = f.as_mut().poll(&mut cx) {
            return v;
        }
    }
}

pub(crate) fn ok(svc: &ApigatewayService, op: &str, input: Value) -> Value {
    call(svc, op, input).unwrap_or_else(|e| panic!("{op}: {e:?}"))
}

fn err(svc: &ApigatewayService, op: &str, input: Value) -> AwsError {
    call(svc, op, input).expect_err(op)
}

/// A new API: its id and root resource id.
pub(crate) fn api(svc: &ApigatewayService) -> (String, String) {
    let a = ok(svc, "CreateRestApi", json!({"name": "pets"}));
    (
        a["id"].as_str().expect("id").into(),
        a["rootResourceId"].as_str().expect("root").into(),
    )
}

#[test]
fn ids_are_ten_lowercase_alphanumerics() {
    let svc = service();
    let (id, root) = api(&svc);
    for s in [id, root] {
        assert_eq!(s.len(), 10);
        assert!(
            s.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()),
            "{s}"
        );
    }
}

#[test]
fn a_new_api_has_only_its_root_resource() {
    let svc = service();
    let (id, root) = api(&svc);
    let r = ok(&svc, "GetResources", json!({"restApiId": id}));
    assert_eq!(r["items"], json!([{"id": root, "path": "/"}]));
}

#[test]
fn an_unknown_api_names_the_account_and_id() {
    let svc = service();
    let e = err(&svc, "GetRestApi", json!({"restApiId": "nope"}));
    assert_eq!((e.code.as_str(), e.status), ("NotFoundException", 404));
    assert_eq!(
        e.message,
        "Invalid API identifier specified 123456789012:nope"
    );
}

#[test]
fn update_rest_api_patches_name_and_refuses_unknown_paths() {
    let svc = service();
    let (id, _) = api(&svc);
    let out = ok(
        &svc,
        "UpdateRestApi",
        json!({"restApiId": id, "patchOperations": [{"op": "replace", "path": "/name", "value": "dogs"}]}),
    );
    assert_eq!(out["name"], "dogs");
    let e = err(
        &svc,
        "UpdateRestApi",
        json!({"restApiId": id, "patchOperations": [{"op": "replace", "path": "/id", "value": "x"}]}),
    );
    assert_eq!(e.code, "BadRequestException");
    assert_eq!(
        ok(&svc, "GetRestApi", json!({"restApiId": id}))["name"],
        "dogs"
    );
}

#[test]
fn resources_build_paths_and_refuse_duplicate_siblings() {
    let svc = service();
    let (id, root) = api(&svc);
    let pets = ok(
        &svc,
        "CreateResource",
        json!({"restApiId": id, "parentId": root, "pathPart": "pets"}),
    );
    assert_eq!(pets["path"], "/pets");
    let pid = pets["id"].as_str().expect("id");
    let item = ok(
        &svc,
        "CreateResource",
        json!({"restApiId": id, "parentId": pid, "pathPart": "{petId}"}),
    );
    assert_eq!(item["path"], "/pets/{petId}");
    let e = err(
        &svc,
        "CreateResource",
        json!({"restApiId": id, "parentId": root, "pathPart": "pets"}),
    );
    assert_eq!((e.code.as_str(), e.status), ("ConflictException", 409));
    assert_eq!(
        e.message,
        "Another resource with the same parent already has this name: pets"
    );
}

#[test]
fn only_one_variable_sibling_is_allowed() {
    let svc = service();
    let (id, root) = api(&svc);
    ok(
        &svc,
        "CreateResource",
        json!({"restApiId": id, "parentId": root, "pathPart": "{id}"}),
    );
    let e = err(
        &svc,
        "CreateResource",
        json!({"restApiId": id, "parentId": root, "pathPart": "{proxy+}"}),
    );
    assert_eq!(e.code, "BadRequestException");
    assert_eq!(
        e.message,
        "A sibling ({id}) of this resource already has a variable path part -- only one is allowed"
    );
}

#[test]
fn bad_path_parts_and_children_of_greedy_resources_are_refused() {
    let svc = service();
    let (id, root) = api(&svc);
    let e = err(
        &svc,
        "CreateResource",
        json!({"restApiId": id, "parentId": root, "pathPart": "a b"}),
    );
    assert_eq!(e.code, "BadRequestException");
    let proxy = ok(
        &svc,
        "CreateResource",
        json!({"restApiId": id, "parentId": root, "pathPart": "{proxy+}"}),
    );
    let e = err(
        &svc,
        "CreateResource",
        json!({"restApiId": id, "parentId": proxy["id"], "pathPart": "x"}),
    );
    assert_eq!(e.code, "BadRequestException");
}

#[test]
fn methods_are_unique_per_verb_and_checked() {
    let svc = service();
    let (id, root) = api(&svc);
    let m = ok(
        &svc,
        "PutMethod",
        json!({"restApiId": id, "resourceId": root, "httpMethod": "GET", "authorizationType": "NONE", "apiKeyRequired": true}),
    );
    assert_eq!(
        m,
        json!({"httpMethod": "GET", "authorizationType": "NONE", "apiKeyRequired": true})
    );
    let e = err(
        &svc,
        "PutMethod",
        json!({"restApiId": id, "resourceId": root, "httpMethod": "GET", "authorizationType": "NONE"}),
    );
    assert_eq!(
        (e.code.as_str(), e.message.as_str()),
        (
            "ConflictException",
            "Method already exists for this resource"
        )
    );
    let e = err(
        &svc,
        "PutMethod",
        json!({"restApiId": id, "resourceId": root, "httpMethod": "FETCH", "authorizationType": "NONE"}),
    );
    assert_eq!(e.code, "BadRequestException");
    let e = err(
        &svc,
        "GetMethod",
        json!({"restApiId": id, "resourceId": root, "httpMethod": "POST"}),
    );
    assert_eq!(
        (e.code.as_str(), e.message.as_str()),
        ("NotFoundException", "Invalid Method identifier specified")
    );
}

#[test]
fn integrations_need_a_method_and_a_valid_uri() {
    let svc = service();
    let (id, root) = api(&svc);
    let e = err(
        &svc,
        "PutIntegration",
        json!({"restApiId": id, "resourceId": root, "httpMethod": "GET", "type": "MOCK"}),
    );
    assert_eq!(e.message, "Invalid Method identifier specified");
    ok(
        &svc,
        "PutMethod",
        json!({"restApiId": id, "resourceId": root, "httpMethod": "GET", "authorizationType": "NONE"}),
    );
    let e = err(
        &svc,
        "PutIntegration",
        json!({"restApiId": id, "resourceId": root, "httpMethod": "GET", "type": "AWS_PROXY", "uri": "arn:aws:apigateway:us-east-1:lambda:path/x"}),
    );
    assert_eq!(
        e.message,
        "Enumeration value for HttpMethod must be non-empty"
    );
    let e = err(
        &svc,
        "GetIntegration",
        json!({"restApiId": id, "resourceId": root, "httpMethod": "GET"}),
    );
    assert_eq!(e.message, "No integration defined for method");
    let i = ok(
        &svc,
        "PutIntegration",
        json!({"restApiId": id, "resourceId": root, "httpMethod": "GET", "type": "MOCK", "requestTemplates": {"application/json": "{\"statusCode\": 200}"}}),
    );
    assert_eq!(i["passthroughBehavior"], "WHEN_NO_MATCH");
}

#[test]
fn integration_responses_need_their_method_response() {
    let svc = service();
    let (id, root) = api(&svc);
    let m = json!({"restApiId": id, "resourceId": root, "httpMethod": "GET"});
    ok(
        &svc,
        "PutMethod",
        json!({"restApiId": id, "resourceId": root, "httpMethod": "GET", "authorizationType": "NONE"}),
    );
    ok(
        &svc,
        "PutIntegration",
        json!({"restApiId": id, "resourceId": root, "httpMethod": "GET", "type": "MOCK"}),
    );
    let mut ir = m.clone();
    ir["statusCode"] = json!("200");
    let e = err(&svc, "PutIntegrationResponse", ir.clone());
    assert_eq!(e.message, "Invalid Response status code specified");
    ok(&svc, "PutMethodResponse", ir.clone());
    ir["selectionPattern"] = json!("");
    assert_eq!(ok(&svc, "PutIntegrationResponse", ir)["statusCode"], "200");
    let method = ok(&svc, "GetMethod", m);
    assert_eq!(
        method["methodIntegration"]["integrationResponses"]["200"]["statusCode"],
        "200"
    );
}

#[test]
fn deployments_need_methods_and_freeze_the_tree() {
    let svc = service();
    let (id, root) = api(&svc);
    let e = err(&svc, "CreateDeployment", json!({"restApiId": id}));
    assert_eq!(
        (e.code.as_str(), e.message.as_str()),
        (
            "BadRequestException",
            "The REST API doesn't contain any methods"
        )
    );
    ok(
        &svc,
        "PutMethod",
        json!({"restApiId": id, "resourceId": root, "httpMethod": "GET", "authorizationType": "NONE"}),
    );
    let e = err(&svc, "CreateDeployment", json!({"restApiId": id}));
    assert_eq!(e.message, "No integration defined for method");
    ok(
        &svc,
        "PutIntegration",
        json!({"restApiId": id, "resourceId": root, "httpMethod": "GET", "type": "MOCK"}),
    );
    let d = ok(
        &svc,
        "CreateDeployment",
        json!({"restApiId": id, "stageName": "prod", "variables": {"env": "p"}}),
    );
    let stage = ok(
        &svc,
        "GetStage",
        json!({"restApiId": id, "stageName": "prod"}),
    );
    assert_eq!(stage["deploymentId"], d["id"]);
    assert_eq!(stage["variables"], json!({"env": "p"}));
    let e = err(
        &svc,
        "DeleteDeployment",
        json!({"restApiId": id, "deploymentId": d["id"]}),
    );
    assert_eq!(
        e.message,
        "Active stages pointing to this deployment must be moved or deleted"
    );
}

#[test]
fn stages_are_unique_and_patchable() {
    let svc = service();
    let (id, root) = api(&svc);
    ok(
        &svc,
        "PutMethod",
        json!({"restApiId": id, "resourceId": root, "httpMethod": "GET", "authorizationType": "NONE"}),
    );
    ok(
        &svc,
        "PutIntegration",
        json!({"restApiId": id, "resourceId": root, "httpMethod": "GET", "type": "MOCK"}),
    );
    let d = ok(&svc, "CreateDeployment", json!({"restApiId": id}));
    ok(
        &svc,
        "CreateStage",
        json!({"restApiId": id, "stageName": "dev", "deploymentId": d["id"]}),
    );
    let e = err(
        &svc,
        "CreateStage",
        json!({"restApiId": id, "stageName": "dev", "deploymentId": d["id"]}),
    );
    assert_eq!(
        (e.code.as_str(), e.message.as_str()),
        ("ConflictException", "Stage already exists")
    );
    let e = err(
        &svc,
        "CreateStage",
        json!({"restApiId": id, "stageName": "qa", "deploymentId": "nope"}),
    );
    assert_eq!(e.message, "Invalid Deployment identifier specified");
    let s = ok(
        &svc,
        "UpdateStage",
        json!({"restApiId": id, "stageName": "dev", "patchOperations": [{"op": "replace", "path": "/variables/color", "value": "blue"}]}),
    );
    assert_eq!(s["variables"], json!({"color": "blue"}));
    ok(
        &svc,
        "DeleteStage",
        json!({"restApiId": id, "stageName": "dev"}),
    );
    let e = err(
        &svc,
        "GetStage",
        json!({"restApiId": id, "stageName": "dev"}),
    );
    assert_eq!(e.message, "Invalid stage identifier specified");
}

#[test]
fn tags_follow_the_api_arn() {
    let svc = service();
    let (id, _) = api(&svc);
    let arn = format!("arn:aws:apigateway:us-east-1::/restapis/{id}");
    ok(
        &svc,
        "TagResource",
        json!({"resourceArn": arn, "tags": {"team": "a"}}),
    );
    assert_eq!(
        ok(&svc, "GetTags", json!({"resourceArn": arn}))["tags"],
        json!({"team": "a"})
    );
    ok(
        &svc,
        "UntagResource",
        json!({"resourceArn": arn, "tagKeys": ["team"]}),
    );
    assert_eq!(
        ok(&svc, "GetTags", json!({"resourceArn": arn}))["tags"],
        json!({})
    );
}

#[test]
fn deleting_an_api_forgets_its_id() {
    let svc = service();
    let (id, _) = api(&svc);
    ok(&svc, "DeleteRestApi", json!({"restApiId": id}));
    assert_eq!(
        err(&svc, "GetRestApi", json!({"restApiId": id})).code,
        "NotFoundException"
    );
    assert!(svc.homes.get(&id).expect("read").is_none());
}

#[test]
fn update_method_and_integration_patch_their_members() {
    let svc = service();
    let (id, root) = api(&svc);
    let m = json!({"restApiId": id, "resourceId": root, "httpMethod": "GET"});
    ok(
        &svc,
        "PutMethod",
        json!({"restApiId": id, "resourceId": root, "httpMethod": "GET", "authorizationType": "NONE"}),
    );
    ok(
        &svc,
        "PutIntegration",
        json!({"restApiId": id, "resourceId": root, "httpMethod": "GET", "type": "MOCK"}),
    );
    let mut u = m.clone();
    u["patchOperations"] = json!([{"op": "replace", "path": "/apiKeyRequired", "value": "true"}, {"op": "add", "path": "/requestParameters/method.request.header.X-A", "value": "true"}]);
    let out = ok(&svc, "UpdateMethod", u.clone());
    assert_eq!(out["apiKeyRequired"], true);
    assert_eq!(
        out["requestParameters"],
        json!({"method.request.header.X-A": true})
    );
    u["patchOperations"] = json!([{"op": "add", "path": "/requestTemplates/application~1json", "value": "{}"}, {"op": "replace", "path": "/timeoutInMillis", "value": "5000"}]);
    let out = ok(&svc, "UpdateIntegration", u.clone());
    assert_eq!(
        (
            out["requestTemplates"].clone(),
            out["timeoutInMillis"].clone()
        ),
        (json!({"application/json": "{}"}), json!(5000))
    );
    u["patchOperations"] = json!([{"op": "replace", "path": "/type", "value": "HTTP"}]);
    assert_eq!(
        err(&svc, "UpdateIntegration", u).code,
        "BadRequestException"
    );
}

#[test]
fn update_resource_renames_and_moves_subtrees() {
    let svc = service();
    let (id, root) = api(&svc);
    let a = ok(
        &svc,
        "CreateResource",
        json!({"restApiId": id, "parentId": root, "pathPart": "a"}),
    );
    let b = ok(
        &svc,
        "CreateResource",
        json!({"restApiId": id, "parentId": a["id"], "pathPart": "b"}),
    );
    let out = ok(
        &svc,
        "UpdateResource",
        json!({"restApiId": id, "resourceId": a["id"], "patchOperations": [{"op": "replace", "path": "/pathPart", "value": "z"}]}),
    );
    assert_eq!(out["path"], "/z");
    assert_eq!(
        ok(
            &svc,
            "GetResource",
            json!({"restApiId": id, "resourceId": b["id"]})
        )["path"],
        "/z/b"
    );
    let e = err(
        &svc,
        "UpdateResource",
        json!({"restApiId": id, "resourceId": a["id"], "patchOperations": [{"op": "replace", "path": "/parentId", "value": b["id"]}]}),
    );
    assert_eq!(e.code, "BadRequestException");
}
