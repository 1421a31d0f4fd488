//! RDS instances and Elastic Load Balancing's load balancers and target
//! groups: read-only lists with each resource's state and endpoint.

use crate::html::{esc, list, s, table};
use crate::ui::{Page, Ui};
use serde_json::json;

/// GET routes under `/_console/rds` and `/_console/elb`.
pub async fn get(ui: &Ui<'_>, sub: &str) -> Page {
    match sub {
        "/rds" => rds(ui).await,
        "/elb" => elb(ui).await,
        _ => None,
    }
}

async fn rds(ui: &Ui<'_>) -> Page {
    let out = match ui.call("rds", "DescribeDBInstances", json!({})).await {
        Ok(v) => v,
        Err(e) => return Some(ui.error_page(&e, "rds", "/_console/")),
    };
    let rows: Vec<Vec<String>> = list(&out, "DBInstances")
        .iter()
        .map(|d| {
            let endpoint = match (d.pointer("/Endpoint/Address"), d.pointer("/Endpoint/Port")) {
                (Some(a), Some(p)) => format!("{}:{p}", a.as_str().unwrap_or("")),
                _ => String::new(),
            };
            vec![
                esc(s(d, "DBInstanceIdentifier")).to_string(),
                esc(&format!("{} {}", s(d, "Engine"), s(d, "EngineVersion"))).to_string(),
                esc(s(d, "DBInstanceClass")).to_string(),
                esc(s(d, "DBInstanceStatus")).to_string(),
                esc(&endpoint).to_string(),
                d.get("AllocatedStorage")
                    .map(|v| v.to_string())
                    .unwrap_or_default(),
            ]
        })
        .collect();
    let body = table(
        "DB instances",
        &[
            "Identifier",
            "Engine",
            "Class",
            "Status",
            "Endpoint",
            "Storage (GiB)",
        ],
        &rows,
    );
    Some(ui.page(200, "RDS databases", "rds", &body))
}

async fn elb(ui: &Ui<'_>) -> Page {
    let out = match ui.call("elbv2", "DescribeLoadBalancers", json!({})).await {
        Ok(v) => v,
        Err(e) => return Some(ui.error_page(&e, "elb", "/_console/")),
    };
    let rows: Vec<Vec<String>> = list(&out, "LoadBalancers")
        .iter()
        .map(|l| {
            vec![
                esc(s(l, "LoadBalancerName")).to_string(),
                esc(s(l, "Type")).to_string(),
                esc(s(l, "Scheme")).to_string(),
                esc(l
                    .pointer("/State/Code")
                    .and_then(|v| v.as_str())
                    .unwrap_or(""))
                .to_string(),
                esc(s(l, "DNSName")).to_string(),
                esc(s(l, "VpcId")).to_string(),
            ]
        })
        .collect();
    let mut body = table(
        "Load balancers",
        &["Name", "Type", "Scheme", "State", "DNS name", "VPC"],
        &rows,
    );
    let groups = ui
        .call("elbv2", "DescribeTargetGroups", json!({}))
        .await
        .unwrap_or_default();
    let mut rows = Vec::new();
    for g in list(&groups, "TargetGroups") {
        let arn = s(g, "TargetGroupArn");
        let health = ui
            .call(
                "elbv2",
                "DescribeTargetHealth",
                json!({ "TargetGroupArn": arn }),
            )
            .await
            .unwrap_or_default();
        let targets: Vec<String> = list(&health, "TargetHealthDescriptions")
            .iter()
            .map(|t| {
                format!(
                    "{} {}",
                    t.pointer("/Target/Id")
                        .and_then(|v| v.as_str())
                        .unwrap_or(""),
                    t.pointer("/TargetHealth/State")
                        .and_then(|v| v.as_str())
                        .unwrap_or("")
                )
            })
            .collect();
        rows.push(vec![
            esc(s(g, "TargetGroupName")).to_string(),
            esc(&format!(
                "{} {}",
                s(g, "Protocol"),
                g.get("Port").map(|v| v.to_string()).unwrap_or_default()
            ))
            .to_string(),
            esc(s(g, "TargetType")).to_string(),
            esc(&targets.join("\n")).to_string().replace('\n', "<br>"),
        ]);
    }
    body.push_str(&table(
        "Target groups",
        &[
            "Name",
            "Protocol and port",
            "Target type",
            "Targets and health",
        ],
        &rows,
    ));
    Some(ui.page(200, "Load balancers", "elb", &body))
}
