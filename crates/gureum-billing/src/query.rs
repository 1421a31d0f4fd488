//! Cost Explorer's reading of line items: dimension values, `Filter`
//! expressions (`Dimensions`, `Tags`, `And`, `Or`, `Not`) and `GroupBy`
//! keys.

use crate::meter::LineItem;
use crate::usage::service_name;
use gureum_core::{AwsError, CommonError, Value};

/// One line item as a query sees it: its account beside it.
pub struct Row<'a> {
    /// The account the usage is billed to.
    pub account: &'a str,
    /// The line item.
    pub item: &'a LineItem,
}

/// The dimensions Gureum's line items answer (`GroupBy` accepts these).
pub const GROUP_DIMENSIONS: &[&str] = &[
    "AZ",
    "INSTANCE_TYPE",
    "LINKED_ACCOUNT",
    "OPERATION",
    "PURCHASE_TYPE",
    "PLATFORM",
    "TENANCY",
    "RECORD_TYPE",
    "LEGAL_ENTITY_NAME",
    "INVOICING_ENTITY",
    "DEPLOYMENT_OPTION",
    "DATABASE_ENGINE",
    "CACHE_ENGINE",
    "INSTANCE_TYPE_FAMILY",
    "REGION",
    "BILLING_ENTITY",
    "RESERVATION_ID",
    "SAVINGS_PLANS_TYPE",
    "SAVINGS_PLAN_ARN",
    "OPERATING_SYSTEM",
    "RESOURCE_ID",
    "SERVICE",
    "SERVICE_CODE",
    "USAGE_TYPE",
    "USAGE_TYPE_GROUP",
];

pub(crate) fn invalid(message: impl Into<String>) -> AwsError {
    CommonError::ValidationException {
        message: message.into(),
    }
    .into()
}

/// The value of `dimension` for a row ("NoInstanceType" and the like for
/// dimensions the item has no value of, as Cost Explorer groups them).
pub fn dimension(row: &Row<'_>, dimension: &str) -> String {
    let item = row.item;
    let instance_type = || {
        item.usage_type
            .split_once(':')
            .filter(|_| {
                item.usage_type.contains("BoxUsage")
                    || item.usage_type.contains("InstanceUsage")
                    || item.usage_type.contains("NodeUsage")
            })
            .map(|(_, t)| t.to_string())
    };
    match dimension {
        "SERVICE" => service_name(&item.service_code, &item.usage_type).to_string(),
        "SERVICE_CODE" => item.service_code.clone(),
        "USAGE_TYPE" => item.usage_type.clone(),
        "REGION" => item.region.clone(),
        "LINKED_ACCOUNT" => row.account.to_string(),
        "OPERATION" => item.operation.clone(),
        "RECORD_TYPE" => "Usage".into(),
        "RESOURCE_ID" => item.resource_id.clone(),
        "PURCHASE_TYPE" => "On Demand Instances".into(),
        "BILLING_ENTITY" => "AWS".into(),
        "LEGAL_ENTITY_NAME" | "INVOICING_ENTITY" => "Amazon Web Services, Inc.".into(),
        "INSTANCE_TYPE" => instance_type().unwrap_or_else(|| "NoInstanceType".into()),
        "INSTANCE_TYPE_FAMILY" => instance_type()
            .and_then(|t| t.split('.').next().map(str::to_string))
            .unwrap_or_else(|| "NoInstanceTypeFamily".into()),
        "OPERATING_SYSTEM" | "PLATFORM" if item.usage_type.contains("BoxUsage") => "Linux".into(),
        "TENANCY" if item.usage_type.contains("BoxUsage") => "Shared".into(),
        "USAGE_TYPE_GROUP" => usage_type_group(item).into(),
        _ => "NoValue".into(),
    }
}

fn usage_type_group(item: &LineItem) -> &'static str {
    let u = item.usage_type.as_str();
    if u.contains("BoxUsage") {
        "EC2: Running Hours"
    } else if u.contains("EBS:VolumeUsage") {
        "EC2: EBS - SSD(gp3)"
    } else if u.contains("EBS:SnapshotUsage") {
        "EC2: EBS - Snapshots"
    } else if u.contains("NatGateway-Hours") {
        "EC2: NAT Gateway - Running Hours"
    } else if u.contains("TimedStorage") && item.service_code == "AmazonS3" {
        "S3: Storage - Standard"
    } else {
        "NoUsageTypeGroup"
    }
}

/// A tag's value on a row (`None` when untagged).
pub fn tag<'a>(row: &Row<'a>, key: &str) -> Option<&'a str> {
    row.item
        .tags
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

