//! The service's rules, one test each, through `Service::call`, and what
//! the edge then sees of them.

use crate::CloudfrontService;
use gureum_core::{AwsError, Clock, RequestContext, Service, Value};
use gureum_store::Store;
use serde_json::json;
use std::sync::Arc;

struct Env {
    svc: CloudfrontService,
    clock: Clock,
}

impl Env {
    fn new() -> Self {
        Env {
            svc: CloudfrontService::new(Store::in_memory().expect("store")),
            clock: Clock::with_offset(0),
        }
    }

    fn call_as(&self, account: &str, op: &str, input: Value) -> Result<Value, AwsError> {
        let ctx = RequestContext::root(account, "us-east-1", self.clock.clone());
        let mut fut = self.svc.call(&ctx, op, input);
        let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
        match fut.as_mut().poll(&mut cx) {
            std::task::Poll::Ready(r) => r,
            std::task::Poll::Pending => panic!("cloudfront operations are never pending"),
        }
    }

    fn call(&self, op: &str, input: Value) -> Result<Value, AwsError> {
        self.call_as("111122223333", op, input)
    }

    fn ok(&self, op: &str, input: Value) -> Value {
        self.call(op, input)
            .unwrap_or_else(|e| panic!("{op}: {e:?}"))
    }

    fn err(&self, op: &str, input: Value) -> (String, String) {
        let e = self.call(op, input).expect_err("must fail");
        (e.code, e.message)
    }
}

fn config(reference: &str, aliases: &[&str]) -> Value {
    json!({
        "CallerReference": reference,
        "Comment": "",
        "Enabled": true,
        "Aliases": {"Quantity": aliases.len(), "Items": aliases},
        "Origins": {"Quantity": 1, "Items": [{"Id": "o", "DomainName": "site.s3.amazonaws.com",
            "S3OriginConfig": {"OriginAccessIdentity": ""}}]},
        "DefaultCacheBehavior": {"TargetOriginId": "o", "ViewerProtocolPolicy": "allow-all",
            "CachePolicyId": "658327ea-f89d-4fab-a63d-7e88639e58f6"},
    })
}

fn create(env: &Env, reference: &str, aliases: &[&str]) -> Value {
    env.ok(
        "CreateDistribution",
        json!({"DistributionConfig": config(reference, aliases)}),
    )
}

#[test]
fn the_same_caller_reference_and_config_answer_the_same_distribution() {
    let env = Env::new();
    let a = create(&env, "r", &[]);
    let b = create(&env, "r", &[]);
    assert_eq!(a["Distribution"]["Id"], b["Distribution"]["Id"]);
    let mut other = config("r", &[]);
    other["Comment"] = json!("changed");
    assert_eq!(
        env.err("CreateDistribution", json!({"DistributionConfig": other}))
            .0,
        "DistributionAlreadyExists"
    );
}

#[test]
fn a_distribution_is_in_progress_until_the_clock_passes_the_deploy_time() {
    let env = Env::new();
    let id = create(&env, "r", &[])["Distribution"]["Id"].clone();
    let status =
        |env: &Env| env.ok("GetDistribution", json!({"Id": id}))["Distribution"]["Status"].clone();
    assert_eq!(status(&env), "InProgress");
    env.clock.advance_millis(crate::DEPLOY_MS);
    assert_eq!(status(&env), "Deployed");
}

#[test]
fn an_update_needs_the_current_etag() {
    let env = Env::new();
    let made = create(&env, "r", &[]);
    let id = made["Distribution"]["Id"].clone();
    let input = |etag: Option<&str>| {
        let mut v = json!({"Id": id, "DistributionConfig": config("r", &[])});
        if let Some(e) = etag {
            v["IfMatch"] = json!(e);
        }
        v
    };
    assert_eq!(
        env.err("UpdateDistribution", input(None)).0,
        "InvalidIfMatchVersion"
    );
    assert_eq!(
        env.err("UpdateDistribution", input(Some("EOLD"))).0,
        "PreconditionFailed"
    );
    let etag = made["ETag"].as_str().expect("etag");
    let updated = env.ok("UpdateDistribution", input(Some(etag)));
    assert_ne!(updated["ETag"], made["ETag"]);
    let mut changed = input(updated["ETag"].as_str());
    changed["DistributionConfig"]["CallerReference"] = json!("other");
    assert_eq!(env.err("UpdateDistribution", changed).0, "IllegalUpdate");
}

