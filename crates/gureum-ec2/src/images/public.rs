//! `DescribeImages`: over the public catalogue
//! ([`crate::common::catalog_images`]) merged with the images users
//! registered (passed in by the caller, from the store).

use crate::common::catalog_images::catalogue_images;
use crate::common::errors::Ec2Error;
use crate::common::filter;
use crate::common::instance_types::{matches_owned, page, texts_at};
use gureum_core::{AwsError, OpResult, RequestContext, Value};
use serde_json::json;
use std::collections::HashMap;

fn text<'a>(v: &'a Value, member: &str) -> &'a str {
    v.get(member).and_then(Value::as_str).unwrap_or_default()
}

fn well_formed_image_id(id: &str) -> bool {
    id.strip_prefix("ami-").is_some_and(|hex| {
        (hex.len() == 8 || hex.len() == 17) && hex.bytes().all(|b| b.is_ascii_hexdigit())
    })
}

const IMAGE_FILTERS: &[(&str, &[&str])] = &[
    ("architecture", &["Architecture"]),
    (
        "block-device-mapping.delete-on-termination",
        &["BlockDeviceMappings", "Ebs", "DeleteOnTermination"],
    ),
    (
        "block-device-mapping.device-name",
        &["BlockDeviceMappings", "DeviceName"],
    ),
    (
        "block-device-mapping.snapshot-id",
        &["BlockDeviceMappings", "Ebs", "SnapshotId"],
    ),
    (
        "block-device-mapping.volume-size",
        &["BlockDeviceMappings", "Ebs", "VolumeSize"],
    ),
    (
        "block-device-mapping.volume-type",
        &["BlockDeviceMappings", "Ebs", "VolumeType"],
    ),
    (
        "block-device-mapping.encrypted",
        &["BlockDeviceMappings", "Ebs", "Encrypted"],
    ),
    ("boot-mode", &["BootMode"]),
    ("creation-date", &["CreationDate"]),
    ("description", &["Description"]),
    ("ena-support", &["EnaSupport"]),
    ("hypervisor", &["Hypervisor"]),
    ("image-id", &["ImageId"]),
    ("image-type", &["ImageType"]),
    ("imds-support", &["ImdsSupport"]),
    ("is-public", &["Public"]),
    ("kernel-id", &["KernelId"]),
    ("manifest-location", &["ImageLocation"]),
    ("name", &["Name"]),
    ("owner-alias", &["ImageOwnerAlias"]),
    ("owner-id", &["OwnerId"]),
    ("platform", &["Platform"]),
    ("platform-details", &["PlatformDetails"]),
    ("product-code", &["ProductCodes", "ProductCodeId"]),
    ("product-code.type", &["ProductCodes", "ProductCodeType"]),
    ("ramdisk-id", &["RamdiskId"]),
    ("root-device-name", &["RootDeviceName"]),
    ("root-device-type", &["RootDeviceType"]),
    ("source-image-id", &["SourceImageId"]),
    ("source-image-region", &["SourceImageRegion"]),
    ("source-instance-id", &["SourceInstanceId"]),
    ("state", &["State"]),
    ("state-reason-code", &["StateReason", "Code"]),
    ("state-reason-message", &["StateReason", "Message"]),
    ("sriov-net-support", &["SriovNetSupport"]),
    ("tag-key", &["Tags", "Key"]),
    ("usage-operation", &["UsageOperation"]),
    ("virtualization-type", &["VirtualizationType"]),
];

fn image_field(img: &Value, name: &str) -> Vec<String> {
    if let Some(key) = name.strip_prefix("tag:") {
        return img
            .get("Tags")
            .and_then(Value::as_array)
            .map(|tags| {
                tags.iter()
                    .filter(|t| text(t, "Key") == key)
                    .map(|t| text(t, "Value").to_string())
                    .collect()
            })
            .unwrap_or_default();
    }
    IMAGE_FILTERS
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, path)| texts_at(img, path))
        .unwrap_or_default()
}

fn strings<'a>(input: &'a Value, member: &str) -> Vec<&'a str> {
    input
        .get(member)
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}

