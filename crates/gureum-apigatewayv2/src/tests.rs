//! The control plane's rules, one test each, through `Service::call`.

use crate::ApiGatewayV2Service;
use gureum_core::{AwsError, Clock, RequestContext, Service, Value};
use gureum_store::Store;
use serde_json::json;

struct Env {
    svc: ApiGatewayV2Service,
}

impl Env {
    fn new() -> Self {
        Env {
            svc: ApiGatewayV2Service::new(Store::in_memory().expect("store")),
        }
    }

    fn ctx() -> RequestContext {
        let mut c = RequestContext::root("111122223333", "eu-west-1", Clock::with_offset(0));
        c.host = Some("localhost:4566".into());
        c
    }

    async fn call(&self, op: &str, input: Value) -> Result<Value, AwsError> {
        self.svc.call(&Self::ctx(), op, input).await
    }

    async fn ok(&self, op: &str, input: Value) -> Value {
        match self.call(op, input).await {
            Ok(v) => v,
            Err(e) => panic!("{op}: {} {}", e.code, e.message),
        }
    }

    async fn err(&self, op: &str, input: Value) -> AwsError {
        self.call(op, input).await.expect_err(op)
    }

    async fn http_api(&self) -> String {
        self.ok("CreateApi", json!({"Name": "a", "ProtocolType": "HTTP"}))
            .await["ApiId"]
            .as_str()
            .expect("id")
            .to_string()
    }
}

#[tokio::test]
async fn a_missing_api_names_the_account_and_id() {
    let env = Env::new();
    let e = env.err("GetApi", json!({"ApiId": "abc"})).await;
    assert_eq!((e.code.as_str(), e.status), ("NotFoundException", 404));
    assert_eq!(
        e.message,
        "Invalid API identifier specified 111122223333:abc"
    );
}

#[tokio::test]
async fn api_ids_are_ten_lowercase_letters_and_digits() {
    let env = Env::new();
    let id = env.http_api().await;
    assert_eq!(id.len(), 10);
    assert!(id
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit()));
}

#[tokio::test]
async fn the_endpoint_is_on_gureums_port_under_execute_api_localhost() {
    let env = Env::new();
    let api = env
        .ok("CreateApi", json!({"Name": "a", "ProtocolType": "HTTP"}))
        .await;
    let id = api["ApiId"].as_str().expect("id");
    assert_eq!(
        api["ApiEndpoint"],
        json!(format!("http://{id}.execute-api.localhost:4566"))
    );
}

#[tokio::test]
async fn quick_create_with_a_function_makes_a_payload_2_integration_and_default_stage() {
    let env = Env::new();
    let fn_arn = "arn:aws:lambda:eu-west-1:111122223333:function:f";
    let api = env
        .ok(
            "CreateApi",
            json!({"Name": "q", "ProtocolType": "HTTP", "Target": fn_arn, "RouteKey": "GET /x"}),
        )
        .await;
    let id = api["ApiId"].clone();
    let integrations = env.ok("GetIntegrations", json!({"ApiId": id})).await;
    let i = &integrations["Items"][0];
    assert_eq!(i["IntegrationType"], json!("AWS_PROXY"));
    assert_eq!(i["PayloadFormatVersion"], json!("2.0"));
    let routes = env.ok("GetRoutes", json!({"ApiId": id})).await;
    assert_eq!(routes["Items"][0]["RouteKey"], json!("GET /x"));
    let stage = env
        .ok("GetStage", json!({"ApiId": id, "StageName": "$default"}))
        .await;
    assert_eq!(stage["AutoDeploy"], json!(true));
}

#[tokio::test]
async fn websocket_apis_refuse_quick_create() {
    let env = Env::new();
    let e = env
        .err(
            "CreateApi",
            json!({"Name": "w", "ProtocolType": "WEBSOCKET", "RouteSelectionExpression": "$request.body.action", "Target": "arn:aws:lambda:eu-west-1:111122223333:function:f"}),
        )
        .await;
    assert_eq!(e.code, "BadRequestException");
}