#[test]
fn aliases_are_unique_across_accounts_and_freed_by_an_update() {
    let env = Env::new();
    let made = create(&env, "r", &["www.example.com"]);
    let other = env
        .call_as(
            "444455556666",
            "CreateDistribution",
            json!({"DistributionConfig": config("x", &["www.example.com"])}),
        )
        .expect_err("taken");
    assert_eq!(other.code, "CNAMEAlreadyExists");
    env.ok(
        "UpdateDistribution",
        json!({"Id": made["Distribution"]["Id"], "IfMatch": made["ETag"],
               "DistributionConfig": config("r", &[])}),
    );
    create(&env, "s", &["www.example.com"]);
}

#[test]
fn only_a_disabled_deployed_distribution_is_deleted() {
    let env = Env::new();
    let made = create(&env, "r", &[]);
    let id = made["Distribution"]["Id"].clone();
    let (code, _) = env.err(
        "DeleteDistribution",
        json!({"Id": id, "IfMatch": made["ETag"]}),
    );
    assert_eq!(code, "DistributionNotDisabled");
    let mut off = config("r", &[]);
    off["Enabled"] = json!(false);
    let updated = env.ok(
        "UpdateDistribution",
        json!({"Id": id, "IfMatch": made["ETag"], "DistributionConfig": off}),
    );
    let input = json!({"Id": id, "IfMatch": updated["ETag"]});
    assert_eq!(
        env.err("DeleteDistribution", input.clone()).0,
        "DistributionNotDisabled"
    );
    env.clock.advance_millis(crate::DEPLOY_MS);
    env.ok("DeleteDistribution", input);
    assert_eq!(
        env.err("GetDistribution", json!({"Id": id})).0,
        "NoSuchDistribution"
    );
}

#[test]
fn quantities_that_disagree_with_items_are_refused() {
    let env = Env::new();
    let mut c = config("r", &[]);
    c["Aliases"]["Quantity"] = json!(2);
    let (code, message) = env.err("CreateDistribution", json!({"DistributionConfig": c}));
    assert_eq!(code, "InconsistentQuantities");
    assert_eq!(
        message,
        "The value of Quantity and the size of Items don't match."
    );
}

#[test]
fn a_behaviour_must_name_an_existing_cache_policy() {
    let env = Env::new();
    let mut c = config("r", &[]);
    c["DefaultCacheBehavior"]["CachePolicyId"] = json!("00000000-0000-0000-0000-000000000000");
    assert_eq!(
        env.err("CreateDistribution", json!({"DistributionConfig": c})),
        (
            "NoSuchCachePolicy".into(),
            "The cache policy does not exist.".into()
        )
    );
}

#[test]
fn list_distributions_pages_by_marker() {
    let env = Env::new();
    for r in ["a", "b", "c"] {
        create(&env, r, &[]);
    }
    let first = env.ok("ListDistributions", json!({"MaxItems": "2"}))["DistributionList"].clone();
    assert_eq!(
        (first["Quantity"].clone(), first["IsTruncated"].clone()),
        (json!(2), json!(true))
    );
    let rest = env.ok("ListDistributions", json!({"Marker": first["NextMarker"]}))
        ["DistributionList"]
        .clone();
    assert_eq!(
        (rest["Quantity"].clone(), rest["IsTruncated"].clone()),
        (json!(1), json!(false))
    );
    assert_eq!(
        env.err("ListDistributions", json!({"MaxItems": "zero"})).0,
        "InvalidArgument"
    );
}

