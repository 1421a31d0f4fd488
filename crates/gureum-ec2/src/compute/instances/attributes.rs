//! `DescribeInstanceAttribute`, `ModifyInstanceAttribute` and
//! `GetConsoleOutput`.

use super::{not_found, with_instance, Instance};
use crate::common::errors::Ec2Error;
use crate::common::network::{self, dry_run, required, str_member};
use crate::{common::instance_types, vpc::security_group, Ec2Service};
use base64::Engine;
use gureum_core::{AwsError, OpResult, RequestContext, Value};
use serde_json::json;

fn incorrect_state(i: &Instance, what: &str) -> AwsError {
    AwsError::from(Ec2Error::IncorrectInstanceState {
        message: format!(
            "The instance '{}' is not in the 'stopped' state. {what}",
            i.id
        ),
    })
}

fn attribute_value(i: &Instance, name: &str, now: i64) -> Result<Value, AwsError> {
    let b = |v: bool| json!({"Value": v});
    Ok(match name {
        "instanceType" => json!({"InstanceType": {"Value": i.instance_type}}),
        "userData" => match &i.user_data {
            Some(u) => json!({"UserData": {"Value": u}}),
            None => json!({"UserData": {}}),
        },
        "disableApiTermination" => json!({"DisableApiTermination": b(i.disable_api_termination)}),
        "disableApiStop" => json!({"DisableApiStop": b(i.disable_api_stop)}),
        "instanceInitiatedShutdownBehavior" => {
            json!({"InstanceInitiatedShutdownBehavior": {"Value": i.shutdown_behavior}})
        }
        "rootDeviceName" => json!({"RootDeviceName": {"Value": i.root_device_name}}),
        "groupSet" => {
            json!({"Groups": i.groups.iter().map(|(id, name)| json!({"GroupId": id, "GroupName": name})).collect::<Vec<_>>()})
        }
        "ebsOptimized" => json!({"EbsOptimized": b(i.ebs_optimized)}),
        "sourceDestCheck" => json!({"SourceDestCheck": b(true)}),
        "enaSupport" => json!({"EnaSupport": b(true)}),
        "sriovNetSupport" => json!({"SriovNetSupport": {"Value": "simple"}}),
        "kernel" => json!({"KernelId": {}}),
        "ramdisk" => json!({"RamdiskId": {}}),
        "productCodes" => json!({"ProductCodes": []}),
        "enclaveOptions" => json!({"EnclaveOptions": {"Enabled": false}}),
        "blockDeviceMapping" => {
            json!({"BlockDeviceMappings": i.block_devices.iter().filter_map(|d| Some(json!({
            "DeviceName": d.device_name,
            "Ebs": {"AttachTime": d.attach_time, "DeleteOnTermination": d.delete_on_termination, "Status": d.status(now)?, "VolumeId": d.volume_id},
        }))).collect::<Vec<_>>()})
        }
        other => {
            return Err(network::invalid_value(format!(
                "Value ({other}) for parameter attribute is invalid. Unknown attribute."
            )))
        }
    })
}

impl Ec2Service {
    /// `DescribeInstanceAttribute`.
    pub(crate) fn describe_instance_attribute(
        &self,
        ctx: &RequestContext,
        input: Value,
    ) -> OpResult {
        dry_run(&input)?;
        let id = required(&input, "InstanceId")?;
        let attr = required(&input, "Attribute")?;
        super::check_ids(&[id.to_string()])?;
        let now = ctx.clock.now_millis();
        let mut l = self.instances.lock(&self.store, ctx)?;
        let mut i = l
            .region()
            .instances
            .get(id)
            .map(|e| e.0.clone())
            .ok_or_else(|| not_found(&[id]))?;
        drop(l);
        i.settle(now);
        if i.gone(now) {
            return Err(not_found(&[id]));
        }
        let mut out = attribute_value(&i, attr, ctx.clock.now_millis())?;
        out["InstanceId"] = json!(i.id);
        Ok(out)
    }

