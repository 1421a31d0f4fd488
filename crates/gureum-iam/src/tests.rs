//! Unit tests, named after the rule each checks. Handlers are called
//! directly with a root context and an in-memory store.

use super::*;
use gureum_core::{Clock, OpResult, Principal, RequestContext, Value};
use serde_json::json;
use std::sync::Arc;

const ACCT: &str = "000000000000";

fn svc() -> IamService {
    IamService::new(Store::in_memory().expect("store"))
}

fn root() -> RequestContext {
    RequestContext::root(ACCT, "us-east-1", Clock::system())
}

fn call(s: &IamService, op: &str, input: Value) -> OpResult {
    use gureum_core::Service;
    let ctx = root();
    let fut = s.call(&ctx, op, input);
    block_on(fut)
}

fn call_as(s: &IamService, ctx: &RequestContext, op: &str, input: Value) -> OpResult {
    use gureum_core::Service;
    block_on(s.call(ctx, op, input))
}

/// The futures `service_operations!` returns are ready at once.
fn block_on<F: std::future::Future>(f: F) -> F::Output {
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    let mut f = std::pin::pin!(f);
    match f.as_mut().poll(&mut cx) {
        std::task::Poll::Ready(v) => v,
        std::task::Poll::Pending => panic!("handler future was not ready"),
    }
}

fn ok(r: OpResult) -> Value {
    r.unwrap_or_else(|e| panic!("unexpected error: {e}"))
}

fn code(r: OpResult) -> String {
    match r {
        Ok(v) => panic!("expected an error, got {v}"),
        Err(e) => e.code,
    }
}

const ALLOW_S3: &str =
    r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}"#;
const TRUST_EC2: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;

fn user(s: &IamService, name: &str) -> Value {
    ok(call(s, "CreateUser", json!({"UserName": name})))
}

#[test]
fn created_users_have_aws_shaped_ids_and_arns_with_paths() {
    let s = svc();
    let out = ok(call(
        &s,
        "CreateUser",
        json!({"UserName": "alice", "Path": "/division/", "Tags": [{"Key": "team", "Value": "a"}]}),
    ));
    let u = &out["User"];
    assert_eq!(u["Arn"], "arn:aws:iam::000000000000:user/division/alice");
    let id = u["UserId"].as_str().expect("id");
    assert!(id.starts_with("AIDA") && id.len() == 21);
    assert_eq!(u["Tags"][0]["Key"], "team");
    let got = ok(call(&s, "GetUser", json!({"UserName": "alice"})));
    assert_eq!(got["User"]["UserId"], u["UserId"]);
}

#[test]
fn user_names_are_unique_regardless_of_case() {
    let s = svc();
    user(&s, "alice");
    let e = call(&s, "CreateUser", json!({"UserName": "Alice"})).expect_err("dup");
    assert_eq!(e.code, "EntityAlreadyExists");
    assert_eq!(e.status, 409);
    assert_eq!(e.message, "User with name Alice already exists.");
}

#[test]
fn missing_user_is_no_such_entity_with_aws_message() {
    let s = svc();
    let e = call(&s, "GetUser", json!({"UserName": "bob"})).expect_err("missing");
    assert_eq!((e.code.as_str(), e.status), ("NoSuchEntity", 404));
    assert_eq!(e.message, "The user with name bob cannot be found.");
}

#[test]
fn get_user_without_name_as_root_answers_the_root_user() {
    let s = svc();
    let out = ok(call(&s, "GetUser", json!({})));
    assert_eq!(out["User"]["Arn"], "arn:aws:iam::000000000000:root");
    assert_eq!(out["User"]["UserId"], ACCT);
}

#[test]
fn get_user_without_name_as_a_user_answers_that_user() {
    let s = svc();
    let created = user(&s, "carol");
    let mut ctx = root();
    ctx.principal = Principal::User {
        account_id: ACCT.into(),
        name: "carol".into(),
        user_id: created["User"]["UserId"]
            .as_str()
            .unwrap_or_default()
            .into(),
        path: "/".into(),
    };
    let out = ok(call_as(&s, &ctx, "GetUser", json!({})));
    assert_eq!(out["User"]["UserName"], "carol");
}

#[test]
fn invalid_names_and_paths_are_validation_errors() {
    let s = svc();
    assert_eq!(
        code(call(&s, "CreateUser", json!({"UserName": "a/b"}))),
        "ValidationError"
    );
    assert_eq!(
        code(call(
            &s,
            "CreateUser",
            json!({"UserName": "a", "Path": "nope"})
        )),
        "ValidationError"
    );
}

#[test]
fn deleting_a_user_with_keys_policies_or_groups_is_a_delete_conflict() {
    let s = svc();
    user(&s, "dave");
    ok(call(&s, "CreateGroup", json!({"GroupName": "devs"})));
    ok(call(
        &s,
        "AddUserToGroup",
        json!({"GroupName": "devs", "UserName": "dave"}),
    ));
    let e = call(&s, "DeleteUser", json!({"UserName": "dave"})).expect_err("in group");
    assert_eq!(e.code, "DeleteConflict");
    ok(call(
        &s,
        "RemoveUserFromGroup",
        json!({"GroupName": "devs", "UserName": "dave"}),
    ));
    ok(call(
        &s,
        "PutUserPolicy",
        json!({"UserName": "dave", "PolicyName": "p", "PolicyDocument": ALLOW_S3}),
    ));
    let e = call(&s, "DeleteUser", json!({"UserName": "dave"})).expect_err("policy");
    assert_eq!(
        e.message,
        "Cannot delete entity, must delete policies first."
    );
    ok(call(
        &s,
        "DeleteUserPolicy",
        json!({"UserName": "dave", "PolicyName": "p"}),
    ));
    let key = ok(call(&s, "CreateAccessKey", json!({"UserName": "dave"})));
    assert_eq!(
        code(call(&s, "DeleteUser", json!({"UserName": "dave"}))),
        "DeleteConflict"
    );
    ok(call(
        &s,
        "DeleteAccessKey",
        json!({"UserName": "dave", "AccessKeyId": key["AccessKey"]["AccessKeyId"]}),
    ));
    ok(call(&s, "DeleteUser", json!({"UserName": "dave"})));
    assert_eq!(
        code(call(&s, "GetUser", json!({"UserName": "dave"}))),
        "NoSuchEntity"
    );
}

