//! EC2's resource lists: volumes, snapshots, AMIs, key pairs (create),
//! security groups with their rules (add inbound rules) and Elastic IPs
//! (allocate, release).

use crate::ec2::{describe, page};
use crate::html::{esc, list, name_tag, s, table, time};
use crate::ui::{error_banner, Page, Ui};
use serde_json::{json, Value};
use std::fmt::Write;

/// EBS volumes.
pub(crate) async fn volumes(ui: &Ui<'_>) -> Page {
    let out = match describe(ui, "DescribeVolumes", json!({})).await {
        Ok(v) => v,
        Err(p) => return p,
    };
    let rows: Vec<Vec<String>> = list(&out, "Volumes")
        .iter()
        .map(|v| {
            let attached = list(v, "Attachments")
                .iter()
                .map(|a| format!("{} ({})", s(a, "InstanceId"), s(a, "Device")))
                .collect::<Vec<_>>()
                .join(", ");
            vec![
                esc(s(v, "VolumeId")).to_string(),
                esc(name_tag(v)).to_string(),
                esc(s(v, "VolumeType")).to_string(),
                v.get("Size").map(|x| x.to_string()).unwrap_or_default(),
                esc(s(v, "State")).to_string(),
                esc(s(v, "AvailabilityZone")).to_string(),
                esc(&attached).to_string(),
            ]
        })
        .collect();
    let content = table(
        "Volumes",
        &[
            "Volume ID",
            "Name",
            "Type",
            "Size (GiB)",
            "State",
            "Zone",
            "Attached to",
        ],
        &rows,
    );
    page(ui, "EBS volumes", "/_console/ec2/volumes", &content)
}

/// EBS snapshots the account owns.
pub(crate) async fn snapshots(ui: &Ui<'_>) -> Page {
    let out = match describe(ui, "DescribeSnapshots", json!({ "OwnerIds": ["self"] })).await {
        Ok(v) => v,
        Err(p) => return p,
    };
    let rows: Vec<Vec<String>> = list(&out, "Snapshots")
        .iter()
        .map(|v| {
            vec![
                esc(s(v, "SnapshotId")).to_string(),
                esc(s(v, "VolumeId")).to_string(),
                v.get("VolumeSize")
                    .map(|x| x.to_string())
                    .unwrap_or_default(),
                esc(s(v, "State")).to_string(),
                esc(s(v, "Description")).to_string(),
                esc(&time(v, "StartTime")).to_string(),
            ]
        })
        .collect();
    let content = table(
        "Snapshots",
        &[
            "Snapshot ID",
            "Volume",
            "Size (GiB)",
            "State",
            "Description",
            "Started",
        ],
        &rows,
    );
    page(ui, "EBS snapshots", "/_console/ec2/snapshots", &content)
}

/// The AMIs the account owns.
pub(crate) async fn images(ui: &Ui<'_>) -> Page {
    let out = match describe(ui, "DescribeImages", json!({ "Owners": ["self"] })).await {
        Ok(v) => v,
        Err(p) => return p,
    };
    let rows: Vec<Vec<String>> = list(&out, "Images")
        .iter()
        .map(|v| {
            vec![
                esc(s(v, "ImageId")).to_string(),
                esc(s(v, "Name")).to_string(),
                esc(s(v, "State")).to_string(),
                esc(s(v, "Architecture")).to_string(),
                esc(s(v, "CreationDate")).to_string(),
            ]
        })
        .collect();
    let content = format!(
        "<p class=\"hint\">The AMIs this account owns; public AMIs are offered in the launch wizard.</p>{}",
        table("Owned AMIs", &["AMI ID", "Name", "State", "Architecture", "Created"], &rows)
    );
    page(ui, "AMIs", "/_console/ec2/images", &content)
}

