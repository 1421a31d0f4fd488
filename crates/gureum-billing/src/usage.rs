//! What a live resource is charged as: AWS's usage types and operations
//! for each kind of [`Metered`] thing, and the names Cost Explorer shows
//! for the price list's services.

use gureum_kit::metering::Metered;

/// Whether a usage accrues per hour or per month (GB-months, IOPS-months).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Per {
    /// `Hrs`: the quantity is hours (times `amount`).
    Hour,
    /// `*-Mo`: the quantity is `amount` times the month's fraction.
    Month,
}

/// One charge a resource accrues.
#[derive(Clone, Debug, PartialEq)]
pub struct Charge {
    /// The price list's service code (`AmazonEC2`).
    pub service: &'static str,
    /// The usage type without its region prefix.
    pub usage_type: String,
    /// The operation.
    pub operation: String,
    /// How many units accrue per hour or per month (GiB, IOPS, 1).
    pub amount: f64,
    /// Per hour or per month.
    pub per: Per,
}

fn charge(service: &'static str, usage: String, op: &str, amount: f64, per: Per) -> Charge {
    Charge {
        service,
        usage_type: usage,
        operation: op.to_string(),
        amount,
        per,
    }
}

/// gp3's included performance, billed only above it.
const GP3_FREE_IOPS: i64 = 3000;
const GP3_FREE_THROUGHPUT: i64 = 125;

/// The charges `what` accrues while it lives.
pub fn charges(what: &Metered) -> Vec<Charge> {
    use Per::{Hour, Month};
    match what {
        // Windows is priced as Linux: the catalogue holds Linux prices.
        Metered::Instance { instance_type, .. } => vec![charge(
            "AmazonEC2",
            format!("BoxUsage:{instance_type}"),
            "RunInstances",
            1.0,
            Hour,
        )],
        Metered::Volume {
            volume_type,
            gib,
            iops,
            throughput,
        } => volume_charges(volume_type, *gib, *iops, *throughput),
        Metered::Snapshot { gib } => vec![charge(
            "AmazonEC2",
            "EBS:SnapshotUsage".into(),
            "CreateSnapshot",
            *gib as f64,
            Month,
        )],
        Metered::PublicIpv4 { in_use: true } => vec![charge(
            "AmazonVPC",
            "PublicIPv4:InUseAddress".into(),
            "AssociateAddressVPC",
            1.0,
            Hour,
        )],
        Metered::PublicIpv4 { in_use: false } => vec![charge(
            "AmazonVPC",
            "PublicIPv4:IdleAddress".into(),
            "AllocateAddressVPC",
            1.0,
            Hour,
        )],
        Metered::NatGateway => vec![charge(
            "AmazonEC2",
            "NatGateway-Hours".into(),
            "NatGateway",
            1.0,
            Hour,
        )],
        Metered::LoadBalancer { kind } => {
            let op = if kind == "network" {
                "LoadBalancing:Network"
            } else {
                "LoadBalancing:Application"
            };
            vec![charge("AWSELB", "LoadBalancerUsage".into(), op, 1.0, Hour)]
        }
        Metered::DbInstance { class, engine, gib } => {
            let code = if engine.contains("postgres") {
                "0014"
            } else {
                "0002"
            };
            vec![
                charge(
                    "AmazonRDS",
                    format!("InstanceUsage:{class}"),
                    &format!("CreateDBInstance:{code}"),
                    1.0,
                    Hour,
                ),
                charge(
                    "AmazonRDS",
                    "RDS:GP2-Storage".into(),
                    "CreateDBInstance",
                    *gib as f64,
                    Month,
                ),
            ]
        }
        Metered::CacheNode { node_type } => vec![charge(
            "AmazonElastiCache",
            format!("NodeUsage:{node_type}"),
            "CreateCacheCluster:0002",
            1.0,
            Hour,
        )],
        Metered::S3Storage {
            storage_class,
            bytes,
        } => {
            let (usage, op) = match storage_class.as_str() {
                "STANDARD_IA" => ("TimedStorage-SIA-ByteHrs", "STANDARD_IAStorage"),
                "ONEZONE_IA" => ("TimedStorage-ZIA-ByteHrs", "ONEZONE_IAStorage"),
                "INTELLIGENT_TIERING" => {
                    ("TimedStorage-INT-FA-ByteHrs", "INTELLIGENT_TIERINGStorage")
                }
                "GLACIER_IR" => ("TimedStorage-GIR-ByteHrs", "GLACIER_IRStorage"),
                "GLACIER" => ("TimedStorage-GlacierByteHrs", "GLACIERStorage"),
                "DEEP_ARCHIVE" => ("TimedStorage-GDA-ByteHrs", "DEEP_ARCHIVEStorage"),
                _ => ("TimedStorage-ByteHrs", "StandardStorage"),
            };
            let gb = *bytes as f64 / (1u64 << 30) as f64;
            vec![charge("AmazonS3", usage.into(), op, gb, Month)]
        }
    }
}

