//! VPC: the VPCs, and one VPC's subnets, route tables and gateways with a
//! server-rendered diagram (SVG) of how they connect.

use crate::html::{esc, list, name_tag, s, table, url};
use crate::ui::{Page, Ui};
use serde_json::{json, Value};
use std::fmt::Write;

/// GET routes under `/_console/vpc`.
pub async fn get(ui: &Ui<'_>, sub: &str) -> Page {
    match sub {
        "/vpc" => vpcs(ui).await,
        "/vpc/detail" => detail(ui).await,
        "/vpc/create" => crate::vpc_wizard::form(ui, None).await,
        _ => None,
    }
}

/// POST routes under `/_console/vpc`.
pub async fn post(ui: &Ui<'_>, sub: &str) -> Page {
    match sub {
        "/vpc/create" => crate::vpc_wizard::create(ui).await,
        _ => None,
    }
}

async fn vpcs(ui: &Ui<'_>) -> Page {
    let out = match ui.call("ec2", "DescribeVpcs", json!({})).await {
        Ok(v) => v,
        Err(e) => return Some(ui.error_page(&e, "vpc", "/_console/")),
    };
    let rows: Vec<Vec<String>> = list(&out, "Vpcs")
        .iter()
        .map(|v| {
            let id = s(v, "VpcId");
            vec![
                format!(
                    "<a href=\"/_console/vpc/detail?id={}\">{}</a>",
                    url(id),
                    esc(id)
                ),
                esc(name_tag(v)).to_string(),
                esc(s(v, "CidrBlock")).to_string(),
                esc(s(v, "State")).to_string(),
                if v.get("IsDefault") == Some(&json!(true)) {
                    "yes"
                } else {
                    ""
                }
                .into(),
            ]
        })
        .collect();
    let mut body = ui.notice();
    body.push_str("<p><a href=\"/_console/vpc/create\">Create VPC and more</a></p>");
    body.push_str(&table(
        "VPCs",
        &["VPC ID", "Name", "IPv4 CIDR", "State", "Default"],
        &rows,
    ));
    Some(ui.page(200, "VPCs", "vpc", &body))
}

fn vpc_filter(id: &str) -> Value {
    json!({ "Filters": [{ "Name": "vpc-id", "Values": [id] }] })
}

