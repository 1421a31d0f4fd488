//! The AWS managed policies Gureum knows (`arn:aws:iam::aws:policy/…`).
//!
//! Each is a data file in `managed-policies/<Name>.json`, embedded in the
//! binary:
//!
//! ```json
//! {"path": "/", "description": "…", "version": "v3",
//!  "create_date": "2015-02-06T18:40:52Z", "update_date": "2023-08-10T21:31:39Z",
//!  "document": {"Version": "2012-10-17", "Statement": [ … ]}}
//! ```
//!
//! Every account can read, list and attach them; none can change or delete
//! them. Only their current (default) version is kept. Their ids are derived
//! from their names, so they are the same in every account and every run.

use sha2::{Digest, Sha256};
use std::sync::OnceLock;

/// One AWS managed policy.
#[derive(Clone, Debug)]
pub struct AwsManagedPolicy {
    /// The policy's name (`ReadOnlyAccess`).
    pub name: &'static str,
    /// Its path (`/`, `/service-role/`, `/job-function/`).
    pub path: String,
    /// Its description.
    pub description: String,
    /// The default version's id.
    pub version: String,
    /// The default version's document (pretty-printed JSON).
    pub document: String,
    /// `ANPA…`, derived from the name.
    pub policy_id: String,
    /// Creation time, epoch seconds.
    pub create_date: i64,
    /// Last update, epoch seconds.
    pub update_date: i64,
}

impl AwsManagedPolicy {
    /// `arn:aws:iam::aws:policy{path}{name}`.
    pub fn arn(&self) -> String {
        format!("arn:aws:iam::aws:policy{}{}", self.path, self.name)
    }
}

macro_rules! files {
    ($($name:literal),* $(,)?) => {
        &[$(($name, include_str!(concat!("../managed-policies/", $name, ".json")))),*]
    };
}

const FILES: &[(&str, &str)] = files![
    "AdministratorAccess",
    "PowerUserAccess",
    "ReadOnlyAccess",
    "IAMFullAccess",
    "IAMReadOnlyAccess",
    "IAMUserChangePassword",
    "AmazonS3FullAccess",
    "AmazonS3ReadOnlyAccess",
    "AmazonEC2FullAccess",
    "AmazonEC2ReadOnlyAccess",
    "AmazonVPCFullAccess",
    "AmazonDynamoDBFullAccess",
    "AWSLambda_FullAccess",
    "AWSLambdaBasicExecutionRole",
    "CloudWatchFullAccess",
    "AmazonRoute53FullAccess",
    "ElasticLoadBalancingFullAccess",
    "AutoScalingFullAccess",
    "AWSBillingReadOnlyAccess",
];

fn derive_id(name: &str) -> String {
    const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let digest = Sha256::digest(format!("aws-managed-policy/{name}").as_bytes());
    let tail: String = digest
        .iter()
        .take(17)
        .map(|b| ALPHABET[(*b as usize) % 32] as char)
        .collect();
    format!("ANPA{tail}")
}

fn date(v: &serde_json::Value, member: &str) -> i64 {
    v.get(member)
        .and_then(serde_json::Value::as_str)
        .and_then(gureum_core::timestamp::parse_iso8601)
        .map_or(1_423_248_052, |ms| ms.div_euclid(1000))
}

fn load(name: &'static str, text: &str) -> Option<AwsManagedPolicy> {
    let v: serde_json::Value = serde_json::from_str(text).ok()?;
    let s = |m: &str| {
        v.get(m)
            .and_then(serde_json::Value::as_str)
            .unwrap_or_default()
            .to_string()
    };
    Some(AwsManagedPolicy {
        name,
        path: v
            .get("path")
            .and_then(serde_json::Value::as_str)
            .unwrap_or("/")
            .to_string(),
        description: s("description"),
        version: v
            .get("version")
            .and_then(serde_json::Value::as_str)
            .unwrap_or("v1")
            .to_string(),
        document: serde_json::to_string_pretty(v.get("document")?).ok()?,
        policy_id: derive_id(name),
        create_date: date(&v, "create_date"),
        update_date: date(&v, "update_date"),
    })
}

/// All AWS managed policies, in name order.
pub fn all() -> &'static [AwsManagedPolicy] {
    static ALL: OnceLock<Vec<AwsManagedPolicy>> = OnceLock::new();
    ALL.get_or_init(|| {
        let mut v: Vec<_> = FILES
            .iter()
            .filter_map(|(name, text)| load(name, text))
            .collect();
        v.sort_by(|a, b| a.name.cmp(b.name));
        v
    })
}

/// The AWS managed policy with this ARN.
pub fn by_arn(arn: &str) -> Option<&'static AwsManagedPolicy> {
    let rest = arn.strip_prefix("arn:aws:iam::aws:policy")?;
    all().iter().find(|p| {
        rest.len() == p.path.len() + p.name.len() && rest == format!("{}{}", p.path, p.name)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_catalogue_file_loads_and_is_a_valid_identity_policy() {
        assert_eq!(
            all().len(),
            FILES.len(),
            "a managed-policies file failed to load"
        );
        for p in all() {
            crate::documents::validate(&p.document, crate::documents::DocKind::Identity)
                .unwrap_or_else(|e| panic!("{}: {}", p.name, e.message));
        }
    }

    #[test]
    fn managed_policies_are_found_by_arn() {
        let p = by_arn("arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess").expect("known");
        assert_eq!(p.path, "/");
        assert!(p.policy_id.starts_with("ANPA") && p.policy_id.len() == 21);
        assert!(by_arn("arn:aws:iam::aws:policy/service-role/AmazonS3ReadOnlyAccess").is_none());
        assert!(
            by_arn("arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole").is_some()
        );
    }
}
