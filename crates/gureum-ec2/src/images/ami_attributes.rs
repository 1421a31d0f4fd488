//! `DescribeImageAttribute`, `ModifyImageAttribute`,
//! `ResetImageAttribute` on the caller's own images ([`crate::images::amis`]).
//!
//! Launch permissions: account ids (`UserId`) and the group `all`, which
//! makes the image public. Only the owner reads or changes attributes;
//! anyone else gets `AuthFailure`, as AWS answers.

use crate::common::errors::Ec2Error;
use crate::common::network::{self, dry_run, key, required, str_member};
use crate::images::amis::{self, Image};
use crate::Ec2Service;
use gureum_core::{AwsError, OpResult, RequestContext, Value};
use serde_json::json;

fn not_authorized(id: &str) -> AwsError {
    AwsError::from(Ec2Error::AuthFailure { id: id.to_string() })
}

fn bad_attribute(attr: &str) -> AwsError {
    network::invalid_value(format!(
        "Value ({attr}) for parameter attribute is invalid. Unknown attribute."
    ))
}

fn launch_permissions(img: &Image) -> Value {
    let mut out: Vec<Value> = img
        .launch_users
        .iter()
        .map(|u| json!({ "UserId": u }))
        .collect();
    if img.public {
        out.push(json!({ "Group": "all" }));
    }
    Value::Array(out)
}

/// A launch permission change: `(user ids, whether group all)`.
type Change = (Vec<String>, bool);

fn parse_permissions(list: Option<&Value>) -> Result<Change, AwsError> {
    let mut users = Vec::new();
    let mut all = false;
    for p in list.and_then(Value::as_array).into_iter().flatten() {
        if let Some(u) = str_member(p, "UserId") {
            check_account(u)?;
            users.push(u.to_string());
        }
        match str_member(p, "Group") {
            Some("all") => all = true,
            Some(g) => {
                return Err(network::invalid_value(format!(
                    "Value ({g}) for parameter group is invalid."
                )))
            }
            None => {}
        }
    }
    Ok((users, all))
}

fn check_account(u: &str) -> Result<(), AwsError> {
    if u.len() == 12 && u.bytes().all(|b| b.is_ascii_digit()) {
        Ok(())
    } else {
        Err(AwsError::from(Ec2Error::InvalidUserIdMalformed {
            message: format!("User ID '{u}' is not valid"),
        }))
    }
}

impl Ec2Service {
    /// Loads the caller's own image `id` (shared and public images answer
    /// `AuthFailure`, tombstones `InvalidAMIID.Unavailable`), lets `f`
    /// change it and stores it when `f` says so.
    fn with_own_image<R>(
        &self,
        ctx: &RequestContext,
        id: &str,
        f: impl FnOnce(&mut Image) -> Result<(R, bool), AwsError>,
    ) -> Result<R, AwsError> {
        amis::check_id(id)?;
        let store = &self.store;
        store.write(|txn| {
            let k = key(ctx, id);
            let Some(mut img) = txn.get(&amis::table(store), &k)? else {
                amis::usable(txn, store, ctx, &ctx.region, id)?;
                return Err(not_authorized(id));
            };
            if img.deregistered {
                return Err(amis::unavailable(id));
            }
            let (r, changed) = f(&mut img)?;
            if changed {
                txn.put(&amis::table(store), &k, &img)?;
            }
            Ok(r)
        })
    }

