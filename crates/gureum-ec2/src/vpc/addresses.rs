//! Addresses: a subnet's private IPv4 addresses and the regional public
//! pool. Instances, network interfaces, NAT gateways and Elastic IPs take
//! and give back addresses here, so a subnet's `AvailableIpAddressCount`
//! and its deletion see every holder.

use crate::common::cidr::{format_ipv4, parse_ipv4, Cidr};
use crate::common::errors::Ec2Error;
use crate::common::network::{self, prefix};
use crate::vpc::subnet;
use gureum_core::{AwsError, RequestContext};
use gureum_store::{Store, Table, WriteTxn};

/// Taken private addresses: key `{account}/{region}/{subnet}/{addr:08x}`,
/// value the holder (instance or interface id).
pub fn ip_table(store: &Store) -> Table<String> {
    store.table("ec2.subnet_ips")
}

/// Taken public addresses (global): key the address, value the holder.
pub fn public_ip_table(store: &Store) -> Table<String> {
    store.table("ec2.public_ips")
}

/// How many private addresses of `subnet_id` are taken.
pub fn used_addresses(store: &Store, ctx: &RequestContext, subnet_id: &str) -> u64 {
    ip_table(store)
        .scan_prefix(&format!("{}{subnet_id}/", prefix(ctx)))
        .map(|v| v.len() as u64)
        .unwrap_or(0)
}

fn ip_key(ctx: &RequestContext, subnet_id: &str, addr: u32) -> String {
    format!("{}{subnet_id}/{addr:08x}", prefix(ctx))
}

/// Takes the lowest free address of a subnet (or `wanted`, which must be
/// inside and free) for `holder`.
pub fn take_private_ip(
    txn: &mut WriteTxn,
    store: &Store,
    ctx: &RequestContext,
    s: &subnet::Subnet,
    wanted: Option<&str>,
    holder: &str,
) -> Result<String, AwsError> {
    take_private_ip_cached(txn, store, ctx, s, wanted, holder, &mut None)
}

/// [`take_private_ip`] with the set of taken addresses kept between calls
/// of one transaction (`taken` starts `None`).
pub(crate) fn take_private_ip_cached(
    txn: &mut WriteTxn,
    store: &Store,
    ctx: &RequestContext,
    s: &subnet::Subnet,
    wanted: Option<&str>,
    holder: &str,
    taken: &mut Option<std::collections::BTreeSet<u32>>,
) -> Result<String, AwsError> {
    let block = Cidr::parse(&s.cidr).map_err(|_| AwsError::internal("subnet cidr"))?;
    let first = block.addr + 4;
    let last = block.last().saturating_sub(1);
    let table = ip_table(store);
    if let Some(w) = wanted {
        let addr = parse_ipv4(w).ok_or_else(|| {
            network::invalid_value(format!(
                "Value ({w}) for parameter privateIpAddress is invalid."
            ))
        })?;
        if !block.contains_addr(addr) || addr < first || addr > last {
            return Err(AwsError::from(Ec2Error::InvalidParameterValue {
                message: format!("Address {w} does not fall within the subnet's address range"),
            }));
        }
        let k = ip_key(ctx, &s.id, addr);
        if txn.get(&table, &k)?.is_some() {
            return Err(AwsError::from(Ec2Error::InvalidIPAddressInUse {
                message: format!("Address {w} is in use."),
            }));
        }
        txn.put(&table, &k, &holder.to_string())?;
        return Ok(w.to_string());
    }
    if taken.is_none() {
        let base = format!("{}{}/", prefix(ctx), s.id);
        *taken = Some(
            txn.scan_prefix(&table, &base)?
                .into_iter()
                .filter_map(|(k, _)| u32::from_str_radix(&k[base.len()..], 16).ok())
                .collect(),
        );
    }
    let set = taken.get_or_insert_with(Default::default);
    let start = set.last().map_or(first, |l| (l + 1).max(first));
    let pick = (start..=last)
        .chain(first..start)
        .find(|a| !set.contains(a));
    if let Some(addr) = pick {
        set.insert(addr);
        txn.put(&table, &ip_key(ctx, &s.id, addr), &holder.to_string())?;
        return Ok(format_ipv4(addr));
    }
    Err(AwsError::from(Ec2Error::InsufficientFreeAddressesInSubnet { message: format!(
            "There are not enough free addresses in subnet '{}' to satisfy the requested number of instances.",
            s.id
        ) }))
}