#[test]
fn a_user_is_in_at_most_ten_groups() {
    let s = svc();
    user(&s, "erin");
    for i in 0..11 {
        ok(call(
            &s,
            "CreateGroup",
            json!({"GroupName": format!("g{i}")}),
        ));
    }
    for i in 0..10 {
        ok(call(
            &s,
            "AddUserToGroup",
            json!({"GroupName": format!("g{i}"), "UserName": "erin"}),
        ));
    }
    let e = call(
        &s,
        "AddUserToGroup",
        json!({"GroupName": "g10", "UserName": "erin"}),
    )
    .expect_err("limit");
    assert_eq!(e.code, "LimitExceeded");
    assert_eq!(e.message, "Cannot exceed quota for GroupsPerUser: 10");
    let groups = ok(call(&s, "ListGroupsForUser", json!({"UserName": "erin"})));
    assert_eq!(groups["Groups"].as_array().map(Vec::len), Some(10));
    let g = ok(call(&s, "GetGroup", json!({"GroupName": "g3"})));
    assert_eq!(g["Users"][0]["UserName"], "erin");
}

#[test]
fn a_user_has_at_most_two_access_keys() {
    let s = svc();
    user(&s, "frank");
    let k = ok(call(&s, "CreateAccessKey", json!({"UserName": "frank"})));
    let id = k["AccessKey"]["AccessKeyId"].as_str().expect("id");
    assert!(id.starts_with("AKIA") && id.len() == 20);
    assert_eq!(
        k["AccessKey"]["SecretAccessKey"].as_str().map(str::len),
        Some(40)
    );
    ok(call(&s, "CreateAccessKey", json!({"UserName": "frank"})));
    let e = call(&s, "CreateAccessKey", json!({"UserName": "frank"})).expect_err("limit");
    assert_eq!(e.code, "LimitExceeded");
    assert_eq!(e.message, "Cannot exceed quota for AccessKeysPerUser: 2");
}

#[test]
fn access_keys_authenticate_as_their_user_and_can_be_deactivated() {
    let s = Arc::new(svc());
    user(&s, "gina");
    let k = ok(call(&s, "CreateAccessKey", json!({"UserName": "gina"})));
    let id = k["AccessKey"]["AccessKeyId"]
        .as_str()
        .expect("id")
        .to_string();
    let provider = s.credentials();
    let c = provider.lookup(&id).expect("known key");
    assert!(c.active);
    assert_eq!(c.secret_access_key, k["AccessKey"]["SecretAccessKey"]);
    assert!(matches!(c.principal, Principal::User { ref name, .. } if name == "gina"));
    ok(call(
        &s,
        "UpdateAccessKey",
        json!({"UserName": "gina", "AccessKeyId": id, "Status": "Inactive"}),
    ));
    assert!(!provider.lookup(&id).expect("still known").active);
    let listed = ok(call(&s, "ListAccessKeys", json!({"UserName": "gina"})));
    assert_eq!(listed["AccessKeyMetadata"][0]["Status"], "Inactive");
    assert!(provider.lookup("AKIAUNKNOWNUNKNOWN00").is_none());
}

#[test]
fn key_last_use_is_reported_after_the_server_notes_it() {
    let s = svc();
    user(&s, "hank");
    let k = ok(call(&s, "CreateAccessKey", json!({"UserName": "hank"})));
    let id = k["AccessKey"]["AccessKeyId"].as_str().expect("id");
    let before = ok(call(&s, "GetAccessKeyLastUsed", json!({"AccessKeyId": id})));
    assert_eq!(before["AccessKeyLastUsed"]["ServiceName"], "N/A");
    s.note_key_used(id, "s3", "eu-west-1", 1_700_000_000_000);
    let after = ok(call(&s, "GetAccessKeyLastUsed", json!({"AccessKeyId": id})));
    assert_eq!(after["AccessKeyLastUsed"]["ServiceName"], "s3");
    assert_eq!(after["AccessKeyLastUsed"]["Region"], "eu-west-1");
    assert_eq!(after["AccessKeyLastUsed"]["LastUsedDate"], 1_700_000_000);
    assert_eq!(after["UserName"], "hank");
}