fn volume_charges(
    volume_type: &str,
    gib: i64,
    iops: Option<i64>,
    throughput: Option<i64>,
) -> Vec<Charge> {
    use Per::Month;
    let (usage, op) = match volume_type {
        "gp3" => ("EBS:VolumeUsage.gp3", "CreateVolume-Gp3"),
        "gp2" => ("EBS:VolumeUsage.gp2", "CreateVolume-Gp2"),
        "io1" => ("EBS:VolumeUsage.piops", "CreateVolume-P-IOPS"),
        "io2" => ("EBS:VolumeUsage.io2", "CreateVolume-io2"),
        "st1" => ("EBS:VolumeUsage.st1", "CreateVolume-st1"),
        "sc1" => ("EBS:VolumeUsage.sc1", "CreateVolume-sc1"),
        _ => ("EBS:VolumeUsage", "CreateVolume"),
    };
    let mut out = vec![charge("AmazonEC2", usage.into(), op, gib as f64, Month)];
    let iops = iops.unwrap_or(0);
    match volume_type {
        "io1" => out.push(charge(
            "AmazonEC2",
            "EBS:VolumeP-IOPS.piops".into(),
            op,
            iops as f64,
            Month,
        )),
        "io2" => out.push(charge(
            "AmazonEC2",
            "EBS:VolumeP-IOPS.io2".into(),
            op,
            iops as f64,
            Month,
        )),
        "gp3" => {
            if iops > GP3_FREE_IOPS {
                out.push(charge(
                    "AmazonEC2",
                    "EBS:VolumeP-IOPS.gp3".into(),
                    op,
                    (iops - GP3_FREE_IOPS) as f64,
                    Month,
                ));
            }
            let mibps = throughput.unwrap_or(GP3_FREE_THROUGHPUT);
            if mibps > GP3_FREE_THROUGHPUT {
                out.push(charge(
                    "AmazonEC2",
                    "EBS:VolumeP-Throughput.gp3".into(),
                    op,
                    (mibps - GP3_FREE_THROUGHPUT) as f64,
                    Month,
                ));
            }
        }
        _ => {}
    }
    out
}

/// Cost Explorer's `SERVICE` name for a line item.
pub fn service_name(service_code: &str, usage_type: &str) -> &'static str {
    match service_code {
        "AmazonEC2" if usage_type.contains("BoxUsage") => "Amazon Elastic Compute Cloud - Compute",
        "AmazonEC2" => "EC2 - Other",
        "AmazonVPC" => "Amazon Virtual Private Cloud",
        "AWSELB" => "Amazon Elastic Load Balancing",
        "AmazonS3" => "Amazon Simple Storage Service",
        "AWSLambda" => "AWS Lambda",
        "AmazonDynamoDB" => "Amazon DynamoDB",
        "AmazonRDS" => "Amazon Relational Database Service",
        "AmazonElastiCache" => "Amazon ElastiCache",
        "AmazonCloudWatch" => "AmazonCloudWatch",
        "AmazonRoute53" => "Amazon Route 53",
        "awskms" => "AWS Key Management Service",
        "AWSQueueService" => "Amazon Simple Queue Service",
        "AmazonSNS" => "Amazon Simple Notification Service",
        _ => "Other",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gp3_bills_iops_and_throughput_only_above_the_baseline() {
        let base = charges(&Metered::Volume {
            volume_type: "gp3".into(),
            gib: 50,
            iops: Some(3000),
            throughput: Some(125),
        });
        assert_eq!(base.len(), 1);
        let more = charges(&Metered::Volume {
            volume_type: "gp3".into(),
            gib: 50,
            iops: Some(4000),
            throughput: Some(200),
        });
        assert_eq!(more[1].amount, 1000.0);
        assert_eq!(more[2].amount, 75.0);
    }

    #[test]
    fn every_charge_has_a_catalogue_price_for_known_types() {
        let c = crate::catalogue::Catalogue::get();
        for what in [
            Metered::Instance {
                instance_type: "m6i.large".into(),
                platform: None,
            },
            Metered::NatGateway,
            Metered::PublicIpv4 { in_use: false },
            Metered::Snapshot { gib: 8 },
            Metered::S3Storage {
                storage_class: "GLACIER".into(),
                bytes: 1,
            },
        ] {
            for ch in charges(&what) {
                assert!(
                    c.product(ch.service, &ch.usage_type, &ch.operation)
                        .is_some(),
                    "{ch:?}"
                );
            }
        }
    }
}
