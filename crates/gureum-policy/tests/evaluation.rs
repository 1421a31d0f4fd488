//! The evaluation suite: one row per rule of AWS's documented policy
//! evaluation logic, most of them taken from AWS's own examples (IAM User
//! Guide "Example IAM identity-based policies", "IAM JSON policy elements:
//! Condition operators", "Policy variables", "Permissions boundaries",
//! "Session policies", "Cross-account policy evaluation logic", and the S3
//! User Guide's bucket policy examples).
//!
//! Every policy is also run through `validate` with its kind, so the corpus
//! only contains documents IAM would accept (rows marked `lenient()` test
//! what the evaluator does with documents `validate` refuses).

use gureum_policy::{
    access_denied_message, evaluate, validate, ContextKeys, Decision, DenyReason, Policy,
    PolicyKind, PolicySet, Request, RequestPrincipal,
};

use DenyReason::*;

const ACCT: &str = "123456789012";
const OTHER: &str = "111122223333";
const ALICE: &str = "arn:aws:iam::123456789012:user/alice";
const BOB: &str = "arn:aws:iam::123456789012:user/bob";
const CAROL: &str = "arn:aws:iam::111122223333:user/carol";
const DEV_ROLE: &str = "arn:aws:iam::123456789012:role/Dev";
const DEV_SESSION: &str = "arn:aws:sts::123456789012:assumed-role/Dev/s1";
const XROLE: &str = "arn:aws:iam::111122223333:role/Ops";
const XSESSION: &str = "arn:aws:sts::111122223333:assumed-role/Ops/carol";
const OBJ: &str = "arn:aws:s3:::bucket/key";

fn alice() -> RequestPrincipal {
    RequestPrincipal::user(ALICE, ACCT)
}
fn bob() -> RequestPrincipal {
    RequestPrincipal::user(BOB, ACCT)
}
fn carol() -> RequestPrincipal {
    RequestPrincipal::user(CAROL, OTHER)
}
fn dev() -> RequestPrincipal {
    RequestPrincipal::session(DEV_SESSION, DEV_ROLE, ACCT)
}
fn ops() -> RequestPrincipal {
    RequestPrincipal::session(XSESSION, XROLE, OTHER)
}
fn root() -> RequestPrincipal {
    RequestPrincipal::user("arn:aws:iam::123456789012:root", ACCT)
}
fn anon() -> RequestPrincipal {
    RequestPrincipal::anonymous()
}
fn svc(s: &str) -> RequestPrincipal {
    RequestPrincipal::service(s)
}
fn federated(provider: &str) -> RequestPrincipal {
    RequestPrincipal {
        arn: "arn:aws:sts::123456789012:assumed-role/WebRole/web".into(),
        account_id: ACCT.into(),
        role_arn: Some("arn:aws:iam::123456789012:role/WebRole".into()),
        federated: Some(provider.into()),
        ..RequestPrincipal::default()
    }
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Expect {
    Allow,
    Implicit(DenyReason),
    Explicit(DenyReason),
}

struct Case {
    name: &'static str,
    identity: Vec<&'static str>,
    resource: Option<&'static str>,
    resource_account: Option<&'static str>,
    boundary: Option<Vec<&'static str>>,
    session: Option<Vec<&'static str>>,
    principal: RequestPrincipal,
    action: &'static str,
    arn: &'static str,
    ctx: Vec<(&'static str, Vec<&'static str>)>,
    expect: Option<Expect>,
    strict: bool,
}

fn c(name: &'static str) -> Case {
    Case {
        name,
        identity: Vec::new(),
        resource: None,
        resource_account: None,
        boundary: None,
        session: None,
        principal: alice(),
        action: "s3:GetObject",
        arn: OBJ,
        ctx: Vec::new(),
        expect: None,
        strict: true,
    }
}

impl Case {
    fn id(mut self, p: &'static str) -> Self {
        self.identity.push(p);
        self
    }
    fn rp(mut self, p: &'static str) -> Self {
        self.resource = Some(p);
        self
    }
    fn owner(mut self, a: &'static str) -> Self {
        self.resource_account = Some(a);
        self
    }
    fn bnd(mut self, p: &'static str) -> Self {
        self.boundary.get_or_insert_with(Vec::new).push(p);
        self
    }
    fn ses(mut self, p: &'static str) -> Self {
        self.session.get_or_insert_with(Vec::new).push(p);
        self
    }
    fn who(mut self, p: RequestPrincipal) -> Self {
        self.principal = p;
        self
    }
    fn act(mut self, a: &'static str) -> Self {
        self.action = a;
        self
    }
    fn on(mut self, r: &'static str) -> Self {
        self.arn = r;
        self
    }
    fn ctx(mut self, k: &'static str, v: &'static str) -> Self {
        self.ctx.push((k, vec![v]));
        self
    }
    fn ctxm(mut self, k: &'static str, v: &[&'static str]) -> Self {
        self.ctx.push((k, v.to_vec()));
        self
    }
    fn lenient(mut self) -> Self {
        self.strict = false;
        self
    }
    fn allow(mut self) -> Self {
        self.expect = Some(Expect::Allow);
        self
    }
    fn deny(mut self, r: DenyReason) -> Self {
        self.expect = Some(Expect::Implicit(r));
        self
    }
    fn xdeny(mut self, r: DenyReason) -> Self {
        self.expect = Some(Expect::Explicit(r));
        self
    }
}

// ---------------------------------------------------------------- policies