#[test]
fn malformed_policy_documents_are_refused() {
    let s = svc();
    user(&s, "ivy");
    let e = call(
        &s,
        "PutUserPolicy",
        json!({"UserName": "ivy", "PolicyName": "p", "PolicyDocument": "{not json"}),
    )
    .expect_err("malformed");
    assert_eq!(
        (e.code.as_str(), e.status),
        ("MalformedPolicyDocument", 400)
    );
    assert_eq!(
        code(call(
            &s,
            "CreatePolicy",
            json!({"PolicyName": "p", "PolicyDocument": r#"{"Version":"2012-10-17"}"#}),
        )),
        "MalformedPolicyDocument"
    );
    assert_eq!(
        code(call(
            &s,
            "CreateRole",
            json!({"RoleName": "r", "AssumeRolePolicyDocument": ALLOW_S3}),
        )),
        "MalformedPolicyDocument"
    );
}

#[test]
fn inline_policies_have_per_identity_size_quotas() {
    let s = svc();
    user(&s, "jack");
    let actions: Vec<String> = (0..200)
        .map(|i| format!("s3:GetObjectVersion{i:04}"))
        .collect();
    let doc = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": actions, "Resource": "*"}]})
        .to_string();
    assert!(doc.len() > 2048 && doc.len() < 10240);
    let e = call(
        &s,
        "PutUserPolicy",
        json!({"UserName": "jack", "PolicyName": "big", "PolicyDocument": doc}),
    )
    .expect_err("too big for a user");
    assert_eq!(e.code, "LimitExceeded");
    ok(call(
        &s,
        "CreateRole",
        json!({"RoleName": "r", "AssumeRolePolicyDocument": TRUST_EC2}),
    ));
    ok(call(
        &s,
        "PutRolePolicy",
        json!({"RoleName": "r", "PolicyName": "big", "PolicyDocument": doc}),
    ));
    let got = ok(call(
        &s,
        "GetRolePolicy",
        json!({"RoleName": "r", "PolicyName": "big"}),
    ));
    assert_eq!(got["PolicyDocument"], util::encode_document(&doc));
    let names = ok(call(&s, "ListRolePolicies", json!({"RoleName": "r"})));
    assert_eq!(names["PolicyNames"], json!(["big"]));
}

#[test]
fn managed_policies_keep_at_most_five_versions() {
    let s = svc();
    let p = ok(call(
        &s,
        "CreatePolicy",
        json!({"PolicyName": "p", "PolicyDocument": ALLOW_S3}),
    ));
    let arn = p["Policy"]["Arn"].as_str().expect("arn").to_string();
    assert_eq!(arn, "arn:aws:iam::000000000000:policy/p");
    assert_eq!(p["Policy"]["DefaultVersionId"], "v1");
    for _ in 0..4 {
        ok(call(
            &s,
            "CreatePolicyVersion",
            json!({"PolicyArn": arn, "PolicyDocument": ALLOW_S3}),
        ));
    }
    let e = call(
        &s,
        "CreatePolicyVersion",
        json!({"PolicyArn": arn, "PolicyDocument": ALLOW_S3}),
    )
    .expect_err("limit");
    assert_eq!(e.code, "LimitExceeded");
    let e = call(
        &s,
        "DeletePolicyVersion",
        json!({"PolicyArn": arn, "VersionId": "v1"}),
    )
    .expect_err("default");
    assert_eq!(e.code, "DeleteConflict");
    ok(call(
        &s,
        "SetDefaultPolicyVersion",
        json!({"PolicyArn": arn, "VersionId": "v3"}),
    ));
    ok(call(
        &s,
        "DeletePolicyVersion",
        json!({"PolicyArn": arn, "VersionId": "v1"}),
    ));
    let v = ok(call(
        &s,
        "CreatePolicyVersion",
        json!({"PolicyArn": arn, "PolicyDocument": ALLOW_S3, "SetAsDefault": true}),
    ));
    assert_eq!(v["PolicyVersion"]["VersionId"], "v6");
    assert_eq!(v["PolicyVersion"]["IsDefaultVersion"], true);
    let listed = ok(call(&s, "ListPolicyVersions", json!({"PolicyArn": arn})));
    assert_eq!(listed["Versions"].as_array().map(Vec::len), Some(5));
    // Still more than one version: cannot delete the policy.
    assert_eq!(
        code(call(&s, "DeletePolicy", json!({"PolicyArn": arn}))),
        "DeleteConflict"
    );
}

#[test]
fn attached_policies_count_and_block_deletion() {
    let s = svc();
    user(&s, "kim");
    let p = ok(call(
        &s,
        "CreatePolicy",
        json!({"PolicyName": "p", "PolicyDocument": ALLOW_S3}),
    ));
    let arn = p["Policy"]["Arn"].as_str().expect("arn").to_string();
    ok(call(
        &s,
        "AttachUserPolicy",
        json!({"UserName": "kim", "PolicyArn": arn}),
    ));
    let got = ok(call(&s, "GetPolicy", json!({"PolicyArn": arn})));
    assert_eq!(got["Policy"]["AttachmentCount"], 1);
    let e = call(&s, "DeletePolicy", json!({"PolicyArn": arn})).expect_err("attached");
    assert_eq!(e.code, "DeleteConflict");
    let ents = ok(call(&s, "ListEntitiesForPolicy", json!({"PolicyArn": arn})));
    assert_eq!(ents["PolicyUsers"][0]["UserName"], "kim");
    ok(call(
        &s,
        "DetachUserPolicy",
        json!({"UserName": "kim", "PolicyArn": arn}),
    ));
    assert_eq!(
        code(call(
            &s,
            "DetachUserPolicy",
            json!({"UserName": "kim", "PolicyArn": arn})
        )),
        "NoSuchEntity"
    );
    ok(call(&s, "DeletePolicy", json!({"PolicyArn": arn})));
    assert_eq!(
        code(call(&s, "GetPolicy", json!({"PolicyArn": arn}))),
        "NoSuchEntity"
    );
}

#[test]
fn an_identity_attaches_at_most_ten_managed_policies() {
    let s = svc();
    user(&s, "lee");
    for i in 0..11 {
        ok(call(
            &s,
            "CreatePolicy",
            json!({"PolicyName": format!("p{i}"), "PolicyDocument": ALLOW_S3}),
        ));
    }
    for i in 0..10 {
        ok(call(
            &s,
            "AttachUserPolicy",
            json!({"UserName": "lee", "PolicyArn": format!("arn:aws:iam::{ACCT}:policy/p{i}")}),
        ));
    }
    let e = call(
        &s,
        "AttachUserPolicy",
        json!({"UserName": "lee", "PolicyArn": format!("arn:aws:iam::{ACCT}:policy/p10")}),
    )
    .expect_err("limit");
    assert_eq!(e.code, "LimitExceeded");
    assert_eq!(e.message, "Cannot exceed quota for PoliciesPerUser: 10");
    let page = ok(call(
        &s,
        "ListAttachedUserPolicies",
        json!({"UserName": "lee", "MaxItems": 4}),
    ));
    assert_eq!(page["IsTruncated"], true);
    assert_eq!(page["AttachedPolicies"].as_array().map(Vec::len), Some(4));
}

#[test]
fn aws_managed_policies_are_readable_attachable_and_not_deletable() {
    let s = svc();
    user(&s, "mia");
    let arn = "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess";
    let p = ok(call(&s, "GetPolicy", json!({"PolicyArn": arn})));
    assert_eq!(p["Policy"]["PolicyName"], "AmazonS3ReadOnlyAccess");
    ok(call(
        &s,
        "AttachUserPolicy",
        json!({"UserName": "mia", "PolicyArn": arn}),
    ));
    let e = call(&s, "DeletePolicy", json!({"PolicyArn": arn})).expect_err("aws");
    assert_eq!(e.status, 403);
    let only = ok(call(
        &s,
        "ListPolicies",
        json!({"Scope": "AWS", "OnlyAttached": true}),
    ));
    assert_eq!(only["Policies"].as_array().map(Vec::len), Some(1));
    let v = ok(call(
        &s,
        "GetPolicyVersion",
        json!({"PolicyArn": arn, "VersionId": p["Policy"]["DefaultVersionId"]}),
    ));
    assert!(v["PolicyVersion"]["Document"]
        .as_str()
        .is_some_and(|d| d.contains("s3%3AGet")));
}

#[test]
fn roles_validate_trust_policies_and_session_durations() {
    let s = svc();
    let r = ok(call(
        &s,
        "CreateRole",
        json!({"RoleName": "web", "Path": "/app/", "AssumeRolePolicyDocument": TRUST_EC2, "MaxSessionDuration": 7200}),
    ));
    assert_eq!(r["Role"]["Arn"], "arn:aws:iam::000000000000:role/app/web");
    assert!(r["Role"]["RoleId"]
        .as_str()
        .is_some_and(|i| i.starts_with("AROA")));
    assert_eq!(
        code(call(
            &s,
            "CreateRole",
            json!({"RoleName": "web", "AssumeRolePolicyDocument": TRUST_EC2})
        )),
        "EntityAlreadyExists"
    );
    assert_eq!(
        code(call(
            &s,
            "UpdateRole",
            json!({"RoleName": "web", "MaxSessionDuration": 60})
        )),
        "ValidationError"
    );
    let info = s.role(ACCT, "web").expect("role");
    assert_eq!(info.max_session_duration_secs, 7200);
    assert_eq!(info.path, "/app/");
    let got = ok(call(&s, "GetRole", json!({"RoleName": "web"})));
    assert_eq!(
        got["Role"]["AssumeRolePolicyDocument"],
        util::encode_document(TRUST_EC2)
    );
}

#[test]
fn instance_profiles_hold_one_role() {
    let s = svc();
    ok(call(
        &s,
        "CreateRole",
        json!({"RoleName": "a", "AssumeRolePolicyDocument": TRUST_EC2}),
    ));
    ok(call(
        &s,
        "CreateRole",
        json!({"RoleName": "b", "AssumeRolePolicyDocument": TRUST_EC2}),
    ));
    let p = ok(call(
        &s,
        "CreateInstanceProfile",
        json!({"InstanceProfileName": "ip"}),
    ));
    assert!(p["InstanceProfile"]["InstanceProfileId"]
        .as_str()
        .is_some_and(|i| i.starts_with("AIPA")));
    ok(call(
        &s,
        "AddRoleToInstanceProfile",
        json!({"InstanceProfileName": "ip", "RoleName": "a"}),
    ));
    let e = call(
        &s,
        "AddRoleToInstanceProfile",
        json!({"InstanceProfileName": "ip", "RoleName": "b"}),
    )
    .expect_err("one role");
    assert_eq!(e.code, "LimitExceeded");
    assert_eq!(
        code(call(&s, "DeleteRole", json!({"RoleName": "a"}))),
        "DeleteConflict"
    );
    assert_eq!(
        code(call(
            &s,
            "DeleteInstanceProfile",
            json!({"InstanceProfileName": "ip"})
        )),
        "DeleteConflict"
    );
    let for_role = ok(call(
        &s,
        "ListInstanceProfilesForRole",
        json!({"RoleName": "a"}),
    ));
    assert_eq!(for_role["InstanceProfiles"][0]["Roles"][0]["RoleName"], "a");
    ok(call(
        &s,
        "RemoveRoleFromInstanceProfile",
        json!({"InstanceProfileName": "ip", "RoleName": "a"}),
    ));
    ok(call(
        &s,
        "DeleteInstanceProfile",
        json!({"InstanceProfileName": "ip"}),
    ));
    ok(call(&s, "DeleteRole", json!({"RoleName": "a"})));
}

#[test]
fn listings_page_with_marker_and_max_items() {
    let s = svc();
    for i in 0..5 {
        user(&s, &format!("u{i}"));
    }
    let first = ok(call(&s, "ListUsers", json!({"MaxItems": 2})));
    assert_eq!(first["IsTruncated"], true);
    let names = |v: &Value| -> Vec<String> {
        v["Users"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|u| u["UserName"].as_str().map(String::from))
                    .collect()
            })
            .unwrap_or_default()
    };
    assert_eq!(names(&first), vec!["u0", "u1"]);
    let second = ok(call(
        &s,
        "ListUsers",
        json!({"MaxItems": 2, "Marker": first["Marker"]}),
    ));
    assert_eq!(names(&second), vec!["u2", "u3"]);
    let third = ok(call(
        &s,
        "ListUsers",
        json!({"MaxItems": 2, "Marker": second["Marker"]}),
    ));
    assert_eq!(names(&third), vec!["u4"]);
    assert_eq!(third["IsTruncated"], false);
    assert!(third.get("Marker").is_none());
}

