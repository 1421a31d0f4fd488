//! IPv4 CIDR blocks: parsing, formatting and the arithmetic VPC rules need
//! (containment, overlap, size). Pure functions, no state.

use std::fmt;

/// An IPv4 CIDR block such as `10.0.0.0/16`, with its host bits zero.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Cidr {
    /// The network address as a 32-bit number.
    pub addr: u32,
    /// The prefix length, 0–32.
    pub prefix: u8,
}

/// Why a CIDR text was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CidrError {
    /// Not `a.b.c.d/n` with octets ≤ 255 and n ≤ 32.
    Malformed,
    /// Well-formed, but bits after the prefix are set (`10.0.0.1/16`).
    HostBitsSet,
}

/// Parses dotted-quad IPv4 text into a number.
pub fn parse_ipv4(text: &str) -> Option<u32> {
    let mut parts = text.split('.');
    let mut addr: u32 = 0;
    for _ in 0..4 {
        let p = parts.next()?;
        if p.is_empty() || p.len() > 3 || !p.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let octet: u32 = p.parse().ok()?;
        if octet > 255 {
            return None;
        }
        addr = (addr << 8) | octet;
    }
    if parts.next().is_some() {
        return None;
    }
    Some(addr)
}

/// Formats a number as dotted-quad IPv4 text.
pub fn format_ipv4(addr: u32) -> String {
    let b = addr.to_be_bytes();
    format!("{}.{}.{}.{}", b[0], b[1], b[2], b[3])
}

fn mask(prefix: u8) -> u32 {
    if prefix == 0 {
        0
    } else {
        u32::MAX << (32 - u32::from(prefix))
    }
}

impl Cidr {
    /// Parses `a.b.c.d/n`, refusing set host bits.
    pub fn parse(text: &str) -> Result<Cidr, CidrError> {
        let c = Cidr::parse_loose(text)?;
        let given = text.split_once('/').and_then(|(ip, _)| parse_ipv4(ip));
        if given != Some(c.addr) {
            return Err(CidrError::HostBitsSet);
        }
        Ok(c)
    }

    /// Parses `a.b.c.d/n` and clears any host bits (`10.0.0.1/16` →
    /// `10.0.0.0/16`).
    pub fn parse_loose(text: &str) -> Result<Cidr, CidrError> {
        let (ip, len) = text.split_once('/').ok_or(CidrError::Malformed)?;
        let addr = parse_ipv4(ip).ok_or(CidrError::Malformed)?;
        if len.is_empty() || len.len() > 2 || !len.bytes().all(|b| b.is_ascii_digit()) {
            return Err(CidrError::Malformed);
        }
        let prefix: u8 = len.parse().map_err(|_| CidrError::Malformed)?;
        if prefix > 32 {
            return Err(CidrError::Malformed);
        }
        Ok(Cidr {
            addr: addr & mask(prefix),
            prefix,
        })
    }

    /// How many addresses the block holds (`/28` → 16).
    pub fn size(&self) -> u64 {
        1u64 << (32 - u32::from(self.prefix))
    }

    /// The last address of the block.
    pub fn last(&self) -> u32 {
        self.addr | !mask(self.prefix)
    }

    /// Whether `other` lies entirely inside this block.
    pub fn contains(&self, other: &Cidr) -> bool {
        other.prefix >= self.prefix && (other.addr & mask(self.prefix)) == self.addr
    }

    /// Whether the address lies inside this block.
    pub fn contains_addr(&self, addr: u32) -> bool {
        addr & mask(self.prefix) == self.addr
    }

    /// Whether the two blocks share any address.
    pub fn overlaps(&self, other: &Cidr) -> bool {
        self.contains(other) || other.contains(self)
    }

    /// The `n`-th block of prefix `prefix` inside this one (`n = 1` of
    /// `172.31.0.0/16` at /20 is `172.31.16.0/20`); `None` when out of range.
    pub fn subnet(&self, prefix: u8, n: u32) -> Option<Cidr> {
        if prefix < self.prefix || prefix > 32 {
            return None;
        }
        let count = 1u64 << (prefix - self.prefix);
        if u64::from(n) >= count {
            return None;
        }
        let step = 1u64 << (32 - u32::from(prefix));
        Some(Cidr {
            addr: (u64::from(self.addr) + u64::from(n) * step) as u32,
            prefix,
        })
    }
}

impl fmt::Display for Cidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", format_ipv4(self.addr), self.prefix)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(s: &str) -> Cidr {
        Cidr::parse(s).expect("valid cidr")
    }

    #[test]
    fn slash_28_has_sixteen_addresses() {
        assert_eq!(c("10.0.0.0/28").size(), 16);
        assert_eq!(c("10.0.0.0/16").size(), 65536);
        assert_eq!(c("0.0.0.0/0").size(), 1 << 32);
    }

    #[test]
    fn overlapping_blocks_are_detected() {
        assert!(c("10.0.0.0/16").overlaps(&c("10.0.1.0/24")));
        assert!(c("10.0.1.0/24").overlaps(&c("10.0.0.0/16")));
        assert!(!c("10.0.0.0/24").overlaps(&c("10.0.1.0/24")));
    }

    #[test]
    fn host_bits_must_be_zero() {
        assert_eq!(Cidr::parse("10.0.0.1/16"), Err(CidrError::HostBitsSet));
        assert_eq!(Cidr::parse_loose("10.0.0.1/16"), Ok(c("10.0.0.0/16")));
    }

    #[test]
    fn malformed_text_is_refused() {
        for bad in [
            "10.0.0.0",
            "10.0.0.256/24",
            "10.0.0/24",
            "10.0.0.0/33",
            "a.b.c.d/8",
            "10.0.0.0/",
            "10.0.0.0.0/8",
        ] {
            assert_eq!(Cidr::parse(bad), Err(CidrError::Malformed), "{bad}");
        }
    }

    #[test]
    fn containment_needs_the_whole_block() {
        assert!(c("10.0.0.0/16").contains(&c("10.0.255.0/24")));
        assert!(!c("10.0.0.0/16").contains(&c("10.1.0.0/24")));
        assert!(!c("10.0.0.0/24").contains(&c("10.0.0.0/16")));
        assert!(c("0.0.0.0/0").contains(&c("192.168.0.0/16")));
        assert!(c("10.0.0.0/24").contains_addr(parse_ipv4("10.0.0.9").unwrap_or(0)));
    }

    #[test]
    fn blocks_format_back_to_their_text() {
        assert_eq!(c("172.31.16.0/20").to_string(), "172.31.16.0/20");
        assert_eq!(format_ipv4(c("10.0.0.0/24").last()), "10.0.0.255");
    }

    #[test]
    fn nth_subnet_steps_by_its_size() {
        let vpc = c("172.31.0.0/16");
        assert_eq!(vpc.subnet(20, 0), Some(c("172.31.0.0/20")));
        assert_eq!(vpc.subnet(20, 2), Some(c("172.31.32.0/20")));
        assert_eq!(vpc.subnet(20, 16), None);
    }
}
