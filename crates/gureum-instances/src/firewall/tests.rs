use super::*;
use gureum_ec2::compute::host::{InstancePlan, NatPlan};

fn tcp(port: i64, peer: &str) -> FlowRule {
    FlowRule {
        protocol: "tcp".into(),
        from_port: Some(port),
        to_port: Some(port),
        peers: vec![peer.into()],
    }
}

fn subnet(id: &str, block: &str, routes: &[(&str, &str)], acl: Vec<AclRule>) -> SubnetPlan {
    SubnetPlan {
        subnet_id: id.into(),
        cidr: block.into(),
        acl,
        routes: routes
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect(),
    }
}

fn allow_all(egress: bool) -> AclRule {
    AclRule {
        rule_number: 100,
        egress,
        allow: true,
        protocol: "-1".into(),
        cidr: "0.0.0.0/0".into(),
        ports: None,
        icmp: None,
    }
}

fn plan() -> VpcPlan {
    VpcPlan {
        vpc_id: "vpc-1".into(),
        cidr: "10.0.0.0/16".into(),
        subnets: vec![
            subnet(
                "subnet-pub",
                "10.0.1.0/24",
                &[("10.0.0.0/16", "local"), ("0.0.0.0/0", "igw-1")],
                vec![allow_all(false), allow_all(true)],
            ),
            subnet(
                "subnet-priv",
                "10.0.2.0/24",
                &[("10.0.0.0/16", "local"), ("0.0.0.0/0", "nat-1")],
                vec![
                    AclRule {
                        rule_number: 50,
                        egress: false,
                        allow: false,
                        protocol: "6".into(),
                        cidr: "0.0.0.0/0".into(),
                        ports: Some((80, 80)),
                        icmp: None,
                    },
                    allow_all(false),
                    allow_all(true),
                ],
            ),
        ],
        instances: vec![
            InstancePlan {
                instance_id: "i-bastion".into(),
                subnet_id: "subnet-pub".into(),
                private_ip: "10.0.1.5".into(),
                public_ip: Some("198.18.0.7".into()),
                ..Default::default()
            },
            InstancePlan {
                instance_id: "i-app".into(),
                subnet_id: "subnet-priv".into(),
                private_ip: "10.0.2.5".into(),
                public_ip: Some("198.18.0.8".into()),
                ..Default::default()
            },
        ],
        nat_gateways: vec![NatPlan {
            nat_gateway_id: "nat-1".into(),
            subnet_id: "subnet-pub".into(),
            public_ip: "198.18.0.9".into(),
        }],
        ..Default::default()
    }
}

#[test]
fn security_group_rules_allow_each_peer_and_drop_the_rest() {
    let text = instance_rules(
        &[tcp(22, "10.0.1.5/32"), tcp(80, "0.0.0.0/0")],
        &[],
        Some("10.0.0.2"),
    );
    assert!(text.contains("policy drop"));
    assert!(text.contains("ct state established,related accept"));
    assert!(text.contains("ip saddr 10.0.1.5/32 tcp dport 22-22 accept"));
    assert!(text.contains("    tcp dport 80-80 accept"));
    // The VPC's resolver is always reachable.
    assert!(text.contains("ip daddr 10.0.0.2 udp dport 53 accept"));
}

#[test]
fn a_group_peer_with_no_members_matches_nothing() {
    let mut rule = tcp(22, "x");
    rule.peers.clear();
    let text = instance_rules(&[rule], &[], None);
    assert!(!text.contains("dport 22"), "{text}");
}

#[test]
fn addresses_that_do_not_parse_never_reach_nft() {
    let text = instance_rules(&[tcp(22, "10.0.0.0/8 accept; drop")], &[], None);
    assert!(!text.contains("accept; drop"), "{text}");
    assert!(!text.contains("dport 22"), "{text}");
}

#[test]
fn all_traffic_rules_match_any_protocol() {
    let rule = FlowRule {
        protocol: "-1".into(),
        from_port: None,
        to_port: None,
        peers: vec!["10.0.0.0/16".into()],
    };
    let text = instance_rules(&[], &[rule], None);
    assert!(text.contains("    ip daddr 10.0.0.0/16 accept"), "{text}");
}

#[test]
fn only_subnets_routed_to_the_internet_gateway_have_their_public_addresses_mapped() {
    let text = router_rules(&plan());
    assert!(
        text.contains("ip daddr 198.18.0.7 dnat ip to 10.0.1.5"),
        "{text}"
    );
    assert!(!text.contains("198.18.0.8"), "{text}");
    assert_eq!(
        public_addresses(&plan()),
        vec!["198.18.0.7".to_string(), "198.18.0.9".to_string()]
    );
}

#[test]
fn a_subnet_routed_to_a_nat_gateway_leaves_as_its_elastic_ip() {
    let text = router_rules(&plan());
    assert!(
        text.contains("oifname \"up0\" ip saddr 10.0.2.0/24 snat ip to 198.18.0.9"),
        "{text}"
    );
}

#[test]
fn what_reaches_the_internet_reaches_a_public_address_of_its_own_vpc_as_its_public_address() {
    let text = router_rules(&plan());
    // The mapped instance and the NAT gateway's subnet may send; the
    // target sees the sender's public address.
    assert!(
        text.contains("elements = { 10.0.1.5, 10.0.2.0/24 }"),
        "{text}"
    );
    assert!(
        text.contains(
            "iifname \"br0\" ip saddr @hairpin_senders ip daddr 198.18.0.7 dnat ip to 10.0.1.5"
        ),
        "{text}"
    );
    assert!(
        text.contains("oifname \"br0\" ip saddr 10.0.1.5 ct status dnat snat ip to 198.18.0.7"),
        "{text}"
    );
    assert!(
        text.contains("oifname \"br0\" ip saddr 10.0.2.0/24 ct status dnat snat ip to 198.18.0.9"),
        "{text}"
    );
}

#[test]
fn acl_entries_keep_rule_number_order_and_end_in_a_drop() {
    let text = router_rules(&plan());
    let chain = &text[text.find("chain in_subnet-priv").expect("chain")..];
    let deny = chain.find("tcp dport 80-80 drop").expect("deny");
    let allow = chain.find("return").expect("allow");
    assert!(deny < allow, "{chain}");
    assert!(chain[allow..].starts_with("return\n    drop\n"), "{chain}");
}

#[test]
fn peering_forwards_only_subnets_with_a_route_to_it() {
    let mut p = plan();
    p.peerings = vec![("pcx-1".into(), "vpc-2".into(), vec!["10.1.0.0/16".into()])];
    p.subnets[0]
        .routes
        .push(("10.1.0.0/16".into(), "pcx-1".into()));
    let text = router_rules(&p);
    let link = peering_link("pcx-1");
    assert!(text.contains(&format!(
        "oifname \"{link}\" ip saddr 10.0.1.0/24 ip daddr 10.1.0.0/16 accept"
    )));
    assert!(!text.contains(&format!("oifname \"{link}\" ip saddr 10.0.2.0/24")));
    assert!(link.len() <= 15);
}
