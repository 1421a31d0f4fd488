//! Why a policy document was refused.
//!
//! IAM answers a bad policy document with the error code
//! `MalformedPolicyDocument` (HTTP 400) and a short message naming the
//! problem. [`PolicyError::message`] gives AWS's wording, so a service can
//! pass it through unchanged:
//!
//! | problem                                    | message                                             |
//! |--------------------------------------------|-----------------------------------------------------|
//! | not JSON, wrong types, bad `Effect`        | `Syntax errors in policy.`                          |
//! | `Principal` in an identity-based policy    | `Policy document should not specify a principal.`   |
//! | resource policy without `Principal`        | `Missing required field Principal`                  |
//! | no `Action`/`NotAction`                    | `Policy statement must contain actions.`            |
//! | unknown element                            | `Unknown field Foo`                                 |
//! | action without a service prefix            | `Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.` |

/// A policy document IAM would refuse.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PolicyError {
    /// Not JSON, not an object, or an element has the wrong type.
    #[error("Syntax errors in policy.")]
    Syntax,
    /// An identity-based policy (or boundary, or session policy) names a
    /// principal.
    #[error("Policy document should not specify a principal.")]
    PrincipalNotAllowed,
    /// A required element is missing (`Principal`, `Resource`, `Effect`,
    /// `Statement`).
    #[error("Missing required field {0}")]
    MissingField(&'static str),
    /// A statement has neither `Action` nor `NotAction`.
    #[error("Policy statement must contain actions.")]
    MissingActions,
    /// A policy without `Version: 2012-10-17` that the legacy grammar cannot
    /// read (for example a resource that is not an ARN).
    #[error("The policy failed legacy parsing")]
    LegacyParsing,
    /// An element IAM does not know.
    #[error("Unknown field {0}")]
    UnknownField(String),
    /// An element that is not allowed in this kind of policy (`Resource` in
    /// a role trust policy).
    #[error("Has prohibited field {0}")]
    ProhibitedField(&'static str),
    /// A condition operator IAM does not know.
    #[error("Invalid Condition type : {0}")]
    InvalidConditionType(String),
    /// An action or condition key without a `service:` prefix.
    #[error("Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.")]
    MissingVendor,
    /// A resource that is neither an ARN nor `*`.
    #[error("Resource {0} must be in ARN format or \"*\".")]
    InvalidResource(String),
    /// A principal IAM cannot resolve, shown as `"AWS":"value"`.
    #[error("Invalid principal in policy: {0}")]
    InvalidPrincipal(String),
    /// Two statements share a `Sid`.
    #[error("Statement IDs (SID) in a single policy must be unique.")]
    DuplicateSid,
    /// A `Sid` of an IAM policy with characters other than letters and digits.
    #[error("Statement IDs (SID) must be alpha-numeric. Check that your input satisfies the regular expression [0-9A-Za-z]*")]
    InvalidSid,
    /// The `Version` is neither `2008-10-17` nor `2012-10-17`.
    #[error("The policy must contain a valid version string")]
    InvalidVersion,
}

impl PolicyError {
    /// AWS's message for this error.
    pub fn message(&self) -> String {
        self.to_string()
    }

    /// The AWS error code: always `MalformedPolicyDocument`.
    pub fn code(&self) -> &'static str {
        "MalformedPolicyDocument"
    }
}
