//! Small helpers the operations share: ids, ARNs, lists, pages, lookups.

use crate::errors::{validation, Elbv2Error};
use crate::records::{Listener, LoadBalancer, Rule, TargetGroup};
use crate::Elbv2Service;
use gureum_core::{AwsError, RequestContext, Scope, Value};
use serde_json::json;
use std::collections::BTreeMap;

/// A new 16-hex resource id (the tail of ELB ARNs).
pub fn new_id() -> String {
    gureum_core::id::hex(16)
}

/// `arn:aws:elasticloadbalancing:REGION:ACCOUNT:RESOURCE`.
pub fn arn(ctx: &RequestContext, resource: &str) -> String {
    format!(
        "arn:aws:elasticloadbalancing:{}:{}:{resource}",
        ctx.region, ctx.account_id
    )
}

/// The id an ELB ARN ends with.
pub fn id_of(arn: &str) -> &str {
    arn.rsplit('/').next().unwrap_or_default()
}

/// A list of strings member (absent: empty).
pub fn strings(input: &Value, key: &str) -> Vec<String> {
    input[key]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// A string member.
pub fn string<'a>(input: &'a Value, key: &str) -> Option<&'a str> {
    input.get(key).and_then(Value::as_str)
}

/// Attributes as the model's `[{Key, Value}]`.
pub fn attributes_value(attrs: &BTreeMap<String, String>) -> Value {
    Value::Array(
        attrs
            .iter()
            .map(|(k, v)| json!({"Key": k, "Value": v}))
            .collect(),
    )
}

/// One page of `items` after `Marker`, at most `PageSize` (1–400), and
/// the next marker. Markers are opaque positions this server handed out.
pub fn page(input: &Value, items: Vec<Value>) -> Result<(Vec<Value>, Option<String>), AwsError> {
    let start = match string(input, "Marker") {
        Some(m) => gureum_kit::paging::decode_token(m)
            .ok()
            .and_then(|s| s.parse::<usize>().ok())
            .ok_or_else(|| validation("The marker is not valid"))?,
        None => 0,
    };
    let size = input["PageSize"].as_u64().unwrap_or(400) as usize;
    let end = start.saturating_add(size).min(items.len());
    let next = (end < items.len()).then(|| gureum_kit::paging::encode_token(&end.to_string()));
    let items = items
        .into_iter()
        .skip(start)
        .take(end.saturating_sub(start))
        .collect();
    Ok((items, next))
}

/// Adds `NextMarker` to an output when there is one.
pub fn with_marker(mut out: Value, next: Option<String>) -> Value {
    if let Some(m) = next {
        out["NextMarker"] = Value::String(m);
    }
    out
}

impl Elbv2Service {
    /// The caller's load balancers, oldest first.
    pub(crate) fn all_load_balancers(
        &self,
        ctx: &RequestContext,
    ) -> Result<Vec<LoadBalancer>, AwsError> {
        let mut all: Vec<LoadBalancer> = self
            .load_balancers
            .scan_prefix(&Scope::regional(ctx).prefix())?
            .into_iter()
            .map(|(_, lb)| lb)
            .collect();
        all.sort_by(|a, b| (a.created_ms, &a.name).cmp(&(b.created_ms, &b.name)));
        Ok(all)
    }

    /// A load balancer by ARN (`LoadBalancerNotFound` otherwise).
    pub(crate) fn load_balancer(
        &self,
        ctx: &RequestContext,
        arn: &str,
    ) -> Result<LoadBalancer, AwsError> {
        self.load_balancers
            .get(&Scope::regional(ctx).key(id_of(arn)))?
            .filter(|lb| lb.arn == arn)
            .ok_or_else(|| Elbv2Error::LoadBalancerNotFound.into())
    }

    /// The caller's target groups, by name.
    pub(crate) fn all_target_groups(
        &self,
        ctx: &RequestContext,
    ) -> Result<Vec<TargetGroup>, AwsError> {
        let mut all: Vec<TargetGroup> = self
            .target_groups
            .scan_prefix(&Scope::regional(ctx).prefix())?
            .into_iter()
            .map(|(_, tg)| tg)
            .collect();
        all.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(all)
    }

    /// A target group by ARN (`TargetGroupNotFound` otherwise).
    pub(crate) fn target_group(
        &self,
        ctx: &RequestContext,
        arn: &str,
    ) -> Result<TargetGroup, AwsError> {
        self.target_groups
            .get(&Scope::regional(ctx).key(id_of(arn)))?
            .filter(|tg| tg.arn == arn)
            .ok_or_else(|| Elbv2Error::TargetGroupNotFound.into())
    }

    /// The caller's listeners.
    pub(crate) fn all_listeners(&self, ctx: &RequestContext) -> Result<Vec<Listener>, AwsError> {
        Ok(self
            .listeners
            .scan_prefix(&Scope::regional(ctx).prefix())?
            .into_iter()
            .map(|(_, l)| l)
            .collect())
    }

    /// A listener by ARN (`ListenerNotFound` otherwise).
    pub(crate) fn listener(&self, ctx: &RequestContext, arn: &str) -> Result<Listener, AwsError> {
        self.listeners
            .get(&Scope::regional(ctx).key(id_of(arn)))?
            .filter(|l| l.arn == arn)
            .ok_or_else(|| Elbv2Error::ListenerNotFound.into())
    }

    /// The caller's rules.
    pub(crate) fn all_rules(&self, ctx: &RequestContext) -> Result<Vec<Rule>, AwsError> {
        Ok(self
            .rules
            .scan_prefix(&Scope::regional(ctx).prefix())?
            .into_iter()
            .map(|(_, r)| r)
            .collect())
    }

    /// The target group ARNs the listener's and rules' actions forward to,
    /// with the load balancer each belongs to.
    pub(crate) fn forwarding(
        &self,
        ctx: &RequestContext,
    ) -> Result<Vec<(String, String)>, AwsError> {
        let listeners = self.all_listeners(ctx)?;
        let mut out = Vec::new();
        for l in &listeners {
            for tg in crate::listeners::forwarded_groups(&l.default_actions) {
                out.push((tg, l.load_balancer_arn.clone()));
            }
        }
        for r in self.all_rules(ctx)? {
            if let Some(l) = listeners.iter().find(|l| l.arn == r.listener_arn) {
                for tg in crate::listeners::forwarded_groups(&r.actions) {
                    out.push((tg, l.load_balancer_arn.clone()));
                }
            }
        }
        Ok(out)
    }
}
