//! The AMI catalogue and `DescribeImages`.
//!
//! Every region of the partition has the same public images (Amazon Linux,
//! Ubuntu, Debian, RHEL, SUSE, Windows Server), each with an id derived from
//! the region and the image with FNV-1a, so ids stay the same across
//! restarts and releases and differ between regions, as AWS's do.
//! [`catalogue_images`] gives a region's catalogue; [`describe_images`]
//! answers over it merged with the images users registered (passed in by
//! the caller, from the store).

use crate::common::errors::Ec2Error;
use crate::common::filter;
use crate::common::instance_types::{matches_owned, page, texts_at};
use gureum_core::region::REGIONS;
use gureum_core::{AwsError, OpResult, RequestContext, Value};
use serde_json::json;
use std::collections::HashMap;

/// One public image of the catalogue.
struct CatalogImage {
    /// Stable key hashed into the ids (never change it).
    key: &'static str,
    name: &'static str,
    description: &'static str,
    owner_id: &'static str,
    owner_alias: Option<&'static str>,
    architecture: &'static str,
    windows: bool,
    platform_details: &'static str,
    usage_operation: &'static str,
    root_device: &'static str,
    volume_size: u32,
    volume_type: &'static str,
    boot_mode: Option<&'static str>,
    imds_v2: bool,
    creation_date: &'static str,
}

/// Amazon's account for Amazon Linux.
pub const AMAZON_OWNER_ID: &str = "137112412989";
/// Canonical's account (Ubuntu).
pub const CANONICAL_OWNER_ID: &str = "099720109477";

#[allow(clippy::too_many_arguments)]
const fn linux(
    key: &'static str,
    name: &'static str,
    description: &'static str,
    owner_id: &'static str,
    architecture: &'static str,
    root_device: &'static str,
    volume_type: &'static str,
    boot_mode: Option<&'static str>,
    creation_date: &'static str,
) -> CatalogImage {
    CatalogImage {
        key,
        name,
        description,
        owner_id,
        owner_alias: None,
        architecture,
        windows: false,
        platform_details: "Linux/UNIX",
        usage_operation: "RunInstances",
        root_device,
        volume_size: 8,
        volume_type,
        boot_mode,
        imds_v2: false,
        creation_date,
    }
}

static IMAGES: &[CatalogImage] = &[
    CatalogImage {
        owner_alias: Some("amazon"),
        imds_v2: true,
        ..linux(
            "al2023-x86_64",
            "al2023-ami-2023.6.20250115.0-kernel-6.1-x86_64",
            "Amazon Linux 2023 AMI 2023.6.20250115.0 x86_64 HVM kernel-6.1",
            AMAZON_OWNER_ID,
            "x86_64",
            "/dev/xvda",
            "gp3",
            Some("uefi-preferred"),
            "2025-01-14T22:19:46.000Z",
        )
    },
    CatalogImage {
        owner_alias: Some("amazon"),
        imds_v2: true,
        ..linux(
            "al2023-arm64",
            "al2023-ami-2023.6.20250115.0-kernel-6.1-arm64",
            "Amazon Linux 2023 AMI 2023.6.20250115.0 arm64 HVM kernel-6.1",
            AMAZON_OWNER_ID,
            "arm64",
            "/dev/xvda",
            "gp3",
            Some("uefi"),
            "2025-01-14T22:19:52.000Z",
        )
    },
    CatalogImage {
        owner_alias: Some("amazon"),
        ..linux(
            "amzn2-x86_64",
            "amzn2-ami-kernel-5.10-hvm-2.0.20250115.0-x86_64-gp2",
            "Amazon Linux 2 Kernel 5.10 AMI 2.0.20250115.0 x86_64 HVM gp2",
            AMAZON_OWNER_ID,
            "x86_64",
            "/dev/xvda",
            "gp2",
            None,
            "2025-01-15T06:43:12.000Z",
        )
    },
    linux(
        "ubuntu-24.04-amd64",
        "ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-amd64-server-20250115",
        "Canonical, Ubuntu, 24.04, amd64 noble image",
        CANONICAL_OWNER_ID,
        "x86_64",
        "/dev/sda1",
        "gp3",
        Some("uefi-preferred"),
        "2025-01-15T08:28:41.000Z",
    ),
    linux(
        "ubuntu-24.04-arm64",
        "ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-arm64-server-20250115",
        "Canonical, Ubuntu, 24.04, arm64 noble image",
        CANONICAL_OWNER_ID,
        "arm64",
        "/dev/sda1",
        "gp3",
        Some("uefi"),
        "2025-01-15T08:28:47.000Z",
    ),
    linux(
        "ubuntu-22.04-amd64",
        "ubuntu/images/hvm-ssd/ubuntu-jammy-22.04-amd64-server-20250112",
        "Canonical, Ubuntu, 22.04 LTS, amd64 jammy image build on 2025-01-12",
        CANONICAL_OWNER_ID,
        "x86_64",
        "/dev/sda1",
        "gp2",
        Some("uefi-preferred"),
        "2025-01-12T09:11:03.000Z",
    ),
    linux(
        "ubuntu-22.04-arm64",
        "ubuntu/images/hvm-ssd/ubuntu-jammy-22.04-arm64-server-20250112",
        "Canonical, Ubuntu, 22.04 LTS, arm64 jammy image build on 2025-01-12",
        CANONICAL_OWNER_ID,
        "arm64",
        "/dev/sda1",
        "gp2",
        Some("uefi"),
        "2025-01-12T09:11:10.000Z",
    ),
    linux(
        "debian-12-amd64",
        "debian-12-amd64-20250112-1990",
        "Debian 12 (20250112-1990)",
        "136693071363",
        "x86_64",
        "/dev/xvda",
        "gp2",
        None,
        "2025-01-12T23:36:51.000Z",
    ),
    linux(
        "debian-12-arm64",
        "debian-12-arm64-20250112-1990",
        "Debian 12 (20250112-1990)",
        "136693071363",
        "arm64",
        "/dev/xvda",
        "gp2",
        Some("uefi"),
        "2025-01-12T23:37:04.000Z",
    ),
    CatalogImage {
        platform_details: "Red Hat Enterprise Linux",
        usage_operation: "RunInstances:0010",
        volume_size: 10,
        ..linux(
            "rhel-9-x86_64",
            "RHEL-9.5.0_HVM-20250110-x86_64-0-Hourly2-GP3",
            "Provided by Red Hat, Inc.",
            "309956199498",
            "x86_64",
            "/dev/sda1",
            "gp3",
            None,
            "2025-01-10T14:42:27.000Z",
        )
    },
    CatalogImage {
        platform_details: "Red Hat Enterprise Linux",
        usage_operation: "RunInstances:0010",
        volume_size: 10,
        ..linux(
            "rhel-9-arm64",
            "RHEL-9.5.0_HVM-20250110-arm64-0-Hourly2-GP3",
            "Provided by Red Hat, Inc.",
            "309956199498",
            "arm64",
            "/dev/sda1",
            "gp3",
            Some("uefi"),
            "2025-01-10T14:45:02.000Z",
        )
    },
    CatalogImage {
        owner_alias: Some("amazon"),
        platform_details: "SUSE Linux",
        usage_operation: "RunInstances:000g",
        volume_size: 10,
        ..linux(
            "sles-15-x86_64",
            "suse-sles-15-sp6-v20250115-hvm-ssd-x86_64",
            "SUSE Linux Enterprise Server 15 SP6 (HVM, 64-bit, SSD-Backed)",
            "013907871322",
            "x86_64",
            "/dev/sda1",
            "gp3",
            None,
            "2025-01-15T19:20:33.000Z",
        )
    },
    CatalogImage {
        owner_alias: Some("amazon"),
        windows: true,
        platform_details: "Windows",
        usage_operation: "RunInstances:0002",
        volume_size: 30,
        ..linux(
            "windows-2022-base",
            "Windows_Server-2022-English-Full-Base-2025.01.15",
            "Microsoft Windows Server 2022 Full Locale English AMI provided by Amazon",
            "801119661308",
            "x86_64",
            "/dev/sda1",
            "gp2",
            None,
            "2025-01-15T07:51:18.000Z",
        )
    },
];

