//! What the control plane tells the host ([`super::host::InstanceHost`]):
//! an instance's [`BootSpec`] from the store, the calls after each state
//! change, and the boot of every running instance after a restart.

use super::host::BootSpec;
use super::instances::{table, Instance};
use crate::common::network::key;
use crate::Ec2Service;
use base64::Engine;
use gureum_core::{Clock, RequestContext};
use std::sync::atomic::Ordering;

impl Ec2Service {
    /// The spec the host boots `i` from: its network (VPC and subnet
    /// blocks), key pair, user data, image name and metadata options.
    pub(crate) fn boot_spec(&self, ctx: &RequestContext, i: &Instance) -> BootSpec {
        let store = &self.store;
        let vpc_cidr = crate::vpc::vpcs::table(store)
            .get(&key(ctx, &i.vpc_id))
            .ok()
            .flatten()
            .map(|v| v.cidr)
            .unwrap_or_default();
        let subnet_cidr = crate::vpc::subnet::table(store)
            .get(&key(ctx, &i.subnet_id))
            .ok()
            .flatten()
            .map(|s| s.cidr)
            .unwrap_or_default();
        let key_pair = i.key_name.as_ref().and_then(|name| {
            super::key_pairs::table(store)
                .get(&key(ctx, name))
                .ok()
                .flatten()
                .map(|k| (name.clone(), k.public_key))
        });
        let image_name = crate::images::amis::usable_read(store, ctx, &ctx.region, &i.image_id)
            .map(|img| img.name)
            .unwrap_or_default();
        let options = i.metadata_options.clone().unwrap_or_default();
        let option =
            |name: &str, default: &str| options[name].as_str().unwrap_or(default).to_string();
        let private_dns = if ctx.region == "us-east-1" {
            format!("ip-{}.ec2.internal", i.private_ip.replace('.', "-"))
        } else {
            format!(
                "ip-{}.{}.compute.internal",
                i.private_ip.replace('.', "-"),
                ctx.region
            )
        };
        let public_dns = match &i.public_ip {
            Some(ip) if ctx.region == "us-east-1" => {
                format!("ec2-{}.compute-1.amazonaws.com", ip.replace('.', "-"))
            }
            Some(ip) => format!(
                "ec2-{}.{}.compute.amazonaws.com",
                ip.replace('.', "-"),
                ctx.region
            ),
            None => String::new(),
        };
        BootSpec {
            instance_id: i.id.clone(),
            account: ctx.account_id.clone(),
            region: ctx.region.clone(),
            az: i.az.clone(),
            image_id: i.image_id.clone(),
            image_name,
            instance_type: i.instance_type.clone(),
            vpc_id: i.vpc_id.clone(),
            vpc_cidr,
            subnet_cidr,
            private_ip: i.private_ip.clone(),
            public_ip: i.public_ip.clone(),
            hostname: private_dns,
            public_hostname: public_dns,
            mac: i.mac.clone(),
            security_groups: i.groups.iter().map(|(_, name)| name.clone()).collect(),
            key: key_pair,
            user_data: i
                .user_data
                .as_ref()
                .and_then(|u| base64::engine::general_purpose::STANDARD.decode(u).ok()),
            iam_profile: i.iam_profile.clone(),
            http_tokens: option("HttpTokens", "required"),
            http_endpoint: option("HttpEndpoint", "enabled"),
            hop_limit: options["HttpPutResponseHopLimit"].as_i64().unwrap_or(2),
            tags_in_metadata: option("InstanceMetadataTags", "disabled") == "enabled",
            architecture: i.architecture.clone(),
            launch_time_ms: i.launch_time,
            reservation_id: i.reservation_id.clone(),
        }
    }

    /// The stored instance `id` of the caller's region.
    fn stored(&self, ctx: &RequestContext, id: &str) -> Option<Instance> {
        table(&self.store).get(&key(ctx, id)).ok().flatten()
    }

    /// Boots the instances `ids` (after `RunInstances`, `StartInstances`),
    /// then hands the host the network plans at once, so a new instance's
    /// security groups and public address apply as it boots rather than
    /// at the next tick.
    pub(crate) fn host_boot(&self, ctx: &RequestContext, ids: &[String]) {
        let mut booted = false;
        for id in ids {
            if let Some(i) = self.stored(ctx, id) {
                if matches!(i.state.as_str(), "pending" | "running") {
                    self.seams.host.boot(self.boot_spec(ctx, &i));
                    booted = true;
                }
            }
        }
        if booted {
            self.seams
                .host
                .apply_network(self.network_plans(&ctx.clock));
        }
    }

