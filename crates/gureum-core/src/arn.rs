//! Amazon Resource Names: parse, format, and wildcard matching.
//!
//! `arn:partition:service:region:account-id:resource`. The resource part may
//! itself contain colons (`arn:aws:logs:us-east-1:1:log-group:name:*`), so
//! only the first five separators split.

use std::fmt;
use std::str::FromStr;

/// A parsed ARN.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Arn {
    /// `aws` for every ARN Gureum makes.
    pub partition: String,
    /// The service namespace, e.g. `s3`, `iam`.
    pub service: String,
    /// The region; empty for global services.
    pub region: String,
    /// The 12-digit account id; empty for S3 buckets.
    pub account_id: String,
    /// Everything after the fifth colon.
    pub resource: String,
}

/// Why a string is not an ARN.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ArnError {
    /// It does not start with `arn:`.
    #[error("ARN must start with 'arn:'")]
    MissingPrefix,
    /// Fewer than six colon-separated parts.
    #[error("ARN has too few components")]
    TooFewParts,
}

impl Arn {
    /// An ARN in the `aws` partition.
    pub fn new(service: &str, region: &str, account_id: &str, resource: &str) -> Self {
        Arn {
            partition: "aws".into(),
            service: service.into(),
            region: region.into(),
            account_id: account_id.into(),
            resource: resource.into(),
        }
    }
}

impl FromStr for Arn {
    type Err = ArnError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let rest = s.strip_prefix("arn:").ok_or(ArnError::MissingPrefix)?;
        let mut parts = rest.splitn(5, ':');
        let mut next = || parts.next().ok_or(ArnError::TooFewParts);
        let partition = next()?.to_string();
        let service = next()?.to_string();
        let region = next()?.to_string();
        let account_id = next()?.to_string();
        let resource = next()?.to_string();
        Ok(Arn {
            partition,
            service,
            region,
            account_id,
            resource,
        })
    }
}

impl fmt::Display for Arn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "arn:{}:{}:{}:{}:{}",
            self.partition, self.service, self.region, self.account_id, self.resource
        )
    }
}

/// Matches `value` against an IAM-style pattern where `*` matches any run of
/// characters (including none) and `?` any one character. Case-sensitive, as
/// ARN matching in policies is. Runs in O(len(pattern) * len(value)) worst
/// case without recursion, so hostile patterns cannot blow the stack.
pub fn wildcard_match(pattern: &str, value: &str) -> bool {
    let p = pattern.as_bytes();
    let v = value.as_bytes();
    let (mut pi, mut vi) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while vi < v.len() {
        if pi < p.len() && (p[pi] == b'?' || p[pi] == v[vi]) && p[pi] != b'*' {
            pi += 1;
            vi += 1;
        } else if pi < p.len() && p[pi] == b'*' {
            star = Some((pi, vi));
            pi += 1;
        } else if let Some((sp, sv)) = star {
            pi = sp + 1;
            vi = sv + 1;
            star = Some((sp, sv + 1));
        } else {
            return false;
        }
    }
    while pi < p.len() && p[pi] == b'*' {
        pi += 1;
    }
    pi == p.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resource_keeps_its_colons() {
        let a: Arn = "arn:aws:logs:us-east-1:123456789012:log-group:app:*"
            .parse()
            .expect("valid");
        assert_eq!(a.service, "logs");
        assert_eq!(a.resource, "log-group:app:*");
        assert_eq!(
            a.to_string(),
            "arn:aws:logs:us-east-1:123456789012:log-group:app:*"
        );
    }

    #[test]
    fn s3_arns_have_empty_region_and_account() {
        let a: Arn = "arn:aws:s3:::bucket/key".parse().expect("valid");
        assert_eq!(a.region, "");
        assert_eq!(a.account_id, "");
        assert_eq!(a.resource, "bucket/key");
    }

    #[test]
    fn rejects_non_arns() {
        assert_eq!("aws:s3:::b".parse::<Arn>(), Err(ArnError::MissingPrefix));
        assert_eq!("arn:aws:s3".parse::<Arn>(), Err(ArnError::TooFewParts));
    }

    #[test]
    fn star_matches_any_run_and_question_mark_one_character() {
        assert!(wildcard_match(
            "arn:aws:s3:::bucket/*",
            "arn:aws:s3:::bucket/a/b"
        ));
        assert!(wildcard_match("*", ""));
        assert!(wildcard_match("a?c", "abc"));
        assert!(!wildcard_match("a?c", "ac"));
        assert!(!wildcard_match(
            "arn:aws:s3:::bucket/*",
            "arn:aws:s3:::other/a"
        ));
        assert!(wildcard_match("s3:Get*", "s3:GetObject"));
        assert!(!wildcard_match("s3:Get*", "s3:PutObject"));
        assert!(wildcard_match("*a*b*c*", "xxaxxbxxcxx"));
    }

    #[test]
    fn matching_is_case_sensitive() {
        assert!(!wildcard_match(
            "arn:aws:s3:::Bucket",
            "arn:aws:s3:::bucket"
        ));
    }
}
