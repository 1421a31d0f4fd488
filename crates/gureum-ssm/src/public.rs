//! AWS's public parameters, answered from Gureum's catalogues: the
//! latest Amazon Linux AMIs of the region
//! (`/aws/service/ami-amazon-linux-latest/…`, from `gureum-ec2`'s image
//! catalogue, so the ids are the ones `DescribeImages --owners amazon`
//! lists) and the global infrastructure
//! (`/aws/service/global-infrastructure/regions|services/…`).
//!
//! They are read-only, version 1, owned by no account (their ARNs have an
//! empty account field, as AWS writes them), and `String` typed.

use gureum_core::region::REGIONS;
use gureum_core::timestamp::parse_iso8601;

/// The prefix under which every public parameter lives.
pub const PREFIX: &str = "/aws/service/";

/// One public parameter.
#[derive(Clone, Debug, PartialEq)]
pub struct PublicParameter {
    /// Its full name.
    pub name: String,
    /// Its value.
    pub value: String,
    /// `text`, or `aws:ec2:image` for an AMI id.
    pub data_type: &'static str,
    /// When it last changed, epoch milliseconds.
    pub modified_ms: i64,
}

/// The Amazon Linux aliases AWS publishes, each with the catalogue image
/// name prefix and architecture it resolves to.
const AMAZON_LINUX: &[(&str, &str, &str)] = &[
    (
        "al2023-ami-kernel-default-x86_64",
        "al2023-ami-2023",
        "x86_64",
    ),
    ("al2023-ami-kernel-6.1-x86_64", "al2023-ami-2023", "x86_64"),
    (
        "al2023-ami-kernel-default-arm64",
        "al2023-ami-2023",
        "arm64",
    ),
    ("al2023-ami-kernel-6.1-arm64", "al2023-ami-2023", "arm64"),
    (
        "amzn2-ami-hvm-x86_64-gp2",
        "amzn2-ami-kernel-5.10-hvm",
        "x86_64",
    ),
    (
        "amzn2-ami-kernel-5.10-hvm-x86_64-gp2",
        "amzn2-ami-kernel-5.10-hvm",
        "x86_64",
    ),
];

/// The services Gureum serves, with AWS's long names.
const SERVICES: &[(&str, &str)] = &[
    ("dynamodb", "Amazon DynamoDB"),
    ("ec2", "Amazon Elastic Compute Cloud (EC2)"),
    ("iam", "AWS Identity and Access Management (IAM)"),
    ("lambda", "AWS Lambda"),
    ("logs", "Amazon CloudWatch Logs"),
    ("route53", "Amazon Route 53"),
    ("s3", "Amazon Simple Storage Service (S3)"),
    ("secretsmanager", "AWS Secrets Manager"),
    ("servicequotas", "Service Quotas"),
    ("ssm", "AWS Systems Manager"),
    ("sts", "AWS Security Token Service (STS)"),
];

/// Every public parameter of `region`, sorted by name.
pub fn parameters(region: &str) -> Vec<PublicParameter> {
    let mut out = Vec::new();
    let images = gureum_ec2::common::catalog_images::catalogue_images(region);
    for (alias, name_prefix, arch) in AMAZON_LINUX {
        let image = images.iter().find(|img| {
            img["Name"]
                .as_str()
                .is_some_and(|n| n.starts_with(name_prefix))
                && img["Architecture"].as_str() == Some(arch)
        });
        if let Some(img) = image {
            out.push(PublicParameter {
                name: format!("{PREFIX}ami-amazon-linux-latest/{alias}"),
                value: img["ImageId"].as_str().unwrap_or_default().to_string(),
                data_type: "aws:ec2:image",
                modified_ms: img["CreationDate"]
                    .as_str()
                    .and_then(parse_iso8601)
                    .unwrap_or_default(),
            });
        }
    }
    let infra = format!("{PREFIX}global-infrastructure");
    let text = |name: String, value: &str| PublicParameter {
        name,
        value: value.to_string(),
        data_type: "text",
        modified_ms: 0,
    };
    for r in REGIONS {
        out.push(text(format!("{infra}/regions/{}", r.name), r.name));
        out.push(text(
            format!("{infra}/regions/{}/longName", r.name),
            r.description,
        ));
        out.push(text(format!("{infra}/regions/{}/partition", r.name), "aws"));
    }
    for (code, long) in SERVICES {
        out.push(text(format!("{infra}/services/{code}"), code));
        out.push(text(format!("{infra}/services/{code}/longName"), long));
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    out
}

/// Whether a `GetParametersByPath` path reads public parameters: a path
/// under `/aws/service/`, or one of its ancestors (`/aws`), compared by
/// whole segments (`/a` is not an ancestor of `/aws`).
pub fn covers(path: &str) -> bool {
    let dir = format!("{}/", path.trim_end_matches('/'));
    dir != "/" && (dir.starts_with(PREFIX) || PREFIX.starts_with(&dir))
}

/// One public parameter of `region` by name.
pub fn find(region: &str, name: &str) -> Option<PublicParameter> {
    if !name.starts_with(PREFIX) {
        return None;
    }
    parameters(region).into_iter().find(|p| p.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amazon_linux_aliases_resolve_to_the_regions_catalogue() {
        let images = gureum_ec2::common::catalog_images::catalogue_images("eu-west-1");
        let p = find(
            "eu-west-1",
            "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64",
        )
        .expect("alias");
        let img = images
            .iter()
            .find(|i| i["ImageId"] == p.value.as_str())
            .expect("in catalogue");
        assert!(img["Name"]
            .as_str()
            .unwrap_or_default()
            .starts_with("al2023"));
        assert_eq!(img["Architecture"], "x86_64");
        let other = find("us-east-1", &p.name).expect("alias");
        assert_ne!(other.value, p.value, "ids differ between regions");
    }

    #[test]
    fn only_whole_segment_ancestors_of_aws_service_read_public_parameters() {
        assert!(covers("/aws"));
        assert!(covers("/aws/service/global-infrastructure/"));
        assert!(!covers("/a"));
        assert!(!covers("/aw"));
        assert!(!covers("/"));
        assert!(!covers("/app"));
    }

    #[test]
    fn regions_and_services_have_long_names() {
        let p = find(
            "us-east-1",
            "/aws/service/global-infrastructure/regions/us-east-1/longName",
        )
        .expect("region");
        assert_eq!(p.value, "US East (N. Virginia)");
        assert!(find(
            "us-east-1",
            "/aws/service/global-infrastructure/services/ssm"
        )
        .is_some());
    }
}
