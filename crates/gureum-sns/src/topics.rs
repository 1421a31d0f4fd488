//! Topic operations: create, delete, list, attributes, tags and the data
//! protection policy (kept as a record).

use crate::errors::{invalid, SnsError};
use crate::policies::{check_other_account, default_policy};
use crate::{arns, SnsService, Topic};
use gureum_core::{AwsError, OpResult, RequestContext, Scope, Value};
use gureum_kit::paging::{self, PageRequest};
use serde_json::json;
use std::collections::BTreeMap;

/// Attributes `CreateTopic` and `SetTopicAttributes` accept.
const SETTABLE: &[&str] = &[
    "DeliveryPolicy",
    "DisplayName",
    "Policy",
    "TracingConfig",
    "KmsMasterKeyId",
    "SignatureVersion",
    "ContentBasedDeduplication",
    "FifoTopic",
    "ArchivePolicy",
    "FifoThroughputScope",
    "HTTPSuccessFeedbackRoleArn",
    "HTTPSuccessFeedbackSampleRate",
    "HTTPFailureFeedbackRoleArn",
    "LambdaSuccessFeedbackRoleArn",
    "LambdaSuccessFeedbackSampleRate",
    "LambdaFailureFeedbackRoleArn",
    "SQSSuccessFeedbackRoleArn",
    "SQSSuccessFeedbackSampleRate",
    "SQSFailureFeedbackRoleArn",
    "ApplicationSuccessFeedbackRoleArn",
    "ApplicationSuccessFeedbackSampleRate",
    "ApplicationFailureFeedbackRoleArn",
    "FirehoseSuccessFeedbackRoleArn",
    "FirehoseSuccessFeedbackSampleRate",
    "FirehoseFailureFeedbackRoleArn",
];

/// The delivery policy every topic has until one is set
/// (`EffectiveDeliveryPolicy`), as AWS writes it.
pub const DEFAULT_DELIVERY_POLICY: &str = r#"{"http":{"defaultHealthyRetryPolicy":{"minDelayTarget":20,"maxDelayTarget":20,"numRetries":3,"numMaxDelayRetries":0,"numNoDelayRetries":0,"numMinDelayRetries":0,"backoffFunction":"linear"},"disableSubscriptionOverrides":false,"defaultRequestPolicy":{"headerContentType":"text/plain; charset=UTF-8"}}}"#;

/// A topic found from an ARN: its key, ARN and record.
pub struct Found {
    /// `account/region/name`.
    pub key: String,
    /// The topic's ARN.
    pub arn: String,
    /// The owning account.
    pub account: String,
    /// The region.
    pub region: String,
    /// The topic.
    pub topic: Topic,
}

impl SnsService {
    /// The topic `arn` names, in the caller's region. A caller of another
    /// account must be allowed `SNS:action` by the topic's policy (an
    /// empty `action` skips the check: confirmation by token).
    pub(crate) fn find_topic(
        &self,
        ctx: &RequestContext,
        arn: &str,
        action: &str,
    ) -> Result<Found, AwsError> {
        let (region, account, name) = arns::parse_topic(arn).ok_or_else(|| invalid("TopicArn"))?;
        if region != ctx.region {
            return Err(SnsError::NoTopic.into());
        }
        let found = self.find_topic_in(region, account, name)?;
        if !action.is_empty() && account != ctx.account_id {
            check_other_account(ctx, &found, action)?;
        }
        Ok(found)
    }

    /// Topic `name` of `account` in `region`.
    pub(crate) fn find_topic_in(
        &self,
        region: &str,
        account: &str,
        name: &str,
    ) -> Result<Found, AwsError> {
        let key = arns::topic_key(region, account, name);
        let topic = self
            .topic_memo
            .get(&self.topics, &key)?
            .ok_or(SnsError::NoTopic)?;
        Ok(Found {
            key,
            arn: arns::topic_arn(region, account, name),
            account: account.to_string(),
            region: region.to_string(),
            topic,
        })
    }
}

