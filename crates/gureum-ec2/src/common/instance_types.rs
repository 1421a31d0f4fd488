//! The instance-type catalogue: `DescribeInstanceTypes` and
//! `DescribeInstanceTypeOfferings`.
//!
//! The figures live in [`data`] (one row per size, family traits shared);
//! this module turns them into `InstanceTypeInfo` values once and answers
//! filters and pagination over them. Every type is offered in every region
//! and AZ, except the families [`data::SELECT_REGIONS`] limits (inf2, p4d,
//! x2idn), which only those regions offer.

mod data;

use crate::common::errors::Ec2Error;
use crate::common::filter::{self, Filter};
use data::{Family, Size, FAMILIES};
use gureum_core::arn::wildcard_match;
use gureum_core::region::{self, REGIONS};
use gureum_core::{AwsError, OpResult, RequestContext, Value};
use serde_json::json;
use std::sync::OnceLock;

/// One catalogued type: its name, the regions offering it (`None`: all)
/// and its `InstanceTypeInfo`.
pub struct CatalogType {
    /// `t3.micro`.
    pub name: String,
    regions: Option<&'static [&'static str]>,
    /// The `InstanceTypeInfo` value (model member names).
    pub info: Value,
}

impl CatalogType {
    /// Whether `region` offers this type.
    pub fn offered_in(&self, region: &str) -> bool {
        self.regions.is_none_or(|r| r.contains(&region))
    }
}

/// Every catalogued type, in catalogue order.
pub fn catalogue() -> &'static [CatalogType] {
    static ALL: OnceLock<Vec<CatalogType>> = OnceLock::new();
    ALL.get_or_init(|| {
        FAMILIES
            .iter()
            .flat_map(|f| {
                f.sizes.iter().map(move |s| CatalogType {
                    name: format!("{}.{}", f.name, s.size),
                    regions: f.regions,
                    info: info(f, s),
                })
            })
            .collect()
    })
}

/// Looks a type up by name.
pub fn find(name: &str) -> Option<&'static CatalogType> {
    catalogue().iter().find(|t| t.name == name)
}

