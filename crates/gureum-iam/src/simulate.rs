//! `SimulatePrincipalPolicy`, `SimulateCustomPolicy`.
//!
//! The policy simulator answers "would these actions on these resources be
//! allowed?" without making the requests, using the same evaluation as
//! enforcement (`gureum_policy::evaluate`). `SimulatePrincipalPolicy`
//! gathers the policies of a user (with its groups'), group or role named by
//! `PolicySourceArn` — plus any extra `PolicyInputList` documents — and its
//! permissions boundary; `SimulateCustomPolicy` uses only the documents
//! given. `ContextEntries` supply condition keys (`aws:SourceIp`,
//! `aws:MultiFactorAuthPresent`, …). There is one result per action and
//! resource (`*` when no `ResourceArns` are given), with the decision
//! (`allowed`, `explicitDeny`, `implicitDeny`) and the statements that
//! decided it, named by their policy (`SourcePolicyId`) and its kind
//! (`SourcePolicyType`: user, group, role, aws-managed, user-managed,
//! resource, none).

use crate::entity::Entity;
use crate::errors::IamError;
use crate::model::{Group, Role, User};
use crate::policies::ManagedRef;
use crate::util::{page_request, paginate, required, str_member};
use crate::IamService;
use gureum_core::{AwsError, OpResult, RequestContext, Value};
use gureum_policy::{
    evaluate, Decision, Policies, Policy, PolicyKind, PolicySet, Request, RequestPrincipal,
};
use serde_json::json;

/// A policy with the name and kind the simulator reports for it.
struct Labeled {
    policy: Policy,
    id: String,
    kind: &'static str,
}

/// What the simulation runs over.
#[derive(Default)]
struct Subject {
    identity: Vec<Labeled>,
    boundary: Vec<Labeled>,
    principal: RequestPrincipal,
    username: Option<String>,
}

fn strings(input: &Value, member: &str) -> Vec<String> {
    input
        .get(member)
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(String::from)
                .collect()
        })
        .unwrap_or_default()
}

fn parse_input_policies(
    input: &Value,
    member: &str,
    kind: PolicyKind,
) -> Result<Vec<Labeled>, AwsError> {
    strings(input, member)
        .iter()
        .enumerate()
        .map(|(i, doc)| {
            let policy =
                gureum_policy::validate(doc, kind).map_err(|e| IamError::InvalidInput {
                    message: e.message(),
                })?;
            Ok(Labeled {
                policy,
                id: format!("{member}.{}", i + 1),
                kind: "none",
            })
        })
        .collect()
}

impl IamService {
    fn label_managed(&self, account: &str, arn: &str) -> Option<Labeled> {
        let r = self.find_policy(account, arn).ok()?;
        let policy = (*self.parsed.get(r.document())?).clone();
        let kind = match r {
            ManagedRef::Aws(_) => "aws-managed",
            ManagedRef::Customer(..) => "user-managed",
        };
        Some(Labeled {
            policy,
            id: r.name().to_string(),
            kind,
        })
    }

    fn label_entity<E: Entity>(
        &self,
        account: &str,
        e: &mut E,
        kind: &'static str,
        out: &mut Vec<Labeled>,
    ) {
        for (name, doc) in e.inline().iter() {
            if let Some(p) = self.parsed.get(doc) {
                out.push(Labeled {
                    policy: (*p).clone(),
                    id: name.clone(),
                    kind,
                });
            }
        }
        for arn in e.attached().clone() {
            out.extend(self.label_managed(account, &arn));
        }
    }

