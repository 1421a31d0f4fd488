//! Subscription operations: subscribe (with the confirmation flow of
//! HTTP/S and email endpoints), confirm, unsubscribe, list, attributes.

use crate::errors::{invalid, SnsError};
use crate::{arns, fanout, filter, topics, SnsService, Subscription};
use gureum_core::{AwsError, OpResult, RequestContext, Value};
use gureum_kit::paging::{self, PageRequest};
use serde_json::json;
use std::collections::BTreeMap;

/// The protocols SNS delivers to.
const PROTOCOLS: &[&str] = &[
    "http",
    "https",
    "email",
    "email-json",
    "sms",
    "sqs",
    "application",
    "lambda",
    "firehose",
];

/// Attributes `Subscribe` and `SetSubscriptionAttributes` accept.
const SETTABLE: &[&str] = &[
    "DeliveryPolicy",
    "FilterPolicy",
    "FilterPolicyScope",
    "RawMessageDelivery",
    "RedrivePolicy",
    "SubscriptionRoleArn",
];

/// What `ListSubscriptions` shows as the ARN of a pending subscription.
const PENDING: &str = "PendingConfirmation";

/// Checks `endpoint` for `protocol` (and the topic's kind).
fn check_endpoint(protocol: &str, endpoint: &str, fifo_topic: bool) -> Result<(), AwsError> {
    match protocol {
        "sqs" => {
            let parts: Vec<&str> = endpoint.split(':').collect();
            if parts.len() != 6 || parts[0] != "arn" || parts[2] != "sqs" || parts[5].is_empty() {
                return Err(invalid("SQS endpoint ARN"));
            }
            if parts[5].ends_with(".fifo") && !fifo_topic {
                return Err(invalid(
                    "Invalid parameter: Endpoint Reason: FIFO SQS Queues can not be subscribed to standard SNS topics",
                ));
            }
            Ok(())
        }
        "http" | "https" => {
            let prefix = format!("{protocol}://");
            if endpoint.len() <= prefix.len() || !endpoint.to_ascii_lowercase().starts_with(&prefix)
            {
                return Err(invalid("Endpoint must match the specified protocol"));
            }
            Ok(())
        }
        "email" | "email-json" => {
            let ok = endpoint
                .split_once('@')
                .is_some_and(|(u, d)| !u.is_empty() && d.contains('.') && !d.contains('@'));
            if ok {
                Ok(())
            } else {
                Err(invalid("Email address"))
            }
        }
        "sms" => {
            if crate::sms::valid_number(endpoint) {
                Ok(())
            } else {
                Err(invalid(format!("Invalid SMS endpoint: {endpoint}")))
            }
        }
        "lambda" if !endpoint.starts_with("arn:aws:lambda:") => Err(invalid("Lambda endpoint ARN")),
        "firehose" if !endpoint.starts_with("arn:aws:firehose:") => {
            Err(invalid("Firehose endpoint ARN"))
        }
        "application"
            if !endpoint.starts_with("arn:aws:sns:") || !endpoint.contains(":endpoint/") =>
        {
            Err(invalid("Application endpoint arn invalid"))
        }
        _ => Ok(()),
    }
}

/// Checks one attribute for a subscription of `protocol`.
fn check_attribute(
    protocol: &str,
    name: &str,
    value: &str,
    all: &BTreeMap<String, String>,
) -> Result<(), AwsError> {
    if !SETTABLE.contains(&name) {
        return Err(invalid("AttributeName"));
    }
    match name {
        "RawMessageDelivery" => {
            if value != "true" && value != "false" {
                return Err(invalid(format!(
                    "Attributes Reason: RawMessageDelivery: Invalid value [{value}]. Must be true or false."
                )));
            }
            if !matches!(protocol, "sqs" | "http" | "https" | "firehose") && value == "true" {
                return Err(invalid(format!(
                    "Attributes Reason: Delivery protocol [{protocol}] does not support raw message delivery."
                )));
            }
        }
        "FilterPolicyScope" => {
            filter::Scope::parse(Some(value))?;
        }
        "FilterPolicy" if !value.is_empty() => {
            let scope = filter::Scope::parse(all.get("FilterPolicyScope").map(String::as_str))?;
            filter::parse(value, scope)?;
        }
        "RedrivePolicy" if !value.is_empty() => {
            let target = serde_json::from_str::<Value>(value)
                .ok()
                .and_then(|v| v["deadLetterTargetArn"].as_str().map(str::to_string));
            if !target.is_some_and(|t| t.starts_with("arn:aws:sqs:")) {
                return Err(invalid(
                    "RedrivePolicy: deadLetterTargetArn is not a valid SQS queue ARN",
                ));
            }
        }
        "DeliveryPolicy"
            if !value.is_empty()
                && !serde_json::from_str::<Value>(value).is_ok_and(|v| v.is_object()) =>
        {
            return Err(invalid("DeliveryPolicy: failed to parse JSON"));
        }
        "SubscriptionRoleArn" if !value.starts_with("arn:aws:iam::") => {
            return Err(invalid("SubscriptionRoleArn"));
        }
        _ => {}
    }
    Ok(())
}