/// Gives a private address back.
pub fn release_private_ip(
    txn: &mut WriteTxn,
    store: &Store,
    ctx: &RequestContext,
    subnet_id: &str,
    ip: &str,
) -> Result<(), AwsError> {
    if let Some(addr) = parse_ipv4(ip) {
        txn.delete(&ip_table(store), &ip_key(ctx, subnet_id, addr))?;
    }
    Ok(())
}

/// Where public and Elastic IPs come from unless `serve
/// --public-ip-range` says otherwise: 198.18.0.0/15, set aside for
/// benchmarking (RFC 2544) and never routed on the internet, so an `ssh` or
/// `curl` to an instance's public address cannot reach someone else's
/// machine. Instances take the lower half, Elastic IPs the upper.
pub const DEFAULT_PUBLIC_IP_RANGE: &str = "198.18.0.0/15";

static PUBLIC_IP_RANGE: std::sync::OnceLock<(u32, u32)> = std::sync::OnceLock::new();

/// Sets the public address range (an IPv4 CIDR of /8 to /24) for this
/// process, before the first address is handed out.
pub fn set_public_ip_range(cidr: &str) -> Result<(), String> {
    let range = parse_range(cidr)?;
    PUBLIC_IP_RANGE
        .set(range)
        .map_err(|_| "the public address range is already set".to_string())
}

/// `(first address, number of addresses)` of a CIDR.
fn parse_range(cidr: &str) -> Result<(u32, u32), String> {
    let bad = || {
        format!("'{cidr}' is not an IPv4 CIDR between /8 and /24 (e.g. {DEFAULT_PUBLIC_IP_RANGE})")
    };
    let (ip, bits) = cidr.split_once('/').ok_or_else(bad)?;
    let bits: u32 = bits.parse().map_err(|_| bad())?;
    let addr = parse_ipv4(ip).ok_or_else(bad)?;
    if !(8..=24).contains(&bits) {
        return Err(bad());
    }
    let size = 1u32 << (32 - bits);
    Ok((addr & !(size - 1), size))
}

/// The public address range in force, as a CIDR (the instance host
/// keeps it from leaving the machine).
pub fn public_ip_range_cidr() -> String {
    let (base, size) = public_range();
    format!("{}/{}", format_ipv4(base), 32 - size.trailing_zeros())
}

fn public_range() -> (u32, u32) {
    *PUBLIC_IP_RANGE
        .get_or_init(|| parse_range(DEFAULT_PUBLIC_IP_RANGE).unwrap_or((0xC612_0000, 1 << 17)))
}

/// Takes a free public address from the configured range (see
/// [`DEFAULT_PUBLIC_IP_RANGE`]): its lower half for instances, its upper
/// half for Elastic IPs; never a `.0` or `.255` address.
pub fn take_public_ip(
    txn: &mut WriteTxn,
    store: &Store,
    _ctx: &RequestContext,
    elastic: bool,
    holder: &str,
) -> Result<String, AwsError> {
    use rand::Rng;
    let table = public_ip_table(store);
    let (base, size) = public_range();
    let half = size / 2;
    let start = if elastic { base + half } else { base };
    let mut rng = rand::thread_rng();
    for _ in 0..1000 {
        let addr = start + rng.gen_range(0..half);
        if matches!(addr & 0xff, 0 | 255) {
            continue;
        }
        let ip = format_ipv4(addr);
        if txn.get(&table, &ip)?.is_none() {
            txn.put(&table, &ip, &holder.to_string())?;
            return Ok(ip);
        }
    }
    Err(AwsError::from(Ec2Error::AddressLimitExceeded))
}

/// Gives a public address back to the pool.
pub fn release_public_ip(txn: &mut WriteTxn, store: &Store, ip: &str) -> Result<(), AwsError> {
    txn.delete(&public_ip_table(store), ip)?;
    Ok(())
}

/// A new interface MAC address (`0e:` and five random octets).
pub fn mac() -> String {
    let h = gureum_core::id::hex(10);
    let mut s = String::from("0e");
    for i in 0..5 {
        s.push(':');
        s.push_str(&h[i * 2..i * 2 + 2]);
    }
    s
}

#[cfg(test)]
mod range_tests {
    use super::parse_range;

    #[test]
    fn the_default_range_is_the_benchmarking_block() {
        assert_eq!(parse_range("198.18.0.0/15"), Ok((0xC612_0000, 1 << 17)));
    }

    #[test]
    fn a_range_is_aligned_to_its_prefix_and_bounded() {
        assert_eq!(parse_range("10.1.2.3/16"), Ok((0x0A01_0000, 1 << 16)));
        assert!(parse_range("10.0.0.0/25").is_err());
        assert!(parse_range("10.0.0.0/7").is_err());
        assert!(parse_range("nonsense").is_err());
    }
}
