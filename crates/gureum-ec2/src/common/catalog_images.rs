//! The public AMI catalogue: every region of the partition has the same
//! public images (Amazon Linux, Ubuntu, Debian, RHEL, SUSE, Windows
//! Server), each with an id derived from the region and the image with
//! FNV-1a, so ids stay the same across restarts and releases and differ
//! between regions, as AWS's do. Read-only data, in common: images
//! describe it and EBS finds the catalogue's root snapshots in it.

use gureum_core::region::REGIONS;
use gureum_core::Value;
use serde_json::json;

/// One public image of the catalogue.
pub(crate) struct CatalogImage {
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

pub(crate) static IMAGES: &[CatalogImage] = &[
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
pub(crate) fn fnv(parts: &[&str]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for part in parts {
        for b in part.bytes().chain(std::iter::once(0u8)) {
            h = (h ^ b as u64).wrapping_mul(0x0100_0000_01b3);
        }
    }
    h
}

/// The id of catalogue image `key` in `region`: `ami-0` and 16 hex digits.
pub(crate) fn image_id(region: &str, key: &str) -> String {
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
