//! Route 53's seams: EC2's VPCs for private zones, and the DNS server
//! (UDP and TCP on one port) answering from its zones.

use crate::config::Config;
use gureum_core::AwsError;
use gureum_dns::{DnsHandle, DnsServer};
use gureum_ec2::Ec2Service;
use gureum_route53::{Route53Service, VpcDirectory};
use gureum_store::Store;
use std::net::SocketAddr;
use std::sync::Arc;

/// Route 53 over `store`, reading VPCs from EC2 and emitting health
/// checks' metrics to `metrics` (CloudWatch).
pub fn build(
    store: &Store,
    ec2: Arc<Ec2Service>,
    metrics: Arc<dyn gureum_kit::metrics::MetricSink>,
) -> Arc<Route53Service> {
    Arc::new(Route53Service::with_vpcs(store.clone(), Arc::new(Ec2Vpcs(ec2))).with_metrics(metrics))
}

struct Ec2Vpcs(Arc<Ec2Service>);

impl VpcDirectory for Ec2Vpcs {
    fn exists(&self, account: &str, region: &str, id: &str) -> Result<bool, AwsError> {
        self.0.vpc_exists(account, region, id)
    }
}

/// The DNS address `config` asks for: its host, and `--dns-port` or a
/// free port.
pub fn dns_addr(config: &Config) -> SocketAddr {
    SocketAddr::new(config.host, config.dns_port.unwrap_or(0))
}

/// Binds the DNS server's sockets (before anything else starts, so a
/// taken port fails the start).
pub fn bind_dns(config: &Config) -> std::io::Result<DnsServer> {
    DnsServer::bind(dns_addr(config))
}

/// Serves DNS from Route 53's zones until the handle is dropped, and
/// records the address for the health endpoint.
pub fn serve_dns(server: DnsServer, route53: &Route53Service) -> std::io::Result<DnsHandle> {
    let authority = route53.authority();
    let handle = server.serve(authority.clone())?;
    authority.set_served_at(handle.local_addr());
    Ok(handle)
}
