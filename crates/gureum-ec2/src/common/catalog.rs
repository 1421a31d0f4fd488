//! `DescribeRegions` and `DescribeAvailabilityZones` over the partition's
//! catalogue in `gureum_core::region`.
//!
//! Every region is enabled for every account: opt-in regions report
//! `opted-in`, so tutorials can use Seoul or Cape Town without an opt-in
//! step that Gureum would have nothing to do for.

use crate::common::errors::Ec2Error;
use crate::common::filter;
use gureum_core::region::{self, OptIn, Region, REGIONS};
use gureum_core::{AwsError, OpResult, RequestContext, Value};
use serde_json::json;

fn opt_in_status(r: &Region) -> &'static str {
    match r.opt_in {
        OptIn::NotRequired => "opt-in-not-required",
        OptIn::Required => "opted-in",
    }
}

fn strings<'a>(input: &'a Value, member: &str) -> Vec<&'a str> {
    input
        .get(member)
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}

/// `DescribeRegions`: `RegionNames`, `AllRegions`, filters `endpoint`,
/// `opt-in-status`, `region-name`.
pub fn describe_regions(_ctx: &RequestContext, input: &Value) -> OpResult {
    let names = strings(input, "RegionNames");
    let unknown: Vec<&str> = names
        .iter()
        .copied()
        .filter(|n| region::find(n).is_none())
        .collect();
    if !unknown.is_empty() {
        return Err(AwsError::from(Ec2Error::InvalidParameterValue {
            message: format!("Invalid region: [{}]", unknown.join(", ")),
        }));
    }
    let filters = filter::parse(input);
    filter::check_names(&filters, &["endpoint", "opt-in-status", "region-name"])?;
    let regions: Vec<Value> = REGIONS
        .iter()
        .filter(|r| names.is_empty() || names.contains(&r.name))
        .filter(|r| {
            let endpoint = format!("ec2.{}.amazonaws.com", r.name);
            filter::matches(&filters, |f| match f {
                "endpoint" => vec![endpoint.as_str()],
                "opt-in-status" => vec![opt_in_status(r)],
                "region-name" => vec![r.name],
                _ => vec![],
            })
        })
        .map(|r| {
            json!({
                "RegionName": r.name,
                "Endpoint": format!("ec2.{}.amazonaws.com", r.name),
                "OptInStatus": opt_in_status(r),
            })
        })
        .collect();
    Ok(json!({ "Regions": regions }))
}

/// `DescribeAvailabilityZones`: the AZs of the request's region (or of every
/// region for filters on `region-name`), `ZoneNames`, `ZoneIds`, filters
/// `region-name`, `zone-name`, `zone-id`, `state`, `zone-type`,
/// `opt-in-status`, `group-name`.
pub fn describe_availability_zones(ctx: &RequestContext, input: &Value) -> OpResult {
    let names = strings(input, "ZoneNames");
    let ids = strings(input, "ZoneIds");
    let filters = filter::parse(input);
    filter::check_names(
        &filters,
        &[
            "region-name",
            "zone-name",
            "zone-id",
            "state",
            "zone-type",
            "opt-in-status",
            "group-name",
            "group-long-name",
            "message",
            "network-border-group",
            "parent-zone-id",
            "parent-zone-name",
        ],
    )?;
    let region = region::find(&ctx.region).ok_or_else(|| {
        AwsError::from(Ec2Error::InvalidParameterValue {
            message: format!("Invalid region: [{}]", ctx.region),
        })
    })?;
    let zones = region::zones_for_account(region, &ctx.account_id);
    for n in &names {
        if !zones.iter().any(|z| z.name == *n) {
            return Err(AwsError::from(Ec2Error::InvalidParameterValue {
                message: format!("The zone '{n}' does not exist."),
            }));
        }
    }
    for id in &ids {
        if !zones.iter().any(|z| z.zone_id == *id) {
            return Err(AwsError::from(Ec2Error::InvalidParameterValue {
                message: format!("The zone id '{id}' does not exist."),
            }));
        }
    }
    let out: Vec<Value> = zones
        .iter()
        .filter(|z| names.is_empty() || names.contains(&z.name.as_str()))
        .filter(|z| ids.is_empty() || ids.contains(&z.zone_id.as_str()))
        .filter(|z| {
            filter::matches(&filters, |f| match f {
                "region-name" | "group-name" | "network-border-group" => vec![z.region],
                "zone-name" => vec![z.name.as_str()],
                "zone-id" => vec![z.zone_id.as_str()],
                "state" => vec!["available"],
                "zone-type" => vec!["availability-zone"],
                "opt-in-status" => vec!["opt-in-not-required"],
                _ => vec![],
            })
        })
        .map(|z| {
            json!({
                "OptInStatus": "opt-in-not-required",
                "Messages": [],
                "RegionName": z.region,
                "ZoneName": z.name,
                "ZoneId": z.zone_id,
                "GroupName": z.region,
                "NetworkBorderGroup": z.region,
                "ZoneType": "availability-zone",
                "GroupLongName": region.description,
                "State": "available",
            })
        })
        .collect();
    Ok(json!({ "AvailabilityZones": out }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use gureum_core::Clock;

    fn ctx(region: &str) -> RequestContext {
        RequestContext::root("000000000000", region, Clock::system())
    }

    #[test]
    fn every_region_is_listed() {
        let out = describe_regions(&ctx("us-east-1"), &json!({"AllRegions": true})).expect("ok");
        assert_eq!(out["Regions"].as_array().map(Vec::len), Some(REGIONS.len()));
    }

    #[test]
    fn unknown_region_names_are_invalid() {
        let err = describe_regions(&ctx("us-east-1"), &json!({"RegionNames": ["mars-1"]}))
            .expect_err("invalid");
        assert_eq!(err.code, "InvalidParameterValue");
        assert_eq!(err.message, "Invalid region: [mars-1]");
    }

    #[test]
    fn seoul_lists_four_zones() {
        let out = describe_availability_zones(&ctx("ap-northeast-2"), &json!({})).expect("ok");
        let names: Vec<_> = out["AvailabilityZones"]
            .as_array()
            .expect("list")
            .iter()
            .map(|z| z["ZoneName"].as_str().unwrap_or_default().to_string())
            .collect();
        assert_eq!(
            names,
            [
                "ap-northeast-2a",
                "ap-northeast-2b",
                "ap-northeast-2c",
                "ap-northeast-2d"
            ]
        );
    }

    #[test]
    fn zone_filters_narrow_the_list() {
        let out = describe_availability_zones(
            &ctx("us-east-1"),
            &json!({"Filters": [{"Name": "zone-name", "Values": ["us-east-1a", "us-east-1b"]}]}),
        )
        .expect("ok");
        assert_eq!(out["AvailabilityZones"].as_array().map(Vec::len), Some(2));
    }
}