#[test]
fn the_edge_finds_a_distribution_by_id_domain_and_alias_and_forgets_it_after_delete() {
    let env = Env::new();
    let made = create(&env, "r", &["Shop.Example.com"]);
    let id = made["Distribution"]["Id"].as_str().expect("id").to_string();
    let domain = made["Distribution"]["DomainName"]
        .as_str()
        .expect("domain")
        .to_string();
    let label = domain.split('.').next().expect("label");
    let by_id = env
        .svc
        .edge_for_host(&format!("{}.cloudfront.localhost:4566", id.to_lowercase()));
    assert_eq!(by_id.map(|d| d.id.clone()), Some(id.clone()));
    assert!(env
        .svc
        .edge_for_host(&format!("{label}.cloudfront.localhost"))
        .is_some());
    assert!(env.svc.edge_for_host("shop.example.com").is_some());
    assert!(env.svc.edge_for_host("other.example.com").is_none());
    let mut off = config("r", &["Shop.Example.com"]);
    off["Enabled"] = json!(false);
    let updated = env.ok(
        "UpdateDistribution",
        json!({"Id": id, "IfMatch": made["ETag"], "DistributionConfig": off}),
    );
    assert!(
        !env.svc
            .edge_for_host("shop.example.com")
            .expect("still there")
            .enabled
    );
    env.clock.advance_millis(crate::DEPLOY_MS);
    env.ok(
        "DeleteDistribution",
        json!({"Id": id, "IfMatch": updated["ETag"]}),
    );
    assert!(env.svc.edge_for_host("shop.example.com").is_none());
}

#[test]
fn an_invalidation_purges_the_edge_cache_and_completes_on_the_clock() {
    let env = Env::new();
    let id = create(&env, "r", &[])["Distribution"]["Id"]
        .as_str()
        .expect("id")
        .to_string();
    let object = Arc::new(crate::cache::CachedObject {
        status: 200,
        headers: Vec::new(),
        body: bytes::Bytes::from_static(b"x"),
        stored_ms: 0,
        expires_ms: i64::MAX,
    });
    env.svc
        .edge_cache()
        .put("k".into(), &id, "/img/a.png", object);
    let inv = env.ok(
        "CreateInvalidation",
        json!({"DistributionId": id, "InvalidationBatch": {
            "Paths": {"Quantity": 1, "Items": ["/img/*"]}, "CallerReference": "c"}}),
    )["Invalidation"]
        .clone();
    assert!(env.svc.edge_cache().get("k", 0).is_none());
    assert_eq!(inv["Status"], "InProgress");
    env.clock.advance_millis(crate::DEPLOY_MS);
    let got = env.ok(
        "GetInvalidation",
        json!({"DistributionId": id, "Id": inv["Id"]}),
    );
    assert_eq!(got["Invalidation"]["Status"], "Completed");
    let bad = json!({"DistributionId": id, "InvalidationBatch": {
        "Paths": {"Quantity": 1, "Items": ["img"]}, "CallerReference": "d"}});
    assert_eq!(
        env.err("CreateInvalidation", bad),
        (
            "InvalidArgument".into(),
            "Your request contains one or more invalid invalidation paths.".into()
        )
    );
}

#[test]
fn managed_policies_cannot_be_deleted_and_custom_names_are_unique() {
    let env = Env::new();
    let optimized = "658327ea-f89d-4fab-a63d-7e88639e58f6";
    assert_eq!(
        env.err(
            "DeleteCachePolicy",
            json!({"Id": optimized, "IfMatch": "x"})
        )
        .0,
        "IllegalDelete"
    );
    let policy = json!({"CachePolicyConfig": {"Name": "p", "MinTTL": 0,
        "DefaultTTL": 10, "MaxTTL": 5}});
    assert_eq!(env.err("CreateCachePolicy", policy).0, "InvalidTTLOrder");
    let policy = json!({"CachePolicyConfig": {"Name": "p", "MinTTL": 0}});
    env.ok("CreateCachePolicy", policy.clone());
    assert_eq!(
        env.err("CreateCachePolicy", policy).0,
        "CachePolicyAlreadyExists"
    );
    let named = json!({"CachePolicyConfig": {"Name": "Managed-CachingOptimized", "MinTTL": 0}});
    assert_eq!(
        env.err("CreateCachePolicy", named).0,
        "CachePolicyAlreadyExists"
    );
}

