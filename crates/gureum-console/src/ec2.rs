//! EC2: instances with their state actions and console output, and the
//! routes of EC2's other pages: the launch wizard ([`crate::ec2_launch`])
//! and the resource lists ([`crate::ec2_resources`]).

use crate::html::{esc, list, name_tag, s, table, time, url};
use crate::ui::{Page, Ui};
use serde_json::{json, Value};
use std::fmt::Write;

/// The EC2 pages' own navigation.
fn tabs(current: &str) -> String {
    crate::ui::tab_nav(
        "EC2",
        "tabs",
        &[
            ("/_console/ec2/instances", "Instances"),
            ("/_console/ec2/launch", "Launch instance"),
            ("/_console/ec2/volumes", "Volumes"),
            ("/_console/ec2/snapshots", "Snapshots"),
            ("/_console/ec2/images", "AMIs"),
            ("/_console/ec2/key-pairs", "Key pairs"),
            ("/_console/ec2/security-groups", "Security groups"),
            ("/_console/ec2/addresses", "Elastic IPs"),
        ],
        current,
    )
}

/// GET routes under `/_console/ec2`.
pub async fn get(ui: &Ui<'_>, sub: &str) -> Page {
    match sub {
        "/ec2" | "/ec2/instances" => instances(ui).await,
        "/ec2/console-output" => console_output(ui).await,
        "/ec2/launch" => crate::ec2_launch::wizard(ui, None).await,
        "/ec2/volumes" => crate::ec2_resources::volumes(ui).await,
        "/ec2/snapshots" => crate::ec2_resources::snapshots(ui).await,
        "/ec2/images" => crate::ec2_resources::images(ui).await,
        "/ec2/key-pairs" => crate::ec2_resources::key_pairs(ui, None).await,
        "/ec2/security-groups" => crate::ec2_resources::security_groups(ui).await,
        "/ec2/addresses" => crate::ec2_resources::addresses(ui).await,
        _ => None,
    }
}

/// POST routes under `/_console/ec2`.
pub async fn post(ui: &Ui<'_>, sub: &str) -> Page {
    match sub {
        "/ec2/instance-action" => instance_action(ui).await,
        "/ec2/launch" => crate::ec2_launch::launch(ui).await,
        "/ec2/create-key-pair" => crate::ec2_resources::create_key_pair(ui).await,
        "/ec2/authorize-ingress" => crate::ec2_resources::authorize_ingress(ui).await,
        "/ec2/allocate-address" => {
            crate::ec2_resources::address_action(ui, "AllocateAddress", json!({ "Domain": "vpc" }))
                .await
        }
        "/ec2/release-address" => {
            let id = ui.form.get("id");
            crate::ec2_resources::address_action(
                ui,
                "ReleaseAddress",
                json!({ "AllocationId": id }),
            )
            .await
        }
        _ => None,
    }
}

/// Calls a `Describe*` operation, or renders its error as the page.
pub(crate) async fn describe(ui: &Ui<'_>, op: &str, input: Value) -> Result<Value, Page> {
    ui.call("ec2", op, input)
        .await
        .map_err(|e| Some(ui.error_page(&e, "ec2", "/_console/ec2/instances")))
}

/// An EC2 page: the tabs, a notice, then `content`.
pub(crate) fn page(ui: &Ui<'_>, title: &str, tab: &str, content: &str) -> Page {
    let body = format!("{}{}{content}", tabs(tab), ui.notice());
    Some(ui.page(200, title, "ec2", &body))
}

async fn instances(ui: &Ui<'_>) -> Page {
    let out = match describe(ui, "DescribeInstances", json!({})).await {
        Ok(v) => v,
        Err(p) => return p,
    };
    let mut rows = Vec::new();
    for r in list(&out, "Reservations") {
        for i in list(r, "Instances") {
            let id = s(i, "InstanceId");
            let state = i
                .pointer("/State/Name")
                .and_then(|v| v.as_str())
                .unwrap_or("");
            let mut actions = String::new();
            for (action, label, allowed) in [
                ("start", "Start", state == "stopped"),
                ("stop", "Stop", state == "running" || state == "pending"),
                ("reboot", "Reboot", state == "running"),
                (
                    "terminate",
                    "Terminate",
                    state != "terminated" && state != "shutting-down",
                ),
            ] {
                if allowed {
                    actions.push_str(&ui.button(
                        "/_console/ec2/instance-action",
                        &[("id", id), ("action", action)],
                        label,
                        action == "terminate",
                    ));
                }
            }
            let _ = write!(
                actions,
                " <a href=\"/_console/ec2/console-output?id={}\">Console output</a>",
                url(id)
            );
            rows.push(vec![
                esc(id).to_string(),
                esc(name_tag(i)).to_string(),
                format!(
                    "<span class=\"state\" data-state=\"{0}\">{0}</span>",
                    esc(state)
                ),
                esc(s(i, "InstanceType")).to_string(),
                esc(s(i, "ImageId")).to_string(),
                esc(s(i, "PrivateIpAddress")).to_string(),
                esc(s(i, "PublicIpAddress")).to_string(),
                esc(&time(i, "LaunchTime")).to_string(),
                actions,
            ]);
        }
    }
    let content = table(
        "Instances",
        &[
            "Instance ID",
            "Name",
            "State",
            "Type",
            "AMI",
            "Private IP",
            "Public IP",
            "Launched",
            "Actions",
        ],
        &rows,
    );
    page(ui, "EC2 instances", "/_console/ec2/instances", &content)
}

async fn instance_action(ui: &Ui<'_>) -> Page {
    let id = ui.form.get("id");
    let op = match ui.form.get("action") {
        "start" => "StartInstances",
        "stop" => "StopInstances",
        "reboot" => "RebootInstances",
        "terminate" => "TerminateInstances",
        _ => return None,
    };
    match ui.call("ec2", op, json!({ "InstanceIds": [id] })).await {
        Ok(_) => ui.done(
            "/_console/ec2/instances",
            &format!("{} requested for {id}.", op.trim_end_matches("Instances")),
        ),
        Err(e) => Some(ui.error_page(&e, "ec2", "/_console/ec2/instances")),
    }
}

async fn console_output(ui: &Ui<'_>) -> Page {
    let id = ui.query.get("id");
    let out = match describe(ui, "GetConsoleOutput", json!({ "InstanceId": id })).await {
        Ok(v) => v,
        Err(p) => return p,
    };
    use base64::Engine as _;
    let text = base64::engine::general_purpose::STANDARD
        .decode(s(&out, "Output"))
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .unwrap_or_default();
    let content = format!(
        "<p>Captured {}.</p><pre aria-label=\"Console output\" tabindex=\"0\">{}</pre>",
        esc(&time(&out, "Timestamp")),
        if text.is_empty() {
            "(no output yet)".to_string()
        } else {
            esc(&text).to_string()
        }
    );
    page(ui, &format!("Console output of {id}"), "", &content)
}