/// `Subscribe`.
pub fn subscribe(svc: &SnsService, ctx: &RequestContext, input: &Value) -> OpResult {
    let topic_arn = input["TopicArn"].as_str().unwrap_or_default();
    let protocol = input["Protocol"]
        .as_str()
        .unwrap_or_default()
        .to_ascii_lowercase();
    let endpoint = input["Endpoint"].as_str().unwrap_or_default().to_string();
    let return_arn = input["ReturnSubscriptionArn"].as_bool().unwrap_or(false);
    let attributes: BTreeMap<String, String> = input["Attributes"]
        .as_object()
        .map(|m| {
            m.iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
                .collect()
        })
        .unwrap_or_default();
    let found = svc.find_topic(ctx, topic_arn, "Subscribe")?;
    if !PROTOCOLS.contains(&protocol.as_str()) {
        return Err(invalid(format!(
            "Amazon SNS does not support this protocol string: {protocol}"
        )));
    }
    // FIFO topics deliver to SQS only (AWS's wording).
    if found.topic.fifo && protocol != "sqs" {
        return Err(invalid(format!("Invalid protocol type: {protocol}")));
    }
    check_endpoint(&protocol, &endpoint, found.topic.fifo)?;
    for (k, v) in &attributes {
        check_attribute(&protocol, k, v, &attributes)?;
    }
    if protocol == "firehose" && !attributes.contains_key("SubscriptionRoleArn") {
        return Err(invalid("Invalid parameter: SubscriptionRoleArn Reason: SubscriptionRoleArn is required for Firehose subscriptions"));
    }
    let needs_confirmation = matches!(protocol.as_str(), "http" | "https" | "email" | "email-json");
    let prefix = format!("{}/", found.key);
    let outcome = svc
        .store
        .write(|txn| -> Result<(Subscription, bool), AwsError> {
            let now = ctx.clock.now_millis();
            for (k, s) in txn.scan_prefix(&svc.subscriptions, &prefix)? {
                if s.expired(now) {
                    txn.delete(&svc.subscriptions, &k)?;
                    continue;
                }
                if s.protocol == protocol && s.endpoint == endpoint {
                    let differs = attributes
                        .iter()
                        .any(|(k, v)| s.attributes.get(k) != Some(v));
                    if differs {
                        return Err(invalid(
                        "Attributes Reason: Subscription already exists with different attributes",
                    ));
                    }
                    return Ok((s, false));
                }
            }
            let id = gureum_core::id::uuid_v4();
            let sub = Subscription {
                arn: format!("{}:{id}", found.arn),
                topic_arn: found.arn.clone(),
                owner: ctx.account_id.clone(),
                protocol: protocol.clone(),
                endpoint: endpoint.clone(),
                attributes: attributes.clone(),
                confirmed: !needs_confirmation,
                token: needs_confirmation.then(new_token),
                authenticated: false,
                created_ms: ctx.clock.now_millis(),
            };
            txn.put(&svc.subscriptions, &format!("{prefix}{id}"), &sub)?;
            Ok((sub, true))
        })?;
    let (sub, created) = outcome;
    if created && !sub.confirmed {
        let token = sub.token.clone().unwrap_or_default();
        let port = svc.port_for(ctx);
        let kind = fanout::ConfirmationKind::Subscribe;
        fanout::send_confirmation(svc, &ctx.clock, port, &found, &sub, kind, &token)?;
    }
    let shown = if sub.confirmed || return_arn {
        sub.arn.clone()
    } else {
        "pending confirmation".to_string()
    };
    Ok(json!({"SubscriptionArn": shown}))
}

/// A confirmation token: long, random, hex (AWS's are too).
fn new_token() -> String {
    let mut t = String::with_capacity(128);
    for _ in 0..4 {
        t.push_str(&gureum_core::id::uuid_v4().replace('-', ""));
    }
    t
}