#[test]
fn an_origin_access_control_in_use_is_not_deleted() {
    let env = Env::new();
    let oac = env.ok(
        "CreateOriginAccessControl",
        json!({"OriginAccessControlConfig": {"Name": "o", "SigningProtocol": "sigv4",
            "SigningBehavior": "always", "OriginAccessControlOriginType": "s3"}}),
    );
    let oac_id = oac["OriginAccessControl"]["Id"].clone();
    let mut c = config("r", &[]);
    c["Origins"]["Items"][0]["OriginAccessControlId"] = oac_id.clone();
    env.ok("CreateDistribution", json!({"DistributionConfig": c}));
    assert_eq!(
        env.err(
            "DeleteOriginAccessControl",
            json!({"Id": oac_id, "IfMatch": oac["ETag"]})
        )
        .0,
        "OriginAccessControlInUse"
    );
    assert!(env.svc.edge_for_host("nothing").is_none());
}

#[test]
fn tags_belong_to_existing_distributions() {
    let env = Env::new();
    let arn = create(&env, "r", &[])["Distribution"]["ARN"].clone();
    env.ok(
        "TagResource",
        json!({"Resource": arn, "Tags": {"Items": [{"Key": "a", "Value": "1"}]}}),
    );
    env.ok(
        "UntagResource",
        json!({"Resource": arn, "TagKeys": {"Items": ["b"]}}),
    );
    let tags = env.ok("ListTagsForResource", json!({"Resource": arn}));
    assert_eq!(tags["Tags"]["Items"], json!([{"Key": "a", "Value": "1"}]));
    let missing = json!({"Resource": "arn:aws:cloudfront::111122223333:distribution/ENOPE"});
    assert_eq!(
        env.err("ListTagsForResource", missing),
        (
            "NoSuchResource".into(),
            "The specified resource does not exist.".into()
        )
    );
}

#[test]
fn an_origin_access_identity_answers_again_for_its_caller_reference_and_is_kept_while_used() {
    let env = Env::new();
    let input =
        json!({"CloudFrontOriginAccessIdentityConfig": {"CallerReference": "c", "Comment": "x"}});
    let made = env.ok("CreateCloudFrontOriginAccessIdentity", input.clone());
    let again = env.ok("CreateCloudFrontOriginAccessIdentity", input);
    let oai = made["CloudFrontOriginAccessIdentity"].clone();
    assert_eq!(oai["Id"], again["CloudFrontOriginAccessIdentity"]["Id"]);
    assert_eq!(oai["S3CanonicalUserId"].as_str().map(str::len), Some(64));
    let other =
        json!({"CloudFrontOriginAccessIdentityConfig": {"CallerReference": "c", "Comment": "y"}});
    assert_eq!(
        env.err("CreateCloudFrontOriginAccessIdentity", other).0,
        "CloudFrontOriginAccessIdentityAlreadyExists"
    );
    let mut c = config("r", &[]);
    c["Origins"]["Items"][0]["S3OriginConfig"]["OriginAccessIdentity"] = json!(format!(
        "origin-access-identity/cloudfront/{}",
        oai["Id"].as_str().expect("id")
    ));
    env.ok("CreateDistribution", json!({"DistributionConfig": c}));
    let delete = json!({"Id": oai["Id"], "IfMatch": made["ETag"]});
    assert_eq!(
        env.err("DeleteCloudFrontOriginAccessIdentity", delete).0,
        "CloudFrontOriginAccessIdentityInUse"
    );
}

#[test]
fn distributions_are_listed_by_the_cache_policy_they_use() {
    let env = Env::new();
    let id = create(&env, "r", &[])["Distribution"]["Id"].clone();
    let list = env.ok(
        "ListDistributionsByCachePolicyId",
        json!({"CachePolicyId": "658327ea-f89d-4fab-a63d-7e88639e58f6"}),
    );
    assert_eq!(list["DistributionIdList"]["Items"], json!([id]));
    let none = env.ok(
        "ListDistributionsByCachePolicyId",
        json!({"CachePolicyId": "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"}),
    );
    assert_eq!(none["DistributionIdList"]["Quantity"], 0);
    assert_eq!(
        env.err(
            "ListDistributionsByCachePolicyId",
            json!({"CachePolicyId": "nope"})
        )
        .0,
        "NoSuchCachePolicy"
    );
}