    /// `DescribeImageAttribute`.
    pub(crate) fn describe_image_attribute(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let id = required(&input, "ImageId")?.to_string();
        let attr = required(&input, "Attribute")?.to_string();
        dry_run(&input)?;
        self.with_own_image(ctx, &id, |img| {
            let mut out = json!({ "ImageId": img.id });
            let text = |v: &Option<String>| match v {
                Some(x) => json!({ "Value": x }),
                None => json!({}),
            };
            match attr.as_str() {
                "launchPermission" => out["LaunchPermissions"] = launch_permissions(img),
                "description" => out["Description"] = text(&img.description),
                "blockDeviceMapping" => out["BlockDeviceMappings"] = img.mappings_value(),
                "productCodes" => out["ProductCodes"] = json!([]),
                "sriovNetSupport" => out["SriovNetSupport"] = text(&img.sriov_net_support),
                "bootMode" => out["BootMode"] = text(&img.boot_mode),
                "imdsSupport" => out["ImdsSupport"] = text(&img.imds_support),
                "kernel" => out["KernelId"] = json!({}),
                "ramdisk" => out["RamdiskId"] = json!({}),
                "tpmSupport" => out["TpmSupport"] = json!({}),
                "uefiData" => out["UefiData"] = json!({}),
                "lastLaunchedTime" => out["LastLaunchedTime"] = json!({}),
                "deregistrationProtection" => {
                    out["DeregistrationProtection"] = json!({ "Value": "disabled" })
                }
                other => return Err(bad_attribute(other)),
            }
            Ok((out, false))
        })
    }

    /// `ModifyImageAttribute`: `LaunchPermission` (`Add`/`Remove`), or
    /// `Attribute=launchPermission` with `OperationType`, `UserIds` and
    /// `UserGroups`; `Description` (or `Attribute=description` + `Value`).
    pub(crate) fn modify_image_attribute(&self, ctx: &RequestContext, input: Value) -> OpResult {
        crate::common::unsupported::refuse_unimplemented(
            &input,
            &["OrganizationArns", "OrganizationalUnitArns"],
        )?;
        let id = required(&input, "ImageId")?.to_string();
        let attr = str_member(&input, "Attribute");
        let (mut add, mut remove) = match input.get("LaunchPermission") {
            Some(lp) => (
                parse_permissions(lp.get("Add"))?,
                parse_permissions(lp.get("Remove"))?,
            ),
            None => ((vec![], false), (vec![], false)),
        };
        if attr == Some("launchPermission") || input.get("OperationType").is_some() {
            let users = network::strings(&input, "UserIds");
            for u in &users {
                check_account(u)?;
            }
            let groups = network::strings(&input, "UserGroups");
            if let Some(g) = groups.iter().find(|g| *g != "all") {
                return Err(network::invalid_value(format!(
                    "Value ({g}) for parameter group is invalid."
                )));
            }
            let change = (users, !groups.is_empty());
            match str_member(&input, "OperationType") {
                Some("add") => add = change,
                Some("remove") => remove = change,
                Some(o) => {
                    return Err(network::invalid_value(format!(
                        "Value ({o}) for parameter operationType is invalid."
                    )))
                }
                None => return Err(network::missing("OperationType")),
            }
        }
        let description = input
            .get("Description")
            .and_then(|d| str_member(d, "Value"))
            .or_else(|| (attr == Some("description")).then(|| str_member(&input, "Value"))?)
            .map(str::to_string);
        let changes_permissions = !add.0.is_empty() || add.1 || !remove.0.is_empty() || remove.1;
        if !changes_permissions && description.is_none() {
            return Err(match attr {
                Some(a) if a != "launchPermission" && a != "description" => bad_attribute(a),
                _ => network::missing("LaunchPermission"),
            });
        }
        dry_run(&input)?;
        self.with_own_image(ctx, &id, |img| {
            for u in add.0 {
                if !img.launch_users.contains(&u) {
                    img.launch_users.push(u);
                }
            }
            img.launch_users.retain(|u| !remove.0.contains(u));
            if add.1 {
                img.public = true;
            }
            if remove.1 {
                img.public = false;
            }
            if let Some(d) = description {
                img.description = Some(d);
            }
            Ok(((), true))
        })?;
        Ok(json!({}))
    }

    /// `ResetImageAttribute`: `launchPermission` only (AWS resets nothing
    /// else): the image becomes private and unshared.
    pub(crate) fn reset_image_attribute(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let id = required(&input, "ImageId")?.to_string();
        let attr = required(&input, "Attribute")?;
        if attr != "launchPermission" {
            return Err(bad_attribute(attr));
        }
        dry_run(&input)?;
        self.with_own_image(ctx, &id, |img| {
            img.launch_users.clear();
            img.public = false;
            Ok(((), true))
        })?;
        Ok(json!({}))
    }
}