fn valid_name(name: &str, fifo: bool) -> bool {
    let stem = if fifo {
        match name.strip_suffix(".fifo") {
            Some(s) => s,
            None => return false,
        }
    } else {
        name
    };
    !stem.is_empty()
        && name.len() <= 256
        && stem
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// The string map of an `Attributes` or `Tags`-like input member.
fn string_map(v: &Value) -> BTreeMap<String, String> {
    v.as_object()
        .map(|m| {
            m.iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
                .collect()
        })
        .unwrap_or_default()
}

/// Tags from a `[{Key, Value}]` list.
fn tag_list(v: &Value) -> BTreeMap<String, String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .map(|t| {
                    (
                        t["Key"].as_str().unwrap_or_default().to_string(),
                        t["Value"].as_str().unwrap_or_default().to_string(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

fn check_tags(tags: &BTreeMap<String, String>) -> Result<(), AwsError> {
    if tags.len() > 50 {
        return Err(SnsError::TagLimit.into());
    }
    for (k, v) in tags {
        if k.is_empty() || k.len() > 128 || k.starts_with("aws:") {
            return Err(invalid(format!("Tag key [{k}] is invalid")));
        }
        if v.len() > 256 {
            return Err(invalid(format!("Tag value [{v}] is invalid")));
        }
    }
    Ok(())
}

/// Checks one attribute's value; `fifo` says the topic's kind.
fn check_attribute(name: &str, value: &str, fifo: bool) -> Result<(), AwsError> {
    let reason = |r: &str| invalid(format!("Attributes Reason: {r}"));
    match name {
        _ if !SETTABLE.contains(&name) => Err(invalid("AttributeName")),
        "ContentBasedDeduplication" | "FifoThroughputScope" | "ArchivePolicy" if !fifo => {
            Err(reason(&format!("{name} is only available for FIFO topics")))
        }
        "ContentBasedDeduplication" | "FifoTopic" if value != "true" && value != "false" => {
            Err(invalid(format!(
                "Attributes Reason: {name}: Invalid value [{value}]. Must be true or false."
            )))
        }
        "SignatureVersion" if value != "1" && value != "2" => Err(invalid("SignatureVersion")),
        "FifoThroughputScope" if value != "Topic" && value != "MessageGroup" => {
            Err(invalid("FifoThroughputScope"))
        }
        "Policy" => gureum_policy::Policy::parse(value)
            .map(|_| ())
            .map_err(|e| invalid(format!("Policy Error: {e}"))),
        "DeliveryPolicy" | "ArchivePolicy"
            if serde_json::from_str::<Value>(value).map_or(true, |v| !v.is_object()) =>
        {
            Err(invalid(format!("{name}: failed to parse JSON")))
        }
        "DisplayName" if value.chars().count() > 100 => Err(invalid("DisplayName")),
        _ => Ok(()),
    }
}

/// `CreateTopic`.
pub fn create(svc: &SnsService, ctx: &RequestContext, input: &Value) -> OpResult {
    let name = input["Name"].as_str().unwrap_or_default();
    let given = string_map(&input["Attributes"]);
    let tags = tag_list(&input["Tags"]);
    if input.get("DataProtectionPolicy").is_some() && !input["DataProtectionPolicy"].is_string() {
        return Err(invalid("DataProtectionPolicy"));
    }
    let fifo = given.get("FifoTopic").is_some_and(|v| v == "true");
    if !valid_name(name, fifo) {
        return Err(invalid(if fifo {
            "Fifo Topic names must end with .fifo and must be made up of only uppercase and lowercase ASCII letters, numbers, underscores, and hyphens, and must be between 1 and 256 characters long."
        } else {
            "Topic Name"
        }));
    }
    for (k, v) in &given {
        check_attribute(k, v, fifo)?;
    }
    check_tags(&tags)?;
    let arn = arns::topic_arn(&ctx.region, &ctx.account_id, name);
    let key = arns::topic_key(&ctx.region, &ctx.account_id, name);
    let mut attributes = given.clone();
    attributes.remove("FifoTopic");
    if let Some(p) = input["DataProtectionPolicy"].as_str() {
        check_data_protection(p)?;
        attributes.insert("DataProtectionPolicy".into(), p.to_string());
    }
    svc.store.write(|txn| -> Result<(), AwsError> {
        if let Some(existing) = txn.get(&svc.topics, &key)? {
            // The same name again is the same topic, unless an attribute
            // or tag given now differs from what the topic has.
            let differs = attributes
                .iter()
                .any(|(k, v)| existing.attributes.get(k) != Some(v));
            if differs {
                return Err(invalid(
                    "Attributes Reason: Topic already exists with different attributes",
                ));
            }
            if tags.iter().any(|(k, v)| existing.tags.get(k) != Some(v)) {
                return Err(invalid(
                    "Tags Reason: Topic already exists with different tags",
                ));
            }
            return Ok(());
        }
        let mut attributes = attributes.clone();
        attributes
            .entry("Policy".into())
            .or_insert_with(|| default_policy(&arn, &ctx.account_id));
        let topic = Topic {
            name: name.to_string(),
            fifo,
            attributes,
            tags: tags.clone(),
            deleted_subscriptions: 0,
            sequence: 0,
        };
        txn.put(&svc.topics, &key, &topic)?;
        Ok(())
    })?;
    Ok(json!({"TopicArn": arn}))
}

/// `DeleteTopic`: its subscriptions (and deduplication ids) go with it. Deleting a topic that
/// does not exist succeeds, as in AWS.
pub fn delete(svc: &SnsService, ctx: &RequestContext, input: &Value) -> OpResult {
    let arn = input["TopicArn"].as_str().unwrap_or_default();
    let (region, account, name) = arns::parse_topic(arn).ok_or_else(|| invalid("TopicArn"))?;
    if region != ctx.region {
        return Ok(json!({}));
    }
    if account != ctx.account_id {
        match svc.find_topic(ctx, arn, "DeleteTopic") {
            Ok(_) => {}
            Err(e) if e.status == 404 => return Ok(json!({})),
            Err(e) => return Err(e),
        }
    }
    let key = arns::topic_key(region, account, name);
    svc.store.write(|txn| -> Result<(), AwsError> {
        for (k, _) in txn.scan_prefix(&svc.subscriptions, &format!("{key}/"))? {
            txn.delete(&svc.subscriptions, &k)?;
        }
        // A topic made again with the name is a new topic: no
        // deduplication window, no subscription to restore.
        for (k, _) in txn.scan_prefix(&svc.dedup, &format!("{key}/"))? {
            txn.delete(&svc.dedup, &k)?;
        }
        for (k, _) in txn.scan_prefix(&svc.unsubscribed, &format!("{key}/"))? {
            txn.delete(&svc.unsubscribed, &k)?;
        }
        txn.delete(&svc.topics, &key)?;
        Ok(())
    })?;
    Ok(json!({}))
}

/// `ListTopics`: 100 per page.
pub fn list(svc: &SnsService, ctx: &RequestContext, input: &Value) -> OpResult {
    let request = PageRequest::new(None, input["NextToken"].as_str(), (1, 100), 100)
        .map_err(|_| invalid("NextToken"))?;
    let scope = Scope::regional(ctx);
    let page = paging::page(&svc.topics, &scope.prefix(), &request, |_, t| {
        Some(json!({"TopicArn": arns::topic_arn(&ctx.region, &ctx.account_id, &t.name)}))
    })?;
    let mut out = json!({"Topics": page.items});
    if let Some(t) = page.next_token {
        out["NextToken"] = Value::String(t);
    }
    Ok(out)
}

/// `GetTopicAttributes`.
pub fn get_attributes(svc: &SnsService, ctx: &RequestContext, input: &Value) -> OpResult {
    let arn = input["TopicArn"].as_str().unwrap_or_default();
    let found = svc.find_topic(ctx, arn, "GetTopicAttributes")?;
    let (mut confirmed, mut pending) = (0u64, 0u64);
    let now = ctx.clock.now_millis();
    for (_, s) in svc.subscriptions.scan_prefix(&format!("{}/", found.key))? {
        if s.expired(now) {
            continue;
        }
        if s.confirmed {
            confirmed += 1;
        } else {
            pending += 1;
        }
    }
    let t = &found.topic;
    let mut attrs = serde_json::Map::new();
    for (k, v) in &t.attributes {
        if k != "DataProtectionPolicy" {
            attrs.insert(k.clone(), json!(v));
        }
    }
    attrs.insert("TopicArn".into(), json!(found.arn));
    attrs.insert("Owner".into(), json!(found.account));
    attrs.insert(
        "SubscriptionsConfirmed".into(),
        json!(confirmed.to_string()),
    );
    attrs.insert("SubscriptionsPending".into(), json!(pending.to_string()));
    attrs.insert(
        "SubscriptionsDeleted".into(),
        json!(t.deleted_subscriptions.to_string()),
    );
    attrs.entry("DisplayName").or_insert(json!(""));
    attrs.insert(
        "EffectiveDeliveryPolicy".into(),
        json!(t
            .attributes
            .get("DeliveryPolicy")
            .map(String::as_str)
            .unwrap_or(DEFAULT_DELIVERY_POLICY)),
    );
    if t.fifo {
        attrs.insert("FifoTopic".into(), json!("true"));
        attrs
            .entry("ContentBasedDeduplication")
            .or_insert(json!("false"));
    }
    Ok(json!({"Attributes": attrs}))
}

/// `SetTopicAttributes`: an empty value unsets an optional attribute.
pub fn set_attributes(svc: &SnsService, ctx: &RequestContext, input: &Value) -> OpResult {
    let arn = input["TopicArn"].as_str().unwrap_or_default();
    let name = input["AttributeName"].as_str().unwrap_or_default();
    let value = input["AttributeValue"].as_str().unwrap_or_default();
    let found = svc.find_topic(ctx, arn, "SetTopicAttributes")?;
    if name == "FifoTopic" {
        return Err(invalid("AttributeName"));
    }
    if !(value.is_empty() && name != "Policy") {
        check_attribute(name, value, found.topic.fifo)?;
    } else if !SETTABLE.contains(&name) {
        return Err(invalid("AttributeName"));
    }
    update(svc, &found.key, |t| {
        if value.is_empty() && name != "Policy" {
            t.attributes.remove(name);
        } else {
            t.attributes.insert(name.to_string(), value.to_string());
        }
        Ok(())
    })?;
    Ok(json!({}))
}

/// Changes topic `key` in one transaction.
pub(crate) fn update(
    svc: &SnsService,
    key: &str,
    f: impl FnOnce(&mut Topic) -> Result<(), AwsError>,
) -> Result<(), AwsError> {
    svc.store.write(|txn| {
        let mut t = txn.get(&svc.topics, key)?.ok_or(SnsError::NoTopic)?;
        f(&mut t)?;
        txn.put(&svc.topics, key, &t)?;
        Ok(())
    })
}

/// The topic a tagging request's `ResourceArn` names.
fn tagged(svc: &SnsService, ctx: &RequestContext, input: &Value) -> Result<Found, AwsError> {
    let arn = input["ResourceArn"].as_str().unwrap_or_default();
    match arns::parse_topic(arn) {
        Some(_) => svc
            .find_topic(ctx, arn, "TagResource")
            .map_err(|_| SnsError::NoResource.into()),
        None => Err(invalid("ResourceArn")),
    }
}

/// `TagResource`.
pub fn tag(svc: &SnsService, ctx: &RequestContext, input: &Value) -> OpResult {
    let found = tagged(svc, ctx, input)?;
    let tags = tag_list(&input["Tags"]);
    update(svc, &found.key, |t| {
        let mut all = t.tags.clone();
        all.extend(tags);
        check_tags(&all)?;
        t.tags = all;
        Ok(())
    })?;
    Ok(json!({}))
}

/// `UntagResource`.
pub fn untag(svc: &SnsService, ctx: &RequestContext, input: &Value) -> OpResult {
    let found = tagged(svc, ctx, input)?;
    let keys: Vec<String> = input["TagKeys"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|k| k.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    update(svc, &found.key, |t| {
        for k in &keys {
            t.tags.remove(k);
        }
        Ok(())
    })?;
    Ok(json!({}))
}

/// `ListTagsForResource`.
pub fn list_tags(svc: &SnsService, ctx: &RequestContext, input: &Value) -> OpResult {
    let found = tagged(svc, ctx, input)?;
    let tags: Vec<Value> = found
        .topic
        .tags
        .iter()
        .map(|(k, v)| json!({"Key": k, "Value": v}))
        .collect();
    Ok(json!({"Tags": tags}))
}

fn check_data_protection(p: &str) -> Result<(), AwsError> {
    match serde_json::from_str::<Value>(p) {
        Ok(v) if v.is_object() => Ok(()),
        _ => Err(invalid("DataProtectionPolicy")),
    }
}

/// `GetDataProtectionPolicy`: the policy as stored (Gureum keeps it as a
/// record; it does not inspect messages).
pub fn get_data_protection(svc: &SnsService, ctx: &RequestContext, input: &Value) -> OpResult {
    let arn = input["ResourceArn"].as_str().unwrap_or_default();
    let found = svc.find_topic(ctx, arn, "GetDataProtectionPolicy")?;
    Ok(match found.topic.attributes.get("DataProtectionPolicy") {
        Some(p) => json!({"DataProtectionPolicy": p}),
        None => json!({}),
    })
}

/// `PutDataProtectionPolicy`.
pub fn put_data_protection(svc: &SnsService, ctx: &RequestContext, input: &Value) -> OpResult {
    let arn = input["ResourceArn"].as_str().unwrap_or_default();
    let found = svc.find_topic(ctx, arn, "PutDataProtectionPolicy")?;
    let policy = input["DataProtectionPolicy"].as_str().unwrap_or_default();
    check_data_protection(policy)?;
    update(svc, &found.key, |t| {
        t.attributes
            .insert("DataProtectionPolicy".into(), policy.to_string());
        Ok(())
    })?;
    Ok(json!({}))
}
