//! The bucket rules, by name.

use crate::bucket_tagging::check_tags;
use crate::buckets::{bucket_region, check_bucket_name};
use crate::{canonical_user_id, S3Service};
use gureum_core::{AwsError, Clock, Principal, RequestContext, Service, Value};
use gureum_store::Store;
use serde_json::json;

const ME: &str = "000000000000";
const OTHER: &str = "111122223333";

fn svc() -> S3Service {
    S3Service::new(Store::in_memory().expect("store"))
}

fn ctx(account: &str, region: &str) -> RequestContext {
    RequestContext::root(account, region, Clock::system())
}

fn call(s: &S3Service, c: &RequestContext, op: &str, input: Value) -> Result<Value, AwsError> {
    ready(s.call(c, op, input))
}

/// The service futures are ready at once; poll one without a runtime.
fn ready<F: std::future::Future>(f: F) -> F::Output {
    use std::task::{Context, Poll, Waker};
    let mut cx = Context::from_waker(Waker::noop());
    let mut f = std::pin::pin!(f);
    match f.as_mut().poll(&mut cx) {
        Poll::Ready(v) => v,
        Poll::Pending => panic!("service future was not ready"),
    }
}

fn code(r: Result<Value, AwsError>) -> (String, u16) {
    let e = r.expect_err("expected an error");
    (e.code, e.status)
}

fn create(s: &S3Service, c: &RequestContext, name: &str) -> Result<Value, AwsError> {
    let mut input = json!({ "Bucket": name });
    if c.region != "us-east-1" {
        input["CreateBucketConfiguration"] = json!({ "LocationConstraint": c.region });
    }
    call(s, c, "CreateBucket", input)
}

#[test]
fn valid_bucket_names_pass() {
    for n in [
        "abc",
        "my-bucket.logs",
        "a1b2c3",
        &"a".repeat(63),
        "1bucket9",
    ] {
        assert!(check_bucket_name(n).is_ok(), "{n}");
    }
}

#[test]
fn bucket_names_with_double_dots_are_invalid() {
    assert!(check_bucket_name("my..bucket").is_err());
}

#[test]
fn bucket_names_must_be_3_to_63_characters() {
    assert!(check_bucket_name("ab").is_err());
    assert!(check_bucket_name(&"a".repeat(64)).is_err());
}

#[test]
fn bucket_names_are_lowercase_letters_digits_dots_hyphens() {
    for n in ["MyBucket", "my_bucket", "my bucket", "bücket"] {
        assert!(check_bucket_name(n).is_err(), "{n}");
    }
}

#[test]
fn bucket_names_start_and_end_with_letter_or_digit() {
    for n in ["-bucket", "bucket-", ".bucket", "bucket."] {
        assert!(check_bucket_name(n).is_err(), "{n}");
    }
}

#[test]
fn bucket_names_in_ip_address_form_are_invalid() {
    assert!(check_bucket_name("192.168.5.4").is_err());
    assert!(check_bucket_name("192.168.5.bucket").is_ok());
}

#[test]
fn reserved_bucket_name_prefixes_and_suffixes_are_invalid() {
    for n in [
        "xn--bucket",
        "sthree-bucket",
        "bucket-s3alias",
        "bucket--ol-s3",
        "bucket--x-s3",
    ] {
        assert!(check_bucket_name(n).is_err(), "{n}");
    }
}

#[test]
fn invalid_bucket_name_error_names_the_bucket() {
    let e = create(&svc(), &ctx(ME, "us-east-1"), "Bad_Name").expect_err("invalid");
    assert_eq!((e.code.as_str(), e.status), ("InvalidBucketName", 400));
    assert_eq!(e.message, "The specified bucket is not valid.");
    assert_eq!(
        e.fields,
        vec![("BucketName".to_string(), json!("Bad_Name"))]
    );
}

#[test]
fn us_east_1_takes_no_location_constraint() {
    assert_eq!(bucket_region("us-east-1", None).expect("ok"), "us-east-1");
    let e = bucket_region("us-east-1", Some("us-east-1")).expect_err("explicit us-east-1");
    assert_eq!(e.code, "InvalidLocationConstraint");
}