#[tokio::test]
async fn route_keys_need_a_known_method_and_a_well_formed_path() {
    let env = Env::new();
    let id = env.http_api().await;
    for bad in [
        "FETCH /x",
        "GET x",
        "GET /a//b",
        "GET /{proxy+}/x",
        "GET /{}",
        "nospace",
    ] {
        let e = env
            .err("CreateRoute", json!({"ApiId": id, "RouteKey": bad}))
            .await;
        assert_eq!(e.code, "BadRequestException", "{bad}");
    }
    for good in ["GET /items/{id}", "ANY /{proxy+}", "$default", "POST /"] {
        env.ok("CreateRoute", json!({"ApiId": id, "RouteKey": good}))
            .await;
    }
}

#[tokio::test]
async fn a_route_key_is_taken_once_per_api() {
    let env = Env::new();
    let id = env.http_api().await;
    env.ok("CreateRoute", json!({"ApiId": id, "RouteKey": "GET /a"}))
        .await;
    let e = env
        .err("CreateRoute", json!({"ApiId": id, "RouteKey": "GET /a"}))
        .await;
    assert_eq!((e.code.as_str(), e.status), ("ConflictException", 409));
}

#[tokio::test]
async fn a_route_cannot_target_a_missing_integration() {
    let env = Env::new();
    let id = env.http_api().await;
    let e = env
        .err(
            "CreateRoute",
            json!({"ApiId": id, "RouteKey": "GET /a", "Target": "integrations/nope"}),
        )
        .await;
    assert_eq!(e.code, "NotFoundException");
    assert_eq!(
        e.message,
        "Invalid Integration identifier specified 111122223333:nope"
    );
}

#[tokio::test]
async fn a_jwt_route_needs_a_jwt_authorizer() {
    let env = Env::new();
    let id = env.http_api().await;
    let e = env
        .err(
            "CreateRoute",
            json!({"ApiId": id, "RouteKey": "GET /a", "AuthorizationType": "JWT"}),
        )
        .await;
    assert_eq!(e.code, "BadRequestException");
    let auth = env
        .ok(
            "CreateAuthorizer",
            json!({"ApiId": id, "AuthorizerType": "JWT", "Name": "j",
                   "IdentitySource": ["$request.header.Authorization"],
                   "JwtConfiguration": {"Issuer": "https://issuer", "Audience": ["x"]}}),
        )
        .await;
    env.ok(
        "CreateRoute",
        json!({"ApiId": id, "RouteKey": "GET /a", "AuthorizationType": "JWT",
               "AuthorizerId": auth["AuthorizerId"]}),
    )
    .await;
}

#[tokio::test]
async fn an_integration_in_use_cannot_be_deleted() {
    let env = Env::new();
    let id = env.http_api().await;
    let i = env
        .ok(
            "CreateIntegration",
            json!({"ApiId": id, "IntegrationType": "HTTP_PROXY", "IntegrationMethod": "GET",
                   "IntegrationUri": "http://example.com", "PayloadFormatVersion": "1.0"}),
        )
        .await;
    let iid = i["IntegrationId"].as_str().expect("id");
    env.ok(
        "CreateRoute",
        json!({"ApiId": id, "RouteKey": "GET /a", "Target": format!("integrations/{iid}")}),
    )
    .await;
    let e = env
        .err(
            "DeleteIntegration",
            json!({"ApiId": id, "IntegrationId": iid}),
        )
        .await;
    assert_eq!(e.code, "ConflictException");
}

#[tokio::test]
async fn lambda_integrations_of_http_apis_need_a_payload_format_version() {
    let env = Env::new();
    let id = env.http_api().await;
    let e = env
        .err(
            "CreateIntegration",
            json!({"ApiId": id, "IntegrationType": "AWS_PROXY",
                   "IntegrationUri": "arn:aws:lambda:eu-west-1:111122223333:function:f"}),
        )
        .await;
    assert_eq!(e.code, "BadRequestException");
    let e = env
        .err(
            "CreateIntegration",
            json!({"ApiId": id, "IntegrationType": "AWS_PROXY", "PayloadFormatVersion": "3.0",
                   "IntegrationUri": "arn:aws:lambda:eu-west-1:111122223333:function:f"}),
        )
        .await;
    assert_eq!(e.message, "Unsupported PayloadFormatVersion specified: 3.0");
}