fn info(f: &Family, s: &Size) -> Value {
    let name = format!("{}.{}", f.name, s.size);
    let metal = s.size.starts_with("metal");
    let tpc = if metal {
        f.threads_per_core.min(2)
    } else {
        f.threads_per_core
    };
    let cores = (s.vcpus / tpc).max(1);
    let has_storage = s.disks.0 > 0;
    let free_tier = name == "t2.micro" || name == "t3.micro";
    let architectures: Vec<&str> =
        if f.name == "t2" && !matches!(s.size, "nano" | "micro" | "small" | "medium") {
            vec!["x86_64"]
        } else {
            f.architectures.to_vec()
        };
    let mut root_types = vec!["ebs"];
    if has_storage && f.hypervisor == "xen" {
        root_types.push("instance-store");
    }
    let efa = f.efa_sizes.contains(&s.size);
    let cards = if f.name == "p4d" { 4 } else { 1 };
    let mut network = json!({
        "NetworkPerformance": s.network,
        "MaximumNetworkInterfaces": s.max_enis,
        "MaximumNetworkCards": cards,
        "DefaultNetworkCardIndex": 0,
        "NetworkCards": (0..cards).map(|i| json!({
            "NetworkCardIndex": i,
            "NetworkPerformance": if cards > 1 { "100 Gigabit" } else { s.network },
            "MaximumNetworkInterfaces": s.max_enis / cards,
        })).collect::<Vec<_>>(),
        "Ipv4AddressesPerInterface": s.ipv4_per_eni,
        "Ipv6AddressesPerInterface": s.ipv4_per_eni,
        "Ipv6Supported": true,
        "EnaSupport": f.ena,
        "EfaSupported": efa,
    });
    if efa {
        network["EfaInfo"] = json!({"MaximumEfaInterfaces": if f.name == "p4d" { 4 } else { 1 }});
    }
    let mut v = json!({
        "InstanceType": name,
        "CurrentGeneration": true,
        "FreeTierEligible": free_tier,
        "SupportedUsageClasses": ["on-demand", "spot"],
        "SupportedRootDeviceTypes": root_types,
        "SupportedVirtualizationTypes": ["hvm"],
        "BareMetal": metal,
        "ProcessorInfo": {
            "SupportedArchitectures": architectures,
            "SustainedClockSpeedInGhz": f.clock_ghz,
            "Manufacturer": f.manufacturer,
        },
        "VCpuInfo": {
            "DefaultVCpus": s.vcpus,
            "DefaultCores": cores,
            "DefaultThreadsPerCore": tpc,
        },
        "MemoryInfo": {"SizeInMiB": s.memory_mib},
        "InstanceStorageSupported": has_storage,
        "EbsInfo": {
            "EbsOptimizedSupport": f.ebs_optimized,
            "EncryptionSupport": "supported",
            "NvmeSupport": f.ebs_nvme,
        },
        "NetworkInfo": network,
        "PlacementGroupInfo": {
            "SupportedStrategies": if f.burstable {
                vec!["partition", "spread"]
            } else {
                vec!["cluster", "partition", "spread"]
            },
        },
        "HibernationSupported": !metal
            && f.gpu.is_none()
            && !f.neuron
            && !has_storage
            && s.memory_mib <= 150 * 1024,
        "BurstablePerformanceSupported": f.burstable,
        "DedicatedHostsSupported": !f.burstable,
        "AutoRecoverySupported": !has_storage && f.gpu.is_none() && !f.neuron,
        "SupportedBootModes": f.boot_modes,
    });
    if !metal {
        v["Hypervisor"] = json!(f.hypervisor);
        let valid_cores: Vec<u32> = if tpc == 1 {
            (1..=cores).collect()
        } else {
            (1..=cores).filter(|c| *c == 1 || c % 2 == 0).collect()
        };
        v["VCpuInfo"]["ValidCores"] = json!(valid_cores);
        v["VCpuInfo"]["ValidThreadsPerCore"] = json!(if tpc == 2 { vec![1, 2] } else { vec![1] });
    }
    if has_storage {
        let (count, gb) = s.disks;
        v["InstanceStorageInfo"] = json!({
            "TotalSizeInGB": count as u64 * gb,
            "Disks": [{"SizeInGB": gb, "Count": count, "Type": f.disk_type}],
            "NvmeSupport": "required",
            "EncryptionSupport": if f.hypervisor == "nitro" { "required" } else { "unsupported" },
        });
    }
    if let Some((gpu, maker, mem)) = f.gpu {
        v["GpuInfo"] = json!({
            "Gpus": [{
                "Name": gpu,
                "Manufacturer": maker,
                "Count": s.accel,
                "MemoryInfo": {"SizeInMiB": mem},
            }],
            "TotalGpuMemoryInMiB": s.accel * mem,
        });
    }
    if f.neuron {
        v["NeuronInfo"] = json!({
            "NeuronDevices": [{
                "Count": s.accel,
                "Name": "Inferentia2",
                "CoreInfo": {"Count": 2, "Version": 2},
                "MemoryInfo": {"SizeInMiB": 32768},
            }],
            "TotalNeuronDeviceMemoryInMiB": s.accel * 32768,
        });
    }
    v
}

/// Whether a value passes every filter; `field` gives its values for a
/// filter name as owned strings.
pub(crate) fn matches_owned(filters: &[Filter], field: impl Fn(&str) -> Vec<String>) -> bool {
    filters.iter().all(|f| {
        let have = field(&f.name);
        f.values
            .iter()
            .any(|want| have.iter().any(|h| wildcard_match(want, h)))
    })
}

/// The text values at a path of member names in a value; lists are
/// flattened, booleans and numbers written as EC2's filters compare them.
pub(crate) fn texts_at(v: &Value, path: &[&str]) -> Vec<String> {
    let Some((first, rest)) = path.split_first() else {
        return match v {
            Value::String(s) => vec![s.clone()],
            Value::Bool(b) => vec![b.to_string()],
            Value::Number(n) => vec![n.to_string()],
            Value::Array(items) => items.iter().flat_map(|i| texts_at(i, &[])).collect(),
            _ => vec![],
        };
    };
    match v {
        Value::Array(items) => items.iter().flat_map(|i| texts_at(i, path)).collect(),
        Value::Object(m) => m.get(*first).map(|c| texts_at(c, rest)).unwrap_or_default(),
        _ => vec![],
    }
}

