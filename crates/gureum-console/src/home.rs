//! The home page: each service the console covers, with how many of its
//! resources the account has in the region.

use crate::html::{esc, list};
use crate::ui::{Page, Ui};
use serde_json::json;
use std::fmt::Write;

/// What the home page counts: label, link, service, operation, the
/// output's list member.
#[rustfmt::skip]
const COUNTED: &[(&str, &str, &str, &str, &str)] = &[
    ("S3 buckets", "/_console/s3", "s3", "ListBuckets", "Buckets"),
    ("EC2 instances", "/_console/ec2/instances", "ec2", "DescribeInstances", "Reservations"),
    ("VPCs", "/_console/vpc", "ec2", "DescribeVpcs", "Vpcs"),
    ("IAM users", "/_console/iam/users", "iam", "ListUsers", "Users"),
    ("IAM roles", "/_console/iam/roles", "iam", "ListRoles", "Roles"),
    ("CloudWatch alarms", "/_console/cloudwatch/alarms", "cloudwatch", "DescribeAlarms", "MetricAlarms"),
    ("Log groups", "/_console/cloudwatch/logs", "logs", "DescribeLogGroups", "logGroups"),
    ("Hosted zones", "/_console/route53", "route53", "ListHostedZones", "HostedZones"),
    ("Lambda functions", "/_console/lambda", "lambda", "ListFunctions", "Functions"),
    ("DynamoDB tables", "/_console/dynamodb", "dynamodb", "ListTables", "TableNames"),
    ("RDS instances", "/_console/rds", "rds", "DescribeDBInstances", "DBInstances"),
    ("Load balancers", "/_console/elb", "elbv2", "DescribeLoadBalancers", "LoadBalancers"),
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
                let more = v.get("IsTruncated") == Some(&serde_json::Value::Bool(true))
                    || [
                        "NextToken",
                        "NextMarker",
                        "ContinuationToken",
                        "nextToken",
                        "LastEvaluatedTableName",
                    ]
                    .iter()
                    .any(|k| {
                        v.get(k)
                            .and_then(|t| t.as_str())
                            .is_some_and(|t| !t.is_empty())
                    });
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