#[test]
fn user_authz_gathers_inline_attached_group_policies_and_boundary() {
    let s = svc();
    ok(call(
        &s,
        "CreateUser",
        json!({"UserName": "nia", "Tags": [{"Key": "team", "Value": "red"}]}),
    ));
    ok(call(
        &s,
        "PutUserPolicy",
        json!({"UserName": "nia", "PolicyName": "i", "PolicyDocument": ALLOW_S3}),
    ));
    ok(call(
        &s,
        "AttachUserPolicy",
        json!({"UserName": "nia", "PolicyArn": "arn:aws:iam::aws:policy/AdministratorAccess"}),
    ));
    ok(call(&s, "CreateGroup", json!({"GroupName": "g"})));
    ok(call(
        &s,
        "PutGroupPolicy",
        json!({"GroupName": "g", "PolicyName": "gi", "PolicyDocument": ALLOW_S3}),
    ));
    ok(call(
        &s,
        "AddUserToGroup",
        json!({"GroupName": "g", "UserName": "nia"}),
    ));
    ok(call(
        &s,
        "PutUserPermissionsBoundary",
        json!({"UserName": "nia", "PermissionsBoundary": "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"}),
    ));
    let a = s.user_authz(ACCT, "nia").expect("user");
    assert_eq!(a.identity.len(), 3);
    assert!(a.boundary.is_some());
    assert_eq!(a.tags, vec![("team".to_string(), "red".to_string())]);
    // A write drops the cache: the next answer sees it.
    ok(call(
        &s,
        "DeleteUserPermissionsBoundary",
        json!({"UserName": "nia"}),
    ));
    assert!(s.user_authz(ACCT, "nia").expect("user").boundary.is_none());
    assert!(s.user_authz(ACCT, "nobody").is_none());
}