#[test]
fn location_constraint_must_match_the_region() {
    assert_eq!(
        bucket_region("eu-west-1", Some("eu-west-1")).expect("ok"),
        "eu-west-1"
    );
    let e = bucket_region("eu-west-1", Some("ap-northeast-2")).expect_err("mismatch");
    assert_eq!(e.code, "IllegalLocationConstraintException");
    assert_eq!(
        e.message,
        "The ap-northeast-2 location constraint is incompatible for the region specific endpoint this request was sent to."
    );
}

#[test]
fn missing_location_constraint_outside_us_east_1_is_illegal() {
    let e = bucket_region("eu-west-1", None).expect_err("missing");
    assert_eq!(e.code, "IllegalLocationConstraintException");
    assert!(e.message.starts_with("The unspecified location constraint"));
}

#[test]
fn unknown_location_constraints_are_invalid() {
    let e = bucket_region("us-east-1", Some("mars-north-1")).expect_err("unknown");
    assert_eq!(e.code, "InvalidLocationConstraint");
}

#[test]
fn eu_is_the_legacy_name_of_eu_west_1() {
    assert_eq!(
        bucket_region("eu-west-1", Some("EU")).expect("ok"),
        "eu-west-1"
    );
}

#[test]
fn another_accounts_bucket_name_is_taken() {
    let s = svc();
    create(&s, &ctx(ME, "us-east-1"), "shared-name").expect("create");
    let e = create(&s, &ctx(OTHER, "eu-west-1"), "shared-name").expect_err("taken");
    assert_eq!((e.code.as_str(), e.status), ("BucketAlreadyExists", 409));
}

#[test]
fn your_own_bucket_outside_us_east_1_is_already_owned_by_you() {
    let s = svc();
    create(&s, &ctx(ME, "eu-west-1"), "mine").expect("create");
    assert_eq!(
        code(create(&s, &ctx(ME, "eu-west-1"), "mine")),
        ("BucketAlreadyOwnedByYou".to_string(), 409)
    );
    // Also from us-east-1: the bucket lives elsewhere.
    assert_eq!(
        code(create(&s, &ctx(ME, "us-east-1"), "mine")),
        ("BucketAlreadyOwnedByYou".to_string(), 409)
    );
}

#[test]
fn recreating_your_own_us_east_1_bucket_there_succeeds() {
    let s = svc();
    let c = ctx(ME, "us-east-1");
    create(&s, &c, "legacy").expect("create");
    let out = create(&s, &c, "legacy").expect("legacy 200");
    assert_eq!(out["Location"], "/legacy");
}

#[test]
fn location_header_is_a_path_in_us_east_1_and_a_url_elsewhere() {
    let s = svc();
    let out = create(&s, &ctx(ME, "us-east-1"), "east").expect("create");
    assert_eq!(out["Location"], "/east");
    let out = create(&s, &ctx(ME, "eu-west-1"), "west").expect("create");
    assert_eq!(out["Location"], "http://west.s3.amazonaws.com/");
}

#[test]
fn public_acls_conflict_with_bucket_owner_enforced() {
    let s = svc();
    let c = ctx(ME, "us-east-1");
    let r = call(
        &s,
        &c,
        "CreateBucket",
        json!({"Bucket": "pub", "ACL": "public-read"}),
    );
    assert_eq!(
        code(r),
        ("InvalidBucketAclWithObjectOwnership".to_string(), 400)
    );
    call(
        &s,
        &c,
        "CreateBucket",
        json!({"Bucket": "priv", "ACL": "private"}),
    )
    .expect("private");
    call(
        &s,
        &c,
        "CreateBucket",
        json!({"Bucket": "writer", "ACL": "public-read", "ObjectOwnership": "ObjectWriter"}),
    )
    .expect("ACLs allowed with ObjectWriter");
    let acl = call(&s, &c, "GetBucketAcl", json!({"Bucket": "writer"})).expect("acl");
    assert_eq!(acl["Grants"].as_array().map(Vec::len), Some(2));
}