/// `MaxResults` and `NextToken` over a list of `len` items: the range to
/// return and the next token. `bounds` are the model's (min, max) for
/// `MaxResults`; `default` is the page size without it (`None`: all).
pub(crate) fn page(
    input: &Value,
    len: usize,
    bounds: (u64, u64),
    default: Option<usize>,
) -> Result<(std::ops::Range<usize>, Option<String>), AwsError> {
    let start = match input.get("NextToken").and_then(Value::as_str) {
        None | Some("") => 0,
        Some(t) => parse_token(t)
            .filter(|s| *s <= len)
            .ok_or_else(|| AwsError::from(Ec2Error::InvalidPaginationToken { t: t.to_string() }))?,
    };
    let size = match input.get("MaxResults").and_then(Value::as_u64) {
        Some(n) if n < bounds.0 || n > bounds.1 => {
            return Err(AwsError::from(Ec2Error::InvalidParameterValue { message: format!(
                    "Value ( {n} ) for parameter maxResults is invalid. Parameter must be between {} and {}.",
                    bounds.0, bounds.1
                ) }))
        }
        Some(n) => n as usize,
        None => default.unwrap_or(usize::MAX),
    };
    let end = start.saturating_add(size).min(len);
    let next = (end < len).then(|| make_token(end));
    Ok((start..end, next))
}

