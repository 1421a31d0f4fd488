//! EC2 fields Gureum parses by hand: IPv4 addresses and CIDR blocks (what
//! parses prints back to the same value) and imported public keys.
#![no_main]

use arbitrary::Arbitrary;
use gureum_ec2::common::cidr::{format_ipv4, parse_ipv4, Cidr};
use gureum_ec2::compute::key_pairs::parse_public;
use libfuzzer_sys::fuzz_target;

#[derive(Arbitrary, Debug)]
struct Input<'a> {
    address: &'a str,
    block: &'a str,
    key: &'a [u8],
}

fuzz_target!(|input: Input<'_>| {
    if let Some(a) = parse_ipv4(input.address) {
        assert_eq!(parse_ipv4(&format_ipv4(a)), Some(a));
    }
    if let Ok(c) = Cidr::parse(input.block) {
        assert!(c.prefix <= 32);
        let _ = c.size();
        assert_eq!(Cidr::parse(&c.to_string()), Ok(c), "prints back");
    }
    let _ = Cidr::parse_loose(input.block);
    let _ = parse_public(input.key);
});
