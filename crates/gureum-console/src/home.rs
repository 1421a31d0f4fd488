//! The home page: each service the console covers, with how many of its
//! resources the account has in the region.

use crate::html::{esc, list};
use crate::ui::{Page, Ui};
use serde_json::json;
use std::fmt::Write;

/// What the home page counts: label, link, service, operation, the
/// output's list member.
const COUNTED: &[(&str, &str, &str, &str, &str)] = &[
    ("S3 buckets", "/_console/s3", "s3", "ListBuckets", "Buckets"),
    (
        "EC2 instances",
        "/_console/ec2/instances",
        "ec2",
        "DescribeInstances",
        "Reservations",
    ),
    ("VPCs", "/_console/vpc", "ec2", "DescribeVpcs", "Vpcs"),
    (
        "IAM users",
        "/_console/iam/users",
        "iam",
        "ListUsers",
        "Users",
    ),
    (
        "IAM roles",
        "/_console/iam/roles",
        "iam",
        "ListRoles",
        "Roles",
    ),
    (
        "CloudWatch alarms",
        "/_console/cloudwatch/alarms",
        "cloudwatch",
        "DescribeAlarms",
        "MetricAlarms",
    ),
    (
        "Log groups",
        "/_console/cloudwatch/logs",
        "logs",
        "DescribeLogGroups",
        "logGroups",
    ),
];

/// `GET /_console/`.
pub async fn page(ui: &Ui<'_>) -> Page {
    let mut body = format!(
        "<p>Acting as the root user of account <strong>{}</strong> in <strong>{}</strong>.</p><ul class=\"cards\">",
        esc(&ui.caller.account),
        esc(&ui.caller.region)
    );
    for (label, href, service, op, member) in COUNTED {
        let count = match ui.call(service, op, json!({})).await {
            Ok(v) if *member == "Reservations" => list(&v, member)
                .iter()
                .map(|r| list(r, "Instances").len())
                .sum::<usize>()
                .to_string(),
            Ok(v) => {
                let n = list(&v, member).len();
                // A listing cut by the service's page size says so.
                let more = ["NextToken", "Marker", "ContinuationToken", "nextToken"]
                    .iter()
                    .any(|k| v.get(k).is_some());
                format!("{n}{}", if more { "+" } else { "" })
            }
            Err(e) => format!("— ({})", e.code),
        };
        let _ = write!(
            body,
            "<li><a href=\"{href}\">{label}</a><span class=\"count\">{}</span></li>",
            esc(&count)
        );
    }
    body.push_str("</ul>");
    Some(ui.page(200, "Console home", "home", &body))
}