fn make_token(offset: usize) -> String {
    // An opaque-looking token: the offset and a check, in hex.
    let check = (offset as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 40;
    format!("{check:06x}{offset:08x}")
}

fn parse_token(token: &str) -> Option<usize> {
    if token.len() != 14 || !token.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let offset = usize::from_str_radix(&token[6..], 16).ok()?;
    (make_token(offset) == token.to_ascii_lowercase()).then_some(offset)
}

const TYPE_FILTERS: &[(&str, &[&str])] = &[
    ("instance-type", &["InstanceType"]),
    ("current-generation", &["CurrentGeneration"]),
    ("free-tier-eligible", &["FreeTierEligible"]),
    ("bare-metal", &["BareMetal"]),
    (
        "burstable-performance-supported",
        &["BurstablePerformanceSupported"],
    ),
    ("auto-recovery-supported", &["AutoRecoverySupported"]),
    ("dedicated-hosts-supported", &["DedicatedHostsSupported"]),
    ("hibernation-supported", &["HibernationSupported"]),
    ("hypervisor", &["Hypervisor"]),
    ("supported-usage-class", &["SupportedUsageClasses"]),
    ("supported-root-device-type", &["SupportedRootDeviceTypes"]),
    (
        "supported-virtualization-type",
        &["SupportedVirtualizationTypes"],
    ),
    ("supported-boot-mode", &["SupportedBootModes"]),
    (
        "processor-info.supported-architecture",
        &["ProcessorInfo", "SupportedArchitectures"],
    ),
    (
        "processor-info.sustained-clock-speed-in-ghz",
        &["ProcessorInfo", "SustainedClockSpeedInGhz"],
    ),
    (
        "processor-info.manufacturer",
        &["ProcessorInfo", "Manufacturer"],
    ),
    ("vcpu-info.default-vcpus", &["VCpuInfo", "DefaultVCpus"]),
    ("vcpu-info.default-cores", &["VCpuInfo", "DefaultCores"]),
    (
        "vcpu-info.default-threads-per-core",
        &["VCpuInfo", "DefaultThreadsPerCore"],
    ),
    ("vcpu-info.valid-cores", &["VCpuInfo", "ValidCores"]),
    (
        "vcpu-info.valid-threads-per-core",
        &["VCpuInfo", "ValidThreadsPerCore"],
    ),
    ("memory-info.size-in-mib", &["MemoryInfo", "SizeInMiB"]),
    ("instance-storage-supported", &["InstanceStorageSupported"]),
    (
        "instance-storage-info.disk.count",
        &["InstanceStorageInfo", "Disks", "Count"],
    ),
    (
        "instance-storage-info.disk.size-in-gb",
        &["InstanceStorageInfo", "Disks", "SizeInGB"],
    ),
    (
        "instance-storage-info.disk.type",
        &["InstanceStorageInfo", "Disks", "Type"],
    ),
    (
        "instance-storage-info.nvme-support",
        &["InstanceStorageInfo", "NvmeSupport"],
    ),
    (
        "instance-storage-info.total-size-in-gb",
        &["InstanceStorageInfo", "TotalSizeInGB"],
    ),
    (
        "ebs-info.ebs-optimized-support",
        &["EbsInfo", "EbsOptimizedSupport"],
    ),
    (
        "ebs-info.encryption-support",
        &["EbsInfo", "EncryptionSupport"],
    ),
    ("ebs-info.nvme-support", &["EbsInfo", "NvmeSupport"]),
    (
        "network-info.network-performance",
        &["NetworkInfo", "NetworkPerformance"],
    ),
    (
        "network-info.maximum-network-interfaces",
        &["NetworkInfo", "MaximumNetworkInterfaces"],
    ),
    (
        "network-info.maximum-network-cards",
        &["NetworkInfo", "MaximumNetworkCards"],
    ),
    (
        "network-info.ipv4-addresses-per-interface",
        &["NetworkInfo", "Ipv4AddressesPerInterface"],
    ),
    (
        "network-info.ipv6-addresses-per-interface",
        &["NetworkInfo", "Ipv6AddressesPerInterface"],
    ),
    (
        "network-info.ipv6-supported",
        &["NetworkInfo", "Ipv6Supported"],
    ),
    ("network-info.ena-support", &["NetworkInfo", "EnaSupport"]),
    (
        "network-info.efa-supported",
        &["NetworkInfo", "EfaSupported"],
    ),
    (
        "placement-group-info.supported-strategy",
        &["PlacementGroupInfo", "SupportedStrategies"],
    ),
    (
        "gpu-info.total-gpu-memory-in-mib",
        &["GpuInfo", "TotalGpuMemoryInMiB"],
    ),
    (
        "neuron-info.neuron-device.count",
        &["NeuronInfo", "NeuronDevices", "Count"],
    ),
    (
        "neuron-info.neuron-device.name",
        &["NeuronInfo", "NeuronDevices", "Name"],
    ),
];

fn strings<'a>(input: &'a Value, member: &str) -> Vec<&'a str> {
    input
        .get(member)
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}

/// `DescribeInstanceTypes`: `InstanceTypes`, the filters of
/// [`TYPE_FILTERS`], `MaxResults` (5–100, 100 by default) and `NextToken`.
/// Types the request's region does not offer are left out unless
/// `IncludeUnsupportedInRegion`, which marks each with `SupportedInRegion`.
pub fn describe_instance_types(ctx: &RequestContext, input: &Value) -> OpResult {
    let names = strings(input, "InstanceTypes");
    let include_unsupported = input
        .get("IncludeUnsupportedInRegion")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let region = ctx.region.as_str();
    let unknown: Vec<&str> = names
        .iter()
        .copied()
        .filter(|n| !find(n).is_some_and(|t| include_unsupported || t.offered_in(region)))
        .collect();
    if !unknown.is_empty() {
        return Err(AwsError::from(Ec2Error::InvalidInstanceType {
            message: format!(
                "The following supplied instance types do not exist: [{}]",
                unknown.join(", ")
            ),
        }));
    }
    let filters = filter::parse(input);
    let supported: Vec<&str> = TYPE_FILTERS.iter().map(|(n, _)| *n).collect();
    filter::check_names(&filters, &supported)?;
    let selected: Vec<&CatalogType> = catalogue()
        .iter()
        .filter(|t| include_unsupported || t.offered_in(region))
        .filter(|t| names.is_empty() || names.contains(&t.name.as_str()))
        .filter(|t| {
            matches_owned(&filters, |name| {
                TYPE_FILTERS
                    .iter()
                    .find(|(n, _)| *n == name)
                    .map(|(_, path)| texts_at(&t.info, path))
                    .unwrap_or_default()
            })
        })
        .collect();
    let (range, next) = page(input, selected.len(), (5, 100), Some(100))?;
    let out: Vec<Value> = selected[range]
        .iter()
        .map(|t| {
            let mut info = t.info.clone();
            if include_unsupported {
                info["SupportedInRegion"] = json!(t.offered_in(region));
            }
            info
        })
        .collect();
    let mut result = json!({ "InstanceTypes": out });
    if let Some(token) = next {
        result["NextToken"] = json!(token);
    }
    Ok(result)
}