    /// `ModifyInstanceAttribute`: instance type and user data only while
    /// stopped; termination/stop protection, shutdown behaviour, groups.
    pub(crate) fn modify_instance_attribute(&self, ctx: &RequestContext, input: Value) -> OpResult {
        crate::common::unsupported::refuse_unimplemented(&input, &["Kernel", "Ramdisk"])?;
        let id = required(&input, "InstanceId")?.to_string();
        super::check_ids(std::slice::from_ref(&id))?;
        let attr = str_member(&input, "Attribute");
        let value = str_member(&input, "Value");
        let pick = |member: &str, name: &str| -> Option<Value> {
            if let Some(v) = input.get(member) {
                return Some(v.get("Value").cloned().unwrap_or_else(|| v.clone()));
            }
            (attr == Some(name))
                .then(|| value.map(|v| json!(v)))
                .flatten()
        };
        let instance_type = pick("InstanceType", "instanceType");
        let user_data = pick("UserData", "userData");
        let disable_term = pick("DisableApiTermination", "disableApiTermination");
        let disable_stop = pick("DisableApiStop", "disableApiStop");
        let shutdown = pick(
            "InstanceInitiatedShutdownBehavior",
            "instanceInitiatedShutdownBehavior",
        );
        let groups = network::strings(&input, "Groups");
        let ebs_opt = pick("EbsOptimized", "ebsOptimized");
        let as_bool = |v: &Value| match v {
            Value::Bool(b) => Some(*b),
            Value::String(s) => s.parse().ok(),
            _ => None,
        };
        if let Some(t) = &instance_type {
            let t = t.as_str().unwrap_or_default();
            if !instance_types::find(t).is_some_and(|x| x.offered_in(&ctx.region)) {
                return Err(network::invalid_value(format!(
                    "Invalid value '{t}' for InstanceType."
                )));
            }
        }
        if let Some(s) = &shutdown {
            let s = s.as_str().unwrap_or_default();
            if s != "stop" && s != "terminate" {
                return Err(network::invalid_value(format!(
                    "Value ({s}) for parameter instanceInitiatedShutdownBehavior is invalid."
                )));
            }
        }
        let store = &self.store;
        with_instance(self, ctx, &id, |txn, i| {
            if i.state == "terminated" || i.state == "shutting-down" {
                return Err(AwsError::from(Ec2Error::IncorrectInstanceState {
                    message: format!(
                        "The instance '{}' is not in a state from which it can be modified.",
                        i.id
                    ),
                }));
            }
            let mut new_groups = Vec::new();
            for g in &groups {
                let sg = txn
                    .get(&security_group::table(store), &network::key(ctx, g))?
                    .ok_or_else(|| security_group::not_found(g))?;
                if sg.vpc_id != i.vpc_id {
                    return Err(network::invalid_value(format!(
                        "Security group {g} and instance {} belong to different networks.",
                        i.id
                    )));
                }
                new_groups.push((sg.id, sg.name));
            }
            dry_run(&input)?;
            if let Some(t) = &instance_type {
                if i.state != "stopped" {
                    return Err(incorrect_state(i, ""));
                }
                let t = t.as_str().unwrap_or_default();
                if let Some(ty) = instance_types::find(t) {
                    i.vcpus = ty.info["VCpuInfo"]["DefaultVCpus"].as_i64().unwrap_or(1);
                    i.threads_per_core = ty.info["VCpuInfo"]["DefaultThreadsPerCore"]
                        .as_i64()
                        .unwrap_or(1);
                }
                i.instance_type = t.to_string();
            }
            if let Some(u) = &user_data {
                if i.state != "stopped" {
                    return Err(incorrect_state(i, ""));
                }
                i.user_data = u.as_str().map(str::to_string).filter(|s| !s.is_empty());
            }
            if let Some(b) = disable_term.as_ref().and_then(as_bool) {
                i.disable_api_termination = b;
            }
            if let Some(b) = disable_stop.as_ref().and_then(as_bool) {
                i.disable_api_stop = b;
            }
            if let Some(b) = ebs_opt.as_ref().and_then(as_bool) {
                i.ebs_optimized = b;
            }
            if let Some(s) = shutdown.as_ref().and_then(Value::as_str) {
                i.shutdown_behavior = s.to_string();
            }
            if !new_groups.is_empty() {
                i.groups = new_groups;
            }
            Ok(())
        })?;
        Ok(json!({}))
    }

    /// `GetConsoleOutput`: a short boot log, base64, once the instance has
    /// run.
    pub(crate) fn get_console_output(&self, ctx: &RequestContext, input: Value) -> OpResult {
        dry_run(&input)?;
        let id = required(&input, "InstanceId")?;
        super::check_ids(&[id.to_string()])?;
        let now = ctx.clock.now_millis();
        let mut l = self.instances.lock(&self.store, ctx)?;
        let mut i = l
            .region()
            .instances
            .get(id)
            .map(|e| e.0.clone())
            .ok_or_else(|| not_found(&[id]))?;
        drop(l);
        i.settle(now);
        if i.gone(now) {
            return Err(not_found(&[id]));
        }
        let mut out = json!({"InstanceId": i.id, "Timestamp": now / 1000});
        if i.state != "pending" {
            let host = format!("ip-{}", i.private_ip.replace('.', "-"));
            let log = format!(
                "[    0.000000] Linux version 6.1.0 (gureum) #1 SMP\n\
                 [    0.000000] Command line: BOOT_IMAGE=/boot/vmlinuz root=LABEL=/ console=ttyS0\n\
                 [    1.204113] EXT4-fs (nvme0n1p1): mounted filesystem\n\
                 cloud-init[1204]: Cloud-init v. 22.2.2 running 'init' at {time}\n\
                 cloud-init[1204]: ci-info: | eth0 | True | {ip} | {mac} |\n\
                 cloud-init[1204]: Cloud-init v. 22.2.2 finished. Datasource DataSourceEc2.\n\
                 \n{host} login: \n",
                time = super::reason_time(i.launch_time),
                ip = i.private_ip,
                mac = i.mac,
            );
            // What really ran (user data's output), after the boot lines.
            let log = match self.host_console(&i.id) {
                Some(real) => format!("{log}{real}"),
                None => log,
            };
            out["Output"] = json!(base64::engine::general_purpose::STANDARD.encode(log));
        }
        Ok(out)
    }
}
