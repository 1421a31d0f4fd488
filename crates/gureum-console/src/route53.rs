//! Route 53: hosted zones (create) and a zone's records (upsert, delete).

use crate::html::{esc, list, s, table, url};
use crate::ui::{error_banner, Page, Ui};
use gureum_core::AwsError;
use serde_json::{json, Value};

/// GET routes under `/_console/route53`.
pub async fn get(ui: &Ui<'_>, sub: &str) -> Page {
    match sub {
        "/route53" => zones(ui, None).await,
        "/route53/zone" => records(ui, None).await,
        _ => None,
    }
}

/// POST routes under `/_console/route53`.
pub async fn post(ui: &Ui<'_>, sub: &str) -> Page {
    let f = &ui.form;
    match sub {
        "/route53/create-zone" => {
            let input =
                json!({ "Name": f.get("name"), "CallerReference": gureum_core::id::uuid_v4() });
            match ui.call("route53", "CreateHostedZone", input).await {
                Ok(_) => ui.done(
                    "/_console/route53",
                    &format!("Created zone {}.", f.get("name")),
                ),
                Err(e) => zones(ui, Some(e)).await,
            }
        }
        "/route53/change" => {
            let zone = f.get("zone");
            let set = if f.get("action") == "DELETE" {
                // A deletion names the record set exactly as it is.
                serde_json::from_str(f.get("set")).unwrap_or(Value::Null)
            } else {
                let values: Vec<Value> = f
                    .get("values")
                    .lines()
                    .map(str::trim)
                    .filter(|v| !v.is_empty())
                    .map(|v| json!({ "Value": v }))
                    .collect();
                json!({
                    "Name": f.get("name"),
                    "Type": f.get("type"),
                    "TTL": f.get("ttl").parse::<i64>().unwrap_or(300),
                    "ResourceRecords": values,
                })
            };
            let input = json!({
                "HostedZoneId": zone,
                "ChangeBatch": { "Changes": [{ "Action": f.get("action"), "ResourceRecordSet": set }] },
            });
            let back = format!("/_console/route53/zone?id={}", url(zone));
            match ui.call("route53", "ChangeResourceRecordSets", input).await {
                Ok(_) => ui.done(&back, "Changed the records."),
                Err(e) => records(ui, Some(e)).await,
            }
        }
        _ => None,
    }
}

async fn zones(ui: &Ui<'_>, failed: Option<AwsError>) -> Page {
    let out = match ui.call("route53", "ListHostedZones", json!({})).await {
        Ok(v) => v,
        Err(e) => return Some(ui.error_page(&e, "route53", "/_console/")),
    };
    let mut body = ui.notice();
    body.push_str(&failed.as_ref().map(error_banner).unwrap_or_default());
    body.push_str(&ui.form(
        "/_console/route53/create-zone",
        "panel",
        "<label for=\"zonename\">Domain name</label><input type=\"text\" id=\"zonename\" name=\"name\" required placeholder=\"example.com\"> <button type=\"submit\">Create hosted zone</button>",
    ));
    let rows: Vec<Vec<String>> = list(&out, "HostedZones")
        .iter()
        .map(|z| {
            // The id without its `/hostedzone/` path, as the API's URIs take it.
            let id = s(z, "Id").trim_start_matches("/hostedzone/");
            vec![
                format!(
                    "<a href=\"/_console/route53/zone?id={}\">{}</a>",
                    url(id),
                    esc(s(z, "Name"))
                ),
                esc(id).to_string(),
                z.get("ResourceRecordSetCount")
                    .map(|v| v.to_string())
                    .unwrap_or_default(),
                if z.pointer("/Config/PrivateZone") == Some(&json!(true)) {
                    "private"
                } else {
                    "public"
                }
                .into(),
            ]
        })
        .collect();
    body.push_str(&table(
        "Hosted zones",
        &["Domain", "Zone ID", "Records", "Type"],
        &rows,
    ));
    let status = if failed.is_some() { 400 } else { 200 };
    Some(ui.page(status, "Route 53 hosted zones", "route53", &body))
}

async fn records(ui: &Ui<'_>, failed: Option<AwsError>) -> Page {
    let zone = match ui.query.get("id") {
        "" => ui.form.get("zone"),
        z => z,
    };
    let out = match ui
        .call(
            "route53",
            "ListResourceRecordSets",
            json!({ "HostedZoneId": zone }),
        )
        .await
    {
        Ok(v) => v,
        Err(e) => return Some(ui.error_page(&e, "route53", "/_console/route53")),
    };
    let mut body = ui.notice();
    body.push_str(&failed.as_ref().map(error_banner).unwrap_or_default());
    let rows: Vec<Vec<String>> = list(&out, "ResourceRecordSets")
        .iter()
        .map(|r| {
            let values: Vec<&str> = list(r, "ResourceRecords")
                .iter()
                .map(|v| s(v, "Value"))
                .collect();
            let target = r.pointer("/AliasTarget/DNSName").and_then(|v| v.as_str());
            let kind = s(r, "Type");
            // The zone's own SOA and NS sets are not the user's to delete.
            let action = if kind == "SOA" || kind == "NS" {
                String::new()
            } else {
                ui.button(
                    "/_console/route53/change",
                    &[
                        ("zone", zone),
                        ("action", "DELETE"),
                        ("set", &r.to_string()),
                    ],
                    "Delete",
                    true,
                )
            };
            vec![
                esc(s(r, "Name")).to_string(),
                esc(kind).to_string(),
                r.get("TTL").map(|v| v.to_string()).unwrap_or_default(),
                esc(&target
                    .map(|t| format!("alias {t}"))
                    .unwrap_or_else(|| values.join("\n")))
                .to_string()
                .replace('\n', "<br>"),
                action,
            ]
        })
        .collect();
    body.push_str(&table(
        "Records",
        &["Name", "Type", "TTL", "Values", "Actions"],
        &rows,
    ));
    let mut types = String::new();
    for t in ["A", "AAAA", "CNAME", "TXT", "MX", "SRV", "CAA", "PTR", "NS"] {
        types.push_str(&format!("<option>{t}</option>"));
    }
    body.push_str(&ui.form(
        "/_console/route53/change",
        "panel",
        &format!(
            "<input type=\"hidden\" name=\"zone\" value=\"{}\"><input type=\"hidden\" name=\"action\" value=\"UPSERT\">\
             <label for=\"rname\">Record name</label><input type=\"text\" id=\"rname\" name=\"name\" required>\
             <label for=\"rtype\">Type</label><select id=\"rtype\" name=\"type\">{types}</select>\
             <label for=\"ttl\">TTL (seconds)</label><input type=\"number\" id=\"ttl\" name=\"ttl\" value=\"300\" min=\"0\">\
             <label for=\"values\">Values, one a line</label><textarea id=\"values\" name=\"values\" required></textarea>\
             <button type=\"submit\">Create or update record</button>",
            esc(zone)
        ),
    ));
    let status = if failed.is_some() { 400 } else { 200 };
    Some(ui.page(status, "Hosted zone records", "route53", &body))
}