/// `ConfirmSubscription`.
pub fn confirm(svc: &SnsService, ctx: &RequestContext, input: &Value) -> OpResult {
    let topic_arn = input["TopicArn"].as_str().unwrap_or_default();
    let token = input["Token"].as_str().unwrap_or_default();
    let authenticate = input["AuthenticateOnUnsubscribe"]
        .as_str()
        .is_some_and(|v| v.eq_ignore_ascii_case("true"));
    // Whoever holds the token may confirm, as with AWS's link.
    let found = svc.find_topic(ctx, topic_arn, "")?;
    let arn = confirm_token(svc, &found.key, token, authenticate, ctx.clock.now_millis())?;
    Ok(json!({"SubscriptionArn": arn}))
}

/// Confirms the subscription of the topic at `topic_key` holding `token`
/// (the GET of a `SubscribeURL` comes here too).
pub(crate) fn confirm_token(
    svc: &SnsService,
    topic_key: &str,
    token: &str,
    authenticate: bool,
    now_ms: i64,
) -> Result<String, AwsError> {
    svc.store.write(|txn| {
        for (k, mut s) in txn.scan_prefix(&svc.subscriptions, &format!("{topic_key}/"))? {
            if s.token.as_deref() == Some(token) && !token.is_empty() {
                if s.expired(now_ms) {
                    txn.delete(&svc.subscriptions, &k)?;
                    break;
                }
                if !s.confirmed {
                    s.confirmed = true;
                    s.authenticated = authenticate;
                    txn.put(&svc.subscriptions, &k, &s)?;
                }
                return Ok(s.arn);
            }
        }
        // The link of an `UnsubscribeConfirmation` restores what was deleted.
        let ticket = format!("{topic_key}/{token}");
        if let Some(restored) = txn.get(&svc.unsubscribed, &ticket)? {
            txn.delete(&svc.unsubscribed, &ticket)?;
            if let Some((r, a, n, id)) = arns::parse_subscription(&restored.arn) {
                txn.put(
                    &svc.subscriptions,
                    &arns::subscription_key(r, a, n, id),
                    &restored,
                )?;
                return Ok(restored.arn);
            }
        }
        Err(invalid("Token"))
    })
}

impl SnsService {
    /// The GET of a `SubscribeURL`: confirms the subscription of `topic_arn`
    /// holding `token`, as the link in AWS's confirmation message does.
    /// Answers the subscription's ARN.
    pub fn confirm_by_link(
        &self,
        clock: &gureum_core::Clock,
        topic_arn: &str,
        token: &str,
    ) -> Result<String, AwsError> {
        let (region, account, name) =
            arns::parse_topic(topic_arn).ok_or_else(|| invalid("TopicArn"))?;
        let found = self.find_topic_in(region, account, name)?;
        confirm_token(self, &found.key, token, false, clock.now_millis())
    }

    /// The GET of an `UnsubscribeURL`: deletes the subscription unless it
    /// was confirmed with `AuthenticateOnUnsubscribe`.
    pub fn unsubscribe_by_link(
        &self,
        clock: &gureum_core::Clock,
        subscription_arn: &str,
    ) -> Result<String, AwsError> {
        let (region, account, name, id) =
            arns::parse_subscription(subscription_arn).ok_or_else(|| invalid("SubscriptionArn"))?;
        let key = arns::subscription_key(region, account, name, id);
        let sub = self
            .subscriptions
            .get(&key)?
            .ok_or(SnsError::NoSubscription)?;
        if sub.authenticated {
            return Err(SnsError::AuthorizationError {
                message: "Unsubscribe requires authentication for this subscription".into(),
            }
            .into());
        }
        let port = self.port.load(std::sync::atomic::Ordering::Relaxed);
        remove(self, clock, port, region, account, name, &key)?;
        Ok(sub.arn)
    }
}