#[tokio::test]
async fn a_stage_name_is_taken_once_and_an_auto_deploying_stage_is_deployed() {
    let env = Env::new();
    let id = env.http_api().await;
    let s = env
        .ok(
            "CreateStage",
            json!({"ApiId": id, "StageName": "prod", "AutoDeploy": true}),
        )
        .await;
    let deployments = env.ok("GetDeployments", json!({"ApiId": id})).await;
    assert_eq!(deployments["Items"][0]["DeploymentId"], s["DeploymentId"]);
    assert_eq!(deployments["Items"][0]["AutoDeployed"], json!(true));
    let e = env
        .err("CreateStage", json!({"ApiId": id, "StageName": "prod"}))
        .await;
    assert_eq!(e.code, "ConflictException");
}

#[tokio::test]
async fn a_deployment_needs_a_route() {
    let env = Env::new();
    let id = env.http_api().await;
    let e = env.err("CreateDeployment", json!({"ApiId": id})).await;
    assert_eq!(e.code, "BadRequestException");
}

#[tokio::test]
async fn tags_on_an_api_and_a_stage_are_kept_apart() {
    let env = Env::new();
    let id = env.http_api().await;
    env.ok("CreateStage", json!({"ApiId": id, "StageName": "s"}))
        .await;
    let api_arn = format!("arn:aws:apigateway:eu-west-1::/apis/{id}");
    let stage_arn = format!("{api_arn}/stages/s");
    env.ok(
        "TagResource",
        json!({"ResourceArn": api_arn, "Tags": {"a": "1"}}),
    )
    .await;
    env.ok(
        "TagResource",
        json!({"ResourceArn": stage_arn, "Tags": {"b": "2"}}),
    )
    .await;
    let tags = env.ok("GetTags", json!({"ResourceArn": stage_arn})).await;
    assert_eq!(tags["Tags"], json!({"b": "2"}));
    env.ok(
        "UntagResource",
        json!({"ResourceArn": api_arn, "TagKeys": ["a"]}),
    )
    .await;
    let tags = env.ok("GetTags", json!({"ResourceArn": api_arn})).await;
    assert_eq!(tags["Tags"], json!({}));
}

#[tokio::test]
async fn the_data_plane_finds_an_api_by_id_alone() {
    let env = Env::new();
    let id = env.http_api().await;
    let hosted = env.svc.hosted(&id).expect("read").expect("found");
    assert_eq!(
        (hosted.account.as_str(), hosted.region.as_str()),
        ("111122223333", "eu-west-1")
    );
    env.ok("DeleteApi", json!({"ApiId": id})).await;
    assert!(env.svc.hosted(&id).expect("read").is_none());
}

#[tokio::test]
async fn get_apis_pages_with_tokens() {
    let env = Env::new();
    for _ in 0..3 {
        env.http_api().await;
    }
    let first = env.ok("GetApis", json!({"MaxResults": "2"})).await;
    assert_eq!(first["Items"].as_array().map(Vec::len), Some(2));
    let token = first["NextToken"].clone();
    let second = env
        .ok("GetApis", json!({"MaxResults": "2", "NextToken": token}))
        .await;
    assert_eq!(second["Items"].as_array().map(Vec::len), Some(1));
    assert!(second.get("NextToken").is_none());
}