const S3_GET_OBJ: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::bucket/key"}]}"#;
const S3_GET_STAR: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:Get*","Resource":"arn:aws:s3:::bucket/*"}]}"#;
const S3_ALL: &str =
    r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}"#;
const ADMIN: &str =
    r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#;
const DENY_ALL: &str =
    r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"*","Resource":"*"}]}"#;
const DENY_S3_PUT: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"s3:PutObject","Resource":"*"}]}"#;
const READ_ONLY: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:Get*","s3:List*","ec2:Describe*","iam:Get*","iam:List*"],"Resource":"*"}]}"#;
const S3_FULL: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:*","s3-object-lambda:*"],"Resource":"*"}]}"#;
const ACCESS_KEYS: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:*AccessKey*","Resource":"arn:aws:iam::123456789012:user/${aws:username}"}]}"#;

// IAM User Guide: "Allows MFA-authenticated IAM users to manage their own
// credentials" (the DenyAllExceptListedIfNoMFA statement).
const MFA_DENY: &str = r#"{"Version":"2012-10-17","Statement":[
  {"Sid":"AllowAll","Effect":"Allow","Action":"*","Resource":"*"},
  {"Sid":"DenyAllExceptListedIfNoMFA","Effect":"Deny",
   "NotAction":["iam:CreateVirtualMFADevice","iam:EnableMFADevice","iam:GetUser","iam:ListMFADevices","iam:ListVirtualMFADevices","iam:ResyncMFADevice","sts:GetSessionToken"],
   "Resource":"*","Condition":{"BoolIfExists":{"aws:MultiFactorAuthPresent":"false"}}}]}"#;

// IAM User Guide: "Denies access to AWS based on the source IP".
const SOURCE_IP_DENY: &str = r#"{"Version":"2012-10-17","Statement":[
  {"Effect":"Allow","Action":"*","Resource":"*"},
  {"Effect":"Deny","Action":"*","Resource":"*","Condition":{
    "NotIpAddress":{"aws:SourceIp":["192.0.2.0/24","203.0.113.0/24"]},
    "Bool":{"aws:ViaAWSService":"false"}}}]}"#;

// IAM User Guide: "Allows access within specific dates".
const DATE_WINDOW: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ec2:*","Resource":"*",
  "Condition":{"DateGreaterThan":{"aws:CurrentTime":"2020-04-01T00:00:00Z"},
               "DateLessThan":{"aws:CurrentTime":"2020-06-30T23:59:59Z"}}}]}"#;

// IAM User Guide: "Denies access to AWS based on the requested Region".
const REGION_DENY: &str = r#"{"Version":"2012-10-17","Statement":[
  {"Effect":"Allow","Action":"*","Resource":"*"},
  {"Sid":"DenyAllOutsideRequestedRegions","Effect":"Deny",
   "NotAction":["cloudfront:*","iam:*","route53:*","support:*"],"Resource":"*",
   "Condition":{"StringNotEquals":{"aws:RequestedRegion":["eu-central-1","eu-west-1"]}}}]}"#;

// IAM User Guide: "Allows access to a user's home directory in Amazon S3".
const S3_HOME: &str = r#"{"Version":"2012-10-17","Statement":[
  {"Sid":"ListYourObjects","Effect":"Allow","Action":"s3:ListBucket","Resource":["arn:aws:s3:::bucket-name"],
   "Condition":{"StringLike":{"s3:prefix":["${aws:username}/*"]}}},
  {"Sid":"RWYourObjects","Effect":"Allow","Action":["s3:GetObject","s3:PutObject","s3:DeleteObject"],
   "Resource":["arn:aws:s3:::bucket-name/home/${aws:username}","arn:aws:s3:::bucket-name/home/${aws:username}/*"]}]}"#;
const S3_HOME_LEGACY: &str = r#"{"Version":"2008-10-17","Statement":[
  {"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::bucket-name/home/${aws:username}/*"}]}"#;

// IAM User Guide: "Allows starting or stopping EC2 instances a user has
// tagged" (ABAC with aws:PrincipalTag in a condition value).
const ABAC_EC2: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow",
  "Action":["ec2:StartInstances","ec2:StopInstances"],"Resource":"*",
  "Condition":{"StringEquals":{"aws:ResourceTag/Project":"${aws:PrincipalTag/Project}"}}}]}"#;

// Condition operators page: tag keys.
const TAGKEYS_ALL: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ec2:CreateTags","Resource":"*",
  "Condition":{"ForAllValues:StringLike":{"aws:TagKeys":["environment","cost-*"]}}}]}"#;
const TAGKEYS_ANY: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"ec2:CreateTags","Resource":"*",
  "Condition":{"ForAnyValue:StringEquals":{"aws:TagKeys":["owner","aws-reserved"]}}}, {"Effect":"Allow","Action":"ec2:*","Resource":"*"}]}"#;

// S3 User Guide bucket policies.
const BP_PUBLIC_READ: &str = r#"{"Version":"2012-10-17","Statement":[{"Sid":"PublicRead","Effect":"Allow","Principal":"*",
  "Action":["s3:GetObject","s3:GetObjectVersion"],"Resource":["arn:aws:s3:::bucket/*"]}]}"#;
const BP_PUBLIC_READ_AWS_STAR: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},
  "Action":"s3:GetObject","Resource":"arn:aws:s3:::bucket/*"}]}"#;
const BP_TLS_ONLY: &str = r#"{"Version":"2012-10-17","Statement":[{"Sid":"RestrictToTLSRequestsOnly","Effect":"Deny","Principal":"*",
  "Action":"s3:*","Resource":["arn:aws:s3:::bucket","arn:aws:s3:::bucket/*"],
  "Condition":{"Bool":{"aws:SecureTransport":"false"}}}]}"#;
const BP_IP_ONLY: &str = r#"{"Version":"2012-10-17","Id":"S3PolicyId1","Statement":[{"Sid":"IPAllow","Effect":"Deny","Principal":"*",
  "Action":"s3:*","Resource":["arn:aws:s3:::bucket","arn:aws:s3:::bucket/*"],
  "Condition":{"NotIpAddress":{"aws:SourceIp":["192.0.2.0/24","2001:DB8:1234:5678::/64"]}}}]}"#;
const BP_ALICE: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:user/alice"},
  "Action":["s3:GetObject","s3:PutObject"],"Resource":"arn:aws:s3:::bucket/*"}]}"#;
const BP_DENY_ALICE: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":{"AWS":"arn:aws:iam::123456789012:user/alice"},
  "Action":"s3:*","Resource":"arn:aws:s3:::bucket/*"}]}"#;
const BP_OWN_ACCOUNT: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},
  "Action":"s3:*","Resource":"arn:aws:s3:::bucket/*"}]}"#;
const BP_OWN_ACCOUNT_ID: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"123456789012"},
  "Action":"s3:*","Resource":"arn:aws:s3:::bucket/*"}]}"#;
const BP_DEV_ROLE: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:role/Dev"},
  "Action":"s3:GetObject","Resource":"arn:aws:s3:::bucket/*"}]}"#;
const BP_DEV_SESSION: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:sts::123456789012:assumed-role/Dev/s1"},
  "Action":"s3:GetObject","Resource":"arn:aws:s3:::bucket/*"}]}"#;
const BP_CROSS_ACCOUNT: &str = r#"{"Version":"2012-10-17","Statement":[{"Sid":"Example permissions","Effect":"Allow",
  "Principal":{"AWS":"arn:aws:iam::111122223333:root"},
  "Action":["s3:GetBucketLocation","s3:ListBucket","s3:GetObject"],
  "Resource":["arn:aws:s3:::bucket","arn:aws:s3:::bucket/*"]}]}"#;
const BP_CROSS_CAROL: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow",
  "Principal":{"AWS":["arn:aws:iam::111122223333:user/carol"]},"Action":"s3:GetObject","Resource":"arn:aws:s3:::bucket/*"}]}"#;
const BP_CROSS_OPS_ROLE: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow",
  "Principal":{"AWS":"arn:aws:iam::111122223333:role/Ops"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::bucket/*"}]}"#;
const BP_CROSS_DENY_PUT: &str = r#"{"Version":"2012-10-17","Statement":[
  {"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"s3:*","Resource":"arn:aws:s3:::bucket/*"},
  {"Effect":"Deny","Principal":{"AWS":"111122223333"},"Action":"s3:PutObject","Resource":"arn:aws:s3:::bucket/*"}]}"#;
const BP_CLOUDTRAIL: &str = r#"{"Version":"2012-10-17","Statement":[
  {"Sid":"AWSCloudTrailWrite","Effect":"Allow","Principal":{"Service":"cloudtrail.amazonaws.com"},"Action":"s3:PutObject",
   "Resource":"arn:aws:s3:::bucket/AWSLogs/123456789012/*",
   "Condition":{"StringEquals":{"s3:x-amz-acl":"bucket-owner-full-control","aws:SourceAccount":"123456789012"}}}]}"#;
const BP_NOT_PRINCIPAL_ALICE_ONLY: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny",
  "NotPrincipal":{"AWS":["arn:aws:iam::123456789012:user/alice"]},"Action":"s3:*","Resource":"arn:aws:s3:::bucket/*"}]}"#;
const BP_NOT_PRINCIPAL_ALICE_ACCT: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny",
  "NotPrincipal":{"AWS":["arn:aws:iam::123456789012:user/alice","arn:aws:iam::123456789012:root"]},"Action":"s3:*","Resource":"arn:aws:s3:::bucket/*"}]}"#;
const BP_NOT_PRINCIPAL_SESSION: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny",
  "NotPrincipal":{"AWS":["arn:aws:sts::123456789012:assumed-role/Dev/s1","arn:aws:iam::123456789012:role/Dev","arn:aws:iam::123456789012:root"]},
  "Action":"s3:*","Resource":"arn:aws:s3:::bucket/*"}]}"#;
const BP_NOT_PRINCIPAL_ROLE_ONLY: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny",
  "NotPrincipal":{"AWS":["arn:aws:iam::123456789012:role/Dev","arn:aws:iam::123456789012:root"]},
  "Action":"s3:*","Resource":"arn:aws:s3:::bucket/*"}]}"#;
const BP_PRINCIPAL_ARN_COND: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:*",
  "Resource":"arn:aws:s3:::bucket/*","Condition":{"ArnNotLike":{"aws:PrincipalArn":["arn:aws:iam::123456789012:role/Dev","arn:aws:iam::123456789012:user/a*"]}}}]}"#;
const BP_ORG: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject",
  "Resource":"arn:aws:s3:::bucket/*","Condition":{"StringEquals":{"aws:PrincipalOrgID":"o-abc123"}}}]}"#;
const BP_VPCE: &str = r#"{"Version":"2012-10-17","Statement":[{"Sid":"Access-to-specific-VPCE-only","Effect":"Deny","Principal":"*",
  "Action":"s3:*","Resource":["arn:aws:s3:::bucket","arn:aws:s3:::bucket/*"],
  "Condition":{"StringNotEquals":{"aws:SourceVpce":"vpce-1a2b3c4d"}}}]}"#;
const BP_DENY_ROOT: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":{"AWS":"arn:aws:iam::123456789012:root"},
  "Action":"s3:DeleteBucket","Resource":"arn:aws:s3:::bucket"}]}"#;
const BP_CANONICAL: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"CanonicalUser":"79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be"},
  "Action":"s3:GetObject","Resource":"arn:aws:s3:::bucket/*"}]}"#;

// KMS default key policy: "Enable IAM User Permissions".
const KEY_POLICY: &str = r#"{"Version":"2012-10-17","Id":"key-default-1","Statement":[
  {"Sid":"Enable IAM User Permissions","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"kms:*","Resource":"*"},
  {"Sid":"Allow use of the key","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:user/bob"},"Action":["kms:Encrypt","kms:Decrypt"],"Resource":"*"}]}"#;
const KEY_ARN: &str = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab";

// Role trust policies.
const TRUST_EC2: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;
const TRUST_ACCOUNT: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"sts:AssumeRole"}]}"#;
const TRUST_ALICE: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:user/alice"},"Action":["sts:AssumeRole","sts:TagSession"]}]}"#;
const TRUST_OTHER_ACCOUNT_EXTID: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"sts:AssumeRole",
  "Condition":{"StringEquals":{"sts:ExternalId":"Unique-ID-1234"}}}]}"#;
const TRUST_MFA: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"sts:AssumeRole",
  "Condition":{"Bool":{"aws:MultiFactorAuthPresent":"true"},"NumericLessThan":{"aws:MultiFactorAuthAge":"3600"}}}]}"#;
const TRUST_WEB: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"cognito-identity.amazonaws.com"},
  "Action":"sts:AssumeRoleWithWebIdentity","Condition":{"StringEquals":{"cognito-identity.amazonaws.com:aud":"us-east-1:12345678-abcd-abcd-abcd-123456789012"},
  "ForAnyValue:StringLike":{"cognito-identity.amazonaws.com:amr":"authenticated"}}}]}"#;
const ROLE_ARN: &str = "arn:aws:iam::123456789012:role/Target";
const XROLE_TARGET: &str = "arn:aws:iam::123456789012:role/CrossTarget";
const ASSUME_ANY: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"arn:aws:iam::123456789012:role/*"}]}"#;

// Permissions boundaries (IAM User Guide examples).
const BOUNDARY_S3_CW_EC2: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow",
  "Action":["s3:*","cloudwatch:*","ec2:*"],"Resource":"*"}]}"#;
const IDENTITY_CREATE_USER: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:CreateUser","Resource":"*"}]}"#;
const BOUNDARY_GET_ONLY: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}"#;
const BOUNDARY_DENY_DELETE: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"},
  {"Effect":"Deny","Action":["s3:DeleteObject","s3:DeleteBucket"],"Resource":"*"}]}"#;
const BOUNDARY_NOT_IAM: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","NotAction":"iam:*","Resource":"*"}]}"#;
const BOUNDARY_IP: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*",
  "Condition":{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}}]}"#;
// Delegated administrator: may create users only with the given boundary.
const DELEGATED_ADMIN: &str = r#"{"Version":"2012-10-17","Statement":[{"Sid":"CreateOrChangeOnlyWithBoundary","Effect":"Allow",
  "Action":["iam:CreateUser","iam:PutUserPermissionsBoundary","iam:AttachUserPolicy"],"Resource":"*",
  "Condition":{"StringEquals":{"iam:PermissionsBoundary":"arn:aws:iam::123456789012:policy/XCompanyBoundaries"}}}]}"#;

// Session policies.
const SESSION_GET_ONLY: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::bucket/*"}]}"#;
const SESSION_LIST_ONLY: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:ListBucket","Resource":"*"}]}"#;
const SESSION_DENY_GET: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"},
  {"Effect":"Deny","Action":"s3:GetObject","Resource":"*"}]}"#;
const SESSION_EC2: &str =
    r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ec2:*","Resource":"*"}]}"#;

// Condition-operator policies built per operator.
macro_rules! allow_if {
    ($cond:literal) => {
        concat!(
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*","Condition":"#,
            $cond,
            "}]}"
        )
    };
}
macro_rules! deny_if {
    ($cond:literal) => {
        concat!(
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"},{"Effect":"Deny","Action":"*","Resource":"*","Condition":"#,
            $cond,
            "}]}"
        )
    };
}

fn cases() -> Vec<Case> {
    vec![
        // ---------------------------------------------------------- basics
        c("no policies: implicit deny").deny(NoIdentityPolicyAllows),
        c("exact action and resource allow").id(S3_GET_OBJ).allow(),
        c("other action is not allowed").id(S3_GET_OBJ).act("s3:PutObject").deny(NoIdentityPolicyAllows),
        c("other resource is not allowed").id(S3_GET_OBJ).on("arn:aws:s3:::bucket/other").deny(NoIdentityPolicyAllows),
        c("action names are case-insensitive (request)").id(S3_GET_OBJ).act("S3:GETOBJECT").allow(),
        c("action names are case-insensitive (policy)")
            .id(r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"S3:getobject","Resource":"*"}]}"#).allow(),
        c("action prefix wildcard s3:Get*").id(S3_GET_STAR).act("s3:GetObjectAcl").allow(),
        c("action prefix wildcard does not match Put").id(S3_GET_STAR).act("s3:PutObject").deny(NoIdentityPolicyAllows),
        c("service wildcard s3:*").id(S3_ALL).act("s3:DeleteBucket").on("arn:aws:s3:::bucket").allow(),
        c("service wildcard does not cover ec2").id(S3_ALL).act("ec2:RunInstances").on("*").deny(NoIdentityPolicyAllows),
        c("global wildcard * (AdministratorAccess)").id(ADMIN).act("iam:DeleteRole").on("arn:aws:iam::123456789012:role/x").allow(),
        c("infix wildcard iam:*AccessKey* matches CreateAccessKey").id(ACCESS_KEYS).act("iam:CreateAccessKey").on(ALICE).ctx("aws:username", "alice").allow(),
        c("infix wildcard matches ListAccessKeys").id(ACCESS_KEYS).act("iam:ListAccessKeys").on(ALICE).ctx("aws:username", "alice").allow(),
        c("infix wildcard does not match ListUsers").id(ACCESS_KEYS).act("iam:ListUsers").on(ALICE).ctx("aws:username", "alice").deny(NoIdentityPolicyAllows),
        c("access keys only for own user").id(ACCESS_KEYS).act("iam:CreateAccessKey").on(BOB).ctx("aws:username", "alice").deny(NoIdentityPolicyAllows),
        c("single-character wildcard ?")
            .id(r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:Get?bject","Resource":"*"}]}"#).allow(),
        c("? needs exactly one character")
            .id(r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObjec?t","Resource":"*"}]}"#).deny(NoIdentityPolicyAllows),
        c("resource wildcard bucket/* matches nested keys").id(S3_GET_STAR).on("arn:aws:s3:::bucket/a/b/c.txt").allow(),
        c("bucket/* does not match the bucket itself").id(S3_GET_STAR).act("s3:GetBucketPolicy").on("arn:aws:s3:::bucket").deny(NoIdentityPolicyAllows),
        c("resource ARNs are case-sensitive").id(S3_GET_STAR).on("arn:aws:s3:::Bucket/key").deny(NoIdentityPolicyAllows),
        c("resource list: any entry matches")
            .id(r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":["arn:aws:s3:::a/*","arn:aws:s3:::bucket/*"]}]}"#).allow(),
        c("action list: any entry matches")
            .id(r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["ec2:*","s3:GetObject"],"Resource":"*"}]}"#).allow(),
        c("Resource * covers actions without resources").id(S3_ALL).act("s3:ListAllMyBuckets").on("*").allow(),
        c("specific resource does not cover resource-less action").id(S3_GET_STAR).act("s3:GetAccountPublicAccessBlock").on("*").deny(NoIdentityPolicyAllows),
        c("wildcard ARN segments arn:aws:ec2:*:*:instance/*")
            .id(r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ec2:StopInstances","Resource":"arn:aws:ec2:*:*:instance/*"}]}"#)
            .act("ec2:StopInstances").on("arn:aws:ec2:us-east-1:123456789012:instance/i-0abc").allow(),
        c("wildcard ARN does not match other resource type")
            .id(r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ec2:*","Resource":"arn:aws:ec2:*:*:instance/*"}]}"#)
            .act("ec2:DeleteVolume").on("arn:aws:ec2:us-east-1:123456789012:volume/vol-1").deny(NoIdentityPolicyAllows),
        c("NotAction allow: everything but IAM")
            .id(r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","NotAction":"iam:*","Resource":"*"}]}"#).allow(),
        c("NotAction allow excludes the listed service")
            .id(r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","NotAction":"iam:*","Resource":"*"}]}"#)
            .act("iam:CreateUser").on("*").deny(NoIdentityPolicyAllows),
        c("NotAction is case-insensitive")
            .id(r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","NotAction":"IAM:*","Resource":"*"}]}"#)
            .act("iam:CreateUser").on("*").deny(NoIdentityPolicyAllows),
        c("NotResource allow: everything but one bucket")
            .id(r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","NotResource":["arn:aws:s3:::secret","arn:aws:s3:::secret/*"]}]}"#).allow(),
        c("NotResource allow excludes listed resources")
            .id(r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","NotResource":["arn:aws:s3:::secret","arn:aws:s3:::secret/*"]}]}"#)
            .on("arn:aws:s3:::secret/x").deny(NoIdentityPolicyAllows),
        c("deny beats allow in the same policy")
            .id(r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"},{"Effect":"Deny","Action":"s3:GetObject","Resource":"*"}]}"#)
            .xdeny(ExplicitDenyInIdentityPolicy),
        c("deny in another attached policy beats allow").id(ADMIN).id(DENY_S3_PUT).act("s3:PutObject").xdeny(ExplicitDenyInIdentityPolicy),
        c("deny for a different action leaves allow").id(ADMIN).id(DENY_S3_PUT).allow(),
        c("deny all beats administrator").id(ADMIN).id(DENY_ALL).xdeny(ExplicitDenyInIdentityPolicy),
        c("deny without any allow is still explicit").id(DENY_ALL).xdeny(ExplicitDenyInIdentityPolicy),
        c("Deny NotAction: denies everything except listed")
            .id(ADMIN).id(r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","NotAction":["iam:ChangePassword","iam:GetUser"],"Resource":"*"}]}"#)
            .xdeny(ExplicitDenyInIdentityPolicy),
        c("Deny NotAction: listed action passes")
            .id(ADMIN).id(r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","NotAction":["iam:ChangePassword","iam:GetUser"],"Resource":"*"}]}"#)
            .act("iam:ChangePassword").on(ALICE).allow(),
        c("Deny NotResource: denies outside the bucket")
            .id(ADMIN).id(r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"s3:*","NotResource":["arn:aws:s3:::bucket","arn:aws:s3:::bucket/*"]}]}"#)
            .on("arn:aws:s3:::elsewhere/k").xdeny(ExplicitDenyInIdentityPolicy),
        c("Deny NotResource: inside the bucket allowed")
            .id(ADMIN).id(r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"s3:*","NotResource":["arn:aws:s3:::bucket","arn:aws:s3:::bucket/*"]}]}"#)
            .allow(),
        c("one of several policies allows").id(DENY_S3_PUT).id(S3_GET_OBJ).allow(),
        c("legacy 2008-10-17 policy still evaluates")
            .id(r#"{"Version":"2008-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::bucket/*"}]}"#).allow(),
        c("policy without Version evaluates as legacy")
            .id(r#"{"Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::bucket/*"}]}"#).allow(),
        c("single statement object instead of list")
            .id(r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}}"#).allow(),
        c("ReadOnly-style policy allows List").id(READ_ONLY).act("s3:ListBucket").on("arn:aws:s3:::bucket").allow(),
        c("ReadOnly-style policy refuses writes").id(READ_ONLY).act("s3:PutObject").deny(NoIdentityPolicyAllows),
        c("ReadOnly-style policy allows ec2:Describe*").id(READ_ONLY).act("ec2:DescribeInstances").on("*").allow(),
        c("AmazonS3FullAccess covers s3-object-lambda").id(S3_FULL).act("s3-object-lambda:GetObject").allow(),
        c("s3:* does not match s3-object-lambda").id(S3_ALL).act("s3-object-lambda:GetObject").deny(NoIdentityPolicyAllows),
        c("Deny with unmet condition leaves allow")
            .id(deny_if!(r#"{"StringEquals":{"aws:username":"mallory"}}"#)).ctx("aws:username", "alice").allow(),
        c("root user evaluated like others when asked (no policies)").who(root()).deny(NoIdentityPolicyAllows),
        // ------------------------------------------------- string operators
        c("StringEquals matches").id(allow_if!(r#"{"StringEquals":{"aws:username":"alice"}}"#)).ctx("aws:username", "alice").allow(),
        c("StringEquals is case-sensitive").id(allow_if!(r#"{"StringEquals":{"aws:username":"Alice"}}"#)).ctx("aws:username", "alice").deny(NoIdentityPolicyAllows),
        c("StringEquals any of several values").id(allow_if!(r#"{"StringEquals":{"aws:RequestedRegion":["us-east-1","eu-west-1"]}}"#)).ctx("aws:RequestedRegion", "eu-west-1").allow(),
        c("StringEquals missing key fails").id(allow_if!(r#"{"StringEquals":{"aws:username":"alice"}}"#)).deny(NoIdentityPolicyAllows),
        c("condition key names are case-insensitive").id(allow_if!(r#"{"StringEquals":{"AWS:UserName":"alice"}}"#)).ctx("aws:username", "alice").allow(),
        c("StringNotEquals matches a different value").id(allow_if!(r#"{"StringNotEquals":{"aws:username":"bob"}}"#)).ctx("aws:username", "alice").allow(),
        c("StringNotEquals fails on the listed value").id(allow_if!(r#"{"StringNotEquals":{"aws:username":["bob","alice"]}}"#)).ctx("aws:username", "alice").deny(NoIdentityPolicyAllows),
        c("StringNotEquals holds when key is missing").id(allow_if!(r#"{"StringNotEquals":{"aws:username":"bob"}}"#)).allow(),
        c("StringEqualsIgnoreCase matches other case").id(allow_if!(r#"{"StringEqualsIgnoreCase":{"aws:PrincipalTag/dept":"ENGINEERING"}}"#)).ctx("aws:PrincipalTag/dept", "Engineering").allow(),
        c("StringEqualsIgnoreCase still compares text").id(allow_if!(r#"{"StringEqualsIgnoreCase":{"aws:PrincipalTag/dept":"sales"}}"#)).ctx("aws:PrincipalTag/dept", "Engineering").deny(NoIdentityPolicyAllows),
        c("StringNotEqualsIgnoreCase fails regardless of case").id(allow_if!(r#"{"StringNotEqualsIgnoreCase":{"aws:PrincipalTag/dept":"ENGINEERING"}}"#)).ctx("aws:PrincipalTag/dept", "engineering").deny(NoIdentityPolicyAllows),
        c("StringNotEqualsIgnoreCase holds for other text").id(allow_if!(r#"{"StringNotEqualsIgnoreCase":{"aws:PrincipalTag/dept":"sales"}}"#)).ctx("aws:PrincipalTag/dept", "engineering").allow(),
        c("StringLike with *").id(allow_if!(r#"{"StringLike":{"s3:prefix":"home/*"}}"#)).ctx("s3:prefix", "home/alice/").allow(),
        c("StringLike with ?").id(allow_if!(r#"{"StringLike":{"ec2:InstanceType":"t?.micro"}}"#)).ctx("ec2:InstanceType", "t3.micro").allow(),
        c("StringLike no match").id(allow_if!(r#"{"StringLike":{"s3:prefix":"home/*"}}"#)).ctx("s3:prefix", "public/").deny(NoIdentityPolicyAllows),
        c("StringLike is case-sensitive").id(allow_if!(r#"{"StringLike":{"s3:prefix":"Home/*"}}"#)).ctx("s3:prefix", "home/x").deny(NoIdentityPolicyAllows),
        c("StringLike empty-string value matches empty prefix").id(allow_if!(r#"{"StringLike":{"s3:prefix":["","home/"]}}"#)).ctx("s3:prefix", "").allow(),
        c("StringNotLike holds outside pattern").id(allow_if!(r#"{"StringNotLike":{"s3:prefix":"private/*"}}"#)).ctx("s3:prefix", "public/a").allow(),
        c("StringNotLike fails inside pattern").id(allow_if!(r#"{"StringNotLike":{"s3:prefix":"private/*"}}"#)).ctx("s3:prefix", "private/a").deny(NoIdentityPolicyAllows),
        c("StringNotLike holds when key missing").id(allow_if!(r#"{"StringNotLike":{"s3:prefix":"private/*"}}"#)).allow(),
        c("StringEqualsIfExists missing key holds").id(allow_if!(r#"{"StringEqualsIfExists":{"ec2:InstanceType":["t3.micro","t3.small"]}}"#)).allow(),
        c("StringEqualsIfExists present key compared").id(allow_if!(r#"{"StringEqualsIfExists":{"ec2:InstanceType":["t3.micro","t3.small"]}}"#)).ctx("ec2:InstanceType", "m5.large").deny(NoIdentityPolicyAllows),
        c("StringLikeIfExists present and matching").id(allow_if!(r#"{"StringLikeIfExists":{"ec2:InstanceType":"t3.*"}}"#)).ctx("ec2:InstanceType", "t3.nano").allow(),
        c("EC2 instance type restriction (Deny StringNotEquals)")
            .id(deny_if!(r#"{"StringNotEquals":{"ec2:InstanceType":["t2.micro","t3.micro"]}}"#)).act("ec2:RunInstances").on("*").ctx("ec2:InstanceType", "m5.24xlarge").xdeny(ExplicitDenyInIdentityPolicy),
        c("EC2 instance type restriction allows listed type")
            .id(deny_if!(r#"{"StringNotEquals":{"ec2:InstanceType":["t2.micro","t3.micro"]}}"#)).act("ec2:RunInstances").on("*").ctx("ec2:InstanceType", "t3.micro").allow(),
        c("RequestTag equals").id(allow_if!(r#"{"StringEquals":{"aws:RequestTag/env":"dev"}}"#)).act("ec2:CreateTags").on("*").ctx("aws:RequestTag/env", "dev").allow(),
        c("ResourceTag mismatch").id(allow_if!(r#"{"StringEquals":{"aws:ResourceTag/env":"dev"}}"#)).ctx("aws:ResourceTag/env", "prod").deny(NoIdentityPolicyAllows),
        c("PrincipalOrgID equals").id(allow_if!(r#"{"StringEquals":{"aws:PrincipalOrgID":"o-abc123"}}"#)).ctx("aws:PrincipalOrgID", "o-abc123").allow(),
        c("unicode value compared exactly").id(allow_if!(r#"{"StringEquals":{"aws:PrincipalTag/name":"구름"}}"#)).ctx("aws:PrincipalTag/name", "구름").allow(),
        // ------------------------------------------------ numeric operators
        c("NumericEquals").id(allow_if!(r#"{"NumericEquals":{"s3:max-keys":"10"}}"#)).act("s3:ListBucket").ctx("s3:max-keys", "10").allow(),
        c("NumericEquals with JSON number").id(allow_if!(r#"{"NumericEquals":{"s3:max-keys":10}}"#)).act("s3:ListBucket").ctx("s3:max-keys", "10").allow(),
        c("NumericEquals differs").id(allow_if!(r#"{"NumericEquals":{"s3:max-keys":"10"}}"#)).ctx("s3:max-keys", "11").deny(NoIdentityPolicyAllows),
        c("NumericNotEquals").id(allow_if!(r#"{"NumericNotEquals":{"s3:max-keys":"10"}}"#)).ctx("s3:max-keys", "11").allow(),
        c("NumericNotEquals equal value fails").id(allow_if!(r#"{"NumericNotEquals":{"s3:max-keys":"10"}}"#)).ctx("s3:max-keys", "10.0").deny(NoIdentityPolicyAllows),
        c("NumericLessThan").id(allow_if!(r#"{"NumericLessThan":{"s3:max-keys":"10"}}"#)).ctx("s3:max-keys", "9").allow(),
        c("NumericLessThan boundary fails").id(allow_if!(r#"{"NumericLessThan":{"s3:max-keys":"10"}}"#)).ctx("s3:max-keys", "10").deny(NoIdentityPolicyAllows),
        c("NumericLessThanEquals boundary holds").id(allow_if!(r#"{"NumericLessThanEquals":{"s3:max-keys":"10"}}"#)).ctx("s3:max-keys", "10").allow(),
        c("NumericGreaterThan").id(allow_if!(r#"{"NumericGreaterThan":{"s3:max-keys":"10"}}"#)).ctx("s3:max-keys", "10.5").allow(),
        c("NumericGreaterThan boundary fails").id(allow_if!(r#"{"NumericGreaterThan":{"s3:max-keys":"10"}}"#)).ctx("s3:max-keys", "10").deny(NoIdentityPolicyAllows),
        c("NumericGreaterThanEquals boundary holds").id(allow_if!(r#"{"NumericGreaterThanEquals":{"s3:max-keys":"10"}}"#)).ctx("s3:max-keys", "10").allow(),
        c("Numeric with non-number request value fails").id(allow_if!(r#"{"NumericLessThan":{"s3:max-keys":"10"}}"#)).ctx("s3:max-keys", "lots").deny(NoIdentityPolicyAllows),
        c("Numeric with missing key fails").id(allow_if!(r#"{"NumericLessThan":{"s3:max-keys":"10"}}"#)).deny(NoIdentityPolicyAllows),
        c("NumericLessThanIfExists missing key holds").id(allow_if!(r#"{"NumericLessThanIfExists":{"s3:max-keys":"10"}}"#)).allow(),
        c("MFA age: recent MFA allowed").id(allow_if!(r#"{"NumericLessThan":{"aws:MultiFactorAuthAge":"3600"}}"#)).ctx("aws:MultiFactorAuthAge", "120").allow(),
        c("MFA age: old MFA refused").id(allow_if!(r#"{"NumericLessThan":{"aws:MultiFactorAuthAge":"3600"}}"#)).ctx("aws:MultiFactorAuthAge", "7200").deny(NoIdentityPolicyAllows),
        // --------------------------------------------------- date operators
        c("date window: inside").id(DATE_WINDOW).act("ec2:RunInstances").on("*").ctx("aws:CurrentTime", "2020-05-15T12:00:00Z").allow(),
        c("date window: before").id(DATE_WINDOW).act("ec2:RunInstances").on("*").ctx("aws:CurrentTime", "2020-03-31T23:59:59Z").deny(NoIdentityPolicyAllows),
        c("date window: after").id(DATE_WINDOW).act("ec2:RunInstances").on("*").ctx("aws:CurrentTime", "2020-07-01T00:00:00Z").deny(NoIdentityPolicyAllows),
        c("date window: missing time fails").id(DATE_WINDOW).act("ec2:RunInstances").on("*").deny(NoIdentityPolicyAllows),
        c("DateEquals across time zones").id(allow_if!(r#"{"DateEquals":{"aws:CurrentTime":"2020-01-01T09:00:00+09:00"}}"#)).ctx("aws:CurrentTime", "2020-01-01T00:00:00Z").allow(),
        c("DateNotEquals").id(allow_if!(r#"{"DateNotEquals":{"aws:CurrentTime":"2020-01-01T00:00:00Z"}}"#)).ctx("aws:CurrentTime", "2020-01-02T00:00:00Z").allow(),
        c("DateLessThanEquals boundary").id(allow_if!(r#"{"DateLessThanEquals":{"aws:CurrentTime":"2020-01-01T00:00:00Z"}}"#)).ctx("aws:CurrentTime", "2020-01-01T00:00:00Z").allow(),
        c("DateGreaterThanEquals boundary").id(allow_if!(r#"{"DateGreaterThanEquals":{"aws:CurrentTime":"2020-01-01T00:00:00Z"}}"#)).ctx("aws:CurrentTime", "2020-01-01T00:00:00Z").allow(),
        c("epoch seconds compare with ISO dates").id(allow_if!(r#"{"DateGreaterThan":{"aws:EpochTime":"2020-01-01T00:00:00Z"}}"#)).ctx("aws:EpochTime", "1600000000").allow(),
        c("epoch seconds in the policy").id(allow_if!(r#"{"DateLessThan":{"aws:CurrentTime":"1577836800"}}"#)).ctx("aws:CurrentTime", "2019-12-31T23:59:59Z").allow(),
        c("bare date in the policy means midnight UTC").id(allow_if!(r#"{"DateLessThan":{"aws:CurrentTime":"2020-01-02"}}"#)).ctx("aws:CurrentTime", "2020-01-01T23:00:00Z").allow(),
        c("TokenIssueTime before a revocation date is denied")
            .id(deny_if!(r#"{"DateLessThan":{"aws:TokenIssueTime":"2024-05-01T00:00:00Z"}}"#)).who(dev()).ctx("aws:TokenIssueTime", "2024-04-30T10:00:00Z").xdeny(ExplicitDenyInIdentityPolicy),
        c("unparsable date never matches").id(allow_if!(r#"{"DateGreaterThan":{"aws:CurrentTime":"2020-01-01T00:00:00Z"}}"#)).ctx("aws:CurrentTime", "yesterday").deny(NoIdentityPolicyAllows),
        // ---------------------------------------------------- bool / binary
        c("Bool true").id(allow_if!(r#"{"Bool":{"aws:SecureTransport":"true"}}"#)).ctx("aws:SecureTransport", "true").allow(),
        c("Bool with JSON boolean").id(allow_if!(r#"{"Bool":{"aws:SecureTransport":true}}"#)).ctx("aws:SecureTransport", "true").allow(),
        c("Bool false value fails").id(allow_if!(r#"{"Bool":{"aws:SecureTransport":"true"}}"#)).ctx("aws:SecureTransport", "false").deny(NoIdentityPolicyAllows),
        c("Bool missing key fails").id(allow_if!(r#"{"Bool":{"aws:SecureTransport":"true"}}"#)).deny(NoIdentityPolicyAllows),
        c("BoolIfExists missing key holds").id(allow_if!(r#"{"BoolIfExists":{"aws:SecureTransport":"true"}}"#)).allow(),
        c("MFA example: no MFA key, S3 denied").id(MFA_DENY).xdeny(ExplicitDenyInIdentityPolicy),
        c("MFA example: MFA false, S3 denied").id(MFA_DENY).ctx("aws:MultiFactorAuthPresent", "false").xdeny(ExplicitDenyInIdentityPolicy),
        c("MFA example: MFA true, S3 allowed").id(MFA_DENY).ctx("aws:MultiFactorAuthPresent", "true").allow(),
        c("MFA example: no MFA, may enable MFA").id(MFA_DENY).act("iam:EnableMFADevice").on(ALICE).allow(),
        c("MFA example: no MFA, may get session token").id(MFA_DENY).act("sts:GetSessionToken").on("*").allow(),
        c("BinaryEquals compares base64 text").id(allow_if!(r#"{"BinaryEquals":{"aws:PrincipalTag/blob":"QmluYXJ5VmFsdWVJbkJhc2U2NA=="}}"#)).ctx("aws:PrincipalTag/blob", "QmluYXJ5VmFsdWVJbkJhc2U2NA==").allow(),
        c("BinaryEquals differs").id(allow_if!(r#"{"BinaryEquals":{"aws:PrincipalTag/blob":"QQ=="}}"#)).ctx("aws:PrincipalTag/blob", "Qg==").deny(NoIdentityPolicyAllows),
        // ------------------------------------------------------- addresses
        c("IpAddress v4 in block").id(allow_if!(r#"{"IpAddress":{"aws:SourceIp":"203.0.113.0/24"}}"#)).ctx("aws:SourceIp", "203.0.113.25").allow(),
        c("IpAddress v4 outside block").id(allow_if!(r#"{"IpAddress":{"aws:SourceIp":"203.0.113.0/24"}}"#)).ctx("aws:SourceIp", "203.0.114.25").deny(NoIdentityPolicyAllows),
        c("IpAddress single address").id(allow_if!(r#"{"IpAddress":{"aws:SourceIp":"203.0.113.7"}}"#)).ctx("aws:SourceIp", "203.0.113.7").allow(),
        c("IpAddress /32").id(allow_if!(r#"{"IpAddress":{"aws:SourceIp":"203.0.113.7/32"}}"#)).ctx("aws:SourceIp", "203.0.113.8").deny(NoIdentityPolicyAllows),
        c("IpAddress /0 matches all").id(allow_if!(r#"{"IpAddress":{"aws:SourceIp":"0.0.0.0/0"}}"#)).ctx("aws:SourceIp", "8.8.8.8").allow(),
        c("IpAddress v6 in block").id(allow_if!(r#"{"IpAddress":{"aws:SourceIp":"2001:DB8:1234:5678::/64"}}"#)).ctx("aws:SourceIp", "2001:db8:1234:5678::abcd").allow(),
        c("IpAddress v6 outside block").id(allow_if!(r#"{"IpAddress":{"aws:SourceIp":"2001:DB8:1234:5678::/64"}}"#)).ctx("aws:SourceIp", "2001:db8:1234:5679::1").deny(NoIdentityPolicyAllows),
        c("IpAddress v4 caller against v6 block").id(allow_if!(r#"{"IpAddress":{"aws:SourceIp":"2001:DB8::/32"}}"#)).ctx("aws:SourceIp", "192.0.2.1").deny(NoIdentityPolicyAllows),
        c("IpAddress mixed list").id(allow_if!(r#"{"IpAddress":{"aws:SourceIp":["192.0.2.0/24","2001:DB8::/32"]}}"#)).ctx("aws:SourceIp", "2001:db8::9").allow(),
        c("IpAddress missing key fails").id(allow_if!(r#"{"IpAddress":{"aws:SourceIp":"192.0.2.0/24"}}"#)).deny(NoIdentityPolicyAllows),
        c("IpAddress bad request address fails").id(allow_if!(r#"{"IpAddress":{"aws:SourceIp":"192.0.2.0/24"}}"#)).ctx("aws:SourceIp", "not-an-ip").deny(NoIdentityPolicyAllows),
        c("source IP example: inside allowed range").id(SOURCE_IP_DENY).ctx("aws:SourceIp", "192.0.2.10").ctx("aws:ViaAWSService", "false").allow(),
        c("source IP example: outside denied").id(SOURCE_IP_DENY).ctx("aws:SourceIp", "198.51.100.10").ctx("aws:ViaAWSService", "false").xdeny(ExplicitDenyInIdentityPolicy),
        c("source IP example: via AWS service not denied").id(SOURCE_IP_DENY).ctx("aws:SourceIp", "198.51.100.10").ctx("aws:ViaAWSService", "true").allow(),
        c("NotIpAddress holds when key missing").id(allow_if!(r#"{"NotIpAddress":{"aws:SourceIp":"192.0.2.0/24"}}"#)).allow(),
        // ------------------------------------------------------------- ARNs
        c("ArnEquals").id(allow_if!(r#"{"ArnEquals":{"aws:SourceArn":"arn:aws:sns:us-east-1:123456789012:topic"}}"#)).ctx("aws:SourceArn", "arn:aws:sns:us-east-1:123456789012:topic").allow(),
        c("ArnLike with wildcards").id(allow_if!(r#"{"ArnLike":{"aws:SourceArn":"arn:aws:sns:*:123456789012:*"}}"#)).ctx("aws:SourceArn", "arn:aws:sns:eu-west-1:123456789012:alerts").allow(),
        c("ArnLike other account").id(allow_if!(r#"{"ArnLike":{"aws:SourceArn":"arn:aws:sns:*:123456789012:*"}}"#)).ctx("aws:SourceArn", "arn:aws:sns:eu-west-1:999999999999:alerts").deny(NoIdentityPolicyAllows),
        c("ArnLike wildcard does not cross a colon").id(allow_if!(r#"{"ArnLike":{"aws:SourceArn":"arn:aws:iam::123*"}}"#)).ctx("aws:SourceArn", "arn:aws:iam::123456789012:role/x").lenient().deny(NoIdentityPolicyAllows),
        c("ArnNotEquals").id(allow_if!(r#"{"ArnNotEquals":{"aws:SourceArn":"arn:aws:sns:us-east-1:123456789012:topic"}}"#)).ctx("aws:SourceArn", "arn:aws:sns:us-east-1:123456789012:other").allow(),
        c("ArnNotLike fails on match").id(allow_if!(r#"{"ArnNotLike":{"aws:SourceArn":"arn:aws:sns:*:*:*"}}"#)).ctx("aws:SourceArn", "arn:aws:sns:us-east-1:123456789012:t").deny(NoIdentityPolicyAllows),
        c("ArnLike on derived aws:PrincipalArn (role of a session)")
            .id(allow_if!(r#"{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::123456789012:role/D*"}}"#)).who(dev()).allow(),
        c("ArnEquals is case-sensitive").id(allow_if!(r#"{"ArnEquals":{"aws:SourceArn":"arn:aws:sns:us-east-1:123456789012:Topic"}}"#)).ctx("aws:SourceArn", "arn:aws:sns:us-east-1:123456789012:topic").deny(NoIdentityPolicyAllows),
        // ------------------------------------------------------------- Null
        c("Null true: key absent").id(allow_if!(r#"{"Null":{"aws:TokenIssueTime":"true"}}"#)).allow(),
        c("Null true: key present fails").id(allow_if!(r#"{"Null":{"aws:TokenIssueTime":"true"}}"#)).ctx("aws:TokenIssueTime", "2024-01-01T00:00:00Z").deny(NoIdentityPolicyAllows),
        c("Null false: key present").id(allow_if!(r#"{"Null":{"aws:TokenIssueTime":false}}"#)).ctx("aws:TokenIssueTime", "2024-01-01T00:00:00Z").allow(),
        c("Null false: key absent fails").id(allow_if!(r#"{"Null":{"aws:TokenIssueTime":"false"}}"#)).deny(NoIdentityPolicyAllows),
        c("deny when a required tag is missing (Null)")
            .id(deny_if!(r#"{"Null":{"aws:RequestTag/CostCenter":"true"}}"#)).act("ec2:RunInstances").on("*").xdeny(ExplicitDenyInIdentityPolicy),
        c("required tag present passes").id(deny_if!(r#"{"Null":{"aws:RequestTag/CostCenter":"true"}}"#)).act("ec2:RunInstances").on("*").ctx("aws:RequestTag/CostCenter", "42").allow(),
        // -------------------------------------------------- set operators
        c("ForAllValues: all keys allowed").id(TAGKEYS_ALL).act("ec2:CreateTags").on("*").ctxm("aws:TagKeys", &["environment", "cost-center"]).allow(),
        c("ForAllValues: one key outside fails").id(TAGKEYS_ALL).act("ec2:CreateTags").on("*").ctxm("aws:TagKeys", &["environment", "owner"]).deny(NoIdentityPolicyAllows),
        c("ForAllValues: missing key holds").id(TAGKEYS_ALL).act("ec2:CreateTags").on("*").allow(),
        c("ForAllValues: empty key holds").id(TAGKEYS_ALL).act("ec2:CreateTags").on("*").ctxm("aws:TagKeys", &[]).allow(),
        c("ForAnyValue: one forbidden key denies").id(TAGKEYS_ANY).act("ec2:CreateTags").on("*").ctxm("aws:TagKeys", &["env", "owner"]).xdeny(ExplicitDenyInIdentityPolicy),
        c("ForAnyValue: no forbidden key").id(TAGKEYS_ANY).act("ec2:CreateTags").on("*").ctxm("aws:TagKeys", &["env"]).allow(),
        c("ForAnyValue: missing key does not match").id(TAGKEYS_ANY).act("ec2:CreateTags").on("*").allow(),
        c("ForAnyValue:StringLike").id(allow_if!(r#"{"ForAnyValue:StringLike":{"aws:TagKeys":"team-*"}}"#)).ctxm("aws:TagKeys", &["x", "team-a"]).allow(),
        c("ForAllValues:StringEquals DynamoDB attributes")
            .id(allow_if!(r#"{"ForAllValues:StringEquals":{"dynamodb:Attributes":["ID","Message","Tags"]}}"#)).act("dynamodb:GetItem").on("*").ctxm("dynamodb:Attributes", &["ID", "Message"]).allow(),
        c("ForAllValues:StringEquals DynamoDB attribute not listed")
            .id(allow_if!(r#"{"ForAllValues:StringEquals":{"dynamodb:Attributes":["ID","Message","Tags"]}}"#)).act("dynamodb:GetItem").on("*").ctxm("dynamodb:Attributes", &["ID", "Secret"]).deny(NoIdentityPolicyAllows),
        c("ForAnyValue:StringEqualsIfExists missing key holds").id(allow_if!(r#"{"ForAnyValue:StringEqualsIfExists":{"aws:TagKeys":"a"}}"#)).allow(),
        c("ForAllValues:StringNotEquals: none forbidden").id(allow_if!(r#"{"ForAllValues:StringNotEquals":{"aws:TagKeys":["aws:x","secret"]}}"#)).ctxm("aws:TagKeys", &["a", "b"]).allow(),
        c("ForAllValues:StringNotEquals: one forbidden").id(allow_if!(r#"{"ForAllValues:StringNotEquals":{"aws:TagKeys":["aws:x","secret"]}}"#)).ctxm("aws:TagKeys", &["a", "secret"]).deny(NoIdentityPolicyAllows),
        c("ForAnyValue:StringNotEquals: one other value").id(allow_if!(r#"{"ForAnyValue:StringNotEquals":{"aws:TagKeys":"a"}}"#)).ctxm("aws:TagKeys", &["a", "b"]).allow(),
        c("multi-valued key without set operator: any value").id(allow_if!(r#"{"StringEquals":{"aws:TagKeys":"b"}}"#)).ctxm("aws:TagKeys", &["a", "b"]).allow(),
        // ------------------------------------------- combining conditions
        c("two operators are ANDed (both hold)")
            .id(allow_if!(r#"{"Bool":{"aws:SecureTransport":"true"},"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}"#)).ctx("aws:SecureTransport", "true").ctx("aws:SourceIp", "10.1.1.1").allow(),
        c("two operators are ANDed (one fails)")
            .id(allow_if!(r#"{"Bool":{"aws:SecureTransport":"true"},"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}"#)).ctx("aws:SecureTransport", "true").ctx("aws:SourceIp", "11.1.1.1").deny(NoIdentityPolicyAllows),
        c("two keys under one operator are ANDed")
            .id(allow_if!(r#"{"StringEquals":{"aws:username":"alice","aws:RequestedRegion":"us-east-1"}}"#)).ctx("aws:username", "alice").ctx("aws:RequestedRegion", "us-west-2").deny(NoIdentityPolicyAllows),
        c("values of one key are ORed")
            .id(allow_if!(r#"{"StringEquals":{"aws:RequestedRegion":["us-east-1","us-west-2"]}}"#)).ctx("aws:RequestedRegion", "us-west-2").allow(),
        c("unknown operator never matches (lenient parse)").id(allow_if!(r#"{"StringEqualz":{"aws:username":"alice"}}"#)).ctx("aws:username", "alice").lenient().deny(NoIdentityPolicyAllows),
        c("operator names are case-insensitive").id(allow_if!(r#"{"stringequals":{"aws:username":"alice"}}"#)).ctx("aws:username", "alice").allow(),
        c("requested region example: allowed region").id(REGION_DENY).act("ec2:RunInstances").on("*").ctx("aws:RequestedRegion", "eu-west-1").allow(),
        c("requested region example: other region denied").id(REGION_DENY).act("ec2:RunInstances").on("*").ctx("aws:RequestedRegion", "us-east-1").xdeny(ExplicitDenyInIdentityPolicy),
        c("requested region example: global IAM exempt").id(REGION_DENY).act("iam:ListUsers").on("*").ctx("aws:RequestedRegion", "us-east-1").allow(),
        c("requested region example: missing region is denied (negated operator)").id(REGION_DENY).act("ec2:RunInstances").on("*").xdeny(ExplicitDenyInIdentityPolicy),
        // ----------------------------------------------- policy variables
        c("home folder: own object").id(S3_HOME).on("arn:aws:s3:::bucket-name/home/alice/notes.txt").ctx("aws:username", "alice").allow(),
        c("home folder: the folder itself").id(S3_HOME).act("s3:PutObject").on("arn:aws:s3:::bucket-name/home/alice").ctx("aws:username", "alice").allow(),
        c("home folder: another user's object").id(S3_HOME).on("arn:aws:s3:::bucket-name/home/bob/notes.txt").ctx("aws:username", "alice").deny(NoIdentityPolicyAllows),
        c("home folder: list own prefix").id(S3_HOME).act("s3:ListBucket").on("arn:aws:s3:::bucket-name").ctx("aws:username", "alice").ctx("s3:prefix", "alice/photos").allow(),
        c("home folder: list other prefix").id(S3_HOME).act("s3:ListBucket").on("arn:aws:s3:::bucket-name").ctx("aws:username", "alice").ctx("s3:prefix", "bob/").deny(NoIdentityPolicyAllows),
        c("home folder: missing username matches nothing").id(S3_HOME).on("arn:aws:s3:::bucket-name/home/alice/notes.txt").deny(NoIdentityPolicyAllows),
        c("legacy version: variables are literal text").id(S3_HOME_LEGACY).on("arn:aws:s3:::bucket-name/home/alice/x").ctx("aws:username", "alice").deny(NoIdentityPolicyAllows),
        c("legacy version: literal ${...} matches itself").id(S3_HOME_LEGACY).on("arn:aws:s3:::bucket-name/home/${aws:username}/x").allow(),
        c("variable values are literal, not wildcards").id(S3_HOME).on("arn:aws:s3:::bucket-name/home/a*/x").ctx("aws:username", "a*").allow(),
        c("variable value * does not match other users").id(S3_HOME).on("arn:aws:s3:::bucket-name/home/bob/x").ctx("aws:username", "*").deny(NoIdentityPolicyAllows),
        c("aws:userid variable")
            .id(r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::bucket/${aws:userid}/*"}]}"#)
            .on("arn:aws:s3:::bucket/AIDAJQABLZS4A3QDU576Q/file").ctx("aws:userid", "AIDAJQABLZS4A3QDU576Q").allow(),
        c("PrincipalTag variable in resource")
            .id(r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::bucket/${aws:PrincipalTag/team}/*"}]}"#)
            .on("arn:aws:s3:::bucket/red/file").ctx("aws:PrincipalTag/team", "red").allow(),
        c("variable with default for missing key")
            .id(r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::bucket/${aws:PrincipalTag/team, 'shared'}/*"}]}"#)
            .on("arn:aws:s3:::bucket/shared/file").allow(),
        c("variable default unused when key present")
            .id(r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::bucket/${aws:PrincipalTag/team, 'shared'}/*"}]}"#)
            .on("arn:aws:s3:::bucket/shared/file").ctx("aws:PrincipalTag/team", "red").deny(NoIdentityPolicyAllows),
        c("${*} is a literal star")
            .id(r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::bucket/star${*}"}]}"#)
            .on("arn:aws:s3:::bucket/star*").allow(),
        c("${*} does not act as a wildcard")
            .id(r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::bucket/star${*}"}]}"#)
            .on("arn:aws:s3:::bucket/starlight").deny(NoIdentityPolicyAllows),
        c("${?} is a literal question mark")
            .id(r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::bucket/what${?}"}]}"#)
            .on("arn:aws:s3:::bucket/what?").allow(),
        c("${$} is a literal dollar")
            .id(r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::bucket/${$}cash"}]}"#)
            .on("arn:aws:s3:::bucket/$cash").allow(),
        c("variable in condition value (StringLike s3:prefix)")
            .id(allow_if!(r#"{"StringLike":{"s3:prefix":["home/${aws:username}/*"]}}"#)).act("s3:ListBucket").ctx("aws:username", "alice").ctx("s3:prefix", "home/alice/docs").allow(),
        c("variable in condition, other user's prefix")
            .id(allow_if!(r#"{"StringLike":{"s3:prefix":["home/${aws:username}/*"]}}"#)).act("s3:ListBucket").ctx("aws:username", "alice").ctx("s3:prefix", "home/bob/docs").deny(NoIdentityPolicyAllows),
        c("ABAC: principal tag equals resource tag").id(ABAC_EC2).act("ec2:StartInstances").on("*").ctx("aws:PrincipalTag/Project", "Unicorn").ctx("aws:ResourceTag/Project", "Unicorn").allow(),
        c("ABAC: tags differ").id(ABAC_EC2).act("ec2:StartInstances").on("*").ctx("aws:PrincipalTag/Project", "Unicorn").ctx("aws:ResourceTag/Project", "Pegasus").deny(NoIdentityPolicyAllows),
        c("ABAC: principal untagged").id(ABAC_EC2).act("ec2:StopInstances").on("*").ctx("aws:ResourceTag/Project", "Unicorn").deny(NoIdentityPolicyAllows),
        c("DynamoDB leading keys with federated variable")
            .id(allow_if!(r#"{"ForAllValues:StringEquals":{"dynamodb:LeadingKeys":["${www.amazon.com:user_id}"]}}"#)).act("dynamodb:GetItem").on("*")
            .ctx("www.amazon.com:user_id", "amzn1.account.X").ctxm("dynamodb:LeadingKeys", &["amzn1.account.X"]).allow(),
        c("DynamoDB leading keys: someone else's items")
            .id(allow_if!(r#"{"ForAllValues:StringEquals":{"dynamodb:LeadingKeys":["${www.amazon.com:user_id}"]}}"#)).act("dynamodb:GetItem").on("*")
            .ctx("www.amazon.com:user_id", "amzn1.account.X").ctxm("dynamodb:LeadingKeys", &["amzn1.account.Y"]).deny(NoIdentityPolicyAllows),
        c("ArnLike with variable").id(allow_if!(r#"{"ArnLike":{"aws:SourceArn":"arn:aws:iam::123456789012:user/${aws:username}"}}"#)).ctx("aws:username", "alice").ctx("aws:SourceArn", ALICE).allow(),
        // ------------------------------------- resource policies, same account
        c("bucket policy naming the user allows without identity policy").rp(BP_ALICE).allow(),
        c("bucket policy naming the user: other action").rp(BP_ALICE).act("s3:DeleteObject").deny(NoIdentityPolicyAllows),
        c("bucket policy naming another user").rp(BP_ALICE).who(bob()).deny(NoIdentityPolicyAllows),
        c("bucket policy naming the account delegates to IAM").rp(BP_OWN_ACCOUNT).deny(NoIdentityPolicyAllows),
        c("bucket policy naming the account id delegates to IAM").rp(BP_OWN_ACCOUNT_ID).deny(NoIdentityPolicyAllows),
        c("account-named bucket policy + identity allow").rp(BP_OWN_ACCOUNT).id(S3_GET_OBJ).allow(),
        c("identity allow alone suffices in the same account").id(S3_GET_OBJ).rp(BP_CROSS_ACCOUNT).allow(),
        c("public read: anonymous GetObject").rp(BP_PUBLIC_READ).who(anon()).allow(),
        c("public read: anonymous PutObject refused").rp(BP_PUBLIC_READ).who(anon()).act("s3:PutObject").deny(NoIdentityPolicyAllows),
        c("public read: any IAM user too").rp(BP_PUBLIC_READ).who(bob()).allow(),
        c("public read: other bucket refused").rp(BP_PUBLIC_READ).who(anon()).on("arn:aws:s3:::other/key").deny(NoIdentityPolicyAllows),
        c("Principal {\"AWS\":\"*\"} is everyone").rp(BP_PUBLIC_READ_AWS_STAR).who(anon()).allow(),
        c("anonymous never matches an account principal").rp(BP_OWN_ACCOUNT).who(anon()).deny(NoIdentityPolicyAllows),
        c("TLS-only bucket policy: plain HTTP denied").rp(BP_TLS_ONLY).id(S3_ALL).ctx("aws:SecureTransport", "false").xdeny(ExplicitDenyInResourcePolicy),
        c("TLS-only bucket policy: HTTPS allowed").rp(BP_TLS_ONLY).id(S3_ALL).ctx("aws:SecureTransport", "true").allow(),
        c("IP-restricted bucket: outside denied").rp(BP_IP_ONLY).id(S3_ALL).ctx("aws:SourceIp", "198.51.100.1").xdeny(ExplicitDenyInResourcePolicy),
        c("IP-restricted bucket: inside allowed").rp(BP_IP_ONLY).id(S3_ALL).ctx("aws:SourceIp", "192.0.2.44").allow(),
        c("IP-restricted bucket: IPv6 inside allowed").rp(BP_IP_ONLY).id(S3_ALL).ctx("aws:SourceIp", "2001:db8:1234:5678::1").allow(),
        c("bucket policy deny on the user beats identity allow").rp(BP_DENY_ALICE).id(ADMIN).xdeny(ExplicitDenyInResourcePolicy),
        c("bucket policy deny on the user does not touch others").rp(BP_DENY_ALICE).id(ADMIN).who(bob()).allow(),
        c("identity deny beats bucket policy allow").rp(BP_ALICE).id(DENY_ALL).xdeny(ExplicitDenyInIdentityPolicy),
        c("VPC endpoint restriction: wrong endpoint").rp(BP_VPCE).id(S3_ALL).ctx("aws:SourceVpce", "vpce-other").xdeny(ExplicitDenyInResourcePolicy),
        c("VPC endpoint restriction: no endpoint at all").rp(BP_VPCE).id(S3_ALL).xdeny(ExplicitDenyInResourcePolicy),
        c("VPC endpoint restriction: right endpoint").rp(BP_VPCE).id(S3_ALL).ctx("aws:SourceVpce", "vpce-1a2b3c4d").allow(),
        c("organization condition in bucket policy").rp(BP_ORG).who(bob()).ctx("aws:PrincipalOrgID", "o-abc123").allow(),
        c("organization condition, other org").rp(BP_ORG).who(bob()).ctx("aws:PrincipalOrgID", "o-zzz").deny(NoIdentityPolicyAllows),
        c("aws:PrincipalArn deny guard: allowed user").rp(BP_PRINCIPAL_ARN_COND).id(S3_ALL).allow(),
        c("aws:PrincipalArn deny guard: other user").rp(BP_PRINCIPAL_ARN_COND).id(S3_ALL).who(bob()).xdeny(ExplicitDenyInResourcePolicy),
        c("aws:PrincipalArn deny guard: session of the listed role").rp(BP_PRINCIPAL_ARN_COND).id(S3_ALL).who(dev()).allow(),
        c("service principal: CloudTrail writes logs").rp(BP_CLOUDTRAIL).who(svc("cloudtrail.amazonaws.com")).act("s3:PutObject")
            .on("arn:aws:s3:::bucket/AWSLogs/123456789012/x.json.gz").ctx("s3:x-amz-acl", "bucket-owner-full-control").ctx("aws:SourceAccount", ACCT).allow(),
        c("service principal: confused deputy guard").rp(BP_CLOUDTRAIL).who(svc("cloudtrail.amazonaws.com")).act("s3:PutObject")
            .on("arn:aws:s3:::bucket/AWSLogs/123456789012/x.json.gz").ctx("s3:x-amz-acl", "bucket-owner-full-control").ctx("aws:SourceAccount", "999999999999").deny(NoIdentityPolicyAllows),
        c("service principal: other service").rp(BP_CLOUDTRAIL).who(svc("config.amazonaws.com")).act("s3:PutObject")
            .on("arn:aws:s3:::bucket/AWSLogs/123456789012/x.json.gz").ctx("s3:x-amz-acl", "bucket-owner-full-control").ctx("aws:SourceAccount", ACCT).deny(NoIdentityPolicyAllows),
        c("canonical user principal").rp(BP_CANONICAL).who(RequestPrincipal {
            canonical_user: Some("79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be".into()),
            ..alice()
        }).allow(),
        c("resource policy deny naming the root applies to the root").rp(BP_DENY_ROOT).who(root()).act("s3:DeleteBucket").on("arn:aws:s3:::bucket").xdeny(ExplicitDenyInResourcePolicy),
        c("resource policy deny naming the account root covers its users").rp(BP_DENY_ROOT).id(ADMIN).act("s3:DeleteBucket").on("arn:aws:s3:::bucket").xdeny(ExplicitDenyInResourcePolicy),
        c("resource policy without principal match is ignored").rp(BP_CROSS_CAROL).deny(NoIdentityPolicyAllows),
        // -------------------------------------------------------- NotPrincipal
        c("NotPrincipal deny: others are denied").rp(BP_NOT_PRINCIPAL_ALICE_ACCT).id(S3_ALL).who(bob()).xdeny(ExplicitDenyInResourcePolicy),
        c("NotPrincipal deny: listed user with account passes").rp(BP_NOT_PRINCIPAL_ALICE_ACCT).id(S3_ALL).allow(),
        c("NotPrincipal deny: user listed without account is still denied").rp(BP_NOT_PRINCIPAL_ALICE_ONLY).id(S3_ALL).xdeny(ExplicitDenyInResourcePolicy),
        c("NotPrincipal deny: anonymous denied").rp(BP_NOT_PRINCIPAL_ALICE_ACCT).who(anon()).xdeny(ExplicitDenyInResourcePolicy),
        c("NotPrincipal deny: session listed with role and account passes").rp(BP_NOT_PRINCIPAL_SESSION).id(S3_ALL).who(dev()).allow(),
        c("NotPrincipal deny: session not listed is denied").rp(BP_NOT_PRINCIPAL_ROLE_ONLY).id(S3_ALL).who(dev()).xdeny(ExplicitDenyInResourcePolicy),
        c("NotPrincipal deny always applies with a permissions boundary").rp(BP_NOT_PRINCIPAL_ALICE_ACCT).id(S3_ALL).bnd(S3_ALL).xdeny(ExplicitDenyInResourcePolicy),
        c("NotPrincipal allow: others allowed")
            .rp(r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","NotPrincipal":{"AWS":["arn:aws:iam::123456789012:user/alice","123456789012"]},"Action":"s3:GetObject","Resource":"arn:aws:s3:::bucket/*"}]}"#)
            .who(bob()).allow(),
        c("NotPrincipal allow: listed principal not allowed")
            .rp(r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","NotPrincipal":{"AWS":["arn:aws:iam::123456789012:user/alice","123456789012"]},"Action":"s3:GetObject","Resource":"arn:aws:s3:::bucket/*"}]}"#)
            .deny(NoIdentityPolicyAllows),
        // --------------------------------------------------- role sessions
        c("session: identity policy of the role allows").who(dev()).id(S3_GET_STAR).allow(),
        c("session: no policy").who(dev()).deny(NoIdentityPolicyAllows),
        c("session: resource policy naming the session allows").who(dev()).rp(BP_DEV_SESSION).allow(),
        c("session: resource policy naming the role allows").who(dev()).rp(BP_DEV_ROLE).allow(),
        c("session: role-named grant is limited by the boundary").who(dev()).rp(BP_DEV_ROLE).bnd(SESSION_EC2).deny(NoPermissionsBoundaryAllows),
        c("session: session-named grant is not limited by the boundary").who(dev()).rp(BP_DEV_SESSION).bnd(SESSION_EC2).allow(),
        c("session: role-named grant is limited by session policy").who(dev()).rp(BP_DEV_ROLE).ses(SESSION_EC2).deny(NoSessionPolicyAllows),
        c("session: session-named grant is not limited by session policy").who(dev()).rp(BP_DEV_SESSION).ses(SESSION_EC2).allow(),
        c("session: role-named grant within boundary and session policy").who(dev()).rp(BP_DEV_ROLE).bnd(S3_ALL).ses(SESSION_GET_ONLY).allow(),
        c("session: role-named grant, explicit deny in session policy").who(dev()).rp(BP_DEV_ROLE).ses(SESSION_DENY_GET).xdeny(ExplicitDenyInSessionPolicy),
        c("session: other session of the role is not named").who(RequestPrincipal::session("arn:aws:sts::123456789012:assumed-role/Dev/s2", DEV_ROLE, ACCT)).rp(BP_DEV_SESSION).deny(NoIdentityPolicyAllows),
        c("session: user-named policy does not match a session").who(dev()).rp(BP_ALICE).deny(NoIdentityPolicyAllows),
        c("session: account-named policy delegates").who(dev()).rp(BP_OWN_ACCOUNT).deny(NoIdentityPolicyAllows),
        // -------------------------------------------------- session policies
        c("session policy: intersection allows").who(dev()).id(S3_ALL).ses(SESSION_GET_ONLY).allow(),
        c("session policy: outside session policy").who(dev()).id(S3_ALL).ses(SESSION_GET_ONLY).act("s3:PutObject").deny(NoSessionPolicyAllows),
        c("session policy cannot grant more than the role").who(dev()).id(SESSION_LIST_ONLY).ses(S3_ALL).deny(NoIdentityPolicyAllows),
        c("session policy: explicit deny").who(dev()).id(S3_ALL).ses(SESSION_DENY_GET).xdeny(ExplicitDenyInSessionPolicy),
        c("session policies are a union among themselves").who(dev()).id(S3_ALL).ses(SESSION_LIST_ONLY).ses(SESSION_GET_ONLY).allow(),
        c("session policy with resource restriction").who(dev()).id(S3_ALL).ses(SESSION_GET_ONLY).on("arn:aws:s3:::other/key").deny(NoSessionPolicyAllows),
        c("session policy + boundary + identity all allow").who(dev()).id(S3_ALL).bnd(BOUNDARY_GET_ONLY).ses(SESSION_GET_ONLY).allow(),
        c("session policy allows but boundary does not").who(dev()).id(S3_ALL).bnd(SESSION_EC2).ses(SESSION_GET_ONLY).deny(NoPermissionsBoundaryAllows),
        c("federated user session: session policy limits the user").id(S3_ALL).ses(SESSION_LIST_ONLY).deny(NoSessionPolicyAllows),
        c("federated user session: user-named resource grant not limited").rp(BP_ALICE).ses(SESSION_LIST_ONLY).allow(),
        // ------------------------------------------------------ boundaries
        c("boundary example: CreateUser outside boundary").id(IDENTITY_CREATE_USER).bnd(BOUNDARY_S3_CW_EC2).act("iam:CreateUser").on("*").deny(NoPermissionsBoundaryAllows),
        c("boundary example: boundary alone grants nothing").bnd(BOUNDARY_S3_CW_EC2).act("s3:ListBucket").on("arn:aws:s3:::bucket").deny(NoIdentityPolicyAllows),
        c("boundary: intersection allows").id(S3_ALL).bnd(BOUNDARY_GET_ONLY).allow(),
        c("boundary: identity allows, boundary does not").id(S3_ALL).bnd(BOUNDARY_GET_ONLY).act("s3:PutObject").deny(NoPermissionsBoundaryAllows),
        c("boundary: explicit deny").id(ADMIN).bnd(BOUNDARY_DENY_DELETE).act("s3:DeleteObject").xdeny(ExplicitDenyInPermissionsBoundary),
        c("boundary: deny elsewhere leaves others").id(ADMIN).bnd(BOUNDARY_DENY_DELETE).allow(),
        c("boundary with NotAction: IAM excluded").id(ADMIN).bnd(BOUNDARY_NOT_IAM).act("iam:CreateRole").on("*").deny(NoPermissionsBoundaryAllows),
        c("boundary with NotAction: others pass").id(ADMIN).bnd(BOUNDARY_NOT_IAM).allow(),
        c("boundary with a condition: inside network").id(ADMIN).bnd(BOUNDARY_IP).ctx("aws:SourceIp", "10.2.3.4").allow(),
        c("boundary with a condition: outside network").id(ADMIN).bnd(BOUNDARY_IP).ctx("aws:SourceIp", "192.0.2.1").deny(NoPermissionsBoundaryAllows),
        c("boundary: user-named resource grant is not limited").rp(BP_ALICE).bnd(SESSION_EC2).allow(),
        c("boundary: account-named resource grant is limited").rp(BP_OWN_ACCOUNT).id(S3_ALL).bnd(SESSION_EC2).deny(NoPermissionsBoundaryAllows),
        c("boundary: identity deny reported before boundary").id(DENY_ALL).bnd(BOUNDARY_DENY_DELETE).act("s3:DeleteObject").xdeny(ExplicitDenyInIdentityPolicy),
        c("empty boundary list denies everything").id(ADMIN).bnd(r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"none:None","Resource":"*"}]}"#).deny(NoPermissionsBoundaryAllows),
        c("delegated admin: create user with the required boundary").id(DELEGATED_ADMIN).act("iam:CreateUser").on("arn:aws:iam::123456789012:user/new")
            .ctx("iam:PermissionsBoundary", "arn:aws:iam::123456789012:policy/XCompanyBoundaries").allow(),
        c("delegated admin: create user without the boundary").id(DELEGATED_ADMIN).act("iam:CreateUser").on("arn:aws:iam::123456789012:user/new").deny(NoIdentityPolicyAllows),
        c("delegated admin: create user with another boundary").id(DELEGATED_ADMIN).act("iam:CreateUser").on("arn:aws:iam::123456789012:user/new")
            .ctx("iam:PermissionsBoundary", "arn:aws:iam::aws:policy/AdministratorAccess").deny(NoIdentityPolicyAllows),
        // --------------------------------------------------- cross account
        c("cross-account: identity and bucket policy both allow").who(carol()).owner(ACCT).rp(BP_CROSS_ACCOUNT).id(S3_GET_STAR).allow(),
        c("cross-account: bucket policy alone is not enough").who(carol()).owner(ACCT).rp(BP_CROSS_ACCOUNT).deny(NoIdentityPolicyAllows),
        c("cross-account: identity alone is not enough").who(carol()).owner(ACCT).id(S3_GET_STAR).deny(NoResourcePolicyAllows),
        c("cross-account: bucket policy names another account").who(carol()).owner(ACCT).rp(BP_OWN_ACCOUNT).id(S3_ALL).deny(NoResourcePolicyAllows),
        c("cross-account: bucket policy action not granted").who(carol()).owner(ACCT).rp(BP_CROSS_ACCOUNT).id(S3_ALL).act("s3:PutObject").deny(NoResourcePolicyAllows),
        c("cross-account: bucket policy naming the user").who(carol()).owner(ACCT).rp(BP_CROSS_CAROL).id(S3_ALL).allow(),
        c("cross-account: explicit deny in bucket policy").who(carol()).owner(ACCT).rp(BP_CROSS_DENY_PUT).id(S3_ALL).act("s3:PutObject").xdeny(ExplicitDenyInResourcePolicy),
        c("cross-account: same bucket policy allows Get").who(carol()).owner(ACCT).rp(BP_CROSS_DENY_PUT).id(S3_ALL).allow(),
        c("cross-account: boundary still limits").who(carol()).owner(ACCT).rp(BP_CROSS_ACCOUNT).id(S3_ALL).bnd(SESSION_EC2).deny(NoPermissionsBoundaryAllows),
        c("cross-account: session of a named role, identity allows").who(ops()).owner(ACCT).rp(BP_CROSS_OPS_ROLE).id(S3_ALL).allow(),
        c("cross-account: session of a named role without identity").who(ops()).owner(ACCT).rp(BP_CROSS_OPS_ROLE).deny(NoIdentityPolicyAllows),
        c("cross-account: session policy limits").who(ops()).owner(ACCT).rp(BP_CROSS_OPS_ROLE).id(S3_ALL).ses(SESSION_LIST_ONLY).deny(NoSessionPolicyAllows),
        c("cross-account: public bucket still needs identity allow").who(carol()).owner(ACCT).rp(BP_PUBLIC_READ).deny(NoIdentityPolicyAllows),
        c("cross-account: public bucket with identity allow").who(carol()).owner(ACCT).rp(BP_PUBLIC_READ).id(S3_GET_STAR).allow(),
        c("resource_account equal to principal's account is same-account").owner(ACCT).rp(BP_ALICE).allow(),
        c("cross-account: no resource policy at all").who(carol()).owner(ACCT).id(ADMIN).deny(NoResourcePolicyAllows),
        // -------------------------------------------------- trust policies
        c("trust: EC2 service may assume").rp(TRUST_EC2).who(svc("ec2.amazonaws.com")).act("sts:AssumeRole").on(ROLE_ARN).allow(),
        c("trust: Lambda may not assume an EC2 role").rp(TRUST_EC2).who(svc("lambda.amazonaws.com")).act("sts:AssumeRole").on(ROLE_ARN).deny(NoResourcePolicyAllows),
        c("trust: users cannot assume a service role").rp(TRUST_EC2).id(ADMIN).act("sts:AssumeRole").on(ROLE_ARN).deny(NoResourcePolicyAllows),
        c("trust: account trust + identity allow").rp(TRUST_ACCOUNT).id(ASSUME_ANY).act("sts:AssumeRole").on(ROLE_ARN).allow(),
        c("trust: account trust without identity allow").rp(TRUST_ACCOUNT).act("sts:AssumeRole").on(ROLE_ARN).deny(NoIdentityPolicyAllows),
        c("trust: user named directly needs no identity policy").rp(TRUST_ALICE).act("sts:AssumeRole").on(ROLE_ARN).allow(),
        c("trust: user named directly may tag the session").rp(TRUST_ALICE).act("sts:TagSession").on(ROLE_ARN).allow(),
        c("trust: other user not named").rp(TRUST_ALICE).who(bob()).act("sts:AssumeRole").on(ROLE_ARN).deny(NoResourcePolicyAllows),
        c("trust: cross-account with external id").rp(TRUST_OTHER_ACCOUNT_EXTID).who(carol()).owner(ACCT).id(ADMIN).act("sts:AssumeRole").on(XROLE_TARGET).ctx("sts:ExternalId", "Unique-ID-1234").allow(),
        c("trust: cross-account with wrong external id").rp(TRUST_OTHER_ACCOUNT_EXTID).who(carol()).owner(ACCT).id(ADMIN).act("sts:AssumeRole").on(XROLE_TARGET).ctx("sts:ExternalId", "guess").deny(NoResourcePolicyAllows),
        c("trust: cross-account without identity allow").rp(TRUST_OTHER_ACCOUNT_EXTID).who(carol()).owner(ACCT).act("sts:AssumeRole").on(XROLE_TARGET).ctx("sts:ExternalId", "Unique-ID-1234").deny(NoIdentityPolicyAllows),
        c("trust: MFA required and present").rp(TRUST_MFA).id(ASSUME_ANY).act("sts:AssumeRole").on(ROLE_ARN).ctx("aws:MultiFactorAuthPresent", "true").ctx("aws:MultiFactorAuthAge", "60").allow(),
        c("trust: MFA required, absent").rp(TRUST_MFA).id(ASSUME_ANY).act("sts:AssumeRole").on(ROLE_ARN).deny(NoResourcePolicyAllows),
        c("trust: web identity with audience").rp(TRUST_WEB).who(federated("cognito-identity.amazonaws.com")).act("sts:AssumeRoleWithWebIdentity").on(ROLE_ARN)
            .ctx("cognito-identity.amazonaws.com:aud", "us-east-1:12345678-abcd-abcd-abcd-123456789012").ctxm("cognito-identity.amazonaws.com:amr", &["authenticated", "cognito-identity.amazonaws.com"]).allow(),
        c("trust: web identity unauthenticated").rp(TRUST_WEB).who(federated("cognito-identity.amazonaws.com")).act("sts:AssumeRoleWithWebIdentity").on(ROLE_ARN)
            .ctx("cognito-identity.amazonaws.com:aud", "us-east-1:12345678-abcd-abcd-abcd-123456789012").ctxm("cognito-identity.amazonaws.com:amr", &["unauthenticated"]).deny(NoResourcePolicyAllows),
        c("trust: other identity provider").rp(TRUST_WEB).who(federated("accounts.google.com")).act("sts:AssumeRoleWithWebIdentity").on(ROLE_ARN)
            .ctx("cognito-identity.amazonaws.com:aud", "us-east-1:12345678-abcd-abcd-abcd-123456789012").ctxm("cognito-identity.amazonaws.com:amr", &["authenticated"]).deny(NoResourcePolicyAllows),
        // ------------------------------------------------------ key policies
        c("key policy: root statement enables IAM policies").rp(KEY_POLICY).id(r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"kms:Decrypt","Resource":"*"}]}"#).act("kms:Decrypt").on(KEY_ARN).allow(),
        c("key policy: without IAM policy alice cannot use the key").rp(KEY_POLICY).act("kms:Decrypt").on(KEY_ARN).deny(NoIdentityPolicyAllows),
        c("key policy: named user needs no IAM policy").rp(KEY_POLICY).who(bob()).act("kms:Encrypt").on(KEY_ARN).allow(),
        c("key policy without the root statement: IAM policy alone is not enough")
            .rp(r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:user/bob"},"Action":"kms:*","Resource":"*"}]}"#)
            .id(ADMIN).act("kms:Decrypt").on(KEY_ARN).deny(NoResourcePolicyAllows),
        c("kms actions without a key are plain identity decisions").id(ADMIN).act("kms:ListKeys").on("*").allow(),
        c("key policy: named user limited to listed actions").rp(KEY_POLICY).who(bob()).act("kms:ScheduleKeyDeletion").on(KEY_ARN).deny(NoIdentityPolicyAllows),
    ]
}

/// The policies of a case: identity, resource, boundary, session.
type Loaded = (
    Vec<Policy>,
    Option<Policy>,
    Option<Vec<Policy>>,
    Option<Vec<Policy>>,
);

fn build(case: &Case) -> Result<Loaded, String> {
    let load = |text: &str, kind: PolicyKind| -> Result<Policy, String> {
        if case.strict {
            let checked = match kind {
                PolicyKind::Resource => validate(text, PolicyKind::Resource)
                    .or_else(|_| validate(text, PolicyKind::Trust)),
                k => validate(text, k),
            };
            checked.map_err(|e| {
                format!(
                    "validate({kind:?}) refused a policy: {}: {text}",
                    e.message()
                )
            })
        } else {
            Policy::parse(text).map_err(|e| format!("parse refused: {}", e.message()))
        }
    };
    let identity = case
        .identity
        .iter()
        .map(|t| load(t, PolicyKind::Identity))
        .collect::<Result<Vec<_>, _>>()?;
    let resource = case
        .resource
        .map(|t| load(t, PolicyKind::Resource))
        .transpose()?;
    let boundary = case
        .boundary
        .as_ref()
        .map(|b| {
            b.iter()
                .map(|t| load(t, PolicyKind::Boundary))
                .collect::<Result<Vec<_>, _>>()
        })
        .transpose()?;
    let session = case
        .session
        .as_ref()
        .map(|b| {
            b.iter()
                .map(|t| load(t, PolicyKind::Session))
                .collect::<Result<Vec<_>, _>>()
        })
        .transpose()?;
    Ok((identity, resource, boundary, session))
}

fn request(case: &Case) -> Request {
    let mut context = ContextKeys::new();
    for (k, v) in &case.ctx {
        context.insert(*k, v.iter().map(|s| s.to_string()).collect());
    }
    Request {
        action: case.action.to_string(),
        resource: case.arn.to_string(),
        principal: case.principal.clone(),
        context,
    }
}

#[test]
fn evaluation_table() {
    let cases = cases();
    assert!(cases.len() >= 200, "only {} cases", cases.len());
    let mut names = std::collections::HashSet::new();
    let mut failures = Vec::new();
    for case in &cases {
        if !names.insert(case.name) {
            failures.push(format!("duplicate case name: {}", case.name));
        }
        let Some(expect) = case.expect else {
            failures.push(format!("{}: no expectation", case.name));
            continue;
        };
        let (identity, resource, boundary, session) = match build(case) {
            Ok(p) => p,
            Err(e) => {
                failures.push(format!("{}: {e}", case.name));
                continue;
            }
        };
        let set = PolicySet {
            identity: (&identity).into(),
            resource: resource.as_ref(),
            resource_account: case.resource_account,
            boundary: boundary.as_ref().map(Into::into),
            session: session.as_ref().map(Into::into),
        };
        let req = request(case);
        let eval = evaluate(&req, &set);
        let got = match eval.decision {
            Decision::Allow => Expect::Allow,
            Decision::ExplicitDeny => {
                Expect::Explicit(eval.deny_reason().unwrap_or(NoIdentityPolicyAllows))
            }
            Decision::ImplicitDeny => {
                Expect::Implicit(eval.deny_reason().unwrap_or(NoIdentityPolicyAllows))
            }
        };
        if got != expect {
            failures.push(format!("{}: expected {expect:?}, got {got:?}", case.name));
        }
        // Matched statements agree with the decision.
        match eval.decision {
            Decision::ImplicitDeny if !eval.matched.is_empty() => {
                failures.push(format!("{}: implicit deny with matches", case.name))
            }
            Decision::Allow | Decision::ExplicitDeny if eval.matched.is_empty() => {
                failures.push(format!("{}: no matched statement", case.name))
            }
            _ => {}
        }
    }
    eprintln!("{} evaluation cases", cases.len());
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

#[test]
fn phrases_follow_aws_wording() {
    let a = "s3:GetObject";
    assert_eq!(
        NoIdentityPolicyAllows.phrase(a),
        "no identity-based policy allows the s3:GetObject action"
    );
    assert_eq!(
        ExplicitDenyInIdentityPolicy.phrase(a),
        "an explicit deny in an identity-based policy"
    );
    assert_eq!(
        ExplicitDenyInResourcePolicy.phrase(a),
        "an explicit deny in a resource-based policy"
    );
    assert_eq!(
        NoResourcePolicyAllows.phrase(a),
        "no resource-based policy allows the s3:GetObject action"
    );
    assert_eq!(
        NoPermissionsBoundaryAllows.phrase(a),
        "no permissions boundary allows the s3:GetObject action"
    );
    assert_eq!(
        ExplicitDenyInPermissionsBoundary.phrase(a),
        "an explicit deny in a permissions boundary"
    );
    assert_eq!(
        NoSessionPolicyAllows.phrase(a),
        "no session policy allows the s3:GetObject action"
    );
    assert_eq!(
        ExplicitDenyInSessionPolicy.phrase(a),
        "an explicit deny in a session policy"
    );
}

#[test]
fn access_denied_messages() {
    let req = Request::new(alice(), "s3:GetObject", "arn:aws:s3:::b/k");
    let eval = evaluate(&req, &PolicySet::default());
    assert_eq!(
        access_denied_message(&req, &eval),
        "User: arn:aws:iam::123456789012:user/alice is not authorized to perform: s3:GetObject on resource: arn:aws:s3:::b/k because no identity-based policy allows the s3:GetObject action"
    );
    let deny = [Policy::parse(DENY_ALL).expect("valid")];
    let eval = evaluate(
        &req,
        &PolicySet {
            identity: (&deny).into(),
            ..PolicySet::default()
        },
    );
    assert_eq!(
        access_denied_message(&req, &eval),
        "User: arn:aws:iam::123456789012:user/alice is not authorized to perform: s3:GetObject on resource: arn:aws:s3:::b/k with an explicit deny in an identity-based policy"
    );
    let req = Request::new(dev(), "s3:ListAllMyBuckets", "*");
    let eval = evaluate(&req, &PolicySet::default());
    assert_eq!(
        access_denied_message(&req, &eval),
        "User: arn:aws:sts::123456789012:assumed-role/Dev/s1 is not authorized to perform: s3:ListAllMyBuckets because no identity-based policy allows the s3:ListAllMyBuckets action"
    );
    let req = Request::new(anon(), "s3:GetObject", "arn:aws:s3:::b/k");
    let eval = evaluate(&req, &PolicySet::default());
    assert!(access_denied_message(&req, &eval).starts_with("User: anonymous is not authorized"));
}

#[test]
fn matched_statements_name_the_deciding_statements() {
    let policies = [Policy::parse(MFA_DENY).expect("valid")];
    let set = PolicySet {
        identity: (&policies).into(),
        ..PolicySet::default()
    };
    let req = Request::new(alice(), "s3:GetObject", OBJ);
    let eval = evaluate(&req, &set);
    assert_eq!(eval.decision, Decision::ExplicitDeny);
    assert_eq!(eval.matched.len(), 1);
    assert_eq!(
        eval.matched[0].sid.as_deref(),
        Some("DenyAllExceptListedIfNoMFA")
    );
    assert_eq!(eval.matched[0].statement_index, 1);
    assert_eq!(eval.matched[0].kind, PolicyKind::Identity);

    let mut req = req;
    req.context.set("aws:MultiFactorAuthPresent", "true");
    let eval = evaluate(&req, &set);
    assert_eq!(eval.decision, Decision::Allow);
    assert_eq!(eval.matched.len(), 1);
    assert_eq!(eval.matched[0].sid.as_deref(), Some("AllowAll"));
}

/// 10 policies × 10 statements, the last one allowing: well under 20 µs.
/// Run with `cargo test --release -p gureum-policy -- --ignored timing`.
#[test]
#[ignore]
fn timing_ten_policies_of_ten_statements() {
    let mut policies = Vec::new();
    for p in 0..10 {
        let mut stmts = Vec::new();
        for s in 0..10 {
            stmts.push(format!(
                r#"{{"Sid":"S{p}x{s}","Effect":"Allow","Action":["ec2:Describe{s}*","s3:Get{p}{s}*"],"Resource":["arn:aws:s3:::bucket-{p}/${{aws:username}}/*","arn:aws:ec2:*:*:instance/*"],"Condition":{{"StringEquals":{{"aws:RequestedRegion":["us-east-1","eu-west-1"]}},"IpAddress":{{"aws:SourceIp":"10.0.0.0/8"}}}}}}"#
            ));
        }
        if p == 9 {
            stmts.push(
                r#"{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::bucket/*"}"#
                    .to_string(),
            );
        }
        let doc = format!(
            r#"{{"Version":"2012-10-17","Statement":[{}]}}"#,
            stmts.join(",")
        );
        policies.push(validate(&doc, PolicyKind::Identity).expect("valid"));
    }
    let mut req = Request::new(alice(), "s3:GetObject", OBJ);
    req.context = ContextKeys::new()
        .with("aws:username", "alice")
        .with("aws:SourceIp", "10.1.2.3")
        .with("aws:RequestedRegion", "us-east-1")
        .with("aws:SecureTransport", "true")
        .with("aws:CurrentTime", "2024-01-01T00:00:00Z");
    let set = PolicySet {
        identity: (&policies).into(),
        ..PolicySet::default()
    };
    let mut times = Vec::new();
    for _ in 0..2001 {
        let start = std::time::Instant::now();
        let eval = std::hint::black_box(evaluate(std::hint::black_box(&req), &set));
        times.push(start.elapsed());
        assert_eq!(eval.decision, Decision::Allow);
    }
    times.sort();
    let median = times[times.len() / 2];
    eprintln!("median evaluation time: {median:?}");
    assert!(
        median < std::time::Duration::from_micros(20),
        "median {median:?}"
    );
}