fn matches(actual: Option<&str>, values: &[&str], options: &[&str]) -> bool {
    if options.contains(&"ABSENT") {
        return actual.is_none();
    }
    let Some(actual) = actual else {
        return false;
    };
    let fold = options.contains(&"CASE_INSENSITIVE");
    let norm = |s: &str| {
        if fold {
            s.to_lowercase()
        } else {
            s.to_string()
        }
    };
    let a = norm(actual);
    values.iter().any(|v| {
        let v = norm(v);
        if options.contains(&"STARTS_WITH") {
            a.starts_with(&v)
        } else if options.contains(&"ENDS_WITH") {
            a.ends_with(&v)
        } else if options.contains(&"CONTAINS") {
            a.contains(&v)
        } else {
            a == v
        }
    })
}

fn strings(v: &Value) -> Vec<&str> {
    v.as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect()
}

/// Checks an `Expression` once, before any row is read.
pub fn validate(expr: &Value) -> Result<(), AwsError> {
    let Some(obj) = expr.as_object() else {
        return Err(invalid("Expression must be an object"));
    };
    let set: Vec<&str> = ["And", "Or", "Not", "Dimensions", "Tags", "CostCategories"]
        .into_iter()
        .filter(|k| obj.get(*k).is_some_and(|v| !v.is_null()))
        .collect();
    if set.len() != 1 {
        return Err(invalid(
            "Expression must have exactly one of the following: And, Or, Not, Dimensions, Tags, CostCategories",
        ));
    }
    match set[0] {
        "And" | "Or" => {
            let list = obj[set[0]]
                .as_array()
                .map(Vec::as_slice)
                .unwrap_or_default();
            if list.len() < 2 {
                return Err(invalid(format!(
                    "{} expression must have at least 2 operands",
                    set[0]
                )));
            }
            list.iter().try_for_each(validate)
        }
        "Not" => validate(&obj["Not"]),
        "Dimensions" => {
            let key = obj["Dimensions"]["Key"].as_str().unwrap_or_default();
            if !GROUP_DIMENSIONS.contains(&key) {
                return Err(invalid(format!("Dimension {key} is not allowed")));
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

/// Whether `row` passes the (validated) expression.
pub fn passes(row: &Row<'_>, expr: &Value) -> bool {
    if let Some(list) = expr.get("And").and_then(Value::as_array) {
        return list.iter().all(|e| passes(row, e));
    }
    if let Some(list) = expr.get("Or").and_then(Value::as_array) {
        return list.iter().any(|e| passes(row, e));
    }
    if let Some(e) = expr.get("Not").filter(|e| !e.is_null()) {
        return !passes(row, e);
    }
    if let Some(d) = expr.get("Dimensions").filter(|e| !e.is_null()) {
        let value = dimension(row, d["Key"].as_str().unwrap_or_default());
        return matches(
            Some(&value),
            &strings(&d["Values"]),
            &strings(&d["MatchOptions"]),
        );
    }
    if let Some(t) = expr.get("Tags").filter(|e| !e.is_null()) {
        let key = t["Key"].as_str().unwrap_or_default();
        return matches(
            tag(row, key),
            &strings(&t["Values"]),
            &strings(&t["MatchOptions"]),
        );
    }
    // Cost categories: Gureum has none, so nothing is in one.
    false
}

/// A validated `GroupBy`: (type, key) pairs.
pub fn group_by(input: &Value) -> Result<Vec<(String, String)>, AwsError> {
    let list = input["GroupBy"].as_array().cloned().unwrap_or_default();
    if list.len() > 2 {
        return Err(invalid("You can only group by up to two different groups."));
    }
    list.iter()
        .map(|g| {
            let ty = g["Type"].as_str().unwrap_or_default();
            let key = g["Key"].as_str().unwrap_or_default();
            match ty {
                "DIMENSION" if GROUP_DIMENSIONS.contains(&key) => Ok((ty.into(), key.into())),
                "DIMENSION" => Err(invalid(format!(
                    "Group Definition dimension is invalid. Valid values are AZ, INSTANCE_TYPE, LEGAL_ENTITY_NAME, INVOICING_ENTITY, LINKED_ACCOUNT, OPERATION, PLATFORM, PURCHASE_TYPE, SERVICE, TENANCY, RECORD_TYPE, and USAGE_TYPE, got {key}"
                ))),
                "TAG" | "COST_CATEGORY" => Ok((ty.into(), key.into())),
                _ => Err(invalid(format!(
                    "1 validation error detected: Value '{ty}' at 'groupBy.1.member.type' failed to satisfy constraint: Member must satisfy enum value set: [COST_CATEGORY, DIMENSION, TAG]"
                ))),
            }
        })
        .collect()
}

/// A row's group key under one `GroupBy` entry (`Key$Value` for tags).
pub fn group_key(row: &Row<'_>, ty: &str, key: &str) -> String {
    match ty {
        "TAG" => format!("{key}${}", tag(row, key).unwrap_or_default()),
        "COST_CATEGORY" => format!("{key}$"),
        _ => dimension(row, key),
    }
}