/// `DescribeInstanceTypeOfferings`: the types offered in the request's
/// region (`LocationType` `region`, the default) or in each of its AZs
/// (`availability-zone`, `availability-zone-id`); filters `location` and
/// `instance-type`; `MaxResults` 5–1000 and `NextToken`.
pub fn describe_instance_type_offerings(ctx: &RequestContext, input: &Value) -> OpResult {
    let location_type = input
        .get("LocationType")
        .and_then(Value::as_str)
        .unwrap_or("region");
    let filters = filter::parse(input);
    filter::check_names(&filters, &["location", "instance-type"])?;
    let region = region::find(&ctx.region).ok_or_else(|| {
        AwsError::from(Ec2Error::InvalidParameterValue {
            message: format!("Invalid region: [{}]", ctx.region),
        })
    })?;
    let locations: Vec<String> = match location_type {
        "region" => vec![region.name.to_string()],
        "availability-zone" => region::zones_for_account(region, &ctx.account_id)
            .into_iter()
            .map(|z| z.name)
            .collect(),
        "availability-zone-id" => region::zones_for_account(region, &ctx.account_id)
            .into_iter()
            .map(|z| z.zone_id)
            .collect(),
        // Gureum has no Outposts.
        "outpost" => vec![],
        other => {
            return Err(AwsError::from(Ec2Error::InvalidParameterValue {
                message: format!("Value ({other}) for parameter locationType is invalid."),
            }))
        }
    };
    let mut offerings = Vec::new();
    for location in &locations {
        for t in catalogue().iter().filter(|t| t.offered_in(region.name)) {
            let keep = filter::matches(&filters, |f| match f {
                "location" => vec![location.as_str()],
                "instance-type" => vec![t.name.as_str()],
                _ => vec![],
            });
            if keep {
                offerings.push(json!({
                    "InstanceType": t.name,
                    "LocationType": location_type,
                    "Location": location,
                }));
            }
        }
    }
    let (range, next) = page(input, offerings.len(), (5, 1000), Some(1000))?;
    let mut result = json!({ "InstanceTypeOfferings": offerings[range].to_vec() });
    if let Some(token) = next {
        result["NextToken"] = json!(token);
    }
    Ok(result)
}

/// Regions that offer `name` (every region for most types).
pub fn regions_offering(name: &str) -> Vec<&'static str> {
    let Some(t) = find(name) else { return vec![] };
    REGIONS
        .iter()
        .map(|r| r.name)
        .filter(|r| t.offered_in(r))
        .collect()
}

impl crate::Ec2Service {
    pub(crate) fn describe_instance_types(&self, ctx: &RequestContext, input: Value) -> OpResult {
        describe_instance_types(ctx, &input)
    }