fn public(img: &Value) -> bool {
    img.get("Public").and_then(Value::as_bool).unwrap_or(false)
}

fn granted(grants: &HashMap<String, Vec<String>>, img: &Value, account: &str) -> bool {
    grants
        .get(text(img, "ImageId"))
        .is_some_and(|users| users.iter().any(|u| u == account))
}

fn owner_matches(ctx: &RequestContext, img: &Value, owner: &str) -> bool {
    match owner {
        "self" => text(img, "OwnerId") == ctx.account_id,
        "amazon" | "aws-marketplace" | "aws-backup-vault" => text(img, "ImageOwnerAlias") == owner,
        id => text(img, "OwnerId") == id,
    }
}

fn deprecated(ctx: &RequestContext, img: &Value) -> bool {
    let Some(when) = img.get("DeprecationTime").and_then(Value::as_str) else {
        return false;
    };
    gureum_core::timestamp::parse_iso8601(when).is_some_and(|at| at <= ctx.clock.now_millis())
}

/// `DescribeImages` over the region's catalogue and `stored` (the images
/// users registered in this region, as `Image` values): `ImageIds`,
/// `Owners`, `ExecutableUsers`, filters (see [`IMAGE_FILTERS`], plus
/// `tag:<key>`), `IncludeDeprecated`, `MaxResults` (5–1000) and `NextToken`.
/// Private images are visible to their owner only.
pub fn describe_images(ctx: &RequestContext, input: &Value, stored: &[Value]) -> OpResult {
    describe_images_with(ctx, input, stored, &HashMap::new())
}

/// [`describe_images`] with the launch permissions of stored images
/// (image id → accounts): an image shared with the caller is visible to
/// it, and `ExecutableUsers` selects by them (`all`: public images;
/// `self`: the caller's own and those shared with it; an account id:
/// those it may launch).
pub fn describe_images_with(
    ctx: &RequestContext,
    input: &Value,
    stored: &[Value],
    grants: &HashMap<String, Vec<String>>,
) -> OpResult {
    let ids = strings(input, "ImageIds");
    if let Some(bad) = ids.iter().find(|id| !well_formed_image_id(id)) {
        return Err(AwsError::from(Ec2Error::InvalidAMIIdMalformed {
            message: format!("Invalid id: \"{bad}\" (expecting \"ami-...\")"),
        }));
    }
    let owners = strings(input, "Owners");
    if let Some(bad) = owners.iter().find(|o| {
        let alias = matches!(
            **o,
            "self" | "amazon" | "aws-marketplace" | "aws-backup-vault"
        );
        let account = o.len() == 12 && o.bytes().all(|b| b.is_ascii_digit());
        !alias && !account
    }) {
        return Err(AwsError::from(Ec2Error::InvalidUserIdMalformed {
            message: format!("User ID '{bad}' is not valid"),
        }));
    }
    let executable = strings(input, "ExecutableUsers");
    let filters = filter::parse(input);
    for f in &filters {
        if !f.name.starts_with("tag:") && !IMAGE_FILTERS.iter().any(|(n, _)| *n == f.name) {
            return Err(AwsError::from(Ec2Error::InvalidParameterValue {
                message: format!("The filter '{}' is invalid", f.name),
            }));
        }
    }
    let include_deprecated = input
        .get("IncludeDeprecated")
        .and_then(Value::as_bool)
        .unwrap_or(false);

    let visible: Vec<Value> = catalogue_images(&ctx.region)
        .into_iter()
        .chain(stored.iter().cloned())
        .filter(|img| {
            public(img)
                || text(img, "OwnerId") == ctx.account_id
                || granted(grants, img, &ctx.account_id)
        })
        .collect();
    let missing: Vec<&str> = ids
        .iter()
        .copied()
        .filter(|id| !visible.iter().any(|img| text(img, "ImageId") == *id))
        .collect();
    if !missing.is_empty() {
        return Err(AwsError::from(Ec2Error::InvalidAMIIdNotFound {
            message: format!("The image id '[{}]' does not exist", missing.join(", ")),
        }));
    }
    let selected: Vec<Value> = visible
        .into_iter()
        .filter(|img| ids.is_empty() || ids.contains(&text(img, "ImageId")))
        .filter(|img| owners.is_empty() || owners.iter().any(|o| owner_matches(ctx, img, o)))
        .filter(|img| {
            executable.is_empty()
                || executable.iter().any(|u| match *u {
                    "all" => public(img),
                    "self" => {
                        text(img, "OwnerId") == ctx.account_id
                            || granted(grants, img, &ctx.account_id)
                    }
                    id => text(img, "OwnerId") == id || granted(grants, img, id),
                })
        })
        .filter(|img| include_deprecated || !ids.is_empty() || !deprecated(ctx, img))
        .filter(|img| matches_owned(&filters, |name| image_field(img, name)))
        .collect();
    let (range, next) = page(input, selected.len(), (5, 1000), None)?;
    let mut result = json!({ "Images": selected[range].to_vec() });
    if let Some(token) = next {
        result["NextToken"] = json!(token);
    }
    Ok(result)
}