/// Deletes subscription `key` of topic `name` and counts it. A confirmed
/// HTTP/S subscription gets an `UnsubscribeConfirmation` whose link
/// restores it (the ticket is kept in `sns.unsubscribed`).
fn remove(
    svc: &SnsService,
    clock: &gureum_core::Clock,
    port: u16,
    region: &str,
    account: &str,
    name: &str,
    key: &str,
) -> Result<(), AwsError> {
    let topic_key = arns::topic_key(region, account, name);
    let token = new_token();
    let removed = svc
        .store
        .write(|txn| -> Result<Option<Subscription>, AwsError> {
            let Some(sub) = txn.get(&svc.subscriptions, key)? else {
                return Ok(None);
            };
            txn.delete(&svc.subscriptions, key)?;
            if let Some(mut t) = txn.get(&svc.topics, &topic_key)? {
                t.deleted_subscriptions += 1;
                txn.put(&svc.topics, &topic_key, &t)?;
            }
            let http = matches!(sub.protocol.as_str(), "http" | "https");
            if http && sub.confirmed {
                txn.put(&svc.unsubscribed, &format!("{topic_key}/{token}"), &sub)?;
            }
            Ok(Some(sub).filter(|_| http))
        })?;
    if let Some(sub) = removed.filter(|s| s.confirmed) {
        let found = svc.find_topic_in(region, account, name)?;
        let kind = fanout::ConfirmationKind::Unsubscribe;
        fanout::send_confirmation(svc, clock, port, &found, &sub, kind, &token)?;
    }
    Ok(())
}

/// The subscription an input's `SubscriptionArn` names, for `action`.
fn find(
    svc: &SnsService,
    ctx: &RequestContext,
    input: &Value,
    action: &str,
) -> Result<(String, Subscription), AwsError> {
    let arn = input["SubscriptionArn"].as_str().unwrap_or_default();
    let (region, account, name, id) =
        arns::parse_subscription(arn).ok_or_else(|| invalid("SubscriptionArn"))?;
    if region != ctx.region {
        return Err(SnsError::NoSubscription.into());
    }
    let key = arns::subscription_key(region, account, name, id);
    let sub = svc
        .subscriptions
        .get(&key)?
        .ok_or(SnsError::NoSubscription)?;
    owner_or_topic_owner(ctx, &sub, account, action)?;
    Ok((key, sub))
}

/// Only the subscription's owner and the topic's owner may read, change
/// or delete a subscription.
fn owner_or_topic_owner(
    ctx: &RequestContext,
    sub: &Subscription,
    topic_account: &str,
    action: &str,
) -> Result<(), AwsError> {
    if ctx.account_id == sub.owner || ctx.account_id == topic_account {
        return Ok(());
    }
    Err(SnsError::AuthorizationError {
        message: format!(
            "User: {} is not authorized to perform: SNS:{action} on resource: {}",
            ctx.principal.arn(),
            sub.arn
        ),
    }
    .into())
}

/// `Unsubscribe`: a subscription that does not exist (any more) is no
/// error, as AWS answers (its API reference lists `NotFound`, but the
/// service succeeds).
pub fn unsubscribe(svc: &SnsService, ctx: &RequestContext, input: &Value) -> OpResult {
    let arn = input["SubscriptionArn"].as_str().unwrap_or_default();
    let (region, account, name, id) =
        arns::parse_subscription(arn).ok_or_else(|| invalid("SubscriptionArn"))?;
    if region == ctx.region {
        let key = arns::subscription_key(region, account, name, id);
        if let Some(sub) = svc.subscriptions.get(&key)? {
            owner_or_topic_owner(ctx, &sub, account, "Unsubscribe")?;
        }
        remove(
            svc,
            &ctx.clock,
            svc.port_for(ctx),
            region,
            account,
            name,
            &key,
        )?;
    }
    Ok(json!({}))
}

fn listed(s: &Subscription) -> Value {
    json!({
        "SubscriptionArn": if s.confirmed { s.arn.as_str() } else { PENDING },
        "Owner": s.owner,
        "Protocol": s.protocol,
        "Endpoint": s.endpoint,
        "TopicArn": s.topic_arn,
    })
}

/// Which subscriptions a listing shows.
struct Shown<'a> {
    /// Only this owner's (`ListSubscriptions`).
    owner: Option<&'a str>,
    /// Only those of topics in this region (a scan of every account's).
    region: Option<&'a str>,
}

fn page_of(
    svc: &SnsService,
    now_ms: i64,
    prefix: &str,
    token: Option<&str>,
    shown: Shown<'_>,
) -> OpResult {
    let request = PageRequest::new(None, token, (1, 100), 100).map_err(|_| invalid("NextToken"))?;
    let page = paging::page(&svc.subscriptions, prefix, &request, |key, s| {
        let in_region = shown
            .region
            .is_none_or(|r| key.split('/').nth(1) == Some(r));
        let keep = in_region && shown.owner.is_none_or(|o| o == s.owner) && !s.expired(now_ms);
        keep.then(|| listed(&s))
    })?;
    let mut out = json!({"Subscriptions": page.items});
    if let Some(t) = page.next_token {
        out["NextToken"] = Value::String(t);
    }
    Ok(out)
}