    /// The policies of the user, group or role named by `arn`.
    fn subject(&self, account: &str, arn: &str) -> Result<Subject, AwsError> {
        let resource = arn
            .strip_prefix(&format!("arn:aws:iam::{account}:"))
            .ok_or_else(|| IamError::InvalidSimulationArn {
                arn: arn.to_string(),
            })?;
        let (kind, rest) =
            resource
                .split_once('/')
                .ok_or_else(|| IamError::InvalidSimulationArn {
                    arn: arn.to_string(),
                })?;
        let name = rest.rsplit('/').next().unwrap_or(rest);
        let mut s = Subject::default();
        match kind {
            "user" => {
                let mut u: User = self.load_entity(account, name)?;
                self.label_entity(account, &mut u, "user", &mut s.identity);
                for g in u.groups.clone() {
                    if let Ok(mut group) = self.load_entity::<Group>(account, &g) {
                        self.label_entity(account, &mut group, "group", &mut s.identity);
                    }
                }
                if let Some(b) = &u.permissions_boundary {
                    s.boundary.extend(self.label_managed(account, b));
                }
                s.principal = RequestPrincipal::user(arn, account);
                s.username = Some(u.name);
            }
            "group" => {
                let mut g: Group = self.load_entity(account, name)?;
                self.label_entity(account, &mut g, "group", &mut s.identity);
                s.principal = RequestPrincipal::user(arn, account);
            }
            "role" => {
                let mut r: Role = self.load_entity(account, name)?;
                self.label_entity(account, &mut r, "role", &mut s.identity);
                if let Some(b) = &r.permissions_boundary {
                    s.boundary.extend(self.label_managed(account, b));
                }
                s.principal = RequestPrincipal::session(
                    format!("arn:aws:sts::{account}:assumed-role/{}/Simulation", r.name),
                    arn,
                    account,
                );
            }
            _ => {
                return Err(IamError::InvalidSimulationArn {
                    arn: arn.to_string(),
                }
                .into())
            }
        }
        Ok(s)
    }

    /// Runs the simulation of `subject` for the input's actions and
    /// resources.
    fn simulate(&self, ctx: &RequestContext, mut s: Subject, input: &Value) -> OpResult {
        // The EC2 scenarios (which resources an action needs) are not
        // modelled: refused rather than simulated as if absent.
        if input.get("ResourceHandlingOption").is_some() {
            return Err(IamError::UnsupportedParameter {
                parameter: "ResourceHandlingOption".into(),
            }
            .into());
        }
        s.identity.extend(parse_input_policies(
            input,
            "PolicyInputList",
            PolicyKind::Identity,
        )?);
        let boundary_input = parse_input_policies(
            input,
            "PermissionsBoundaryPolicyInputList",
            PolicyKind::Boundary,
        )?;
        if !boundary_input.is_empty() {
            s.boundary = boundary_input;
        }
        let resource_policy =
            match str_member(input, "ResourcePolicy") {
                Some(doc) => Some(gureum_policy::validate(doc, PolicyKind::Resource).map_err(
                    |e| IamError::InvalidInput {
                        message: e.message(),
                    },
                )?),
                None => None,
            };
        let resource_owner = str_member(input, "ResourceOwner")
            .and_then(|a| a.split(':').nth(4))
            .map(String::from);
        if let Some(caller) = str_member(input, "CallerArn") {
            s.principal = RequestPrincipal::user(caller, &ctx.account_id);
        }
        let mut resources = strings(input, "ResourceArns");
        if resources.is_empty() {
            resources.push("*".into());
        }
        let identity: Vec<Policy> = s.identity.iter().map(|l| l.policy.clone()).collect();
        let boundary: Vec<Policy> = s.boundary.iter().map(|l| l.policy.clone()).collect();
        let set = PolicySet {
            identity: Policies::Plain(&identity),
            resource: resource_policy.as_ref(),
            resource_account: resource_owner.as_deref(),
            boundary: (!boundary.is_empty()).then_some(Policies::Plain(&boundary)),
            session: None,
        };
        let mut results = Vec::new();
        for action in strings(input, "ActionNames") {
            for resource in &resources {
                let mut req = Request::new(s.principal.clone(), action.clone(), resource.clone());
                if let Some(u) = &s.username {
                    req.context.set("aws:username", u.clone());
                }
                for entry in input
                    .get("ContextEntries")
                    .and_then(Value::as_array)
                    .map(Vec::as_slice)
                    .unwrap_or_default()
                {
                    if let Some(name) = str_member(entry, "ContextKeyName") {
                        req.context.insert(name, strings(entry, "ContextKeyValues"));
                    }
                }
                let eval = evaluate(&req, &set);
                let matched: Vec<Value> = eval
                    .matched
                    .iter()
                    .map(|m| {
                        let (id, kind) = match m.kind {
                            PolicyKind::Identity => s
                                .identity
                                .get(m.policy_index)
                                .map_or(("".to_string(), "none"), |l| (l.id.clone(), l.kind)),
                            PolicyKind::Boundary => s
                                .boundary
                                .get(m.policy_index)
                                .map_or(("".to_string(), "none"), |l| (l.id.clone(), l.kind)),
                            _ => ("ResourcePolicy".to_string(), "resource"),
                        };
                        json!({"SourcePolicyId": id, "SourcePolicyType": kind})
                    })
                    .collect();
                let decision = match eval.decision {
                    Decision::Allow => "allowed",
                    Decision::ExplicitDeny => "explicitDeny",
                    Decision::ImplicitDeny => "implicitDeny",
                };
                let mut r = json!({
                    "EvalActionName": action,
                    "EvalResourceName": resource,
                    "EvalDecision": decision,
                    "MatchedStatements": matched,
                    "MissingContextValues": [],
                });
                if !boundary.is_empty() {
                    let alone = PolicySet {
                        identity: Policies::Plain(&boundary),
                        ..PolicySet::default()
                    };
                    r["PermissionsBoundaryDecisionDetail"] = json!({
                        "AllowedByPermissionsBoundary": evaluate(&req, &alone).is_allowed()
                    });
                }
                results.push((format!("{:08}", results.len()), r));
            }
        }
        let page = paginate(results, &page_request(input)?);
        let mut out =
            json!({ "EvaluationResults": page.items, "IsTruncated": page.next_token.is_some() });
        if let Some(m) = page.next_token {
            out["Marker"] = json!(m);
        }
        Ok(out)
    }