impl crate::Ec2Service {
    pub(crate) fn describe_images(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let (stored, grants) = crate::images::amis::describable(&self.store, ctx)?;
        describe_images_with(ctx, &input, &stored, &grants)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::common::catalog_images::{fnv, image_id, IMAGES};
    use gureum_core::region::REGIONS;
    use gureum_core::Clock;

    fn ctx(region: &str) -> RequestContext {
        RequestContext::root("000000000000", region, Clock::system())
    }

    fn images(region: &str, input: Value) -> Vec<Value> {
        describe_images(&ctx(region), &input, &[]).expect("ok")["Images"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    }

    fn al2023_x86(region: &str) -> Vec<Value> {
        images(
            region,
            json!({"Owners": ["amazon"],
                   "Filters": [{"Name": "name", "Values": ["al2023-ami-2023*-x86_64"]}]}),
        )
    }

    #[test]
    fn name_filter_accepts_wildcards() {
        let found = al2023_x86("us-east-1");
        assert_eq!(found.len(), 1);
        assert_eq!(
            found[0]["Name"],
            "al2023-ami-2023.6.20250115.0-kernel-6.1-x86_64"
        );
        assert_eq!(found[0]["ImageOwnerAlias"], "amazon");
        assert_eq!(found[0]["BootMode"], "uefi-preferred");
        let ubuntu = images(
            "us-east-1",
            json!({"Owners": ["099720109477"],
                   "Filters": [{"Name": "name", "Values": ["ubuntu/images/*ubuntu-noble-24.04-*-server-*"]}]}),
        );
        assert_eq!(ubuntu.len(), 2);
    }

    #[test]
    fn ami_ids_are_stable_per_region() {
        let a = al2023_x86("us-east-1");
        let b = al2023_x86("us-east-1");
        let seoul = al2023_x86("ap-northeast-2");
        assert_eq!(a[0]["ImageId"], b[0]["ImageId"]);
        assert_ne!(a[0]["ImageId"], seoul[0]["ImageId"]);
        let id = a[0]["ImageId"].as_str().expect("id");
        assert!(well_formed_image_id(id), "{id}");
        assert_eq!(id.len(), 21);
        // The id never depends on the process: pin one.
        assert_eq!(image_id("us-east-1", "al2023-x86_64"), id);
        assert_eq!(
            id,
            format!("ami-0{:016x}", fnv(&["ami", "us-east-1", "al2023-x86_64"]))
        );
    }

    #[test]
    fn every_region_has_every_catalogue_image() {
        let mut all_ids = std::collections::HashSet::new();
        for r in REGIONS {
            let list = images(r.name, json!({}));
            assert_eq!(list.len(), IMAGES.len(), "{}", r.name);
            for img in &list {
                assert!(all_ids.insert(img["ImageId"].as_str().expect("id").to_string()));
            }
        }
    }

    #[test]
    fn owners_select_by_alias_or_account() {
        let amazon = images("us-east-1", json!({"Owners": ["amazon"]}));
        assert!(amazon.iter().all(|i| i["ImageOwnerAlias"] == "amazon"));
        assert_eq!(amazon.len(), 5);
        let mine = images("us-east-1", json!({"Owners": ["self"]}));
        assert!(mine.is_empty());
        let err = describe_images(&ctx("us-east-1"), &json!({"Owners": ["nobody"]}), &[]);
        assert_eq!(
            err.map_err(|e| e.code),
            Err("InvalidUserID.Malformed".into())
        );
    }

    #[test]
    fn unknown_image_ids_are_not_found_and_bad_ones_malformed() {
        let err = describe_images(
            &ctx("us-east-1"),
            &json!({"ImageIds": ["ami-0123456789abcdef0"]}),
            &[],
        )
        .expect_err("missing");
        assert_eq!(err.code, "InvalidAMIID.NotFound");
        assert_eq!(
            err.message,
            "The image id '[ami-0123456789abcdef0]' does not exist"
        );
        let err = describe_images(&ctx("us-east-1"), &json!({"ImageIds": ["ami-xyz"]}), &[])
            .expect_err("malformed");
        assert_eq!(err.code, "InvalidAMIID.Malformed");
        // An id from another region does not exist here.
        let seoul = al2023_x86("ap-northeast-2")[0]["ImageId"].clone();
        let err = describe_images(&ctx("us-east-1"), &json!({"ImageIds": [seoul]}), &[]);
        assert_eq!(err.map_err(|e| e.code), Err("InvalidAMIID.NotFound".into()));
    }

    #[test]
    fn windows_reports_its_platform() {
        let win = images(
            "eu-west-1",
            json!({"Filters": [{"Name": "platform", "Values": ["windows"]}]}),
        );
        assert_eq!(win.len(), 1);
        assert_eq!(win[0]["PlatformDetails"], "Windows");
        assert_eq!(win[0]["BlockDeviceMappings"][0]["Ebs"]["VolumeSize"], 30);
        let arm = images(
            "eu-west-1",
            json!({"Filters": [{"Name": "architecture", "Values": ["arm64"]}, {"Name": "is-public", "Values": ["true"]}]}),
        );
        assert_eq!(arm.len(), 5);
    }

    #[test]
    fn stored_private_images_merge_for_their_owner() {
        let mine = json!({"ImageId": "ami-0aaaaaaaaaaaaaaaa", "OwnerId": "000000000000", "Public": false,
                          "Name": "my-app", "State": "available", "Tags": [{"Key": "team", "Value": "web"}]});
        let other = json!({"ImageId": "ami-0bbbbbbbbbbbbbbbb", "OwnerId": "111111111111", "Public": false,
                           "Name": "theirs", "State": "available"});
        let out = describe_images(
            &ctx("us-east-1"),
            &json!({"Owners": ["self"]}),
            &[mine, other.clone()],
        )
        .expect("ok");
        assert_eq!(out["Images"].as_array().map(Vec::len), Some(1));
        let tagged = describe_images(
            &ctx("us-east-1"),
            &json!({"Filters": [{"Name": "tag:team", "Values": ["web"]}]}),
            &[out["Images"][0].clone()],
        )
        .expect("ok");
        assert_eq!(tagged["Images"][0]["Name"], "my-app");
        let hidden = describe_images(
            &ctx("us-east-1"),
            &json!({"ImageIds": ["ami-0bbbbbbbbbbbbbbbb"]}),
            &[other],
        );
        assert_eq!(
            hidden.map_err(|e| e.code),
            Err("InvalidAMIID.NotFound".into())
        );
    }

    #[test]
    fn pages_of_images() {
        let out = describe_images(&ctx("us-east-1"), &json!({"MaxResults": 5}), &[]).expect("ok");
        assert_eq!(out["Images"].as_array().map(Vec::len), Some(5));
        let token = out["NextToken"].as_str().expect("token");
        let rest = describe_images(
            &ctx("us-east-1"),
            &json!({"MaxResults": 1000, "NextToken": token}),
            &[],
        )
        .expect("ok");
        assert_eq!(
            rest["Images"].as_array().map(Vec::len),
            Some(IMAGES.len() - 5)
        );
        assert!(rest.get("NextToken").is_none());
    }
}