#[tokio::test]
async fn a_stage_serves_what_its_deployment_froze_unless_it_deploys_itself() {
    let env = Env::new();
    let id = env.http_api().await;
    env.ok("CreateRoute", json!({"ApiId": id, "RouteKey": "GET /old"}))
        .await;
    env.ok("CreateStage", json!({"ApiId": id, "StageName": "manual"}))
        .await;
    env.ok(
        "CreateStage",
        json!({"ApiId": id, "StageName": "auto", "AutoDeploy": true}),
    )
    .await;
    let hosted = env.svc.hosted(&id).expect("read").expect("api");
    assert!(hosted.record.as_served_by("manual").is_none());
    let d = env
        .ok(
            "CreateDeployment",
            json!({"ApiId": id, "StageName": "manual"}),
        )
        .await;
    env.ok("CreateRoute", json!({"ApiId": id, "RouteKey": "GET /new"}))
        .await;
    let record = env.svc.hosted(&id).expect("read").expect("api").record;
    let keys = |r: &crate::ApiRecord| {
        r.routes
            .values()
            .map(|v| v["RouteKey"].as_str().unwrap_or_default().to_string())
            .collect::<std::collections::BTreeSet<_>>()
    };
    assert_eq!(
        keys(&record.as_served_by("manual").expect("deployed")).len(),
        1
    );
    assert_eq!(keys(&record.as_served_by("auto").expect("live")).len(), 2);
    let e = env
        .err(
            "DeleteDeployment",
            json!({"ApiId": id, "DeploymentId": d["DeploymentId"]}),
        )
        .await;
    assert_eq!(e.code, "BadRequestException");
}

#[tokio::test]
async fn a_missing_stage_is_not_found_in_awss_words() {
    let env = Env::new();
    let id = env.http_api().await;
    let e = env
        .err("GetStage", json!({"ApiId": id, "StageName": "nope"}))
        .await;
    assert_eq!((e.code.as_str(), e.status), ("NotFoundException", 404));
    assert_eq!(e.message, "Invalid stage identifier specified");
}

#[tokio::test]
async fn update_api_retargets_what_quick_create_made_and_only_that() {
    let env = Env::new();
    let id = env.http_api().await;
    let e = env
        .err(
            "UpdateApi",
            json!({"ApiId": id, "Target": "http://example.com"}),
        )
        .await;
    assert_eq!(e.code, "BadRequestException");
    let quick = env
        .ok(
            "CreateApi",
            json!({"Name": "q", "ProtocolType": "HTTP", "Target": "http://a.example"}),
        )
        .await;
    let qid = quick["ApiId"].clone();
    env.ok(
        "UpdateApi",
        json!({"ApiId": qid, "Target": "http://b.example", "RouteKey": "GET /b"}),
    )
    .await;
    let i = env.ok("GetIntegrations", json!({"ApiId": qid})).await;
    assert_eq!(i["Items"][0]["IntegrationUri"], json!("http://b.example"));
    let r = env.ok("GetRoutes", json!({"ApiId": qid})).await;
    assert_eq!(r["Items"][0]["RouteKey"], json!("GET /b"));
}

#[tokio::test]
async fn route_responses_belong_to_websocket_routes() {
    let env = Env::new();
    let id = env.http_api().await;
    let r = env
        .ok("CreateRoute", json!({"ApiId": id, "RouteKey": "GET /a"}))
        .await;
    let e = env
        .err(
            "CreateRouteResponse",
            json!({"ApiId": id, "RouteId": r["RouteId"], "RouteResponseKey": "$default"}),
        )
        .await;
    assert_eq!(e.code, "BadRequestException");
    let ws = env
        .ok(
            "CreateApi",
            json!({"Name": "w", "ProtocolType": "WEBSOCKET", "RouteSelectionExpression": "$request.body.action"}),
        )
        .await;
    let wid = ws["ApiId"].clone();
    let route = env
        .ok(
            "CreateRoute",
            json!({"ApiId": wid, "RouteKey": "x", "RouteResponseSelectionExpression": "$default"}),
        )
        .await;
    let rid = route["RouteId"].as_str().expect("id").to_string();
    let hosted = |svc: &ApiGatewayV2Service| {
        svc.hosted(wid.as_str().expect("id"))
            .expect("read")
            .expect("api")
    };
    assert!(!hosted(&env.svc).record.is_two_way(&rid));
    env.ok(
        "CreateRouteResponse",
        json!({"ApiId": wid, "RouteId": rid, "RouteResponseKey": "$default"}),
    )
    .await;
    assert!(hosted(&env.svc).record.is_two_way(&rid));
}