/// `ListSubscriptions`: the caller's, 100 per page, also to topics of
/// other accounts (subscriptions are kept under their topic's scope, so
/// this reads every account's in the region: fine for a local endpoint).
pub fn list(svc: &SnsService, ctx: &RequestContext, input: &Value) -> OpResult {
    let shown = Shown {
        owner: Some(&ctx.account_id),
        region: Some(&ctx.region),
    };
    page_of(
        svc,
        ctx.clock.now_millis(),
        "",
        input["NextToken"].as_str(),
        shown,
    )
}

/// `ListSubscriptionsByTopic`: 100 per page.
pub fn list_by_topic(svc: &SnsService, ctx: &RequestContext, input: &Value) -> OpResult {
    let found = svc.find_topic(
        ctx,
        input["TopicArn"].as_str().unwrap_or_default(),
        "ListSubscriptionsByTopic",
    )?;
    page_of(
        svc,
        ctx.clock.now_millis(),
        &format!("{}/", found.key),
        input["NextToken"].as_str(),
        Shown {
            owner: None,
            region: None,
        },
    )
}

/// `GetSubscriptionAttributes`.
pub fn get_attributes(svc: &SnsService, ctx: &RequestContext, input: &Value) -> OpResult {
    let (_, s) = find(svc, ctx, input, "GetSubscriptionAttributes")?;
    let mut attrs = serde_json::Map::new();
    attrs.insert("SubscriptionArn".into(), json!(s.arn));
    attrs.insert("TopicArn".into(), json!(s.topic_arn));
    attrs.insert("Owner".into(), json!(s.owner));
    attrs.insert("Protocol".into(), json!(s.protocol));
    attrs.insert("Endpoint".into(), json!(s.endpoint));
    attrs.insert(
        "ConfirmationWasAuthenticated".into(),
        json!(if s.authenticated { "true" } else { "false" }),
    );
    attrs.insert(
        "PendingConfirmation".into(),
        json!(if s.confirmed { "false" } else { "true" }),
    );
    attrs.insert("RawMessageDelivery".into(), json!("false"));
    attrs.insert(
        "SubscriptionPrincipal".into(),
        json!(format!("arn:aws:iam::{}:root", s.owner)),
    );
    for (k, v) in &s.attributes {
        attrs.insert(k.clone(), json!(v));
    }
    if s.attributes.contains_key("FilterPolicy") {
        attrs
            .entry("FilterPolicyScope")
            .or_insert(json!("MessageAttributes"));
    }
    if matches!(s.protocol.as_str(), "http" | "https") {
        let topic_policy = arns::parse_topic(&s.topic_arn)
            .and_then(|(r, a, n)| svc.find_topic_in(r, a, n).ok())
            .and_then(|f| f.topic.attributes.get("DeliveryPolicy").cloned());
        let effective = s
            .attributes
            .get("DeliveryPolicy")
            .cloned()
            .or(topic_policy)
            .unwrap_or_else(|| topics::DEFAULT_DELIVERY_POLICY.to_string());
        attrs.insert("EffectiveDeliveryPolicy".into(), json!(effective));
    }
    Ok(json!({"Attributes": attrs}))
}

/// `SetSubscriptionAttributes`: an empty `FilterPolicy`, `RedrivePolicy`
/// or `DeliveryPolicy` removes it.
pub fn set_attributes(svc: &SnsService, ctx: &RequestContext, input: &Value) -> OpResult {
    let name = input["AttributeName"].as_str().unwrap_or_default();
    let value = input["AttributeValue"].as_str().unwrap_or_default();
    let (key, sub) = find(svc, ctx, input, "SetSubscriptionAttributes")?;
    let mut next = sub.attributes.clone();
    next.insert(name.to_string(), value.to_string());
    check_attribute(&sub.protocol, name, value, &next)?;
    if name == "FilterPolicyScope" {
        if let Some(p) = next.get("FilterPolicy") {
            filter::parse(p, filter::Scope::parse(Some(value))?)?;
        }
    }
    svc.store.write(|txn| -> Result<(), AwsError> {
        let mut s = txn
            .get(&svc.subscriptions, &key)?
            .ok_or(SnsError::NoSubscription)?;
        if value.is_empty() && matches!(name, "FilterPolicy" | "RedrivePolicy" | "DeliveryPolicy") {
            s.attributes.remove(name);
        } else {
            s.attributes.insert(name.to_string(), value.to_string());
        }
        txn.put(&svc.subscriptions, &key, &s)?;
        Ok(())
    })?;
    Ok(json!({}))
}