#[test]
fn cached_user_authz_costs_microseconds() {
    let s = svc();
    user(&s, "olga");
    for i in 0..10 {
        ok(call(
            &s,
            "CreatePolicy",
            json!({"PolicyName": format!("p{i}"), "PolicyDocument": ALLOW_S3}),
        ));
        ok(call(
            &s,
            "AttachUserPolicy",
            json!({"UserName": "olga", "PolicyArn": format!("arn:aws:iam::{ACCT}:policy/p{i}")}),
        ));
    }
    assert_eq!(
        s.user_authz(ACCT, "olga").map(|a| a.identity.len()),
        Some(10)
    );
    let n = 10_000;
    let start = std::time::Instant::now();
    for _ in 0..n {
        std::hint::black_box(s.user_authz(ACCT, "olga"));
    }
    let per_call = start.elapsed() / n;
    assert!(
        per_call < std::time::Duration::from_micros(50),
        "{per_call:?} per call"
    );
}

#[test]
fn state_survives_reopening_a_file_store() {
    let dir = std::env::temp_dir().join(format!("gureum-iam-test-{}", gureum_core::id::hex(12)));
    {
        let s = IamService::new(Store::open(&dir).expect("open"));
        user(&s, "pat");
        ok(call(&s, "CreateAccessKey", json!({"UserName": "pat"})));
    }
    {
        let s = IamService::new(Store::open(&dir).expect("reopen"));
        let u = ok(call(&s, "GetUser", json!({"UserName": "pat"})));
        assert_eq!(u["User"]["UserName"], "pat");
        let keys = ok(call(&s, "ListAccessKeys", json!({"UserName": "pat"})));
        assert_eq!(keys["AccessKeyMetadata"].as_array().map(Vec::len), Some(1));
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn unlisted_operations_are_not_implemented() {
    let s = svc();
    let e = call(&s, "CreateDelegationRequest", json!({})).expect_err("ni");
    assert_eq!((e.code.as_str(), e.status), ("NotImplemented", 501));
}

fn mfa_secret(s: &IamService, name: &str) -> (String, Vec<u8>) {
    use base64::Engine;
    let out = ok(call(
        s,
        "CreateVirtualMFADevice",
        json!({"VirtualMFADeviceName": name}),
    ));
    let d = &out["VirtualMFADevice"];
    assert!(d["QRCodePNG"].as_str().is_some_and(|png| !png.is_empty()));
    let seed = base64::engine::general_purpose::STANDARD
        .decode(d["Base32StringSeed"].as_str().expect("seed"))
        .expect("base64");
    let secret = mfa::base32_decode(std::str::from_utf8(&seed).expect("ascii")).expect("base32");
    (
        d["SerialNumber"].as_str().expect("serial").to_string(),
        secret,
    )
}

#[test]
fn enabling_mfa_needs_two_consecutive_valid_codes() {
    let s = svc();
    user(&s, "quinn");
    let (serial, secret) = mfa_secret(&s, "quinn-phone");
    assert_eq!(serial, "arn:aws:iam::000000000000:mfa/quinn-phone");
    let step = (root().clock.now_millis() / 30_000) as u64;
    let e = call(
        &s,
        "EnableMFADevice",
        json!({"UserName": "quinn", "SerialNumber": serial,
               "AuthenticationCode1": "000000", "AuthenticationCode2": "111111"}),
    )
    .expect_err("bad codes");
    assert_eq!(
        (e.code.as_str(), e.status),
        ("InvalidAuthenticationCode", 403)
    );
    ok(call(
        &s,
        "EnableMFADevice",
        json!({"UserName": "quinn", "SerialNumber": serial,
               "AuthenticationCode1": totp(&secret, step - 1),
               "AuthenticationCode2": totp(&secret, step)}),
    ));
    let devices = ok(call(&s, "ListMFADevices", json!({"UserName": "quinn"})));
    assert_eq!(devices["MFADevices"][0]["SerialNumber"], serial);
    let assigned = ok(call(
        &s,
        "ListVirtualMFADevices",
        json!({"AssignmentStatus": "Assigned"}),
    ));
    assert_eq!(
        assigned["VirtualMFADevices"][0]["User"]["UserName"],
        "quinn"
    );
    let now = root().clock.now_millis();
    assert!(s.verify_mfa_code(ACCT, &serial, &totp(&secret, (now / 30_000) as u64), now));
    assert!(!s.verify_mfa_code(ACCT, &serial, "123456x", now));
    assert_eq!(
        code(call(
            &s,
            "DeleteVirtualMFADevice",
            json!({"SerialNumber": serial})
        )),
        "DeleteConflict"
    );
    assert_eq!(
        code(call(&s, "DeleteUser", json!({"UserName": "quinn"}))),
        "DeleteConflict"
    );
    ok(call(
        &s,
        "DeactivateMFADevice",
        json!({"UserName": "quinn", "SerialNumber": serial}),
    ));
    ok(call(
        &s,
        "DeleteVirtualMFADevice",
        json!({"SerialNumber": serial}),
    ));
}

#[test]
fn the_credential_report_has_aws_header_and_a_root_row() {
    use base64::Engine;
    let s = svc();
    user(&s, "rita");
    ok(call(&s, "CreateAccessKey", json!({"UserName": "rita"})));
    assert_eq!(
        code(call(&s, "GetCredentialReport", json!({}))),
        "ReportNotPresent"
    );
    let first = ok(call(&s, "GenerateCredentialReport", json!({})));
    assert_eq!(first["State"], "STARTED");
    let second = ok(call(&s, "GenerateCredentialReport", json!({})));
    assert_eq!(second["State"], "COMPLETE");
    let report = ok(call(&s, "GetCredentialReport", json!({})));
    assert_eq!(report["ReportFormat"], "text/csv");
    let csv = base64::engine::general_purpose::STANDARD
        .decode(report["Content"].as_str().expect("content"))
        .expect("base64");
    let csv = String::from_utf8(csv).expect("utf8");
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines[0], credential_report::HEADER);
    assert_eq!(lines[0].split(',').count(), 22);
    assert!(lines[1].starts_with("<root_account>,arn:aws:iam::000000000000:root,"));
    let rita: Vec<&str> = lines[2].split(',').collect();
    assert_eq!(rita.len(), 22);
    assert_eq!((rita[0], rita[3], rita[8]), ("rita", "false", "true"));
}

#[test]
fn passwords_must_satisfy_the_account_password_policy() {
    let s = svc();
    user(&s, "sam");
    let e = call(&s, "GetAccountPasswordPolicy", json!({})).expect_err("none yet");
    assert_eq!(
        e.message,
        "The Password Policy with domain name 000000000000 cannot be found."
    );
    ok(call(
        &s,
        "UpdateAccountPasswordPolicy",
        json!({"MinimumPasswordLength": 12, "RequireNumbers": true, "RequireSymbols": true}),
    ));
    let p = ok(call(&s, "GetAccountPasswordPolicy", json!({})));
    assert_eq!(p["PasswordPolicy"]["MinimumPasswordLength"], 12);
    let e = call(
        &s,
        "CreateLoginProfile",
        json!({"UserName": "sam", "Password": "short1!"}),
    )
    .expect_err("too short");
    assert_eq!(
        (e.code.as_str(), e.status),
        ("PasswordPolicyViolation", 400)
    );
    assert_eq!(
        code(call(
            &s,
            "CreateLoginProfile",
            json!({"UserName": "sam", "Password": "longenoughpassword!"})
        )),
        "PasswordPolicyViolation"
    );
    let lp = ok(call(
        &s,
        "CreateLoginProfile",
        json!({"UserName": "sam", "Password": "longenough-passw0rd", "PasswordResetRequired": true}),
    ));
    assert_eq!(lp["LoginProfile"]["PasswordResetRequired"], true);
    assert_eq!(
        code(call(
            &s,
            "CreateLoginProfile",
            json!({"UserName": "sam", "Password": "longenough-passw0rd"})
        )),
        "EntityAlreadyExists"
    );
    let mut ctx = root();
    ctx.principal = Principal::User {
        account_id: ACCT.into(),
        name: "sam".into(),
        user_id: "AIDAEXAMPLE".into(),
        path: "/".into(),
    };
    ok(call_as(
        &s,
        &ctx,
        "ChangePassword",
        json!({"OldPassword": "longenough-passw0rd", "NewPassword": "another-passw0rd!"}),
    ));
    assert_eq!(
        code(call(&s, "DeleteUser", json!({"UserName": "sam"}))),
        "DeleteConflict"
    );
    ok(call(&s, "DeleteLoginProfile", json!({"UserName": "sam"})));
    ok(call(&s, "DeleteAccountPasswordPolicy", json!({})));
}

#[test]
fn tags_are_limited_to_fifty_and_replaced_by_key() {
    let s = svc();
    user(&s, "tia");
    ok(call(
        &s,
        "TagUser",
        json!({"UserName": "tia", "Tags": [{"Key": "env", "Value": "dev"}]}),
    ));
    ok(call(
        &s,
        "TagUser",
        json!({"UserName": "tia", "Tags": [{"Key": "ENV", "Value": "prod"}]}),
    ));
    let tags = ok(call(&s, "ListUserTags", json!({"UserName": "tia"})));
    assert_eq!(tags["Tags"], json!([{"Key": "ENV", "Value": "prod"}]));
    let many: Vec<Value> = (0..50)
        .map(|i| json!({"Key": format!("k{i}"), "Value": "v"}))
        .collect();
    let e = call(&s, "TagUser", json!({"UserName": "tia", "Tags": many})).expect_err("51 tags");
    assert_eq!(e.code, "LimitExceeded");
    assert_eq!(
        code(call(
            &s,
            "TagUser",
            json!({"UserName": "tia", "Tags": [{"Key": "aws:x", "Value": "v"}]})
        )),
        "InvalidInput"
    );
    ok(call(
        &s,
        "UntagUser",
        json!({"UserName": "tia", "TagKeys": ["env"]}),
    ));
    let tags = ok(call(&s, "ListUserTags", json!({"UserName": "tia"})));
    assert_eq!(tags["Tags"], json!([]));
    ok(call(
        &s,
        "CreateRole",
        json!({"RoleName": "r", "AssumeRolePolicyDocument": TRUST_EC2}),
    ));
    ok(call(
        &s,
        "TagRole",
        json!({"RoleName": "r", "Tags": [{"Key": "team", "Value": "x"}]}),
    ));
    assert_eq!(
        s.role(ACCT, "r").expect("role").tags,
        vec![("team".into(), "x".into())]
    );
}

#[test]
fn account_alias_summary_and_authorization_details() {
    let s = svc();
    ok(call(
        &s,
        "CreateAccountAlias",
        json!({"AccountAlias": "my-company"}),
    ));
    assert_eq!(
        code(call(
            &s,
            "CreateAccountAlias",
            json!({"AccountAlias": "Bad_Alias"})
        )),
        "ValidationError"
    );
    let aliases = ok(call(&s, "ListAccountAliases", json!({})));
    assert_eq!(aliases["AccountAliases"], json!(["my-company"]));
    user(&s, "uma");
    ok(call(
        &s,
        "AttachUserPolicy",
        json!({"UserName": "uma", "PolicyArn": "arn:aws:iam::aws:policy/ReadOnlyAccess"}),
    ));
    ok(call(
        &s,
        "CreateRole",
        json!({"RoleName": "r", "AssumeRolePolicyDocument": TRUST_EC2}),
    ));
    let summary = ok(call(&s, "GetAccountSummary", json!({})));
    assert_eq!(summary["SummaryMap"]["Users"], 1);
    assert_eq!(summary["SummaryMap"]["Roles"], 1);
    assert_eq!(summary["SummaryMap"]["AccessKeysPerUserQuota"], 2);
    assert_eq!(summary["SummaryMap"]["GroupsPerUserQuota"], 10);
    let details = ok(call(&s, "GetAccountAuthorizationDetails", json!({})));
    assert_eq!(
        details["UserDetailList"][0]["AttachedManagedPolicies"][0]["PolicyName"],
        "ReadOnlyAccess"
    );
    assert_eq!(details["RoleDetailList"][0]["RoleName"], "r");
    assert_eq!(details["Policies"][0]["PolicyName"], "ReadOnlyAccess");
    let only_roles = ok(call(
        &s,
        "GetAccountAuthorizationDetails",
        json!({"Filter": ["Role"]}),
    ));
    assert_eq!(only_roles["UserDetailList"], json!([]));
    ok(call(
        &s,
        "DeleteAccountAlias",
        json!({"AccountAlias": "my-company"}),
    ));
    assert_eq!(
        code(call(
            &s,
            "DeleteAccountAlias",
            json!({"AccountAlias": "my-company"})
        )),
        "NoSuchEntity"
    );
}

#[test]
fn simulation_reports_allowed_explicit_and_implicit_denies() {
    let s = svc();
    user(&s, "vic");
    ok(call(
        &s,
        "PutUserPolicy",
        json!({"UserName": "vic", "PolicyName": "s3", "PolicyDocument": ALLOW_S3}),
    ));
    let deny = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"s3:DeleteBucket","Resource":"*"}]}"#;
    ok(call(
        &s,
        "PutUserPolicy",
        json!({"UserName": "vic", "PolicyName": "nodelete", "PolicyDocument": deny}),
    ));
    let out = ok(call(
        &s,
        "SimulatePrincipalPolicy",
        json!({"PolicySourceArn": "arn:aws:iam::000000000000:user/vic",
               "ActionNames": ["s3:GetObject", "s3:DeleteBucket", "ec2:RunInstances"]}),
    ));
    let r = &out["EvaluationResults"];
    assert_eq!(r[0]["EvalDecision"], "allowed");
    assert_eq!(r[0]["MatchedStatements"][0]["SourcePolicyId"], "s3");
    assert_eq!(r[0]["EvalResourceName"], "*");
    assert_eq!(r[1]["EvalDecision"], "explicitDeny");
    assert_eq!(r[2]["EvalDecision"], "implicitDeny");
    let custom = ok(call(
        &s,
        "SimulateCustomPolicy",
        json!({"PolicyInputList": [r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"Bool":{"aws:MultiFactorAuthPresent":"true"}}}]}"#],
               "ActionNames": ["s3:GetObject"],
               "ContextEntries": [{"ContextKeyName": "aws:MultiFactorAuthPresent", "ContextKeyValues": ["true"], "ContextKeyType": "boolean"}]}),
    ));
    assert_eq!(custom["EvaluationResults"][0]["EvalDecision"], "allowed");
    assert_eq!(
        code(call(
            &s,
            "SimulatePrincipalPolicy",
            json!({"PolicySourceArn": "arn:aws:iam::000000000000:user/nobody", "ActionNames": ["s3:GetObject"]})
        )),
        "NoSuchEntity"
    );
}

