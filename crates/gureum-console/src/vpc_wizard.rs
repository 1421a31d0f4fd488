//! The "VPC and more" wizard: a VPC with public and private subnets in
//! one to three zones, an internet gateway and a public route table, made
//! by the same operations the CLI would call, in order.

use crate::html::{esc, list, s};
use crate::ui::{error_banner, Page, Ui};
use serde_json::{json, Value};
use std::fmt::Write;

/// `GET /_console/vpc/create`; `failed` re-shows the form under an error
/// with what was already made.
pub async fn form(ui: &Ui<'_>, failed: Option<(gureum_core::AwsError, Vec<String>)>) -> Page {
    let f = &ui.form;
    let or = |k: &str, d: &'static str| -> String {
        match f.get(k) {
            "" => d.to_string(),
            v => v.to_string(),
        }
    };
    let mut body = String::new();
    if let Some((e, made)) = &failed {
        body.push_str(&error_banner(e));
        if !made.is_empty() {
            let _ = write!(body, "<p>Already created: {}</p>", esc(&made.join(", ")));
        }
    }
    let mut zones = String::new();
    for n in 1..=3 {
        let sel = if or("zones", "2") == n.to_string() {
            " selected"
        } else {
            ""
        };
        let _ = write!(zones, "<option{sel}>{n}</option>");
    }
    let checked = |k: &str| {
        if failed.is_none() || f.get(k) == "on" {
            " checked"
        } else {
            ""
        }
    };
    body.push_str(&ui.form(
        "/_console/vpc/create",
        "panel",
        &format!(
            "<label for=\"vname\">Name</label><input type=\"text\" id=\"vname\" name=\"name\" value=\"{}\" required>\
             <label for=\"vcidr\">IPv4 CIDR block (/16 to /24)</label><input type=\"text\" id=\"vcidr\" name=\"cidr\" value=\"{}\" required>\
             <label for=\"vzones\">Availability zones</label><select id=\"vzones\" name=\"zones\">{zones}</select>\
             <p><input type=\"checkbox\" id=\"vpublic\" name=\"public\"{}> <label for=\"vpublic\" class=\"inline\">A public subnet in each zone (with an internet gateway)</label></p>\
             <p><input type=\"checkbox\" id=\"vprivate\" name=\"private\"{}> <label for=\"vprivate\" class=\"inline\">A private subnet in each zone</label></p>\
             <button type=\"submit\">Create VPC</button>",
            esc(&or("name", "project")),
            esc(&or("cidr", "10.0.0.0/16")),
            checked("public"),
            checked("private"),
        ),
    ));
    let status = if failed.is_some() { 400 } else { 200 };
    Some(ui.page(status, "Create VPC and more", "vpc", &body))
}

/// The `index`th block of `prefix + 4` bits inside `cidr` (a.b.c.d/p).
pub fn subnet_cidr(cidr: &str, index: u32) -> Option<String> {
    let (ip, prefix) = cidr.split_once('/')?;
    let prefix: u32 = prefix.parse().ok()?;
    if !(16..=24).contains(&prefix) || index >= 16 {
        return None;
    }
    let ip: std::net::Ipv4Addr = ip.parse().ok()?;
    let base = u32::from(ip) & (u32::MAX << (32 - prefix));
    let size = 1u32 << (32 - prefix - 4);
    Some(format!(
        "{}/{}",
        std::net::Ipv4Addr::from(base + index * size),
        prefix + 4
    ))
}

fn tags(kind: &str, name: &str) -> Value {
    json!([{ "ResourceType": kind, "Tags": [{ "Key": "Name", "Value": name }] }])
}

/// `POST /_console/vpc/create`.
pub async fn create(ui: &Ui<'_>) -> Page {
    let f = &ui.form;
    let (name, cidr) = (f.get("name"), f.get("cidr").trim());
    let zones: usize = f.get("zones").parse().unwrap_or(1).clamp(1, 3);
    let mut made = Vec::new();
    let ec2 = |op: &'static str, input: Value| ui.call("ec2", op, input);
    macro_rules! step {
        ($e:expr) => {
            match $e.await {
                Ok(v) => v,
                Err(e) => return form(ui, Some((e, made))).await,
            }
        };
    }
    let vpc = step!(ec2(
        "CreateVpc",
        json!({ "CidrBlock": cidr, "TagSpecifications": tags("vpc", &format!("{name}-vpc")) })
    ));
    let vpc_id = s(&vpc["Vpc"], "VpcId").to_string();
    made.push(vpc_id.clone());
    let azs = step!(ec2("DescribeAvailabilityZones", json!({})));
    let azs: Vec<String> = list(&azs, "AvailabilityZones")
        .iter()
        .take(zones)
        .map(|z| s(z, "ZoneName").to_string())
        .collect();
    let mut public = Vec::new();
    for (kind, offset, wanted) in [
        ("public", 0, f.get("public") == "on"),
        ("private", 8, f.get("private") == "on"),
    ] {
        if !wanted {
            continue;
        }
        for (i, az) in azs.iter().enumerate() {
            let block = subnet_cidr(cidr, offset + i as u32).unwrap_or_default();
            let input = json!({
                "VpcId": vpc_id, "CidrBlock": block, "AvailabilityZone": az,
                "TagSpecifications": tags("subnet", &format!("{name}-subnet-{kind}{}-{az}", i + 1)),
            });
            let subnet = step!(ec2("CreateSubnet", input));
            let id = s(&subnet["Subnet"], "SubnetId").to_string();
            made.push(id.clone());
            if kind == "public" {
                public.push(id);
            }
        }
    }
    if !public.is_empty() {
        let igw = step!(ec2(
            "CreateInternetGateway",
            json!({ "TagSpecifications": tags("internet-gateway", &format!("{name}-igw")) })
        ));
        let igw_id = s(&igw["InternetGateway"], "InternetGatewayId").to_string();
        made.push(igw_id.clone());
        step!(ec2(
            "AttachInternetGateway",
            json!({ "InternetGatewayId": igw_id, "VpcId": vpc_id })
        ));
        let rt = step!(ec2(
            "CreateRouteTable",
            json!({ "VpcId": vpc_id, "TagSpecifications": tags("route-table", &format!("{name}-rtb-public")) })
        ));
        let rt_id = s(&rt["RouteTable"], "RouteTableId").to_string();
        made.push(rt_id.clone());
        step!(ec2(
            "CreateRoute",
            json!({ "RouteTableId": rt_id, "DestinationCidrBlock": "0.0.0.0/0", "GatewayId": igw_id })
        ));
        for subnet in &public {
            step!(ec2(
                "AssociateRouteTable",
                json!({ "RouteTableId": rt_id, "SubnetId": subnet })
            ));
        }
    }
    ui.done(
        &format!("/_console/vpc/detail?id={}", crate::html::url(&vpc_id)),
        &format!("Created {}.", made.join(", ")),
    )
}
