//! EC2's launch wizard: AMI, instance type, key pair, subnet, security
//! group, name and user data, sent as one `RunInstances`.

use crate::html::{esc, list, name_tag, s};
use crate::ui::{error_banner, Page, Ui};
use serde_json::json;
use std::fmt::Write;

/// The instance types offered (a common subset; the API takes any).
const TYPES: &[&str] = &[
    "t2.micro",
    "t3.nano",
    "t3.micro",
    "t3.small",
    "t3.medium",
    "t3.large",
    "m5.large",
    "m5.xlarge",
    "c5.large",
    "r5.large",
];

fn select(
    id: &str,
    label: &str,
    options: &[(String, String)],
    chosen: &str,
    optional: bool,
) -> String {
    let mut out = format!("<label for=\"{id}\">{label}</label><select id=\"{id}\" name=\"{id}\">");
    if optional {
        out.push_str("<option value=\"\">(none)</option>");
    }
    for (value, text) in options {
        let sel = if value == chosen { " selected" } else { "" };
        let _ = write!(
            out,
            "<option value=\"{}\"{sel}>{}</option>",
            esc(value),
            esc(text)
        );
    }
    out.push_str("</select>");
    out
}

/// `GET /_console/ec2/launch`, and the same form again (with its
/// choices) under the error of a refused launch.
pub async fn wizard(ui: &Ui<'_>, failed: Option<gureum_core::AwsError>) -> Page {
    let ec2 = |op: &'static str, input| ui.call("ec2", op, input);
    let images = ec2(
        "DescribeImages",
        json!({ "Owners": ["self", "amazon"], "Filters": [{ "Name": "state", "Values": ["available"] }] }),
    )
    .await;
    let images = match images {
        Ok(v) => v,
        Err(e) => return Some(ui.error_page(&e, "ec2", "/_console/ec2/instances")),
    };
    let keys = ec2("DescribeKeyPairs", json!({})).await.unwrap_or_default();
    let subnets = ec2("DescribeSubnets", json!({})).await.unwrap_or_default();
    let groups = ec2("DescribeSecurityGroups", json!({}))
        .await
        .unwrap_or_default();
    let f = &ui.form;
    let amis: Vec<(String, String)> = list(&images, "Images")
        .iter()
        .map(|i| {
            let id = s(i, "ImageId");
            (
                id.to_string(),
                format!("{} — {} ({})", s(i, "Name"), id, s(i, "Architecture")),
            )
        })
        .collect();
    let types: Vec<(String, String)> = TYPES
        .iter()
        .map(|t| (t.to_string(), t.to_string()))
        .collect();
    let keys: Vec<(String, String)> = list(&keys, "KeyPairs")
        .iter()
        .map(|k| (s(k, "KeyName").to_string(), s(k, "KeyName").to_string()))
        .collect();
    let subnets: Vec<(String, String)> = list(&subnets, "Subnets")
        .iter()
        .map(|n| {
            let id = s(n, "SubnetId");
            let label = format!(
                "{id} {} — {} in {} ({})",
                name_tag(n),
                s(n, "CidrBlock"),
                s(n, "AvailabilityZone"),
                s(n, "VpcId")
            );
            (id.to_string(), label)
        })
        .collect();
    let groups: Vec<(String, String)> = list(&groups, "SecurityGroups")
        .iter()
        .map(|g| {
            let id = s(g, "GroupId");
            (
                id.to_string(),
                format!("{} — {id} ({})", s(g, "GroupName"), s(g, "VpcId")),
            )
        })
        .collect();
    let or = |v: &'static str, d: &'static str| -> String {
        match f.get(v) {
            "" => d.to_string(),
            x => x.to_string(),
        }
    };
    let mut inner = String::new();
    inner.push_str("<fieldset><legend>Name</legend><label for=\"name\">Name tag</label>");
    let _ = write!(
        inner,
        "<input type=\"text\" id=\"name\" name=\"name\" value=\"{}\"></fieldset>",
        esc(f.get("name"))
    );
    inner.push_str("<fieldset><legend>Software and size</legend>");
    inner.push_str(&select(
        "ami",
        "Machine image (AMI)",
        &amis,
        f.get("ami"),
        false,
    ));
    inner.push_str(&select(
        "type",
        "Instance type",
        &types,
        &or("type", "t3.micro"),
        false,
    ));
    inner.push_str("</fieldset><fieldset><legend>Access and network</legend>");
    inner.push_str(&select("key", "Key pair", &keys, f.get("key"), true));
    inner.push_str(&select("subnet", "Subnet", &subnets, f.get("subnet"), true));
    inner.push_str(&select(
        "group",
        "Security group",
        &groups,
        f.get("group"),
        true,
    ));
    inner.push_str("<p class=\"hint\">Without a subnet the instance goes into the default VPC; the security group must belong to the subnet's VPC.</p></fieldset>");
    let _ = write!(
        inner,
        "<fieldset><legend>Advanced</legend><label for=\"userdata\">User data</label><textarea id=\"userdata\" name=\"userdata\" spellcheck=\"false\">{}</textarea></fieldset>\
         <button type=\"submit\">Launch instance</button>",
        esc(f.get("userdata"))
    );
    let mut body = failed.as_ref().map(error_banner).unwrap_or_default();
    body.push_str(&ui.form("/_console/ec2/launch", "wizard", &inner));
    let status = if failed.is_some() { 400 } else { 200 };
    Some(ui.page(status, "Launch an instance", "ec2", &body))
}

/// `POST /_console/ec2/launch`: `RunInstances` with the wizard's choices.
pub async fn launch(ui: &Ui<'_>) -> Page {
    let f = &ui.form;
    let mut input = json!({
        "ImageId": f.get("ami"),
        "InstanceType": f.get("type"),
        "MinCount": 1,
        "MaxCount": 1,
    });
    if !f.get("key").is_empty() {
        input["KeyName"] = json!(f.get("key"));
    }
    if !f.get("subnet").is_empty() {
        input["SubnetId"] = json!(f.get("subnet"));
    }
    if !f.get("group").is_empty() {
        input["SecurityGroupIds"] = json!([f.get("group")]);
    }
    if !f.get("userdata").is_empty() {
        use base64::Engine as _;
        input["UserData"] =
            json!(base64::engine::general_purpose::STANDARD.encode(f.get("userdata")));
    }
    if !f.get("name").is_empty() {
        input["TagSpecifications"] = json!([{
            "ResourceType": "instance",
            "Tags": [{ "Key": "Name", "Value": f.get("name") }],
        }]);
    }
    match ui.call("ec2", "RunInstances", input).await {
        Ok(out) => {
            let ids: Vec<&str> = list(&out, "Instances")
                .iter()
                .map(|i| s(i, "InstanceId"))
                .collect();
            ui.done(
                "/_console/ec2/instances",
                &format!("Launched {}.", ids.join(", ")),
            )
        }
        Err(e) => wizard(ui, Some(e)).await,
    }
}