#[test]
fn object_lock_is_stored_and_turns_versioning_on() {
    let s = svc();
    let c = ctx(ME, "us-east-1");
    call(
        &s,
        &c,
        "CreateBucket",
        json!({"Bucket": "locked", "ObjectLockEnabledForBucket": true}),
    )
    .expect("create");
    let b = s.buckets.get("locked").expect("get").expect("bucket");
    assert!(b.object_lock);
    let v = call(&s, &c, "GetBucketVersioning", json!({"Bucket": "locked"})).expect("v");
    assert_eq!(v, json!({"Status": "Enabled"}));
}

#[test]
fn head_bucket_reports_the_region() {
    let s = svc();
    create(&s, &ctx(ME, "ap-northeast-2"), "seoul").expect("create");
    let out = call(
        &s,
        &ctx(ME, "us-east-1"),
        "HeadBucket",
        json!({"Bucket": "seoul"}),
    )
    .expect("head");
    assert_eq!(out["BucketRegion"], "ap-northeast-2");
}

#[test]
fn head_bucket_is_404_for_missing_and_403_for_another_accounts() {
    let s = svc();
    create(&s, &ctx(ME, "us-east-1"), "theirs").expect("create");
    let head = |acct: &str, b: &str| {
        call(
            &s,
            &ctx(acct, "us-east-1"),
            "HeadBucket",
            json!({"Bucket": b}),
        )
    };
    assert_eq!(code(head(ME, "nope")).1, 404);
    assert_eq!(code(head(OTHER, "theirs")).1, 403);
}

#[test]
fn another_accounts_bucket_is_access_denied() {
    let s = svc();
    create(&s, &ctx(ME, "us-east-1"), "private-b").expect("create");
    let c = ctx(OTHER, "us-east-1");
    for op in [
        "DeleteBucket",
        "GetBucketTagging",
        "GetBucketAcl",
        "GetBucketVersioning",
        "GetBucketEncryption",
        "GetBucketOwnershipControls",
        "DeleteBucketTagging",
    ] {
        assert_eq!(
            code(call(&s, &c, op, json!({"Bucket": "private-b"}))),
            ("AccessDenied".to_string(), 403),
            "{op}"
        );
    }
    assert!(s.buckets.contains("private-b").expect("get"));
}

#[test]
fn anonymous_callers_are_denied() {
    let s = svc();
    create(&s, &ctx(ME, "us-east-1"), "anon").expect("create");
    let mut c = ctx(ME, "us-east-1");
    c.principal = Principal::Anonymous;
    assert_eq!(
        code(call(&s, &c, "GetBucketAcl", json!({"Bucket": "anon"}))).1,
        403
    );
    assert_eq!(code(call(&s, &c, "ListBuckets", json!({}))).1, 403);
    assert_eq!(code(create(&s, &c, "anon2")).1, 403);
}

#[test]
fn missing_bucket_is_no_such_bucket_with_its_name() {
    let s = svc();
    let e = call(
        &s,
        &ctx(ME, "us-east-1"),
        "GetBucketAcl",
        json!({"Bucket": "ghost"}),
    )
    .expect_err("missing");
    assert_eq!((e.code.as_str(), e.status), ("NoSuchBucket", 404));
    assert_eq!(e.fields, vec![("BucketName".to_string(), json!("ghost"))]);
}

#[test]
fn expected_bucket_owner_must_match() {
    let s = svc();
    let c = ctx(ME, "us-east-1");
    create(&s, &c, "owned").expect("create");
    call(
        &s,
        &c,
        "GetBucketAcl",
        json!({"Bucket": "owned", "ExpectedBucketOwner": ME}),
    )
    .expect("match");
    let r = call(
        &s,
        &c,
        "GetBucketAcl",
        json!({"Bucket": "owned", "ExpectedBucketOwner": OTHER}),
    );
    assert_eq!(code(r).1, 403);
}

