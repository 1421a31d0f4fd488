//! `iam:SimulatePrincipalPolicy` and enforcement must give the same answer.
//!
//! Each case gives a user some policies (inline, attached managed, through a
//! group, a permissions boundary) and asks about action/resource pairs with
//! an expected decision. For every pair the test asks both the simulator
//! and the authorizer that guards real requests, and checks both against
//! the expectation.

use gureum_authz::Authorizer;
use gureum_core::{AuthzTarget, Clock, Principal, RequestContext, Service};
use gureum_iam::IamService;
use gureum_store::Store;
use serde_json::{json, Value};
use std::future::Future;
use std::sync::Arc;

const ACCT: &str = "000000000000";

fn call(iam: &IamService, ctx: &RequestContext, op: &str, input: Value) -> Value {
    let fut = iam.call(ctx, op, input);
    let mut fut = std::pin::pin!(fut);
    match fut
        .as_mut()
        .poll(&mut std::task::Context::from_waker(std::task::Waker::noop()))
    {
        std::task::Poll::Ready(r) => r.unwrap_or_else(|e| panic!("{op}: {e}")),
        std::task::Poll::Pending => panic!("{op} did not complete"),
    }
}

/// How a case's policies reach the user.
enum Grant {
    Inline(Value),
    Managed(Value),
    Group(Value),
    AwsManaged(&'static str),
    Boundary(Value),
}

struct Case {
    name: &'static str,
    grants: Vec<Grant>,
    /// (action, resource, allowed?)
    checks: Vec<(&'static str, &'static str, bool)>,
}

fn doc(statements: Value) -> Value {
    json!({"Version": "2012-10-17", "Statement": statements})
}

fn allow(action: &str, resource: &str) -> Value {
    json!({"Effect": "Allow", "Action": action, "Resource": resource})
}

fn deny(action: &str, resource: &str) -> Value {
    json!({"Effect": "Deny", "Action": action, "Resource": resource})
}

fn cases() -> Vec<Case> {
    use Grant::*;
    let b = "arn:aws:s3:::bucket";
    let obj = "arn:aws:s3:::bucket/photos/cat.jpg";
    let other = "arn:aws:s3:::other/photos/cat.jpg";
    vec![
        Case {
            name: "no policy denies everything",
            grants: vec![],
            checks: vec![
                ("s3:GetObject", obj, false),
                ("ec2:DescribeRegions", "*", false),
                ("iam:ListUsers", "*", false),
            ],
        },
        Case {
            name: "exact action and resource",
            grants: vec![Inline(doc(json!([allow("s3:GetObject", obj)])))],
            checks: vec![
                ("s3:GetObject", obj, true),
                ("s3:PutObject", obj, false),
                ("s3:GetObject", other, false),
                ("s3:getobject", obj, true),
            ],
        },
        Case {
            name: "action wildcard",
            grants: vec![Inline(doc(json!([allow("s3:Get*", "*")])))],
            checks: vec![
                ("s3:GetObject", obj, true),
                ("s3:GetBucketPolicy", b, true),
                ("s3:PutObject", obj, false),
                ("s3:ListBucket", b, false),
            ],
        },
        Case {
            name: "resource wildcard by prefix",
            grants: vec![Inline(doc(json!([allow(
                "s3:*",
                "arn:aws:s3:::bucket/photos/*"
            )])))],
            checks: vec![
                ("s3:GetObject", obj, true),
                ("s3:DeleteObject", obj, true),
                ("s3:GetObject", other, false),
                ("s3:ListBucket", b, false),
            ],
        },
        Case {
            name: "explicit deny beats allow",
            grants: vec![Inline(doc(json!([
                allow("s3:*", "*"),
                deny("s3:DeleteObject", "*")
            ])))],
            checks: vec![
                ("s3:GetObject", obj, true),
                ("s3:DeleteObject", obj, false),
                ("s3:DeleteBucket", b, true),
            ],
        },
        Case {
            name: "deny in a group beats allow inline",
            grants: vec![
                Inline(doc(json!([allow("*", "*")]))),
                Group(doc(json!([deny("iam:*", "*")]))),
            ],
            checks: vec![
                ("iam:ListUsers", "*", false),
                (
                    "iam:CreateUser",
                    "arn:aws:iam::000000000000:user/bob",
                    false,
                ),
                ("s3:GetObject", obj, true),
                ("ec2:RunInstances", "*", true),
            ],
        },
        Case {
            name: "group allow reaches members",
            grants: vec![Group(doc(json!([allow("ec2:Describe*", "*")])))],
            checks: vec![
                ("ec2:DescribeInstances", "*", true),
                ("ec2:DescribeRegions", "*", true),
                ("ec2:RunInstances", "*", false),
            ],
        },
        Case {
            name: "customer managed policy attached",
            grants: vec![Managed(doc(json!([allow(
                "dynamodb:*",
                "arn:aws:dynamodb:*:*:table/orders"
            )])))],
            checks: vec![
                (
                    "dynamodb:GetItem",
                    "arn:aws:dynamodb:us-east-1:000000000000:table/orders",
                    true,
                ),
                (
                    "dynamodb:GetItem",
                    "arn:aws:dynamodb:us-east-1:000000000000:table/users",
                    false,
                ),
                ("dynamodb:ListTables", "*", false),
            ],
        },
        Case {
            name: "NotAction allows all but iam",
            grants: vec![Inline(doc(
                json!([{"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}]),
            ))],
            checks: vec![
                ("s3:GetObject", obj, true),
                ("ec2:RunInstances", "*", true),
                ("iam:ListUsers", "*", false),
                ("iam:CreateAccessKey", "*", false),
            ],
        },
        Case {
            name: "NotResource allows all but one bucket",
            grants: vec![Inline(doc(
                json!([{"Effect": "Allow", "Action": "s3:*", "NotResource": ["arn:aws:s3:::secret", "arn:aws:s3:::secret/*"]}]),
            ))],
            checks: vec![
                ("s3:GetObject", obj, true),
                ("s3:GetObject", "arn:aws:s3:::secret/x", false),
                ("s3:ListBucket", "arn:aws:s3:::secret", false),
                ("s3:ListBucket", b, true),
            ],
        },
        Case {
            name: "deny with NotAction",
            grants: vec![Inline(doc(
                json!([allow("*", "*"), {"Effect": "Deny", "NotAction": ["s3:Get*", "s3:List*"], "Resource": "*"}]),
            ))],
            checks: vec![
                ("s3:GetObject", obj, true),
                ("s3:ListAllMyBuckets", "*", true),
                ("s3:PutObject", obj, false),
                ("ec2:DescribeRegions", "*", false),
            ],
        },
        Case {
            name: "AWS managed read-only S3",
            grants: vec![AwsManaged("AmazonS3ReadOnlyAccess")],
            checks: vec![
                ("s3:GetObject", obj, true),
                ("s3:ListAllMyBuckets", "*", true),
                ("s3:ListBucket", b, true),
                ("s3:PutObject", obj, false),
                ("s3:CreateBucket", b, false),
                ("iam:ListUsers", "*", false),
            ],
        },
        Case {
            name: "AWS managed EC2 read-only",
            grants: vec![AwsManaged("AmazonEC2ReadOnlyAccess")],
            checks: vec![
                ("ec2:DescribeInstances", "*", true),
                ("ec2:DescribeRegions", "*", true),
                ("ec2:TerminateInstances", "*", false),
                ("s3:GetObject", obj, false),
            ],
        },
        Case {
            name: "AdministratorAccess allows everything",
            grants: vec![AwsManaged("AdministratorAccess")],
            checks: vec![
                ("s3:GetObject", obj, true),
                ("iam:CreateUser", "*", true),
                ("ec2:TerminateInstances", "*", true),
                ("kms:Decrypt", "*", true),
            ],
        },
        Case {
            name: "PowerUserAccess excludes IAM",
            grants: vec![AwsManaged("PowerUserAccess")],
            checks: vec![
                ("s3:PutObject", obj, true),
                ("ec2:RunInstances", "*", true),
                ("iam:CreateUser", "*", false),
                ("iam:ListRoles", "*", true),
            ],
        },
        Case {
            name: "boundary narrows an admin",
            grants: vec![
                AwsManaged("AdministratorAccess"),
                Boundary(doc(json!([
                    allow("s3:*", "*"),
                    allow("ec2:Describe*", "*")
                ]))),
            ],
            checks: vec![
                ("s3:GetObject", obj, true),
                ("ec2:DescribeRegions", "*", true),
                ("ec2:RunInstances", "*", false),
                ("iam:ListUsers", "*", false),
            ],
        },
        Case {
            name: "boundary alone grants nothing",
            grants: vec![Boundary(doc(json!([allow("*", "*")])))],
            checks: vec![
                ("s3:GetObject", obj, false),
                ("ec2:DescribeRegions", "*", false),
            ],
        },
        Case {
            name: "deny in boundary",
            grants: vec![
                Inline(doc(json!([allow("*", "*")]))),
                Boundary(doc(json!([allow("*", "*"), deny("s3:Delete*", "*")]))),
            ],
            checks: vec![
                ("s3:DeleteObject", obj, false),
                ("s3:GetObject", obj, true),
                ("ec2:RunInstances", "*", true),
            ],
        },
        Case {
            name: "username variable scopes a home folder",
            grants: vec![Inline(doc(json!([allow(
                "s3:*",
                "arn:aws:s3:::home/${aws:username}/*"
            )])))],
            checks: vec![
                ("s3:GetObject", "arn:aws:s3:::home/sim-user/notes.txt", true),
                ("s3:GetObject", "arn:aws:s3:::home/bob/notes.txt", false),
            ],
        },
        Case {
            name: "question mark matches one character",
            grants: vec![Inline(doc(json!([allow(
                "s3:GetObject",
                "arn:aws:s3:::logs/2026-0?/*"
            )])))],
            checks: vec![
                ("s3:GetObject", "arn:aws:s3:::logs/2026-01/a", true),
                ("s3:GetObject", "arn:aws:s3:::logs/2026-11/a", false),
            ],
        },
        Case {
            name: "several actions in a list",
            grants: vec![Inline(doc(
                json!([{"Effect": "Allow", "Action": ["logs:CreateLogGroup", "logs:Describe*"], "Resource": "*"}]),
            ))],
            checks: vec![
                ("logs:CreateLogGroup", "*", true),
                ("logs:DescribeLogGroups", "*", true),
                ("logs:DeleteLogGroup", "*", false),
            ],
        },
        Case {
            name: "service wildcard does not cross services",
            grants: vec![Inline(doc(json!([allow("ec2:*", "*")])))],
            checks: vec![
                ("ec2:RunInstances", "*", true),
                ("elasticloadbalancing:CreateLoadBalancer", "*", false),
                ("autoscaling:CreateAutoScalingGroup", "*", false),
            ],
        },
        Case {
            name: "conditions that cannot hold deny",
            grants: vec![Inline(doc(
                json!([{"Effect": "Allow", "Action": "s3:*", "Resource": "*",
            "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}}}]),
            ))],
            checks: vec![
                ("s3:GetObject", obj, false),
                ("s3:ListAllMyBuckets", "*", false),
            ],
        },
        // AWS's "deny without MFA" example: the key is absent for long-term
        // keys, so ...IfExists holds and the deny applies to them too.
        Case {
            name: "BoolIfExists denies long-term keys without MFA",
            grants: vec![Inline(doc(
                json!([allow("*", "*"), {"Effect": "Deny", "NotAction": "iam:ListMFADevices", "Resource": "*",
            "Condition": {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}}}]),
            ))],
            checks: vec![
                ("s3:GetObject", obj, false),
                ("iam:ListMFADevices", "*", true),
            ],
        },
        Case {
            name: "region condition",
            grants: vec![Inline(doc(
                json!([{"Effect": "Allow", "Action": "ec2:*", "Resource": "*",
            "Condition": {"StringEquals": {"aws:RequestedRegion": "eu-west-1"}}}]),
            ))],
            checks: vec![("ec2:DescribeRegions", "*", false)],
        },
    ]
}

struct World {
    iam: Arc<IamService>,
    root: RequestContext,
}

fn user_ctx(iam: &IamService, root: &RequestContext, name: &str) -> RequestContext {
    let u = call(iam, root, "GetUser", json!({"UserName": name}));
    let mut ctx = RequestContext::root(ACCT, "us-east-1", Clock::system());
    ctx.principal = Principal::User {
        account_id: ACCT.into(),
        name: name.into(),
        user_id: u["User"]["UserId"].as_str().expect("id").into(),
        path: "/".into(),
    };
    ctx
}

fn grant(w: &World, user: &str, i: usize, g: &Grant) {
    let (iam, root) = (&*w.iam, &w.root);
    match g {
        Grant::Inline(d) => {
            call(
                iam,
                root,
                "PutUserPolicy",
                json!({"UserName": user, "PolicyName": format!("inline{i}"), "PolicyDocument": d.to_string()}),
            );
        }
        Grant::Managed(d) => {
            let out = call(
                iam,
                root,
                "CreatePolicy",
                json!({"PolicyName": format!("{user}-m{i}"), "PolicyDocument": d.to_string()}),
            );
            call(
                iam,
                root,
                "AttachUserPolicy",
                json!({"UserName": user, "PolicyArn": out["Policy"]["Arn"]}),
            );
        }
        Grant::Group(d) => {
            let group = format!("{user}-g{i}");
            call(iam, root, "CreateGroup", json!({"GroupName": group}));
            call(
                iam,
                root,
                "PutGroupPolicy",
                json!({"GroupName": group, "PolicyName": "p", "PolicyDocument": d.to_string()}),
            );
            call(
                iam,
                root,
                "AddUserToGroup",
                json!({"GroupName": group, "UserName": user}),
            );
        }
        Grant::AwsManaged(name) => {
            call(
                iam,
                root,
                "AttachUserPolicy",
                json!({"UserName": user, "PolicyArn": format!("arn:aws:iam::aws:policy/{name}")}),
            );
        }
        Grant::Boundary(d) => {
            let out = call(
                iam,
                root,
                "CreatePolicy",
                json!({"PolicyName": format!("{user}-b{i}"), "PolicyDocument": d.to_string()}),
            );
            call(
                iam,
                root,
                "PutUserPermissionsBoundary",
                json!({"UserName": user, "PermissionsBoundary": out["Policy"]["Arn"]}),
            );
        }
    }
}

#[test]
fn simulator_and_enforcement_agree_on_every_case() {
    let store = Store::in_memory().expect("store");
    let w = World {
        iam: Arc::new(IamService::new(store)),
        root: RequestContext::root(ACCT, "us-east-1", Clock::system()),
    };
    let authz = Authorizer::new(w.iam.clone());
    let mut checked = 0;
    for (n, case) in cases().iter().enumerate() {
        // Every case's user is named sim-user in its own account-like
        // namespace: delete and recreate between cases is heavier than a
        // fresh name, so each gets its own name except the variable case.
        let user = if case.name.contains("variable") {
            "sim-user".to_string()
        } else {
            format!("u{n}")
        };
        call(&w.iam, &w.root, "CreateUser", json!({"UserName": user}));
        for (i, g) in case.grants.iter().enumerate() {
            grant(&w, &user, i, g);
        }
        let ctx = user_ctx(&w.iam, &w.root, &user);
        for (action, resource, want) in &case.checks {
            let enforced = authz
                .authorize(&ctx, &[AuthzTarget::new(*action, *resource)])
                .is_ok();
            let sim = call(
                &w.iam,
                &w.root,
                "SimulatePrincipalPolicy",
                json!({
                    "PolicySourceArn": format!("arn:aws:iam::{ACCT}:user/{user}"),
                    "ActionNames": [action],
                    "ResourceArns": [resource],
                    "ContextEntries": [{"ContextKeyName": "aws:RequestedRegion", "ContextKeyValues": ["us-east-1"], "ContextKeyType": "string"}],
                }),
            );
            let decision = sim["EvaluationResults"][0]["EvalDecision"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            let simulated = decision == "allowed";
            assert_eq!(
                enforced, *want,
                "{}: enforcement of {action} on {resource}",
                case.name
            );
            assert_eq!(
                simulated, *want,
                "{}: simulation of {action} on {resource} said {decision}",
                case.name
            );
            checked += 1;
        }
    }
    println!("{checked} checks: simulator and enforcement agree");
    assert!(checked >= 80);
}
