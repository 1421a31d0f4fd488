//! Races between an operation that creates a reference and one that
//! deletes its target. Each round starts both on two threads at once (a
//! barrier), then checks the invariant DeletePolicy/DeleteGroup/DeleteRole/
//! DeleteUser promise: nothing is left referring to a deleted entity.

use super::*;
use gureum_core::{Clock, OpResult, RequestContext, Value};
use serde_json::json;
use std::future::Future;
use std::sync::{Arc, Barrier};

const ACCT: &str = "000000000000";
const ROUNDS: usize = 1_000;
const DOC: &str =
    r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}"#;
const TRUST: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;

fn call(s: &IamService, op: &str, input: Value) -> OpResult {
    use gureum_core::Service;
    let ctx = RequestContext::root(ACCT, "us-east-1", Clock::system());
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    let mut f = std::pin::pin!(s.call(&ctx, op, input));
    match f.as_mut().poll(&mut cx) {
        std::task::Poll::Ready(v) => v,
        std::task::Poll::Pending => panic!("handler future was not ready"),
    }
}

fn ok(r: OpResult) -> Value {
    r.unwrap_or_else(|e| panic!("unexpected error: {e}"))
}

/// One side of a race, run each round.
type Step = dyn Fn(&IamService, usize) + Send + Sync;

/// Runs `ROUNDS` rounds: `setup(round)`, then `a(round)` and `b(round)` on
/// two threads released together, then `broken(round)`; returns how many
/// rounds broke the invariant.
fn race(
    s: Arc<IamService>,
    setup: impl Fn(&IamService, usize),
    a: impl Fn(&IamService, usize) + Send + Sync + 'static,
    b: impl Fn(&IamService, usize) + Send + Sync + 'static,
    broken: impl Fn(&IamService, usize) -> bool,
) -> usize {
    let start = Arc::new(Barrier::new(3));
    let done = Arc::new(Barrier::new(3));
    let spawn = |f: Arc<Step>| {
        let (s, start, done) = (s.clone(), start.clone(), done.clone());
        std::thread::spawn(move || {
            for round in 0..ROUNDS {
                start.wait();
                f(&s, round);
                done.wait();
            }
        })
    };
    let ta = spawn(Arc::new(a));
    let tb = spawn(Arc::new(b));
    let mut failures = 0;
    for round in 0..ROUNDS {
        setup(&s, round);
        start.wait();
        done.wait();
        if broken(&s, round) {
            failures += 1;
        }
    }
    ta.join().expect("thread a");
    tb.join().expect("thread b");
    failures
}

fn policy_arn(round: usize) -> String {
    format!("arn:aws:iam::{ACCT}:policy/p{round}")
}

fn exists(s: &IamService, op: &str, input: Value) -> bool {
    call(s, op, input).is_ok()
}