    /// Reboots the running instances among `ids`.
    pub(crate) fn host_reboot(&self, ctx: &RequestContext, ids: &[String]) {
        for id in ids {
            if let Some(i) = self.stored(ctx, id) {
                if matches!(i.state.as_str(), "pending" | "running") {
                    self.seams.host.reboot(self.boot_spec(ctx, &i));
                }
            }
        }
    }

    /// Hands the host instance `id`'s current spec (its metadata options
    /// changed).
    pub(crate) fn host_refresh(&self, ctx: &RequestContext, id: &str) {
        if let Some(i) = self.stored(ctx, id) {
            self.seams.host.refresh(self.boot_spec(ctx, &i));
        }
    }

    /// Halts the instances `ids` (after `StopInstances`).
    pub(crate) fn host_halt(&self, ids: &[String]) {
        for id in ids {
            self.seams.host.halt(id);
        }
    }

    /// Removes what the host made for `ids` (after `TerminateInstances`).
    pub(crate) fn host_discard(&self, ids: &[String]) {
        for id in ids {
            self.seams.host.discard(id);
        }
    }

    /// The console the host kept for `id`, if any.
    pub(crate) fn host_console(&self, id: &str) -> Option<String> {
        self.seams.host.console(id)
    }

    /// Run on the server's ticker: once, when the host runs instances,
    /// boots every instance the store says is pending or running (a
    /// restart starts them again; their user data is not rerun); then,
    /// each second, hands the host the network plans (security groups,
    /// ACLs, routes, addresses as the store has them now).
    pub fn sync_host(&self, clock: &Clock) {
        if !self.seams.host.runs_instances() {
            return;
        }
        if self.host_synced.swap(true, Ordering::SeqCst) {
            self.apply_os_ends(clock);
            self.seams.host.apply_network(self.network_plans(clock));
            return;
        }
        let Ok(rows) = table(&self.store).scan_prefix("") else {
            return;
        };
        let now = clock.now_millis();
        for (k, mut i) in rows {
            i.settle(now);
            if !matches!(i.state.as_str(), "pending" | "running") {
                continue;
            }
            let mut parts = k.splitn(3, '/');
            let (Some(account), Some(region)) = (parts.next(), parts.next()) else {
                continue;
            };
            let ctx = RequestContext::root(account, region, clock.clone());
            self.seams.host.boot(self.boot_spec(&ctx, &i));
        }
        self.seams.host.apply_network(self.network_plans(clock));
    }
}

impl Ec2Service {
    /// Run on the ticker: instances whose operating system ended on its
    /// own. A shutdown stops the instance, or terminates it when its
    /// `InstanceInitiatedShutdownBehavior` says so (always, for an
    /// instance-store root); a reboot boots it again; a crash leaves it
    /// running, as EC2 leaves an instance whose kernel panicked.
    pub(crate) fn apply_os_ends(&self, clock: &Clock) {
        use super::host::OsEnd;
        use super::instances::Initiator;
        for (id, end) in self.seams.host.ended() {
            let Some((ctx, i)) = self.find_instance(clock, &id) else {
                continue;
            };
            if !matches!(i.state.as_str(), "pending" | "running") {
                continue;
            }
            let ids = vec![id.clone()];
            let input = serde_json::json!({ "InstanceIds": ids });
            match end {
                OsEnd::Reboot => self.host_reboot(&ctx, &ids),
                OsEnd::Crashed => {}
                OsEnd::Shutdown => {
                    let terminate =
                        i.shutdown_behavior == "terminate" || i.root_device_type != "ebs";
                    let done = if terminate {
                        self.terminate_records(&ctx, &input, Initiator::Instance)
                            .map(|_| self.host_discard(&ids))
                    } else {
                        self.stop_records(&ctx, &input, Initiator::Instance)
                            .map(|_| self.host_halt(&ids))
                    };
                    // Nothing refuses an instance-initiated stop but a state
                    // that changed meanwhile, which stands.
                    let _ = done;
                }
            }
        }
    }

    /// The stored instance `id` in whichever account and region holds it,
    /// with a root context there.
    fn find_instance(&self, clock: &Clock, id: &str) -> Option<(RequestContext, Instance)> {
        let rows = table(&self.store).scan_prefix("").ok()?;
        rows.into_iter().find_map(|(k, i)| {
            let mut parts = k.splitn(3, '/');
            let (account, region, rest) = (parts.next()?, parts.next()?, parts.next()?);
            (rest == id).then(|| (RequestContext::root(account, region, clock.clone()), i))
        })
    }
}
