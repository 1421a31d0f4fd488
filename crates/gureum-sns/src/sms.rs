//! SMS: messages published straight to a phone number (captured, as every
//! SMS Gureum sends), the account's SMS attributes, and opt-out checks
//! (nobody has opted out of a local endpoint).

use crate::errors::invalid;
use crate::publish::Outgoing;
use crate::{Captured, SnsService};
use gureum_core::{OpResult, RequestContext, Scope, Value};
use serde_json::json;
use std::collections::BTreeMap;

/// The attributes `SetSMSAttributes` accepts.
const SETTABLE: &[&str] = &[
    "MonthlySpendLimit",
    "DeliveryStatusIAMRole",
    "DeliveryStatusSuccessSamplingRate",
    "DefaultSenderID",
    "DefaultSMSType",
    "UsageReportS3Bucket",
];

/// Whether `n` is a phone number SNS sends to (E.164: `+`, 7 to 15 digits).
pub fn valid_number(n: &str) -> bool {
    let digits = n.strip_prefix('+').unwrap_or(n);
    (7..=15).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit())
}

/// Keeps one SMS in `sns.captured`.
pub fn capture(svc: &SnsService, c: &Captured) -> Result<(), gureum_core::AwsError> {
    let key = format!("{:015}/{}", c.time_ms, gureum_core::id::uuid_v4());
    svc.captured.put(&key, c)?;
    Ok(())
}

/// `Publish` with `PhoneNumber`.
pub fn publish_direct(
    svc: &SnsService,
    ctx: &RequestContext,
    number: &str,
    out: &Outgoing,
) -> OpResult {
    if !valid_number(number) {
        return Err(invalid(format!(
            "PhoneNumber Reason: {number} is not valid to publish to"
        )));
    }
    let message_id = gureum_core::id::uuid_v4();
    capture(
        svc,
        &Captured {
            account: ctx.account_id.clone(),
            region: ctx.region.clone(),
            protocol: "sms".into(),
            endpoint: number.to_string(),
            topic_arn: String::new(),
            subscription_arn: String::new(),
            message_id: message_id.clone(),
            subject: out.subject.clone(),
            message: out.message_for("sms").to_string(),
            status: "delivered".into(),
            time_ms: out.time_ms,
        },
    )?;
    Ok(json!({"MessageId": message_id}))
}

fn key(ctx: &RequestContext) -> String {
    Scope::regional(ctx).key("sms")
}

/// `GetSMSAttributes`: those named in `attributes`, or all that were set.
pub fn get_attributes(svc: &SnsService, ctx: &RequestContext, input: &Value) -> OpResult {
    let all = svc.sms.get(&key(ctx))?.unwrap_or_default();
    let wanted: Option<Vec<&str>> = input["attributes"]
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_str).collect());
    let shown: BTreeMap<&String, &String> = all
        .iter()
        .filter(|(k, _)| wanted.as_ref().is_none_or(|w| w.contains(&k.as_str())))
        .collect();
    Ok(json!({"attributes": shown}))
}

/// `SetSMSAttributes`.
pub fn set_attributes(svc: &SnsService, ctx: &RequestContext, input: &Value) -> OpResult {
    let given: BTreeMap<String, String> = input["attributes"]
        .as_object()
        .map(|m| {
            m.iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
                .collect()
        })
        .unwrap_or_default();
    for (k, v) in &given {
        if !SETTABLE.contains(&k.as_str()) {
            return Err(invalid(k.clone()));
        }
        let ok = match k.as_str() {
            "DefaultSMSType" => v == "Promotional" || v == "Transactional",
            "MonthlySpendLimit" | "DeliveryStatusSuccessSamplingRate" => v.parse::<u32>().is_ok(),
            _ => true,
        };
        if !ok {
            return Err(invalid(k.clone()));
        }
    }
    let k = key(ctx);
    svc.store
        .write(|txn| -> Result<(), gureum_core::AwsError> {
            let mut all = txn.get(&svc.sms, &k)?.unwrap_or_default();
            all.extend(given);
            txn.put(&svc.sms, &k, &all)?;
            Ok(())
        })?;
    Ok(json!({}))
}

/// `CheckIfPhoneNumberIsOptedOut`: never, locally.
pub fn check_opted_out(_svc: &SnsService, _ctx: &RequestContext, input: &Value) -> OpResult {
    let number = input["phoneNumber"].as_str().unwrap_or_default();
    if !valid_number(number) {
        return Err(invalid("PhoneNumber"));
    }
    Ok(json!({"isOptedOut": false}))
}

/// `ListPhoneNumbersOptedOut`: nobody opts out of a local endpoint.
pub fn list_opted_out(_svc: &SnsService, _ctx: &RequestContext, input: &Value) -> OpResult {
    if input["nextToken"].as_str().is_some_and(|t| !t.is_empty()) {
        return Err(invalid("nextToken"));
    }
    Ok(json!({"phoneNumbers": []}))
}

/// `OptInPhoneNumber`: the number is (still) opted in.
pub fn opt_in(_svc: &SnsService, _ctx: &RequestContext, input: &Value) -> OpResult {
    if !valid_number(input["phoneNumber"].as_str().unwrap_or_default()) {
        return Err(invalid("PhoneNumber"));
    }
    Ok(json!({}))
}