    /// `SimulatePrincipalPolicy`.
    pub(crate) fn simulate_principal_policy(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let arn = required(&input, "PolicySourceArn")?;
        let subject = self.subject(&ctx.account_id, arn)?;
        self.simulate(ctx, subject, &input)
    }

    /// `SimulateCustomPolicy`.
    pub(crate) fn simulate_custom_policy(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let subject = Subject {
            principal: RequestPrincipal::user(
                format!("arn:aws:iam::{}:user/SimulatedUser", ctx.account_id),
                &ctx.account_id,
            ),
            ..Subject::default()
        };
        self.simulate(ctx, subject, &input)
    }
}

/// The condition keys `policies` reference, each once (the first spelling
/// wins; keys are case-insensitive), in document order.
fn context_keys<'a>(policies: impl Iterator<Item = &'a Labeled>) -> Vec<String> {
    let mut keys: Vec<String> = Vec::new();
    for p in policies {
        for s in &p.policy.statements {
            for c in &s.conditions {
                if !keys.iter().any(|k| k.eq_ignore_ascii_case(&c.key)) {
                    keys.push(c.key.clone());
                }
            }
        }
    }
    keys
}

impl IamService {
    /// `GetContextKeysForCustomPolicy`: the condition keys of the given
    /// policies.
    pub(crate) fn get_context_keys_for_custom_policy(
        &self,
        _ctx: &RequestContext,
        input: Value,
    ) -> OpResult {
        let policies = parse_input_policies(&input, "PolicyInputList", PolicyKind::Identity)?;
        Ok(json!({ "ContextKeyNames": context_keys(policies.iter()) }))
    }

    /// `GetContextKeysForPrincipalPolicy`: the condition keys of a user's,
    /// group's or role's policies (a user's groups' too), and of any given.
    pub(crate) fn get_context_keys_for_principal_policy(
        &self,
        ctx: &RequestContext,
        input: Value,
    ) -> OpResult {
        let arn = required(&input, "PolicySourceArn")?;
        let s = self.subject(&ctx.account_id, arn)?;
        let extra = parse_input_policies(&input, "PolicyInputList", PolicyKind::Identity)?;
        Ok(json!({ "ContextKeyNames": context_keys(s.identity.iter().chain(extra.iter())) }))
    }
}