/// Key pairs, with the create form; `created` shows a new key's private
/// material once, or the refusal.
pub(crate) async fn key_pairs(
    ui: &Ui<'_>,
    created: Option<Result<Value, gureum_core::AwsError>>,
) -> Page {
    let out = match describe(ui, "DescribeKeyPairs", json!({})).await {
        Ok(v) => v,
        Err(p) => return p,
    };
    let mut content = String::new();
    match &created {
        Some(Ok(k)) => {
            let _ = write!(
                content,
                "<div class=\"notice\" role=\"status\"><p>Created key pair {}. Save its private key now: it is not shown again.</p><pre tabindex=\"0\" aria-label=\"Private key\">{}</pre></div>",
                esc(s(k, "KeyName")),
                esc(s(k, "KeyMaterial"))
            );
        }
        Some(Err(e)) => content.push_str(&error_banner(e)),
        None => {}
    }
    content.push_str(&ui.form(
        "/_console/ec2/create-key-pair",
        "panel",
        "<label for=\"keyname\">Key pair name</label><input type=\"text\" id=\"keyname\" name=\"name\" required> <button type=\"submit\">Create key pair</button>",
    ));
    let rows: Vec<Vec<String>> = list(&out, "KeyPairs")
        .iter()
        .map(|v| {
            vec![
                esc(s(v, "KeyName")).to_string(),
                esc(s(v, "KeyPairId")).to_string(),
                esc(s(v, "KeyType")).to_string(),
                esc(s(v, "KeyFingerprint")).to_string(),
            ]
        })
        .collect();
    content.push_str(&table(
        "Key pairs",
        &["Name", "ID", "Type", "Fingerprint"],
        &rows,
    ));
    page(ui, "Key pairs", "/_console/ec2/key-pairs", &content)
}

/// `POST /_console/ec2/create-key-pair`.
pub(crate) async fn create_key_pair(ui: &Ui<'_>) -> Page {
    let result = ui
        .call(
            "ec2",
            "CreateKeyPair",
            json!({ "KeyName": ui.form.get("name") }),
        )
        .await;
    key_pairs(ui, Some(result)).await
}

/// One permission rule as text: protocol, ports, and where from.
fn rule_text(p: &Value) -> String {
    let proto = match s(p, "IpProtocol") {
        "-1" => "all".to_string(),
        x => x.to_string(),
    };
    let ports = match (p.get("FromPort"), p.get("ToPort")) {
        (Some(a), Some(b)) if a == b => a.to_string(),
        (Some(a), Some(b)) => format!("{a}-{b}"),
        _ => "all".into(),
    };
    let mut from: Vec<String> = list(p, "IpRanges")
        .iter()
        .map(|r| s(r, "CidrIp").to_string())
        .collect();
    from.extend(
        list(p, "Ipv6Ranges")
            .iter()
            .map(|r| s(r, "CidrIpv6").to_string()),
    );
    from.extend(
        list(p, "UserIdGroupPairs")
            .iter()
            .map(|r| s(r, "GroupId").to_string()),
    );
    format!("{proto} {ports} ← {}", from.join(", "))
}

/// Security groups with their rules, and the add-inbound-rule form.
pub(crate) async fn security_groups(ui: &Ui<'_>) -> Page {
    let out = match describe(ui, "DescribeSecurityGroups", json!({})).await {
        Ok(v) => v,
        Err(p) => return p,
    };
    let rules = |v: &Value, key: &str| {
        list(v, key)
            .iter()
            .map(|p| esc(&rule_text(p)).to_string())
            .collect::<Vec<_>>()
            .join("<br>")
    };
    let rows: Vec<Vec<String>> = list(&out, "SecurityGroups")
        .iter()
        .map(|v| {
            vec![
                esc(s(v, "GroupId")).to_string(),
                esc(s(v, "GroupName")).to_string(),
                esc(s(v, "VpcId")).to_string(),
                esc(s(v, "Description")).to_string(),
                rules(v, "IpPermissions"),
                rules(v, "IpPermissionsEgress"),
            ]
        })
        .collect();
    let mut content = table(
        "Security groups",
        &[
            "Group ID",
            "Name",
            "VPC",
            "Description",
            "Inbound rules",
            "Outbound rules",
        ],
        &rows,
    );
    let mut groups = String::new();
    for g in list(&out, "SecurityGroups") {
        let id = s(g, "GroupId");
        let _ = write!(
            groups,
            "<option value=\"{}\">{} ({})</option>",
            esc(id),
            esc(s(g, "GroupName")),
            esc(id)
        );
    }
    content.push_str("<h2>Add an inbound rule</h2>");
    content.push_str(&ui.form(
        "/_console/ec2/authorize-ingress",
        "panel",
        &format!(
            "<label for=\"sg\">Security group</label><select id=\"sg\" name=\"group\">{groups}</select>\
             <label for=\"proto\">Protocol</label><select id=\"proto\" name=\"protocol\"><option>tcp</option><option>udp</option><option>icmp</option><option value=\"-1\">all</option></select>\
             <label for=\"from\">From port</label><input type=\"number\" id=\"from\" name=\"from\" value=\"22\">\
             <label for=\"to\">To port</label><input type=\"number\" id=\"to\" name=\"to\" value=\"22\">\
             <label for=\"cidr\">Source CIDR</label><input type=\"text\" id=\"cidr\" name=\"cidr\" value=\"0.0.0.0/0\">\
             <button type=\"submit\">Add rule</button>"
        ),
    ));
    page(
        ui,
        "Security groups",
        "/_console/ec2/security-groups",
        &content,
    )
}

