//! Launch configurations: `CreateLaunchConfiguration`,
//! `DescribeLaunchConfigurations`, `DeleteLaunchConfiguration`.

use crate::errors::{validation, AutoscalingError};
use crate::records::LaunchConfiguration;
use crate::util::{self, arn, required, string, strings, ts};
use crate::AutoscalingService;
use gureum_core::{AwsError, OpResult, RequestContext, Scope, Value};
use serde_json::json;

/// `CreateLaunchConfiguration`.
pub(crate) fn create(svc: &AutoscalingService, ctx: &RequestContext, input: &Value) -> OpResult {
    let scope = Scope::regional(ctx);
    let name = required(input, "LaunchConfigurationName")?;
    util::refuse_unimplemented(
        input,
        &[
            "ClassicLinkVPCId",
            "ClassicLinkVPCSecurityGroups",
            "KernelId",
            "RamdiskId",
            "BlockDeviceMappings",
            "SpotPrice",
            "EbsOptimized",
            "AssociatePublicIpAddress",
            "PlacementTenancy",
            "MetadataOptions",
        ],
    )?;
    // Detailed monitoring is what Gureum shows; turning it off is not done.
    if input["InstanceMonitoring"]["Enabled"].as_bool() == Some(false) {
        util::refuse_unimplemented(input, &["InstanceMonitoring"])?;
    }
    if input.get("InstanceId").is_some() {
        return Err(AwsError::from(gureum_core::CommonError::NotImplemented {
            service: "autoscaling".into(),
            operation: "CreateLaunchConfiguration with InstanceId".into(),
        }));
    }
    let image_id = string(input, "ImageId").ok_or_else(|| {
        validation("Valid requests must contain either the InstanceID parameter or both the ImageId and InstanceType parameters.")
    })?;
    let instance_type = string(input, "InstanceType").ok_or_else(|| {
        validation("Valid requests must contain either the InstanceID parameter or both the ImageId and InstanceType parameters.")
    })?;
    let lc = LaunchConfiguration {
        name: name.to_string(),
        arn: arn(
            ctx,
            &format!(
                "launchConfiguration:{}:launchConfigurationName/{name}",
                gureum_core::id::uuid_v4()
            ),
        ),
        image_id: image_id.to_string(),
        instance_type: instance_type.to_string(),
        key_name: string(input, "KeyName").map(str::to_string),
        security_groups: strings(input, "SecurityGroups"),
        user_data: string(input, "UserData").map(str::to_string),
        instance_profile: string(input, "IamInstanceProfile").map(str::to_string),
        created_ms: ctx.clock.now_millis(),
    };
    let key = scope.key(name);
    svc.store.write(|txn| -> Result<(), AwsError> {
        if txn.get(&svc.configurations, &key)?.is_some() {
            return Err(AutoscalingError::ConfigurationExists { name: name.into() }.into());
        }
        txn.put(&svc.configurations, &key, &lc)?;
        Ok(())
    })?;
    Ok(json!({}))
}

fn shape(c: &LaunchConfiguration) -> Value {
    let mut v = json!({
        "LaunchConfigurationName": c.name,
        "LaunchConfigurationARN": c.arn,
        "ImageId": c.image_id,
        "InstanceType": c.instance_type,
        "SecurityGroups": c.security_groups,
        "ClassicLinkVPCSecurityGroups": [],
        "UserData": c.user_data.clone().unwrap_or_default(),
        "KernelId": "",
        "RamdiskId": "",
        "BlockDeviceMappings": [],
        "InstanceMonitoring": {"Enabled": true},
        "CreatedTime": ts(c.created_ms),
        "EbsOptimized": false,
    });
    if let Some(k) = &c.key_name {
        v["KeyName"] = json!(k);
    }
    if let Some(p) = &c.instance_profile {
        v["IamInstanceProfile"] = json!(p);
    }
    v
}

/// `DescribeLaunchConfigurations`.
pub(crate) fn describe(svc: &AutoscalingService, ctx: &RequestContext, input: &Value) -> OpResult {
    let scope = Scope::regional(ctx);
    let names = strings(input, "LaunchConfigurationNames");
    let items: Vec<Value> = svc
        .configurations
        .scan_prefix(&scope.prefix())?
        .into_iter()
        .map(|(_, c)| c)
        .filter(|c| names.is_empty() || names.contains(&c.name))
        .map(|c| shape(&c))
        .collect();
    let (items, next) = util::page(input, items, 50)?;
    let mut out = json!({ "LaunchConfigurations": items });
    if let Some(n) = next {
        out["NextToken"] = json!(n);
    }
    Ok(out)
}

/// `DeleteLaunchConfiguration`: refused while a group uses it.
pub(crate) fn delete(svc: &AutoscalingService, ctx: &RequestContext, input: &Value) -> OpResult {
    let scope = Scope::regional(ctx);
    let name = required(input, "LaunchConfigurationName")?;
    let key = scope.key(name);
    svc.store.write(|txn| -> Result<(), AwsError> {
        if txn.get(&svc.configurations, &key)?.is_none() {
            return Err(validation(format!(
                "Launch configuration name not found - Launch configuration {name} not found"
            )));
        }
        let groups = txn.scan_prefix(&svc.groups, &scope.prefix())?;
        if groups
            .iter()
            .any(|(_, g)| g.configuration.as_deref() == Some(name))
        {
            return Err(AutoscalingError::ConfigurationInUse { name: name.into() }.into());
        }
        txn.delete(&svc.configurations, &key)?;
        Ok(())
    })?;
    Ok(json!({}))
}