#[test]
fn delete_bucket_frees_the_name() {
    let s = svc();
    create(&s, &ctx(ME, "us-east-1"), "gone").expect("create");
    call(
        &s,
        &ctx(ME, "us-east-1"),
        "DeleteBucket",
        json!({"Bucket": "gone"}),
    )
    .expect("delete");
    assert_eq!(
        code(call(
            &s,
            &ctx(ME, "us-east-1"),
            "DeleteBucket",
            json!({"Bucket": "gone"})
        ))
        .0,
        "NoSuchBucket"
    );
    create(&s, &ctx(OTHER, "eu-west-1"), "gone").expect("another account may take it");
}

#[test]
fn bucket_with_objects_is_not_empty() {
    let s = svc();
    let c = ctx(ME, "us-east-1");
    create(&s, &c, "full").expect("create");
    create(&s, &c, "full-other").expect("create");
    // A neighbour's object (`full-other/…`) does not count.
    let v = crate::object::ObjectVersion::default();
    s.objects.current.put("full-other/k", &v).expect("put");
    s.objects.current.put("full/key.txt", &v).expect("put");
    let e = call(&s, &c, "DeleteBucket", json!({"Bucket": "full"})).expect_err("not empty");
    assert_eq!((e.code.as_str(), e.status), ("BucketNotEmpty", 409));
    s.objects.current.delete("full/key.txt").expect("delete");
    // A noncurrent version alone still makes the bucket not empty.
    s.objects
        .noncurrent
        .put("full/key.txt\0ffff", &v)
        .expect("put");
    let e = call(&s, &c, "DeleteBucket", json!({"Bucket": "full"})).expect_err("not empty");
    assert_eq!(e.code, "BucketNotEmpty");
    s.objects
        .noncurrent
        .delete("full/key.txt\0ffff")
        .expect("delete");
    call(&s, &c, "DeleteBucket", json!({"Bucket": "full"})).expect("now empty");
}

#[test]
fn get_bucket_location_is_empty_for_us_east_1() {
    let s = svc();
    create(&s, &ctx(ME, "us-east-1"), "east").expect("create");
    create(&s, &ctx(ME, "eu-west-1"), "west").expect("create");
    let c = ctx(ME, "us-east-1");
    let loc = |b: &str| {
        s.get_bucket_location(&c, json!({ "Bucket": b }))
            .expect("loc")
    };
    assert_eq!(loc("east"), json!({}));
    assert_eq!(loc("west"), json!({"LocationConstraint": "eu-west-1"}));
}

fn names(v: &Value) -> Vec<String> {
    v["Buckets"]
        .as_array()
        .expect("buckets")
        .iter()
        .map(|b| b["Name"].as_str().expect("name").to_string())
        .collect()
}

#[test]
fn list_buckets_shows_only_the_callers_buckets() {
    let s = svc();
    create(&s, &ctx(ME, "us-east-1"), "a-mine").expect("create");
    create(&s, &ctx(OTHER, "us-east-1"), "b-theirs").expect("create");
    let out = call(&s, &ctx(ME, "us-east-1"), "ListBuckets", json!({})).expect("list");
    assert_eq!(names(&out), ["a-mine"]);
    assert_eq!(out["Owner"]["ID"], canonical_user_id(ME));
    assert!(out.get("ContinuationToken").is_none());
}

#[test]
fn list_buckets_pages_across_accounts() {
    let s = svc();
    for (i, n) in ["b1", "b2", "b3", "b4", "b5"].iter().enumerate() {
        let acct = if i % 2 == 0 { ME } else { OTHER };
        create(&s, &ctx(acct, "us-east-1"), &format!("{n}-x")).expect("create");
    }
    create(&s, &ctx(ME, "us-east-1"), "b6-x").expect("create");
    // Mine: b1, b3, b5, b6.
    let c = ctx(ME, "us-east-1");
    let p1 = call(&s, &c, "ListBuckets", json!({"MaxBuckets": 2})).expect("p1");
    assert_eq!(names(&p1), ["b1-x", "b3-x"]);
    let t = p1["ContinuationToken"].as_str().expect("token");
    let p2 = call(
        &s,
        &c,
        "ListBuckets",
        json!({"MaxBuckets": 2, "ContinuationToken": t}),
    )
    .expect("p2");
    assert_eq!(names(&p2), ["b5-x", "b6-x"]);
    assert!(p2.get("ContinuationToken").is_none(), "no more buckets");
}

