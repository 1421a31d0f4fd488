//! Which IAM permission each operation needs, for the server's policy check.
//!
//! IAM actions are `iam:<OperationName>`; what varies is the resource. An
//! operation about one entity is authorized on that entity's ARN (with its
//! real path when the entity exists): `iam:AddUserToGroup` on the group,
//! `iam:AttachRolePolicy` on the role, `iam:CreatePolicyVersion` on the
//! policy. Without a name, the user-scoped operations (`GetUser`,
//! `CreateAccessKey`, `ChangePassword`, …) act on the caller, and are
//! authorized on the caller's own ARN. Account-wide operations keep the
//! default (`*`).

use crate::util::key;
use crate::IamService;
use gureum_core::service::{Authorization, AuthzTarget};
use gureum_core::{Principal, RequestContext, Value};

impl IamService {
    fn path_of(&self, table: &str, account: &str, name: &str) -> String {
        let k = key(account, name);
        let path = match table {
            "user" => self.users.get(&k).ok().flatten().map(|u| u.path),
            "group" => self.groups.get(&k).ok().flatten().map(|g| g.path),
            "role" => self.roles.get(&k).ok().flatten().map(|r| r.path),
            "instance-profile" => self
                .instance_profiles
                .get(&k)
                .ok()
                .flatten()
                .map(|p| p.path),
            "server-certificate" => self
                .server_certificates
                .get(&k)
                .ok()
                .flatten()
                .map(|c| c.path),
            _ => None,
        };
        path.unwrap_or_else(|| "/".to_string())
    }

    /// The permission `operation` needs: `iam:<operation>` on the resource
    /// it is about.
    pub(crate) fn authorization(
        &self,
        ctx: &RequestContext,
        operation: &str,
        input: &Value,
    ) -> Authorization {
        let acct = &ctx.account_id;
        let member = |m: &str| input.get(m).and_then(Value::as_str);
        let entity = |kind: &str, name: &str| {
            let path = match kind {
                "user" | "group" | "role" | "instance-profile" | "server-certificate" => {
                    // A create names the path it will have.
                    member("Path")
                        .filter(|_| {
                            operation.starts_with("Create") || operation.starts_with("Upload")
                        })
                        .map(String::from)
                        .unwrap_or_else(|| self.path_of(kind, acct, name))
                }
                _ => "/".to_string(),
            };
            format!("arn:aws:iam::{acct}:{kind}{path}{name}")
        };
        let resource = if let Some(n) = member("InstanceProfileName") {
            entity("instance-profile", n)
        } else if let Some(n) = member("GroupName") {
            entity("group", n)
        } else if let Some(n) = member("UserName") {
            entity("user", n)
        } else if let Some(n) = member("RoleName") {
            entity("role", n)
        } else if let Some(arn) = member("PolicyArn") {
            arn.to_string()
        } else if let Some(serial) = member("SerialNumber") {
            serial.to_string()
        } else if let Some(n) = member("VirtualMFADeviceName") {
            format!(
                "arn:aws:iam::{acct}:mfa{}{n}",
                member("Path").unwrap_or("/")
            )
        } else if let Some(n) = member("PolicyName").filter(|_| operation == "CreatePolicy") {
            format!(
                "arn:aws:iam::{acct}:policy{}{n}",
                member("Path").unwrap_or("/")
            )
        } else if let Some(service) =
            member("AWSServiceName").filter(|_| operation == "CreateServiceLinkedRole")
        {
            // The role it will create, as AWS names it.
            let name = crate::service_linked::role_name(service).unwrap_or_default();
            let name = match member("CustomSuffix") {
                Some(suffix) => format!("{name}_{suffix}"),
                None => name,
            };
            format!("arn:aws:iam::{acct}:role/aws-service-role/{service}/{name}")
        } else if let Some(arn) = member("OpenIDConnectProviderArn") {
            arn.to_string()
        } else if let Some(arn) = member("SAMLProviderArn") {
            arn.to_string()
        } else if let Some(n) = member("ServerCertificateName") {
            entity("server-certificate", n)
        } else if let Some(arn) = member("PolicySourceArn") {
            arn.to_string()
        } else {
            match (&ctx.principal, operation) {
                (
                    Principal::User { .. },
                    "GetUser"
                    | "CreateAccessKey"
                    | "UpdateAccessKey"
                    | "DeleteAccessKey"
                    | "ListAccessKeys"
                    | "ChangePassword"
                    | "GetLoginProfile"
                    | "CreateLoginProfile"
                    | "UpdateLoginProfile"
                    | "DeleteLoginProfile"
                    | "ListMFADevices"
                    | "DeactivateMFADevice"
                    | "UploadSigningCertificate"
                    | "ListSigningCertificates"
                    | "UpdateSigningCertificate"
                    | "DeleteSigningCertificate"
                    | "ListSSHPublicKeys",
                ) => ctx.principal.arn(),
                _ => return Authorization::Default,
            }
        };
        Authorization::Targets(vec![AuthzTarget::new(format!("iam:{operation}"), resource)])
    }
}