    pub(crate) fn describe_instance_type_offerings(
        &self,
        ctx: &RequestContext,
        input: Value,
    ) -> OpResult {
        describe_instance_type_offerings(ctx, &input)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use gureum_core::Clock;

    fn ctx(region: &str) -> RequestContext {
        RequestContext::root("000000000000", region, Clock::system())
    }

    fn types(region: &str, input: Value) -> Vec<Value> {
        describe_instance_types(&ctx(region), &input).expect("ok")["InstanceTypes"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    }

    fn names(list: &[Value]) -> Vec<String> {
        list.iter()
            .map(|t| t["InstanceType"].as_str().unwrap_or_default().to_string())
            .collect()
    }

    #[test]
    fn catalogue_has_at_least_120_types_with_unique_names() {
        let all = catalogue();
        assert!(all.len() >= 120, "{}", all.len());
        let mut seen = std::collections::HashSet::new();
        for t in all {
            assert!(seen.insert(&t.name), "duplicate {}", t.name);
        }
    }

    #[test]
    fn t3_micro_is_free_tier_eligible() {
        let list = types(
            "us-east-1",
            json!({"InstanceTypes": ["t3.micro", "t2.micro", "t4g.micro", "t3.small"]}),
        );
        for t in &list {
            let free = matches!(t["InstanceType"].as_str(), Some("t3.micro" | "t2.micro"));
            assert_eq!(t["FreeTierEligible"], json!(free), "{}", t["InstanceType"]);
        }
        let t3 = &list[names(&list)
            .iter()
            .position(|n| n == "t3.micro")
            .expect("t3.micro")];
        assert_eq!(t3["VCpuInfo"]["DefaultVCpus"], 2);
        assert_eq!(t3["MemoryInfo"]["SizeInMiB"], 1024);
        assert_eq!(t3["NetworkInfo"]["NetworkPerformance"], "Up to 5 Gigabit");
        assert_eq!(t3["Hypervisor"], "nitro");
        assert_eq!(t3["BurstablePerformanceSupported"], true);
    }

    #[test]
    fn unknown_instance_type_is_invalid() {
        let err = describe_instance_types(
            &ctx("us-east-1"),
            &json!({"InstanceTypes": ["t3.micro", "t3.huge"]}),
        )
        .expect_err("invalid");
        assert_eq!(err.code, "InvalidInstanceType");
        assert_eq!(
            err.message,
            "The following supplied instance types do not exist: [t3.huge]"
        );
    }

    #[test]
    fn m7g_is_arm64_only() {
        let list = types(
            "us-east-1",
            json!({"Filters": [{"Name": "instance-type", "Values": ["m7g.*"]}]}),
        );
        assert_eq!(list.len(), 9);
        for t in &list {
            assert_eq!(
                t["ProcessorInfo"]["SupportedArchitectures"],
                json!(["arm64"])
            );
            assert_eq!(t["ProcessorInfo"]["Manufacturer"], "AWS");
        }
    }

    #[test]
    fn t2_small_sizes_run_32_bit_on_xen() {
        let list = types(
            "us-east-1",
            json!({"InstanceTypes": ["t2.micro", "t2.large"]}),
        );
        assert_eq!(
            list[0]["ProcessorInfo"]["SupportedArchitectures"],
            json!(["i386", "x86_64"])
        );
        assert_eq!(list[0]["Hypervisor"], "xen");
        assert_eq!(
            list[1]["ProcessorInfo"]["SupportedArchitectures"],
            json!(["x86_64"])
        );
    }

    #[test]
    fn filters_combine_with_and() {
        let list = types(
            "us-east-1",
            json!({"Filters": [
                {"Name": "processor-info.supported-architecture", "Values": ["arm64"]},
                {"Name": "vcpu-info.default-vcpus", "Values": ["2"]},
                {"Name": "burstable-performance-supported", "Values": ["true"]}
            ]}),
        );
        assert_eq!(
            names(&list),
            [
                "t4g.nano",
                "t4g.micro",
                "t4g.small",
                "t4g.medium",
                "t4g.large"
            ]
        );
        let free = types(
            "us-east-1",
            json!({"Filters": [{"Name": "free-tier-eligible", "Values": ["true"]}]}),
        );
        assert_eq!(names(&free), ["t2.micro", "t3.micro"]);
        let storage = types(
            "us-east-1",
            json!({"Filters": [{"Name": "instance-storage-info.disk.type", "Values": ["hdd"]}]}),
        );
        assert_eq!(
            names(&storage),
            ["d3.xlarge", "d3.2xlarge", "d3.4xlarge", "d3.8xlarge"]
        );
    }

    #[test]
    fn unknown_filters_are_refused() {
        let err = describe_instance_types(
            &ctx("us-east-1"),
            &json!({"Filters": [{"Name": "colour", "Values": ["red"]}]}),
        )
        .expect_err("invalid");
        assert_eq!(err.code, "InvalidParameterValue");
    }

    #[test]
    fn pages_cover_every_type_once() {
        let mut token: Option<String> = None;
        let mut seen = Vec::new();
        loop {
            let mut input = json!({"MaxResults": 7});
            if let Some(t) = &token {
                input["NextToken"] = json!(t);
            }
            let out = describe_instance_types(&ctx("us-east-1"), &input).expect("page");
            let page = out["InstanceTypes"].as_array().expect("list");
            assert!(page.len() <= 7);
            seen.extend(names(page));
            match out.get("NextToken").and_then(Value::as_str) {
                Some(t) => token = Some(t.to_string()),
                None => break,
            }
        }
        assert_eq!(seen.len(), catalogue().len());
        let bad = describe_instance_types(&ctx("us-east-1"), &json!({"NextToken": "nope"}));
        assert_eq!(
            bad.map_err(|e| e.code),
            Err("InvalidPaginationToken".into())
        );
        let small = describe_instance_types(&ctx("us-east-1"), &json!({"MaxResults": 3}));
        assert_eq!(
            small.map_err(|e| e.code),
            Err("InvalidParameterValue".into())
        );
    }

    #[test]
    fn accelerated_families_are_offered_in_select_regions_only() {
        assert!(find("p4d.24xlarge").is_some_and(|t| t.offered_in("us-east-1")));
        assert!(!find("p4d.24xlarge").is_some_and(|t| t.offered_in("af-south-1")));
        assert_eq!(
            regions_offering("inf2.xlarge").len(),
            data::SELECT_REGIONS.len()
        );
        let err = describe_instance_types(
            &ctx("af-south-1"),
            &json!({"InstanceTypes": ["inf2.xlarge"]}),
        );
        assert_eq!(err.map_err(|e| e.code), Err("InvalidInstanceType".into()));
        let list = types(
            "af-south-1",
            json!({"InstanceTypes": ["inf2.xlarge"], "IncludeUnsupportedInRegion": true}),
        );
        assert_eq!(list[0]["SupportedInRegion"], false);
        assert_eq!(list[0]["NeuronInfo"]["TotalNeuronDeviceMemoryInMiB"], 32768);
    }

    #[test]
    fn gpu_types_report_their_gpus() {
        let list = types(
            "us-east-1",
            json!({"InstanceTypes": ["p4d.24xlarge", "g5.48xlarge"]}),
        );
        assert_eq!(list[0]["GpuInfo"]["Gpus"][0]["Name"], "A100");
        assert_eq!(list[0]["GpuInfo"]["Gpus"][0]["Count"], 8);
        assert_eq!(list[1]["GpuInfo"]["TotalGpuMemoryInMiB"], 8 * 22888);
        assert_eq!(list[1]["InstanceStorageInfo"]["TotalSizeInGB"], 7600);
    }

    #[test]
    fn offerings_list_each_zone() {
        let out = describe_instance_type_offerings(
            &ctx("ap-northeast-2"),
            &json!({"LocationType": "availability-zone",
                    "Filters": [{"Name": "instance-type", "Values": ["t3.micro"]}]}),
        )
        .expect("ok");
        let locations: Vec<&str> = out["InstanceTypeOfferings"]
            .as_array()
            .expect("list")
            .iter()
            .filter_map(|o| o["Location"].as_str())
            .collect();
        assert_eq!(
            locations,
            [
                "ap-northeast-2a",
                "ap-northeast-2b",
                "ap-northeast-2c",
                "ap-northeast-2d"
            ]
        );
        let regional =
            describe_instance_type_offerings(&ctx("af-south-1"), &json!({})).expect("ok");
        let n = regional["InstanceTypeOfferings"]
            .as_array()
            .map(Vec::len)
            .unwrap_or(0);
        let limited = catalogue()
            .iter()
            .filter(|t| !t.offered_in("af-south-1"))
            .count();
        assert_eq!(n, catalogue().len() - limited);
        assert!(limited > 0);
    }
}
