//! Route 53 (rest-xml, global).
//!
//! So far: `ListHostedZones` over the zone catalogue. Zones, records, the
//! DNS server and health checks come with the Route 53 issue.

pub mod errors;

use errors::Route53Error;
use gureum_core::{AwsError, OpResult, RequestContext, Value};
use gureum_store::{Store, Table};
use serde_json::json;

/// The Route 53 service.
pub struct Route53Service {
    /// Hosted zones, keyed `account/zone-id`.
    zones: Table<Value>,
}

impl Route53Service {
    /// The service over `store`.
    pub fn new(store: Store) -> Self {
        Route53Service {
            zones: store.table("route53.hosted_zones"),
        }
    }

    /// `ListHostedZones`: `MaxItems` (default 100, at most 100), `Marker`
    /// (a zone id), `IsTruncated` / `NextMarker`.
    fn list_hosted_zones(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let prefix = format!("{}/", ctx.account_id);
        let max_items = match input.get("MaxItems").and_then(Value::as_str) {
            None => 100,
            Some(s) => s.parse::<usize>().ok().filter(|n| *n > 0).ok_or_else(|| {
                AwsError::from(Route53Error::InvalidInput {
                    message: format!("Invalid value for MaxItems: {s}"),
                })
            })?,
        }
        .min(100);
        let marker = input.get("Marker").and_then(Value::as_str);
        let start = marker.map(|m| format!("{prefix}{}", m.trim_start_matches("/hostedzone/")));
        let page = match &start {
            // The marker is the first zone of the page (inclusive), as in AWS.
            Some(s) => self.zones.scan_range(s, None, max_items + 1),
            None => self.zones.scan_prefix_after(&prefix, None, max_items + 1),
        }
        .map_err(AwsError::from)?;
        let page: Vec<_> = page
            .into_iter()
            .filter(|(k, _)| k.starts_with(&prefix))
            .collect();
        let truncated = page.len() > max_items;
        let zones: Vec<&Value> = page.iter().take(max_items).map(|(_, z)| z).collect();
        let mut out = json!({
            "HostedZones": zones,
            "IsTruncated": truncated,
            "MaxItems": max_items.to_string(),
        });
        if let Some(m) = marker {
            out["Marker"] = json!(m);
        }
        if truncated {
            if let Some((k, _)) = page.get(max_items) {
                out["NextMarker"] = json!(&k[prefix.len()..]);
            }
        }
        Ok(out)
    }
}

gureum_core::service_operations! {
    Route53Service, "route53",
    "ListHostedZones" => list_hosted_zones,
}