#[test]
fn iam_operations_are_authorized_on_the_entity_they_name() {
    use gureum_core::service::{Authorization, AuthzTarget};
    let s = svc();
    ok(call(
        &s,
        "CreateGroup",
        json!({"GroupName": "ops", "Path": "/team/"}),
    ));
    let a = s.authorization(
        &root(),
        "AddUserToGroup",
        &json!({"GroupName": "ops", "UserName": "x"}),
    );
    assert_eq!(
        a,
        Authorization::Targets(vec![AuthzTarget::new(
            "iam:AddUserToGroup",
            "arn:aws:iam::000000000000:group/team/ops"
        )])
    );
    assert_eq!(
        s.authorization(&root(), "ListUsers", &json!({})),
        Authorization::Default
    );
    assert_eq!(
        s.authorization(
            &root(),
            "CreateServiceLinkedRole",
            &json!({"AWSServiceName": "autoscaling.amazonaws.com"})
        ),
        Authorization::Targets(vec![AuthzTarget::new(
            "iam:CreateServiceLinkedRole",
            "arn:aws:iam::000000000000:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling"
        )])
    );
    assert_eq!(
        s.authorization(
            &root(),
            "UploadServerCertificate",
            &json!({"ServerCertificateName": "web", "Path": "/cloudfront/"})
        ),
        Authorization::Targets(vec![AuthzTarget::new(
            "iam:UploadServerCertificate",
            "arn:aws:iam::000000000000:server-certificate/cloudfront/web"
        )])
    );
}