#[test]
fn attach_racing_delete_policy_never_leaves_an_attachment_to_a_deleted_policy() {
    let s = Arc::new(IamService::new(Store::in_memory().expect("store")));
    ok(call(&s, "CreateUser", json!({"UserName": "u"})));
    ok(call(
        &s,
        "CreateRole",
        json!({"RoleName": "r", "AssumeRolePolicyDocument": TRUST}),
    ));
    ok(call(&s, "CreateGroup", json!({"GroupName": "g"})));
    let setup = |s: &IamService, round: usize| {
        ok(call(
            s,
            "CreatePolicy",
            json!({"PolicyName": format!("p{round}"), "PolicyDocument": DOC}),
        ));
    };
    // Each round attaches to one kind of identity, in turn.
    let attach = |s: &IamService, round: usize| {
        let arn = policy_arn(round);
        let _ = match round % 3 {
            0 => call(
                s,
                "AttachUserPolicy",
                json!({"UserName": "u", "PolicyArn": arn}),
            ),
            1 => call(
                s,
                "AttachRolePolicy",
                json!({"RoleName": "r", "PolicyArn": arn}),
            ),
            _ => call(
                s,
                "AttachGroupPolicy",
                json!({"GroupName": "g", "PolicyArn": arn}),
            ),
        };
    };
    let delete = |s: &IamService, round: usize| {
        let _ = call(s, "DeletePolicy", json!({"PolicyArn": policy_arn(round)}));
    };
    let broken = |s: &IamService, round: usize| {
        let arn = policy_arn(round);
        let deleted = !exists(s, "GetPolicy", json!({"PolicyArn": arn}));
        let attached: Vec<String> = ["u", "r", "g"]
            .iter()
            .zip([
                "ListAttachedUserPolicies",
                "ListAttachedRolePolicies",
                "ListAttachedGroupPolicies",
            ])
            .zip(["UserName", "RoleName", "GroupName"])
            .flat_map(|((name, op), member)| {
                let out = ok(call(s, op, json!({ member: name })));
                out["AttachedPolicies"]
                    .as_array()
                    .cloned()
                    .unwrap_or_default()
            })
            .filter_map(|p| p["PolicyArn"].as_str().map(str::to_string))
            .collect();
        // ListAttached* hides dangling ARNs, so read the records directly.
        let dangling = s
            .users
            .get("000000000000/u")
            .ok()
            .flatten()
            .is_some_and(|u| u.attached_policies.contains(&arn))
            || s.roles
                .get("000000000000/r")
                .ok()
                .flatten()
                .is_some_and(|r| r.attached_policies.contains(&arn))
            || s.groups
                .get("000000000000/g")
                .ok()
                .flatten()
                .is_some_and(|g| g.attached_policies.contains(&arn));
        let is_broken = deleted && dangling;
        // Detach (when the policy survived) so the next round starts clean.
        if !deleted && attached.contains(&arn) {
            let _ = call(
                s,
                "DetachUserPolicy",
                json!({"UserName": "u", "PolicyArn": arn}),
            );
            let _ = call(
                s,
                "DetachRolePolicy",
                json!({"RoleName": "r", "PolicyArn": arn}),
            );
            let _ = call(
                s,
                "DetachGroupPolicy",
                json!({"GroupName": "g", "PolicyArn": arn}),
            );
        }
        // A dangling ARN would count against the quota of 10: clear it.
        if is_broken {
            let _ = s.store.write(|txn| {
                for (t, k) in [
                    ("u", "000000000000/u"),
                    ("r", "000000000000/r"),
                    ("g", "000000000000/g"),
                ] {
                    match t {
                        "u" => {
                            if let Some(mut u) = txn.get(&s.users, k)? {
                                u.attached_policies.retain(|a| a != &arn);
                                txn.put(&s.users, k, &u)?;
                            }
                        }
                        "r" => {
                            if let Some(mut r) = txn.get(&s.roles, k)? {
                                r.attached_policies.retain(|a| a != &arn);
                                txn.put(&s.roles, k, &r)?;
                            }
                        }
                        _ => {
                            if let Some(mut g) = txn.get(&s.groups, k)? {
                                g.attached_policies.retain(|a| a != &arn);
                                txn.put(&s.groups, k, &g)?;
                            }
                        }
                    }
                }
                Ok::<(), gureum_store::StoreError>(())
            });
        }
        if !deleted {
            let _ = call(s, "DeletePolicy", json!({"PolicyArn": arn}));
        }
        is_broken
    };
    let failures = race(s, setup, attach, delete, broken);
    assert_eq!(
        failures, 0,
        "{failures} of {ROUNDS} rounds left an attachment to a deleted policy"
    );
}

#[test]
fn put_boundary_racing_delete_policy_never_leaves_a_boundary_on_a_deleted_policy() {
    let s = Arc::new(IamService::new(Store::in_memory().expect("store")));
    ok(call(&s, "CreateUser", json!({"UserName": "u"})));
    let setup = |s: &IamService, round: usize| {
        ok(call(
            s,
            "CreatePolicy",
            json!({"PolicyName": format!("p{round}"), "PolicyDocument": DOC}),
        ));
    };
    let put = |s: &IamService, round: usize| {
        let _ = call(
            s,
            "PutUserPermissionsBoundary",
            json!({"UserName": "u", "PermissionsBoundary": policy_arn(round)}),
        );
    };
    let delete = |s: &IamService, round: usize| {
        let _ = call(s, "DeletePolicy", json!({"PolicyArn": policy_arn(round)}));
    };
    let broken = |s: &IamService, round: usize| {
        let arn = policy_arn(round);
        let deleted = !exists(s, "GetPolicy", json!({"PolicyArn": arn}));
        let user = ok(call(s, "GetUser", json!({"UserName": "u"})));
        let bounded = user["User"]["PermissionsBoundary"]["PermissionsBoundaryArn"] == json!(arn);
        let _ = call(s, "DeleteUserPermissionsBoundary", json!({"UserName": "u"}));
        if !deleted {
            let _ = call(s, "DeletePolicy", json!({"PolicyArn": arn}));
        }
        deleted && bounded
    };
    let failures = race(s, setup, put, delete, broken);
    assert_eq!(
        failures, 0,
        "{failures} of {ROUNDS} rounds left a boundary naming a deleted policy"
    );
}

