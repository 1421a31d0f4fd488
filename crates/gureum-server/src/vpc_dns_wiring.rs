//! The VPCs' Amazon-provided resolvers (`gureum_instances::resolver`)
//! answered from Route 53's zones: private hosted zones by the VPC the
//! query was asked in, and EC2's private DNS names (`ip-10-0-1-5.ec2.internal`,
//! `ip-10-0-1-5.REGION.compute.internal`) from the name itself.
//!
//! Route 53's authority knows the asking VPC through its
//! `set_vpc_of_source` hook; two VPCs may share addresses, so the hook
//! reads the VPC of the query this thread is answering (set just before,
//! on the same thread) rather than guessing from the source address.
//! Queries to Gureum's own DNS port come from no VPC and see no private
//! zone.

use gureum_dns::wire::{Answer, Question, RData, Rcode, Record, RecordType};
use gureum_dns::Authority;
use gureum_instances::resolver::{AskingVpc, Resolve};
use gureum_route53::authority::DnsAuthority;
use gureum_route53::VpcRef;
use std::cell::RefCell;
use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;

thread_local! {
    /// The VPC of the query this thread is answering.
    static ASKING: RefCell<Option<VpcRef>> = const { RefCell::new(None) };
}

/// The resolver the instance fabric calls, over `authority`.
pub fn resolver(authority: Arc<DnsAuthority>) -> Resolve {
    authority.set_vpc_of_source(Arc::new(|_| ASKING.with(|a| a.borrow().clone())));
    Arc::new(
        move |vpc: &AskingVpc, source: IpAddr, packet: &[u8], tcp: bool| {
            ASKING.with(|a| {
                *a.borrow_mut() = Some(VpcRef {
                    region: vpc.region.clone(),
                    id: vpc.vpc_id.clone(),
                })
            });
            let in_vpc = InVpc {
                zones: authority.clone(),
                region: vpc.region.clone(),
            };
            let reply = gureum_dns::handle_packet(packet, source, &in_vpc, tcp);
            ASKING.with(|a| *a.borrow_mut() = None);
            reply
        },
    )
}

/// Route 53's zones, with EC2's private DNS names answered first.
struct InVpc {
    zones: Arc<DnsAuthority>,
    region: String,
}

impl Authority for InVpc {
    fn answer(&self, question: &Question, source: IpAddr) -> Answer {
        match private_dns_name(&question.name, &self.region) {
            Some(ip) => {
                let mut answer = Answer::code(Rcode::NoError);
                answer.authoritative = true;
                if question.qtype == RecordType::A || question.qtype == 255 {
                    answer.answers.push(Record {
                        name: question.name.clone(),
                        rtype: RecordType::A,
                        ttl: 60,
                        data: RData::A(ip),
                    });
                }
                answer
            }
            None => self.zones.answer(question, source),
        }
    }
}

/// The address in an EC2 private DNS name of `region`
/// (`ip-10-0-1-5.ec2.internal.` in us-east-1, else
/// `ip-10-0-1-5.REGION.compute.internal.`).
pub fn private_dns_name(name: &str, region: &str) -> Option<Ipv4Addr> {
    let name = name.trim_end_matches('.').to_ascii_lowercase();
    let (host, domain) = name.split_once('.')?;
    let ours = if region == "us-east-1" {
        domain == "ec2.internal"
    } else {
        domain == format!("{region}.compute.internal")
    };
    if !ours {
        return None;
    }
    host.strip_prefix("ip-")?.replace('-', ".").parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_dns_names_of_the_region_carry_their_address() {
        assert_eq!(
            private_dns_name("ip-10-0-1-5.ec2.internal.", "us-east-1"),
            Some(Ipv4Addr::new(10, 0, 1, 5))
        );
        assert_eq!(
            private_dns_name("IP-172-31-0-9.eu-west-1.compute.internal", "eu-west-1"),
            Some(Ipv4Addr::new(172, 31, 0, 9))
        );
        assert_eq!(
            private_dns_name("ip-10-0-1-5.ec2.internal.", "eu-west-1"),
            None
        );
        assert_eq!(
            private_dns_name("ip-10-0-1.ec2.internal.", "us-east-1"),
            None
        );
        assert_eq!(private_dns_name("www.example.com.", "us-east-1"), None);
    }
}