/// FNV-1a over the parts, separated so that ("ab","c") ≠ ("a","bc").
fn fnv(parts: &[&str]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for part in parts {
        for b in part.bytes().chain(std::iter::once(0u8)) {
            h = (h ^ b as u64).wrapping_mul(0x0100_0000_01b3);
        }
    }
    h
}

/// The id of catalogue image `key` in `region`: `ami-0` and 16 hex digits.
fn image_id(region: &str, key: &str) -> String {
    format!("ami-0{:016x}", fnv(&["ami", region, key]))
}

fn snapshot_id(region: &str, key: &str) -> String {
    format!("snap-0{:016x}", fnv(&["snap", region, key]))
}

fn image_value(region: &str, i: &CatalogImage) -> Value {
    let location_owner = i.owner_alias.unwrap_or(i.owner_id);
    let mut v = json!({
        "ImageId": image_id(region, i.key),
        "ImageLocation": format!("{location_owner}/{}", i.name),
        "State": "available",
        "OwnerId": i.owner_id,
        "CreationDate": i.creation_date,
        "Public": true,
        "Architecture": i.architecture,
        "ImageType": "machine",
        "Name": i.name,
        "Description": i.description,
        "PlatformDetails": i.platform_details,
        "UsageOperation": i.usage_operation,
        "EnaSupport": true,
        "SriovNetSupport": "simple",
        "Hypervisor": "xen",
        "RootDeviceName": i.root_device,
        "RootDeviceType": "ebs",
        "VirtualizationType": "hvm",
        "BlockDeviceMappings": [{
            "DeviceName": i.root_device,
            "Ebs": {
                "DeleteOnTermination": true,
                "SnapshotId": snapshot_id(region, i.key),
                "VolumeSize": i.volume_size,
                "VolumeType": i.volume_type,
                "Encrypted": false,
            },
        }],
    });
    if i.volume_type == "gp3" {
        v["BlockDeviceMappings"][0]["Ebs"]["Iops"] = json!(3000);
        v["BlockDeviceMappings"][0]["Ebs"]["Throughput"] = json!(125);
    }
    if let Some(alias) = i.owner_alias {
        v["ImageOwnerAlias"] = json!(alias);
    }
    if i.windows {
        v["Platform"] = json!("windows");
    }
    if let Some(mode) = i.boot_mode {
        v["BootMode"] = json!(mode);
    }
    if i.imds_v2 {
        v["ImdsSupport"] = json!("v2.0");
    }
    v
}

/// The public images of `region`'s catalogue (empty for unknown regions).
pub fn catalogue_images(region: &str) -> Vec<Value> {
    if !REGIONS.iter().any(|r| r.name == region) {
        return vec![];
    }
    IMAGES.iter().map(|i| image_value(region, i)).collect()
}

/// How many images each region's catalogue holds.
pub fn catalogue_len() -> usize {
    IMAGES.len()
}

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