/// Follows `Marker`s until the last page; every item's `field`.
fn all_pages(s: &IamService, op: &str, mut input: Value, list: &str, field: &str) -> Vec<String> {
    let mut seen = Vec::new();
    loop {
        let out = ok(call(s, op, input.clone()));
        for item in out[list].as_array().expect("list") {
            seen.push(item[field].as_str().expect("field").to_string());
        }
        match out.get("Marker") {
            Some(m) => input["Marker"] = m.clone(),
            None => {
                assert_eq!(out["IsTruncated"], false);
                return seen;
            }
        }
    }
}

#[test]
fn list_policies_pages_through_aws_then_local_policies_once_each() {
    let s = svc();
    for i in 0..7 {
        ok(call(
            &s,
            "CreatePolicy",
            json!({"PolicyName": format!("mine{i}"), "PolicyDocument": ALLOW_S3}),
        ));
    }
    let whole = ok(call(&s, "ListPolicies", json!({"MaxItems": 1000})));
    let aws = crate::catalogue::all().len();
    let paged = all_pages(
        &s,
        "ListPolicies",
        json!({"MaxItems": 3}),
        "Policies",
        "PolicyName",
    );
    let mut unique = paged.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(paged.len(), unique.len(), "no policy twice");
    assert_eq!(paged.len(), aws + 7);
    assert_eq!(
        &paged[aws..],
        ["mine0", "mine1", "mine2", "mine3", "mine4", "mine5", "mine6"]
    );
    let local = all_pages(
        &s,
        "ListPolicies",
        json!({"MaxItems": 2, "Scope": "Local"}),
        "Policies",
        "PolicyName",
    );
    assert_eq!(local.len(), 7);
    assert!(whole["Policies"].as_array().is_some_and(|a| !a.is_empty()));
}