#[test]
fn enable_mfa_racing_delete_user_never_leaves_a_device_on_a_deleted_user() {
    let enabled = std::cell::Cell::new(0usize);
    let s = Arc::new(IamService::new(Store::in_memory().expect("store")));
    let setup = |s: &IamService, round: usize| {
        ok(call(
            s,
            "CreateUser",
            json!({"UserName": format!("u{round}")}),
        ));
        ok(call(
            s,
            "CreateVirtualMFADevice",
            json!({"VirtualMFADeviceName": format!("d{round}")}),
        ));
    };
    let enable = |s: &IamService, round: usize| {
        let serial = format!("arn:aws:iam::{ACCT}:mfa/d{round}");
        let Ok((_, d)) = s.device_by_serial(ACCT, &serial) else {
            return;
        };
        let secret = crate::mfa::base32_decode(&d.seed_base32).expect("seed");
        let step = (Clock::system().now_millis() / 1000 / 30) as u64;
        let _ = call(
            s,
            "EnableMFADevice",
            json!({"UserName": format!("u{round}"), "SerialNumber": serial,
                   "AuthenticationCode1": crate::totp(&secret, step - 1),
                   "AuthenticationCode2": crate::totp(&secret, step)}),
        );
    };
    let delete = |s: &IamService, round: usize| {
        let _ = call(s, "DeleteUser", json!({"UserName": format!("u{round}")}));
    };
    let broken = |s: &IamService, round: usize| {
        let user = format!("u{round}");
        let deleted = !exists(s, "GetUser", json!({"UserName": user}));
        let serial = format!("arn:aws:iam::{ACCT}:mfa/d{round}");
        let (_, d) = s.device_by_serial(ACCT, &serial).expect("device");
        let assigned = d.user.as_deref() == Some(user.as_str());
        if assigned && !deleted {
            enabled.set(enabled.get() + 1);
        }
        deleted && assigned
    };
    let failures = race(s, setup, enable, delete, broken);
    // The codes are right: some rounds enable before the delete.
    assert!(enabled.get() > 0, "no round enabled the device");
    assert_eq!(
        failures, 0,
        "{failures} of {ROUNDS} rounds left a device on a deleted user"
    );
}

#[test]
fn add_user_to_group_racing_delete_group_never_leaves_a_membership_of_a_deleted_group() {
    let s = Arc::new(IamService::new(Store::in_memory().expect("store")));
    ok(call(&s, "CreateUser", json!({"UserName": "u"})));
    let setup = |s: &IamService, round: usize| {
        ok(call(
            s,
            "CreateGroup",
            json!({"GroupName": format!("g{round}")}),
        ));
    };
    let add = |s: &IamService, round: usize| {
        let _ = call(
            s,
            "AddUserToGroup",
            json!({"GroupName": format!("g{round}"), "UserName": "u"}),
        );
    };
    let delete = |s: &IamService, round: usize| {
        let _ = call(s, "DeleteGroup", json!({"GroupName": format!("g{round}")}));
    };
    let broken = |s: &IamService, round: usize| {
        let group = format!("g{round}");
        let deleted = !exists(s, "GetGroup", json!({"GroupName": group}));
        let member = s
            .users
            .get(&format!("{ACCT}/u"))
            .ok()
            .flatten()
            .is_some_and(|u| u.groups.iter().any(|g| g.eq_ignore_ascii_case(&group)));
        if !deleted {
            let _ = call(
                s,
                "RemoveUserFromGroup",
                json!({"GroupName": group, "UserName": "u"}),
            );
            let _ = call(s, "DeleteGroup", json!({"GroupName": group}));
        }
        deleted && member
    };
    let failures = race(s, setup, add, delete, broken);
    assert_eq!(
        failures, 0,
        "{failures} of {ROUNDS} rounds left a user in a deleted group"
    );
}

