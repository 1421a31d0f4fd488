//! Every error IAM answers, declared once: AWS's code, HTTP status and
//! message template (AWS's wording, as the API reference and the service
//! itself print it). Handlers return `IamError::…` and `?` turns it into
//! the wire-level [`gureum_core::AwsError`]; a unit test checks the codes
//! and statuses against `models/iam.json`.

gureum_core::aws_errors! {
    /// IAM's errors.
    pub enum IamError {
        // --- NoSuchEntity (404) ---
        /// A user that does not exist.
        NoSuchUser { name: String } =
            ("NoSuchEntity", 404, "The user with name {name} cannot be found."),
        /// A group that does not exist.
        NoSuchGroup { name: String } =
            ("NoSuchEntity", 404, "The group with name {name} cannot be found."),
        /// A role that does not exist.
        NoSuchRole { name: String } =
            ("NoSuchEntity", 404, "The role with name {name} cannot be found."),
        /// A managed policy that does not exist (or another account's).
        NoSuchPolicy { arn: String } =
            ("NoSuchEntity", 404, "Policy {arn} does not exist or is not attachable."),
        /// A permissions boundary naming a policy that does not exist.
        NoSuchBoundaryPolicy { arn: String } =
            ("NoSuchEntity", 404, "Scope ARN: {arn} does not exist or is not attachable."),
        /// A policy version that does not exist.
        NoSuchPolicyVersion { arn: String, version: String } =
            ("NoSuchEntity", 404, "Policy {arn} version {version} does not exist or is not attachable."),
        /// Detaching a policy the identity does not attach.
        PolicyNotAttached { arn: String } =
            ("NoSuchEntity", 404, "Policy {arn} was not found."),
        /// An access key that does not exist.
        NoSuchAccessKey { id: String } =
            ("NoSuchEntity", 404, "The Access Key with id {id} cannot be found."),
        /// An inline policy that does not exist (`kind`: user, group, role).
        NoSuchInlinePolicy { kind: &'static str, name: String } =
            ("NoSuchEntity", 404, "The {kind} policy with name {name} cannot be found."),
        /// An account alias that is not the account's.
        NoSuchAccountAlias { alias: String } =
            ("NoSuchEntity", 404, "The account alias {alias} cannot be found."),
        /// A virtual MFA device that does not exist.
        NoSuchVirtualMfaDevice { serial: String } =
            ("NoSuchEntity", 404, "VirtualMFADevice with serial number {serial} doesn't exist."),
        /// An MFA device not enabled for the user.
        NoSuchMfaDevice { serial: String } =
            ("NoSuchEntity", 404, "MFA Device with serial number {serial} does not exist."),
        /// Removing a user from a group it is not in.
        UserNotInGroup { user: String, group: String } =
            ("NoSuchEntity", 404, "User {user} is not in group {group}."),
        /// An instance profile that does not exist.
        NoSuchInstanceProfile { name: String } =
            ("NoSuchEntity", 404, "Instance Profile {name} cannot be found."),
        /// Removing a role an instance profile does not hold.
        RoleNotInInstanceProfile { role: String, profile: String } =
            ("NoSuchEntity", 404, "The role with name {role} cannot be found in instance profile {profile}."),
        /// A user without a console password.
        NoSuchLoginProfile { user: String } =
            ("NoSuchEntity", 404, "Login Profile for User {user} cannot be found."),
        /// An account without a password policy.
        NoSuchPasswordPolicy { account: String } =
            ("NoSuchEntity", 404, "The Password Policy with domain name {account} cannot be found."),
        /// An OpenID Connect provider that does not exist.
        NoSuchOidcProvider { arn: String } =
            ("NoSuchEntity", 404, "OpenIDConnect Provider not found for arn {arn}"),
        /// A SAML provider that does not exist.
        NoSuchSamlProvider { arn: String } =
            ("NoSuchEntity", 404, "Manifest not found for arn {arn}"),
        /// A server certificate that does not exist.
        NoSuchServerCertificate { name: String } =
            ("NoSuchEntity", 404, "The Server Certificate with name {name} cannot be found."),
        /// A signing certificate that does not exist.
        NoSuchSigningCertificate { id: String } =
            ("NoSuchEntity", 404, "The Certificate with id {id} cannot be found."),
        /// An SSH public key that does not exist.
        NoSuchSshPublicKey { id: String } =
            ("NoSuchEntity", 404, "The Public Key with id {id} cannot be found."),
        /// A service-specific credential that does not exist.
        NoSuchServiceCredential { id: String } =
            ("NoSuchEntity", 404, "The Service Specific Credential with id {id} cannot be found."),
        /// A service-linked role deletion task that does not exist.
        NoSuchDeletionTask { id: String } =
            ("NoSuchEntity", 404, "Deletion task {id} cannot be found."),

        // --- EntityAlreadyExists (409) ---
        /// A user name taken (case-insensitively).
        UserExists { name: String } =
            ("EntityAlreadyExists", 409, "User with name {name} already exists."),
        /// A group name taken.
        GroupExists { name: String } =
            ("EntityAlreadyExists", 409, "Group with name {name} already exists."),
        /// A role name taken.
        RoleExists { name: String } =
            ("EntityAlreadyExists", 409, "Role with name {name} already exists."),
        /// A managed policy name taken.
        PolicyExists { name: String } =
            ("EntityAlreadyExists", 409, "A policy called {name} already exists. Duplicate names are not allowed."),
        /// An account alias taken.
        AccountAliasExists { alias: String } =
            ("EntityAlreadyExists", 409, "The account alias {alias} already exists."),
        /// A virtual MFA device at the same path and name.
        MfaDeviceExists =
            ("EntityAlreadyExists", 409, "MFADevice entity at the same path and name already exists."),
        /// Enabling an MFA device already enabled.
        MfaDeviceInUse = ("EntityAlreadyExists", 409, "MFA Device is already in use."),
        /// An instance profile name taken.
        InstanceProfileExists { name: String } =
            ("EntityAlreadyExists", 409, "Instance Profile {name} already exists."),
        /// A user that already has a console password.
        LoginProfileExists { user: String } =
            ("EntityAlreadyExists", 409, "Login Profile for user {user} already exists."),
        /// An OpenID Connect provider for a URL already registered.
        OidcProviderExists { url: String } =
            ("EntityAlreadyExists", 409, "Provider with url {url} already exists."),
        /// A SAML provider name taken.
        SamlProviderExists { name: String } =
            ("EntityAlreadyExists", 409, "SAMLProvider {name} already exists"),
        /// A server certificate name taken.
        ServerCertificateExists { name: String } =
            ("EntityAlreadyExists", 409, "The Server Certificate with name {name} already exists."),

        // --- DeleteConflict (409) ---
        /// A user with a console password.
        UserHasLoginProfile =
            ("DeleteConflict", 409, "Cannot delete entity, must delete login profile first."),
        /// A user with access keys.
        UserHasAccessKeys =
            ("DeleteConflict", 409, "Cannot delete entity, must delete access keys first."),
        /// A user with signing certificates.
        UserHasSigningCertificates =
            ("DeleteConflict", 409, "Cannot delete entity, must remove signing certificates first."),
        /// A user with SSH public keys.
        UserHasSshPublicKeys =
            ("DeleteConflict", 409, "Cannot delete entity, must remove SSH public keys first."),
        /// A user with service-specific credentials.
        UserHasServiceCredentials = ("DeleteConflict", 409,
            "Cannot delete entity, must remove service specific credentials first."),
        /// A user with an MFA device.
        UserHasMfaDevice =
            ("DeleteConflict", 409, "Cannot delete entity, must delete MFA device first."),
        /// A user in groups.
        UserInGroups =
            ("DeleteConflict", 409, "Cannot delete entity, must remove user from all groups first."),
        /// An identity with inline policies.
        HasInlinePolicies =
            ("DeleteConflict", 409, "Cannot delete entity, must delete policies first."),
        /// An identity with attached policies.
        HasAttachedPolicies =
            ("DeleteConflict", 409, "Cannot delete entity, must detach all policies first."),
        /// A group with members.
        GroupHasUsers =
            ("DeleteConflict", 409, "Cannot delete entity, must remove users from group first."),
        /// A role in an instance profile, or a profile holding a role.
        InInstanceProfile =
            ("DeleteConflict", 409, "Cannot delete entity, must remove roles from instance profile first."),
        /// A managed policy still attached or used as a boundary.
        PolicyAttached = ("DeleteConflict", 409, "Cannot delete a policy attached to entities."),
        /// A managed policy with non-default versions.
        PolicyHasVersions = ("DeleteConflict", 409,
            "This policy has more than one version. Before you delete a policy, you must delete the policy's non-default versions."),
        /// Deleting a policy's default version.
        DefaultPolicyVersion =
            ("DeleteConflict", 409, "Cannot delete the default version of a policy."),
        /// Deleting a virtual MFA device still enabled for a user.
        MfaDeviceStillInUse = ("DeleteConflict", 409, "MFA device is still in use."),

        // --- LimitExceeded (409) ---
        /// A per-entity quota (`AccessKeysPerUser`, `PoliciesPerRole`, …).
        QuotaExceeded { quota: String, limit: usize } =
            ("LimitExceeded", 409, "Cannot exceed quota for {quota}: {limit}"),
        /// An inline policy over its size quota (`kind`: user, group, role).
        InlinePolicyTooLarge { limit: usize, kind: &'static str, name: String } =
            ("LimitExceeded", 409, "Maximum policy size of {limit} bytes exceeded for {kind} {name}"),
        /// A sixth managed policy version.
        TooManyPolicyVersions = ("LimitExceeded", 409,
            "A managed policy can have up to 5 versions. Before you create a new version, you must delete an existing version."),
        /// More than 50 tags on a resource.
        TooManyTags = ("LimitExceeded", 409, "The number of tags has reached the maximum limit."),

        // --- InvalidInput (400) ---
        /// A malformed ARN where a policy ARN is expected.
        InvalidArn { arn: String } = ("InvalidInput", 400, "ARN {arn} is not valid."),
        /// A malformed ARN given to the simulator.
        InvalidSimulationArn { arn: String } = ("InvalidInput", 400, "Invalid ARN: {arn}"),
        /// Two tags whose keys differ only by case.
        DuplicateTagKeys = ("InvalidInput", 400,
            "Duplicate tag keys found. Please note that Tag keys are case insensitive."),
        /// A tag key in AWS's reserved `aws:` namespace.
        ReservedTagKey = ("InvalidInput", 400,
            "User-defined tag keys can't start with 'aws:'. This prefix is reserved for AWS tags."),
        /// Other input IAM refuses, with the reason (simulator policies,
        /// provider URLs, thumbprints, certificates).
        InvalidInput { message: String } = ("InvalidInput", 400, "{message}"),
        /// A request member Gureum does not implement yet: refused rather
        /// than accepted and ignored (issue 13).
        UnsupportedParameter { parameter: String } = ("InvalidInput", 400,
            "Gureum does not implement the parameter {parameter} yet: the request is refused rather than the parameter ignored."),

        // --- ValidationError (400) ---
        /// A member that breaks a model constraint, in AWS's validation
        /// wording (`member` as AWS spells it, `userName`).
        Constraint { value: String, member: String, constraint: String } = ("ValidationError", 400,
            "1 validation error detected: Value '{value}' at '{member}' failed to satisfy constraint: {constraint}"),
        /// A required member that is absent.
        MissingMember { member: String } = ("ValidationError", 400,
            "1 validation error detected: Value null at '{member}' failed to satisfy constraint: Member must not be null"),
        /// A path that does not begin and end with `/`.
        InvalidPath = ("ValidationError", 400,
            "The specified value for path is invalid. It must begin and end with / and contain only alphanumeric characters and/or / characters."),
        /// An OpenID Connect provider URL without a scheme or host.
        InvalidOidcUrl = ("ValidationError", 400, "Invalid Open ID Connect Provider URL"),
        /// A user-only operation called without `UserName` by a non-user.
        UserNameRequired = ("ValidationError", 400,
            "Must specify userName when calling with non-User credentials"),
        /// A `Marker` this server did not hand out.
        InvalidMarker = ("ValidationError", 400, "Invalid Marker."),

        // --- others ---
        /// A policy document that breaks the grammar.
        MalformedPolicyDocument { message: String } = ("MalformedPolicyDocument", 400, "{message}"),
        /// Changing something AWS owns (a service-linked role).
        Unmodifiable { message: String } = ("UnmodifiableEntity", 400, "{message}"),
        /// No credential report generated yet.
        ReportNotPresent = ("ReportNotPresent", 410,
            "Credential report not present. To generate a credential report, use GenerateCredentialReport."),
        /// The credential report is older than four hours.
        ReportExpired = ("ReportExpired", 410,
            "The most recent credential report has expired. To generate a new credential report, use GenerateCredentialReport."),
        /// Changing an AWS managed policy.
        AccessDenied { principal: String, action: &'static str, resource: String } = ("AccessDenied", 403,
            "User: {principal} is not authorized to perform: iam:{action} on resource: {resource}"),
        /// An MFA code that is not the device's.
        InvalidAuthenticationCode = ("InvalidAuthenticationCode", 403,
            "Authentication code for device is not valid."),
        /// A password the account's password policy refuses.
        PasswordPolicyViolation { message: String } = ("PasswordPolicyViolation", 400, "{message}"),
        /// `ChangePassword` by a caller that is not an IAM user.
        NotAnIamUser = ("InvalidUserType", 400, "Only IAM users can change their own password."),
        /// `ChangePassword` with the wrong old password.
        WrongOldPassword = ("InvalidUserType", 400, "The old password is incorrect."),
        /// A service that takes no service-specific credentials.
        UnsupportedService { service: String } = ("NotSupportedService", 404,
            "No such service {service} is supported for Service-Specific Credentials"),
        /// Enabling outbound identity federation twice.
        FeatureEnabled = ("FeatureEnabled", 409,
            "Outbound identity federation is already enabled for this account."),
        /// Outbound identity federation used or disabled while it is off.
        FeatureDisabled = ("FeatureDisabled", 404,
            "Outbound identity federation is disabled for this account."),
        /// An organization operation on an account in no organization
        /// (every Gureum account).
        OrganizationNotFound = ("OrganizationNotFoundException", 400,
            "The request was rejected because no organization is associated with your account."),
        /// A certificate body that is not PEM-encoded X.509.
        MalformedCertificate { message: String } = ("MalformedCertificate", 400, "{message}"),
        /// A private key that is not the certificate's.
        KeyPairMismatch = ("KeyPairMismatch", 400,
            "The public key in the certificate does not match the private key."),
        /// The same signing certificate uploaded twice.
        DuplicateCertificate =
            ("DuplicateCertificate", 409, "The Certificate you are trying to upload already exists."),
        /// An SSH public key that is not a supported RSA key.
        UnrecognizedPublicKeyEncoding = ("UnrecognizedPublicKeyEncoding", 400,
            "Unrecognized key encoding. Supported encodings are ssh-rsa and PEM."),
        /// An SSH public key IAM refuses (too short, not RSA).
        InvalidPublicKey { message: String } = ("InvalidPublicKey", 400, "{message}"),
        /// The same SSH public key uploaded twice for a user.
        DuplicateSshPublicKey = ("DuplicateSSHPublicKey", 400, "The public key is already associated with the user."),
    }
}

/// Codes IAM's API reference documents that `models/iam.json` declares no
/// error shape for.
pub const DOCUMENTED: &[&str] = &["AccessDenied"];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn declared_errors_agree_with_the_iam_model() {
        let model = gureum_model::load("iam").expect("iam model");
        let problems =
            gureum_protocol::check_declared_errors(&model, IamError::DECLARED, DOCUMENTED);
        assert!(problems.is_empty(), "{problems:#?}");
    }

    #[test]
    fn messages_are_aws_wording() {
        let e = gureum_core::AwsError::from(IamError::NoSuchRole {
            name: "nope".into(),
        });
        assert_eq!((e.code.as_str(), e.status), ("NoSuchEntity", 404));
        assert_eq!(e.message, "The role with name nope cannot be found.");
    }
}