/// `POST /_console/ec2/authorize-ingress`: one rule from the form.
pub(crate) async fn authorize_ingress(ui: &Ui<'_>) -> Page {
    let f = &ui.form;
    let mut rule =
        json!({ "IpProtocol": f.get("protocol"), "IpRanges": [{ "CidrIp": f.get("cidr") }] });
    if f.get("protocol") != "-1" {
        // Unparseable ports go to EC2 as they are, for its own error.
        let port = |k: &str| {
            f.get(k)
                .trim()
                .parse::<i64>()
                .map(Value::from)
                .unwrap_or_else(|_| json!(f.get(k)))
        };
        rule["FromPort"] = port("from");
        rule["ToPort"] = port("to");
    }
    let input = json!({ "GroupId": f.get("group"), "IpPermissions": [rule] });
    match ui.call("ec2", "AuthorizeSecurityGroupIngress", input).await {
        Ok(_) => ui.done("/_console/ec2/security-groups", "Added the rule."),
        Err(e) => Some(ui.error_page(&e, "ec2", "/_console/ec2/security-groups")),
    }
}

/// Allocates or releases an Elastic IP (`op` with `input`).
pub(crate) async fn address_action(ui: &Ui<'_>, op: &str, input: Value) -> Page {
    match ui.call("ec2", op, input).await {
        Ok(out) => {
            let notice = match s(&out, "PublicIp") {
                "" => "Released the address.".to_string(),
                ip => format!("Allocated {ip}."),
            };
            ui.done("/_console/ec2/addresses", &notice)
        }
        Err(e) => Some(ui.error_page(&e, "ec2", "/_console/ec2/addresses")),
    }
}

/// Elastic IP addresses, with allocate and release.
pub(crate) async fn addresses(ui: &Ui<'_>) -> Page {
    let out = match describe(ui, "DescribeAddresses", json!({})).await {
        Ok(v) => v,
        Err(p) => return p,
    };
    let rows: Vec<Vec<String>> = list(&out, "Addresses")
        .iter()
        .map(|v| {
            vec![
                esc(s(v, "PublicIp")).to_string(),
                esc(s(v, "AllocationId")).to_string(),
                esc(s(v, "InstanceId")).to_string(),
                esc(s(v, "PrivateIpAddress")).to_string(),
                esc(s(v, "Domain")).to_string(),
                ui.button(
                    "/_console/ec2/release-address",
                    &[("id", s(v, "AllocationId"))],
                    "Release",
                    true,
                ),
            ]
        })
        .collect();
    let mut content = ui.button(
        "/_console/ec2/allocate-address",
        &[],
        "Allocate Elastic IP address",
        false,
    );
    content += &table(
        "Elastic IP addresses",
        &[
            "Public IP",
            "Allocation ID",
            "Instance",
            "Private IP",
            "Domain",
            "Actions",
        ],
        &rows,
    );
    page(ui, "Elastic IPs", "/_console/ec2/addresses", &content)
}