#[test]
fn add_role_to_instance_profile_racing_delete_role_never_leaves_a_deleted_role_in_a_profile() {
    let s = Arc::new(IamService::new(Store::in_memory().expect("store")));
    ok(call(
        &s,
        "CreateInstanceProfile",
        json!({"InstanceProfileName": "ip"}),
    ));
    let setup = |s: &IamService, round: usize| {
        ok(call(
            s,
            "CreateRole",
            json!({"RoleName": format!("r{round}"), "AssumeRolePolicyDocument": TRUST}),
        ));
    };
    let add = |s: &IamService, round: usize| {
        let _ = call(
            s,
            "AddRoleToInstanceProfile",
            json!({"InstanceProfileName": "ip", "RoleName": format!("r{round}")}),
        );
    };
    let delete = |s: &IamService, round: usize| {
        let _ = call(s, "DeleteRole", json!({"RoleName": format!("r{round}")}));
    };
    let broken = |s: &IamService, round: usize| {
        let role = format!("r{round}");
        let deleted = !exists(s, "GetRole", json!({"RoleName": role}));
        let held = s
            .instance_profiles
            .get(&format!("{ACCT}/ip"))
            .ok()
            .flatten()
            .is_some_and(|p| p.roles.iter().any(|r| r.eq_ignore_ascii_case(&role)));
        let _ = call(
            s,
            "RemoveRoleFromInstanceProfile",
            json!({"InstanceProfileName": "ip", "RoleName": role}),
        );
        // The dangling name (if any) must go too, for the next round.
        if let Ok(Some(mut p)) = s.instance_profiles.get(&format!("{ACCT}/ip")) {
            p.roles.clear();
            let _ = s.instance_profiles.put(&format!("{ACCT}/ip"), &p);
        }
        if !deleted {
            let _ = call(s, "DeleteRole", json!({"RoleName": role}));
        }
        deleted && held
    };
    let failures = race(s, setup, add, delete, broken);
    assert_eq!(
        failures, 0,
        "{failures} of {ROUNDS} rounds left a deleted role in a profile"
    );
}

#[test]
fn put_role_policy_racing_delete_role_never_brings_the_role_back() {
    let s = Arc::new(IamService::new(Store::in_memory().expect("store")));
    let setup = |s: &IamService, round: usize| {
        ok(call(
            s,
            "CreateRole",
            json!({"RoleName": format!("r{round}"), "AssumeRolePolicyDocument": TRUST}),
        ));
    };
    let put = |s: &IamService, round: usize| {
        let _ = call(
            s,
            "PutRolePolicy",
            json!({"RoleName": format!("r{round}"), "PolicyName": "p", "PolicyDocument": DOC}),
        );
    };
    let delete = |s: &IamService, round: usize| {
        let _ = call(s, "DeleteRole", json!({"RoleName": format!("r{round}")}));
    };
    let deletions = std::cell::Cell::new(0usize);
    let broken = |s: &IamService, round: usize| {
        let role = format!("r{round}");
        match call(s, "GetRole", json!({"RoleName": role})) {
            // The delete lost (the policy came first): both parts stand.
            Ok(_) => {
                let policies = ok(call(s, "ListRolePolicies", json!({"RoleName": role})));
                let has = policies["PolicyNames"]
                    .as_array()
                    .is_some_and(|a| !a.is_empty());
                let _ = call(
                    s,
                    "DeleteRolePolicy",
                    json!({"RoleName": role, "PolicyName": "p"}),
                );
                let _ = call(s, "DeleteRole", json!({"RoleName": role}));
                !has
            }
            Err(_) => {
                deletions.set(deletions.get() + 1);
                false
            }
        }
    };
    let failures = race(s, setup, put, delete, broken);
    assert_eq!(
        failures, 0,
        "{failures} of {ROUNDS} rounds left a role that neither delete nor put explains"
    );
    assert!(deletions.get() > 0, "some rounds delete the role first");
}
