//! The stored records: load balancers, target groups, listeners, rules.
//! Actions and conditions are kept as the model-shaped values the client
//! sent (normalised), since `Describe*` answers them back as they were.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// How long a new load balancer stays `provisioning` on Gureum's clock.
pub const PROVISIONING_MS: i64 = 60_000;

/// One subnet a load balancer is in, with the interface EC2 made there.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Placement {
    /// `subnet-…`.
    pub subnet_id: String,
    /// Its zone (`us-east-1a`).
    pub zone: String,
    /// The `ELB app/NAME/ID` interface (`None` when EC2 made none).
    pub interface_id: Option<String>,
    /// The interface's private address.
    pub private_ip: Option<String>,
}

/// A stored load balancer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LoadBalancer {
    /// The 16-hex id ending its ARN.
    pub id: String,
    /// Its name, unique in the region.
    pub name: String,
    /// Its ARN.
    pub arn: String,
    /// `application` or `network`.
    pub kind: String,
    /// `internet-facing` or `internal`.
    pub scheme: String,
    /// The VPC of its subnets.
    pub vpc_id: String,
    /// The subnets, one per zone.
    pub placements: Vec<Placement>,
    /// Security group ids.
    pub security_groups: Vec<String>,
    /// `ipv4` or `dualstack`.
    pub ip_address_type: String,
    /// The DNS name.
    pub dns_name: String,
    /// When it was made, epoch milliseconds.
    pub created_ms: i64,
    /// Attributes by key (defaults filled in at creation).
    pub attributes: BTreeMap<String, String>,
}

impl LoadBalancer {
    /// `app` or `net`, as in ARNs and metric dimensions.
    pub fn short_kind(&self) -> &'static str {
        if self.kind == "network" {
            "net"
        } else {
            "app"
        }
    }

    /// `app/NAME/ID`: the ARN's tail, CloudWatch's `LoadBalancer` dimension.
    pub fn dimension(&self) -> String {
        format!("{}/{}/{}", self.short_kind(), self.name, self.id)
    }

    /// `provisioning` until [`PROVISIONING_MS`] passed, then `active`.
    pub fn state(&self, now_ms: i64) -> &'static str {
        if now_ms - self.created_ms < PROVISIONING_MS {
            "provisioning"
        } else {
            "active"
        }
    }

    /// Whether deletion protection is on.
    pub fn protected(&self) -> bool {
        self.attributes
            .get("deletion_protection.enabled")
            .is_some_and(|v| v == "true")
    }
}

/// A target group's health check settings.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HealthCheck {
    /// `HealthCheckEnabled`.
    pub enabled: bool,
    /// `HTTP`, `HTTPS` or `TCP` (`None` for lambda targets).
    pub protocol: Option<String>,
    /// `traffic-port` or a port number.
    pub port: String,
    /// The path probed over HTTP.
    pub path: Option<String>,
    /// Seconds between probes.
    pub interval: i64,
    /// Seconds a probe may take.
    pub timeout: i64,
    /// Consecutive passes that make a target healthy.
    pub healthy_threshold: i64,
    /// Consecutive failures that make it unhealthy.
    pub unhealthy_threshold: i64,
    /// `Matcher.HttpCode` (`200`, `200,202`, `200-299`).
    pub matcher: Option<String>,
}

/// A registered target.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Target {
    /// An instance id, an IP address or a function ARN.
    pub id: String,
    /// The port (the group's when not given; none for lambda).
    pub port: Option<i64>,
    /// `AvailabilityZone` as registered.
    pub zone: Option<String>,
    /// When it was registered, epoch milliseconds.
    pub registered_ms: i64,
    /// Set by deregistration: draining until then (Gureum's clock).
    pub draining_until_ms: Option<i64>,
}

/// A stored target group.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TargetGroup {
    /// The 16-hex id ending its ARN.
    pub id: String,
    /// Its name.
    pub name: String,
    /// Its ARN.
    pub arn: String,
    /// `instance`, `ip`, `lambda` or `alb`.
    pub target_type: String,
    /// `HTTP`, `HTTPS`, `TCP`, … (none for lambda).
    pub protocol: Option<String>,
    /// `HTTP1`, `HTTP2`, `GRPC` for HTTP(S) groups.
    pub protocol_version: Option<String>,
    /// The traffic port.
    pub port: Option<i64>,
    /// The VPC.
    pub vpc_id: Option<String>,
    /// `ipv4` or `ipv6`.
    pub ip_address_type: String,
    /// Health check settings.
    pub health: HealthCheck,
    /// Attributes by key.
    pub attributes: BTreeMap<String, String>,
    /// Registered (and draining) targets.
    pub targets: Vec<Target>,
}

impl TargetGroup {
    /// `targetgroup/NAME/ID`: CloudWatch's `TargetGroup` dimension.
    pub fn dimension(&self) -> String {
        format!("targetgroup/{}/{}", self.name, self.id)
    }

    /// The deregistration delay, milliseconds.
    pub fn deregistration_delay_ms(&self) -> i64 {
        self.attributes
            .get("deregistration_delay.timeout_seconds")
            .and_then(|v| v.parse::<i64>().ok())
            .unwrap_or(300)
            * 1000
    }
}

/// A stored listener.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Listener {
    /// The 16-hex id ending its ARN.
    pub id: String,
    /// Its ARN.
    pub arn: String,
    /// The load balancer's ARN.
    pub load_balancer_arn: String,
    /// The port clients use.
    pub port: i64,
    /// `HTTP`, `HTTPS`, `TCP`, `TLS`, `UDP`, `TCP_UDP`.
    pub protocol: String,
    /// Certificates (`CertificateArn`, `IsDefault`), as given.
    pub certificates: Vec<serde_json::Value>,
    /// The SSL policy of HTTPS/TLS listeners.
    pub ssl_policy: Option<String>,
    /// `DefaultActions`, normalised.
    pub default_actions: Vec<serde_json::Value>,
    /// The id of its default rule's ARN.
    pub default_rule_id: String,
    /// The loopback port it was last bound to (kept across restarts).
    pub bound_port: Option<u16>,
}

/// A stored (non-default) rule.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Rule {
    /// The 16-hex id ending its ARN.
    pub id: String,
    /// Its ARN.
    pub arn: String,
    /// The listener's ARN.
    pub listener_arn: String,
    /// 1–50000.
    pub priority: i64,
    /// `Conditions`, normalised.
    pub conditions: Vec<serde_json::Value>,
    /// `Actions`, normalised.
    pub actions: Vec<serde_json::Value>,
}