async fn detail(ui: &Ui<'_>) -> Page {
    let id = ui.query.get("id");
    let vpcs = match ui
        .call("ec2", "DescribeVpcs", json!({ "VpcIds": [id] }))
        .await
    {
        Ok(v) => v,
        Err(e) => return Some(ui.error_page(&e, "vpc", "/_console/vpc")),
    };
    let vpc = list(&vpcs, "Vpcs").first().cloned().unwrap_or_default();
    let ec2 = |op: &'static str, input| ui.call("ec2", op, input);
    let subnets = ec2("DescribeSubnets", vpc_filter(id))
        .await
        .unwrap_or_default();
    let tables = ec2("DescribeRouteTables", vpc_filter(id))
        .await
        .unwrap_or_default();
    let igws = ec2(
        "DescribeInternetGateways",
        json!({ "Filters": [{ "Name": "attachment.vpc-id", "Values": [id] }] }),
    )
    .await
    .unwrap_or_default();
    let nats = ec2(
        "DescribeNatGateways",
        json!({ "Filter": [{ "Name": "vpc-id", "Values": [id] }] }),
    )
    .await
    .unwrap_or_default();
    let (subnets, tables) = (list(&subnets, "Subnets"), list(&tables, "RouteTables"));
    let (igws, nats) = (list(&igws, "InternetGateways"), list(&nats, "NatGateways"));
    let mut body = ui.notice();
    let _ = write!(
        body,
        "<p><code>{}</code> {} · {}</p>",
        esc(s(&vpc, "CidrBlock")),
        esc(name_tag(&vpc)),
        esc(s(&vpc, "State"))
    );
    body.push_str(&diagram(&vpc, subnets, tables, igws, nats));
    let rows: Vec<Vec<String>> = subnets
        .iter()
        .map(|n| {
            let sid = s(n, "SubnetId");
            vec![
                esc(sid).to_string(),
                esc(name_tag(n)).to_string(),
                esc(s(n, "CidrBlock")).to_string(),
                esc(s(n, "AvailabilityZone")).to_string(),
                esc(route_table_of(sid, tables)
                    .map(|t| s(t, "RouteTableId"))
                    .unwrap_or(""))
                .to_string(),
            ]
        })
        .collect();
    body.push_str(&table(
        "Subnets",
        &["Subnet ID", "Name", "CIDR", "Zone", "Route table"],
        &rows,
    ));
    let rows: Vec<Vec<String>> = tables
        .iter()
        .map(|t| {
            let routes = list(t, "Routes")
                .iter()
                .map(|r| format!("{} → {}", route_dest(r), route_target(r)))
                .collect::<Vec<_>>()
                .join("\n");
            vec![
                esc(s(t, "RouteTableId")).to_string(),
                if is_main(t) { "yes" } else { "" }.into(),
                format!("<pre>{}</pre>", esc(&routes)),
            ]
        })
        .collect();
    body.push_str(&table(
        "Route tables",
        &["Route table ID", "Main", "Routes"],
        &rows,
    ));
    let mut rows: Vec<Vec<String>> = igws
        .iter()
        .map(|g| {
            vec![
                esc(s(g, "InternetGatewayId")).to_string(),
                "Internet gateway".into(),
                String::new(),
            ]
        })
        .collect();
    rows.extend(nats.iter().map(|g| {
        vec![
            esc(s(g, "NatGatewayId")).to_string(),
            "NAT gateway".into(),
            esc(&format!("{} in {}", s(g, "State"), s(g, "SubnetId"))).to_string(),
        ]
    }));
    body.push_str(&table("Gateways", &["ID", "Kind", "Detail"], &rows));
    Some(ui.page(200, &format!("VPC {id}"), "vpc", &body))
}

fn is_main(t: &Value) -> bool {
    list(t, "Associations")
        .iter()
        .any(|a| a.get("Main") == Some(&json!(true)))
}

/// The route table a subnet uses: its explicit association, else the main.
fn route_table_of<'t>(subnet: &str, tables: &'t [Value]) -> Option<&'t Value> {
    tables
        .iter()
        .find(|t| {
            list(t, "Associations")
                .iter()
                .any(|a| s(a, "SubnetId") == subnet)
        })
        .or_else(|| tables.iter().find(|t| is_main(t)))
}

fn route_dest(r: &Value) -> &str {
    match s(r, "DestinationCidrBlock") {
        "" => s(r, "DestinationIpv6CidrBlock"),
        d => d,
    }
}

fn route_target(r: &Value) -> &str {
    [
        "GatewayId",
        "NatGatewayId",
        "InstanceId",
        "NetworkInterfaceId",
        "VpcPeeringConnectionId",
        "TransitGatewayId",
    ]
    .iter()
    .map(|k| s(r, k))
    .find(|v| !v.is_empty())
    .unwrap_or("")
}

/// Whether a subnet's route table sends `0.0.0.0/0` to an internet
/// gateway (a public subnet).
fn is_public(subnet: &str, tables: &[Value]) -> bool {
    route_table_of(subnet, tables).is_some_and(|t| {
        list(t, "Routes")
            .iter()
            .any(|r| route_dest(r) == "0.0.0.0/0" && route_target(r).starts_with("igw-"))
    })
}