#[test]
fn list_buckets_filters_by_prefix_and_region() {
    let s = svc();
    create(&s, &ctx(ME, "us-east-1"), "logs-east").expect("create");
    create(&s, &ctx(ME, "eu-west-1"), "logs-west").expect("create");
    create(&s, &ctx(ME, "eu-west-1"), "data-west").expect("create");
    let c = ctx(ME, "us-east-1");
    let out = call(&s, &c, "ListBuckets", json!({"Prefix": "logs-"})).expect("list");
    assert_eq!(names(&out), ["logs-east", "logs-west"]);
    assert_eq!(out["Prefix"], "logs-");
    let out = call(&s, &c, "ListBuckets", json!({"BucketRegion": "eu-west-1"})).expect("list");
    assert_eq!(names(&out), ["data-west", "logs-west"]);
}

#[test]
fn bucket_tags_round_trip_and_delete() {
    let s = svc();
    let c = ctx(ME, "us-east-1");
    create(&s, &c, "tagged").expect("create");
    assert_eq!(
        code(call(
            &s,
            &c,
            "GetBucketTagging",
            json!({"Bucket": "tagged"})
        )),
        ("NoSuchTagSet".to_string(), 404)
    );
    let set = json!([{"Key": "env", "Value": "dev"}, {"Key": "team", "Value": ""}]);
    call(
        &s,
        &c,
        "PutBucketTagging",
        json!({"Bucket": "tagged", "Tagging": {"TagSet": set}}),
    )
    .expect("put");
    let out = call(&s, &c, "GetBucketTagging", json!({"Bucket": "tagged"})).expect("get");
    assert_eq!(out["TagSet"], set);
    call(&s, &c, "DeleteBucketTagging", json!({"Bucket": "tagged"})).expect("delete");
    assert_eq!(
        code(call(
            &s,
            &c,
            "GetBucketTagging",
            json!({"Bucket": "tagged"})
        ))
        .0,
        "NoSuchTagSet"
    );
}

fn tags(n: usize) -> Vec<(String, String)> {
    (0..n).map(|i| (format!("k{i}"), "v".to_string())).collect()
}

#[test]
fn duplicate_tag_keys_are_invalid() {
    let t = vec![("a".into(), "1".into()), ("a".into(), "2".into())];
    assert_eq!(check_tags(&t).expect_err("dup").code, "InvalidTag");
}

#[test]
fn at_most_50_bucket_tags() {
    assert!(check_tags(&tags(50)).is_ok());
    assert_eq!(check_tags(&tags(51)).expect_err("51").code, "InvalidTag");
}

#[test]
fn tag_keys_are_1_to_128_and_values_0_to_256_characters() {
    let ok = vec![
        ("k".repeat(128), "v".repeat(256)),
        ("e".into(), String::new()),
    ];
    assert!(check_tags(&ok).is_ok());
    assert!(check_tags(&[(String::new(), "v".into())]).is_err());
    assert!(check_tags(&[("k".repeat(129), "v".into())]).is_err());
    assert!(check_tags(&[("k".into(), "v".repeat(257))]).is_err());
}

#[test]
fn aws_prefixed_tag_keys_are_reserved() {
    assert!(check_tags(&[("aws:created".into(), "x".into())]).is_err());
}