#[test]
fn filtered_listings_fill_each_page_with_matches() {
    let s = svc();
    for i in 0..6 {
        let path = if i % 2 == 0 { "/team/" } else { "/" };
        ok(call(
            &s,
            "CreateUser",
            json!({"UserName": format!("f{i}"), "Path": path}),
        ));
    }
    let first = ok(call(
        &s,
        "ListUsers",
        json!({"MaxItems": 2, "PathPrefix": "/team/"}),
    ));
    assert_eq!(first["Users"].as_array().map(Vec::len), Some(2));
    let all = all_pages(
        &s,
        "ListUsers",
        json!({"MaxItems": 2, "PathPrefix": "/team/"}),
        "Users",
        "UserName",
    );
    assert_eq!(all, ["f0", "f2", "f4"]);
}

#[test]
fn max_items_outside_one_to_a_thousand_is_refused_with_aws_wording() {
    let s = svc();
    let e = call(&s, "ListUsers", json!({"MaxItems": 0})).expect_err("0 items");
    assert_eq!(e.code, "ValidationError");
    assert_eq!(
        e.message,
        "1 validation error detected: Value '0' at 'maxItems' failed to satisfy constraint: Member must have value greater than or equal to 1"
    );
}

#[test]
fn list_entities_for_policy_pages_through_groups_roles_and_users_once_each() {
    let s = svc();
    let arn = ok(call(
        &s,
        "CreatePolicy",
        json!({"PolicyName": "shared", "PolicyDocument": ALLOW_S3}),
    ))["Policy"]["Arn"]
        .as_str()
        .expect("arn")
        .to_string();
    for i in 0..3 {
        ok(call(
            &s,
            "CreateGroup",
            json!({"GroupName": format!("g{i}")}),
        ));
        ok(call(
            &s,
            "AttachGroupPolicy",
            json!({"GroupName": format!("g{i}"), "PolicyArn": arn}),
        ));
        user(&s, &format!("u{i}"));
        ok(call(
            &s,
            "AttachUserPolicy",
            json!({"UserName": format!("u{i}"), "PolicyArn": arn}),
        ));
    }
    for i in 0..2 {
        ok(call(
            &s,
            "CreateRole",
            json!({"RoleName": format!("r{i}"), "AssumeRolePolicyDocument": TRUST_EC2}),
        ));
        ok(call(
            &s,
            "AttachRolePolicy",
            json!({"RoleName": format!("r{i}"), "PolicyArn": arn}),
        ));
    }
    // Page sizes that end a page mid-source and exactly at a source's end.
    for size in [1, 2, 3, 5, 8] {
        let mut input = json!({"PolicyArn": arn, "MaxItems": size});
        let mut seen = Vec::new();
        loop {
            let out = ok(call(&s, "ListEntitiesForPolicy", input.clone()));
            for (list, field) in [
                ("PolicyGroups", "GroupName"),
                ("PolicyRoles", "RoleName"),
                ("PolicyUsers", "UserName"),
            ] {
                for e in out[list].as_array().expect("list") {
                    seen.push(e[field].as_str().expect("name").to_string());
                }
            }
            match out.get("Marker") {
                Some(m) => input["Marker"] = m.clone(),
                None => break,
            }
        }
        assert_eq!(
            seen,
            ["g0", "g1", "g2", "r0", "r1", "u0", "u1", "u2"],
            "MaxItems {size}"
        );
    }
}
