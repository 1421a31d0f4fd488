//! The host seam: what the control plane tells the machine instances run
//! on, and when.

use super::host::{BootSpec, InstanceHost};
use crate::Ec2Service;
use base64::Engine;
use gureum_core::{Clock, RequestContext};
use gureum_store::Store;
use serde_json::json;
use std::sync::{Arc, Mutex};

/// Records every call.
#[derive(Default)]
struct Recorder {
    calls: Mutex<Vec<(String, String)>>,
    specs: Mutex<Vec<BootSpec>>,
}

impl Recorder {
    fn calls(&self) -> Vec<(String, String)> {
        self.calls.lock().expect("lock").clone()
    }
    fn note(&self, what: &str, id: &str) {
        self.calls
            .lock()
            .expect("lock")
            .push((what.into(), id.into()));
    }
}

impl InstanceHost for Recorder {
    fn boot(&self, spec: BootSpec) {
        self.note("boot", &spec.instance_id);
        self.specs.lock().expect("lock").push(spec);
    }
    fn halt(&self, id: &str) {
        self.note("halt", id);
    }
    fn reboot(&self, spec: BootSpec) {
        self.note("reboot", &spec.instance_id);
    }
    fn refresh(&self, spec: BootSpec) {
        self.note("refresh", &spec.instance_id);
        self.specs.lock().expect("lock").push(spec);
    }
    fn discard(&self, id: &str) {
        self.note("discard", id);
    }
    fn discard_all(&self) {
        self.note("discard_all", "");
    }
    fn console(&self, _id: &str) -> Option<String> {
        Some("USER DATA OUTPUT\n".into())
    }
    fn runs_instances(&self) -> bool {
        true
    }
}

fn service(store: Store, rec: &Arc<Recorder>, ctx: &RequestContext) -> Ec2Service {
    let s = Ec2Service::new(store).with_host(rec.clone());
    s.prepare(ctx).expect("bootstrap");
    s
}

fn ami() -> String {
    crate::common::catalog_images::catalogue_images("us-east-1")
        .into_iter()
        .find(|i| i["Architecture"] == "x86_64" && i.get("Platform").is_none())
        .and_then(|i| i["ImageId"].as_str().map(str::to_string))
        .expect("an x86_64 linux image")
}

fn launch(s: &Ec2Service, ctx: &RequestContext) -> String {
    s.create_key_pair(ctx, json!({"KeyName": "k", "KeyType": "ed25519"}))
        .expect("key pair");
    let user_data = base64::engine::general_purpose::STANDARD.encode("#!/bin/sh\necho hi\n");
    let out = s
        .run_instances(
            ctx,
            json!({"ImageId": ami(), "InstanceType": "t3.micro", "MinCount": 1, "MaxCount": 1,
                   "KeyName": "k", "UserData": user_data,
                   "MetadataOptions": {"HttpTokens": "optional"}}),
        )
        .expect("run");
    out["Instances"][0]["InstanceId"]
        .as_str()
        .expect("id")
        .to_string()
}

#[test]
fn run_instances_boots_with_the_key_pair_decoded_user_data_and_ec2_hostname() {
    let ctx = RequestContext::root("000000000000", "us-east-1", Clock::system());
    let rec = Arc::new(Recorder::default());
    let s = service(Store::in_memory().expect("store"), &rec, &ctx);
    let id = launch(&s, &ctx);
    assert_eq!(rec.calls(), vec![("boot".to_string(), id.clone())]);
    let spec = rec.specs.lock().expect("lock")[0].clone();
    let (name, public) = spec.key.expect("key");
    assert_eq!(name, "k");
    assert!(public.starts_with("ssh-ed25519 "), "{public}");
    assert_eq!(
        spec.user_data.as_deref(),
        Some(&b"#!/bin/sh\necho hi\n"[..])
    );
    assert_eq!(
        spec.hostname,
        format!("ip-{}.ec2.internal", spec.private_ip.replace('.', "-"))
    );
    assert_eq!(spec.http_tokens, "optional");
    assert_eq!(spec.vpc_cidr, "172.31.0.0/16");
    assert!(
        spec.subnet_cidr.starts_with("172.31."),
        "{}",
        spec.subnet_cidr
    );
    assert!(spec.public_ip.is_some());
}