#[test]
fn new_buckets_have_aws_defaults() {
    let s = svc();
    let c = ctx(ME, "us-east-1");
    create(&s, &c, "defaults").expect("create");
    let b = json!({"Bucket": "defaults"});
    assert_eq!(
        call(&s, &c, "GetBucketVersioning", b.clone()).expect("v"),
        json!({})
    );
    let own = call(&s, &c, "GetBucketOwnershipControls", b.clone()).expect("o");
    assert_eq!(
        own["OwnershipControls"]["Rules"][0]["ObjectOwnership"],
        "BucketOwnerEnforced"
    );
    let enc = call(&s, &c, "GetBucketEncryption", b.clone()).expect("e");
    let rule = &enc["ServerSideEncryptionConfiguration"]["Rules"][0];
    assert_eq!(
        rule["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"],
        "AES256"
    );
    assert_eq!(rule["BucketKeyEnabled"], false);
    let acl = call(&s, &c, "GetBucketAcl", b).expect("acl");
    let id = canonical_user_id(ME);
    assert_eq!(acl["Owner"]["ID"], id.as_str());
    assert_eq!(
        acl["Grants"],
        json!([{"Grantee": {"ID": id, "Type": "CanonicalUser"}, "Permission": "FULL_CONTROL"}])
    );
}

#[test]
fn a_bucket_read_after_a_change_sees_the_change() {
    // Bucket records are decoded once and reused while their bytes are
    // unchanged; every change must show at once, and a deleted and
    // recreated bucket must not come back with the old record.
    let s = svc();
    let c = ctx(ME, "us-east-1");
    create(&s, &c, "memo").expect("create");
    let b = json!({"Bucket": "memo"});
    for _ in 0..2 {
        assert_eq!(
            call(&s, &c, "GetBucketVersioning", b.clone()).expect("v"),
            json!({})
        );
    }
    for status in ["Enabled", "Suspended"] {
        call(
            &s,
            &c,
            "PutBucketVersioning",
            json!({"Bucket": "memo", "VersioningConfiguration": {"Status": status}}),
        )
        .expect("put versioning");
        assert_eq!(
            call(&s, &c, "GetBucketVersioning", b.clone()).expect("v")["Status"],
            status
        );
    }
    call(&s, &c, "DeleteBucket", b.clone()).expect("delete");
    assert_eq!(
        code(call(&s, &c, "GetBucketVersioning", b.clone())),
        ("NoSuchBucket".to_string(), 404)
    );
    create(&s, &c, "memo").expect("create again");
    assert_eq!(
        call(&s, &c, "GetBucketVersioning", b).expect("v"),
        json!({})
    );
}

fn anonymous() -> RequestContext {
    let mut c = ctx(ME, "us-east-1");
    c.principal = Principal::Anonymous;
    c
}

#[test]
fn a_bucket_policy_decides_for_anonymous_and_other_accounts() {
    let s = svc();
    let me = ctx(ME, "us-east-1");
    create(&s, &me, "pol").expect("create");
    let listing = json!({"Bucket": "pol"});
    assert_eq!(
        code(call(&s, &anonymous(), "ListObjectsV2", listing.clone())),
        ("AccessDenied".into(), 403)
    );
    // Block Public Access refuses the public grant until it is turned off.
    let public = json!({"Bucket": "pol", "Policy": format!(
        r#"{{"Statement":[{{"Effect":"Allow","Principal":"*","Action":"s3:ListBucket","Resource":"arn:aws:s3:::pol"}},{{"Effect":"Allow","Principal":{{"AWS":"{OTHER}"}},"Action":"s3:GetBucketLocation","Resource":"arn:aws:s3:::pol"}}]}}"#
    )});
    assert_eq!(
        code(call(&s, &me, "PutBucketPolicy", public.clone())),
        ("AccessDenied".into(), 403)
    );
    call(&s, &me, "DeletePublicAccessBlock", json!({"Bucket": "pol"})).expect("unblock");
    call(&s, &me, "PutBucketPolicy", public).expect("put policy");
    call(&s, &anonymous(), "ListObjectsV2", listing).expect("public listing");
    let other = ctx(OTHER, "us-east-1");
    call(&s, &other, "GetBucketLocation", json!({"Bucket": "pol"})).expect("granted");
    assert_eq!(
        code(call(
            &s,
            &other,
            "GetBucketTagging",
            json!({"Bucket": "pol"})
        )),
        ("AccessDenied".into(), 403)
    );
    assert_eq!(
        code(call(
            &s,
            &other,
            "GetBucketPolicy",
            json!({"Bucket": "pol"})
        )),
        ("MethodNotAllowed".into(), 405)
    );
}