/// The diagram: internet gateways above the VPC box; inside it one
/// column per zone with its subnets (public ones green, with a line up to
/// the gateway), NAT gateways drawn in their subnets.
fn diagram(
    vpc: &Value,
    subnets: &[Value],
    tables: &[Value],
    igws: &[Value],
    nats: &[Value],
) -> String {
    let mut zones: Vec<&str> = subnets.iter().map(|n| s(n, "AvailabilityZone")).collect();
    zones.sort_unstable();
    zones.dedup();
    let col_w = 200.0;
    let cols = zones.len().max(1) as f64;
    let per_zone = zones
        .iter()
        .map(|z| {
            subnets
                .iter()
                .filter(|n| s(n, "AvailabilityZone") == *z)
                .count()
        })
        .max()
        .unwrap_or(0)
        .max(1) as f64;
    let width = 40.0 + cols * col_w;
    let height = 140.0 + per_zone * 70.0;
    let mut out = format!(
        "<figure><svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {width} {height}\" width=\"{width}\" height=\"{height}\" role=\"img\" aria-labelledby=\"vpc-diagram-title\" class=\"diagram\"><title id=\"vpc-diagram-title\">Diagram of {} with {} subnets in {} zones</title>",
        esc(s(vpc, "VpcId")),
        subnets.len(),
        zones.len()
    );
    for (i, g) in igws.iter().enumerate() {
        let _ = write!(
            out,
            "<g class=\"igw\"><rect x=\"{}\" y=\"8\" width=\"180\" height=\"30\" rx=\"6\" fill=\"#f2f8fd\" stroke=\"#0972d3\"/><text x=\"{}\" y=\"28\" font-size=\"12\" text-anchor=\"middle\">{}</text></g>",
            20.0 + i as f64 * 190.0,
            110.0 + i as f64 * 190.0,
            esc(s(g, "InternetGatewayId"))
        );
    }
    let _ = write!(
        out,
        "<rect x=\"10\" y=\"56\" width=\"{}\" height=\"{}\" fill=\"none\" stroke=\"#16191f\" stroke-dasharray=\"4 3\"/><text x=\"18\" y=\"74\" font-size=\"13\" font-weight=\"bold\">{} ({})</text>",
        width - 20.0,
        height - 66.0,
        esc(s(vpc, "VpcId")),
        esc(s(vpc, "CidrBlock"))
    );
    for (c, zone) in zones.iter().enumerate() {
        let x = 20.0 + c as f64 * col_w;
        let _ = write!(
            out,
            "<text x=\"{}\" y=\"96\" font-size=\"12\">{}</text>",
            x,
            esc(zone)
        );
        for (r, n) in subnets
            .iter()
            .filter(|n| s(n, "AvailabilityZone") == *zone)
            .enumerate()
        {
            let y = 106.0 + r as f64 * 70.0;
            let id = s(n, "SubnetId");
            let public = is_public(id, tables);
            let nat = nats.iter().find(|g| s(g, "SubnetId") == id);
            let _ = write!(
                out,
                "<g class=\"subnet\"><rect x=\"{x}\" y=\"{y}\" width=\"{}\" height=\"58\" rx=\"4\" fill=\"{}\" stroke=\"#5f6b7a\"/>\
                 <text x=\"{}\" y=\"{}\" font-size=\"11\">{}</text><text x=\"{}\" y=\"{}\" font-size=\"11\">{} · {}</text>{}</g>",
                col_w - 20.0,
                if public { "#f2fcf3" } else { "#fafafa" },
                x + 6.0,
                y + 18.0,
                esc(id),
                x + 6.0,
                y + 36.0,
                esc(s(n, "CidrBlock")),
                if public { "public" } else { "private" },
                nat.map(|g| format!("<text x=\"{}\" y=\"{}\" font-size=\"11\">NAT {}</text>", x + 6.0, y + 52.0, esc(s(g, "NatGatewayId"))))
                    .unwrap_or_default()
            );
            if public && !igws.is_empty() {
                let _ = write!(
                    out,
                    "<line x1=\"{}\" y1=\"{y}\" x2=\"110\" y2=\"38\" stroke=\"#037f0c\" stroke-opacity=\"0.5\"/>",
                    x + (col_w - 20.0) / 2.0
                );
            }
        }
    }
    out.push_str("</svg><figcaption>Green subnets route 0.0.0.0/0 to an internet gateway.</figcaption></figure>");
    out
}