#[test]
fn stop_halts_start_boots_again_reboot_reboots_and_terminate_discards() {
    let clock = Clock::system();
    let ctx = RequestContext::root("000000000000", "us-east-1", clock.clone());
    let rec = Arc::new(Recorder::default());
    let s = service(Store::in_memory().expect("store"), &rec, &ctx);
    let id = launch(&s, &ctx);
    let ids = json!({"InstanceIds": [id]});
    clock.advance_millis(2_000);
    s.reboot_instances(&ctx, ids.clone()).expect("reboot");
    s.stop_instances(&ctx, ids.clone()).expect("stop");
    clock.advance_millis(2_000);
    s.start_instances(&ctx, ids.clone()).expect("start");
    s.terminate_instances(&ctx, ids).expect("terminate");
    let calls: Vec<String> = rec.calls().into_iter().map(|c| c.0).collect();
    assert_eq!(
        calls,
        ["boot", "reboot", "halt", "boot", "discard"].map(String::from)
    );
    // The started instance boots with its new public address.
    let specs = rec.specs.lock().expect("lock");
    assert_ne!(specs[0].public_ip, specs[1].public_ip);
}

#[test]
fn a_restarted_service_boots_its_running_instances_once_and_not_stopped_ones() {
    let clock = Clock::system();
    let ctx = RequestContext::root("000000000000", "us-east-1", clock.clone());
    let store = Store::in_memory().expect("store");
    let first = Arc::new(Recorder::default());
    let s = service(store.clone(), &first, &ctx);
    let running = launch(&s, &ctx);
    let stopped = s
        .run_instances(
            &ctx,
            json!({"ImageId": ami(), "InstanceType": "t3.micro", "MinCount": 1, "MaxCount": 1}),
        )
        .expect("run")["Instances"][0]["InstanceId"]
        .as_str()
        .expect("id")
        .to_string();
    s.stop_instances(&ctx, json!({"InstanceIds": [stopped]}))
        .expect("stop");
    let after = Arc::new(Recorder::default());
    let restarted = Ec2Service::new(store).with_host(after.clone());
    restarted.sync_host(&clock);
    restarted.sync_host(&clock);
    assert_eq!(after.calls(), vec![("boot".to_string(), running)]);
}

#[test]
fn console_output_appends_what_the_host_kept() {
    let clock = Clock::system();
    let ctx = RequestContext::root("000000000000", "us-east-1", clock.clone());
    let rec = Arc::new(Recorder::default());
    let s = service(Store::in_memory().expect("store"), &rec, &ctx);
    let id = launch(&s, &ctx);
    clock.advance_millis(2_000);
    let out = s
        .get_console_output(&ctx, json!({"InstanceId": id}))
        .expect("console");
    let text = base64::engine::general_purpose::STANDARD
        .decode(out["Output"].as_str().expect("output"))
        .expect("base64");
    assert!(String::from_utf8_lossy(&text).ends_with("login: \nUSER DATA OUTPUT\n"));
}

#[test]
fn modify_instance_metadata_options_answers_pending_and_hands_the_host_the_new_options() {
    let ctx = RequestContext::root("000000000000", "us-east-1", Clock::system());
    let rec = Arc::new(Recorder::default());
    let s = service(Store::in_memory().expect("store"), &rec, &ctx);
    let id = launch(&s, &ctx);
    let out = s
        .modify_instance_metadata_options(
            &ctx,
            json!({"InstanceId": id, "HttpTokens": "required", "HttpPutResponseHopLimit": 1}),
        )
        .expect("modify");
    assert_eq!(out["InstanceMetadataOptions"]["State"], "pending");
    assert_eq!(out["InstanceMetadataOptions"]["HttpTokens"], "required");
    let last = rec
        .specs
        .lock()
        .expect("lock")
        .last()
        .cloned()
        .expect("spec");
    assert_eq!((last.http_tokens.as_str(), last.hop_limit), ("required", 1));
    assert_eq!(rec.calls().last().map(|c| c.0.as_str()), Some("refresh"));
    let err = s
        .modify_instance_metadata_options(
            &ctx,
            json!({"InstanceId": id, "HttpPutResponseHopLimit": 65}),
        )
        .expect_err("out of range");
    assert_eq!(
        err.message,
        "Value (65) for parameter HttpPutResponseHopLimit is invalid. Parameter must be between 1 and 64."
    );
    let missing = s
        .modify_instance_metadata_options(&ctx, json!({"InstanceId": "i-0123456789abcdef0"}))
        .expect_err("unknown");
    assert_eq!(missing.code, "InvalidInstanceID.NotFound");
}
