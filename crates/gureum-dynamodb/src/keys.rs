//! Key encoding: how an item's primary key (and an index's key) becomes
//! a store key whose byte order is DynamoDB's sort order.
//!
//! A key attribute's value is encoded to bytes that compare as DynamoDB
//! compares the values — strings by their UTF-8 bytes, binaries by their
//! bytes, numbers by decimal value ([`number_bytes`]) — and the bytes are
//! written as lowercase hex, which keeps their order in a `str` key.
//! Every encoded part ends with `.`, which sorts before every hex digit,
//! so a shorter value that is a prefix of a longer one sorts first, as in
//! DynamoDB. A partition's items therefore share the store-key prefix
//! `<table>/<bucket><hex(pk)>.`, and Query is one ordered range scan of
//! it. `bucket` is four hex digits of a hash of the partition key: Scan's
//! order is the buckets', like AWS's hash order, and a parallel Scan's
//! segment is a contiguous range of buckets.

use crate::number::Decimal;
use crate::value::AttrValue;
use std::fmt::Write;

/// Buckets the partition keys hash into (`0000`..`ffff`).
pub const BUCKETS: u32 = 0x1_0000;

/// Order-preserving bytes of a number.
pub fn number_bytes(n: &Decimal) -> Vec<u8> {
    let mut out = Vec::with_capacity(n.digits().len() + 3);
    if n.is_zero() {
        out.push(0x80);
        return out;
    }
    let e = (n.exponent() + 129).clamp(0, 255) as u8;
    if n.is_negative() {
        out.push(0x01);
        out.push(255 - e);
        out.extend(n.digits().iter().map(|d| 10 - d));
        out.push(0xFF);
    } else {
        out.push(0xFE);
        out.push(e);
        out.extend(n.digits().iter().map(|d| d + 1));
    }
    out
}

/// Order-preserving bytes of a key value (S, N or B); other types never
/// reach here (key attributes are validated first).
pub fn value_bytes(v: &AttrValue) -> Vec<u8> {
    match v {
        AttrValue::S(s) => s.as_bytes().to_vec(),
        AttrValue::N(n) => number_bytes(n),
        AttrValue::B(b) => b.clone(),
        _ => Vec::new(),
    }
}

/// Appends `bytes` as lowercase hex and the `.` terminator.
pub fn push_part(out: &mut String, bytes: &[u8]) {
    for b in bytes {
        let _ = write!(out, "{b:02x}");
    }
    out.push('.');
}

/// The bucket of a partition key's bytes (FNV-1a, folded to 16 bits).
pub fn bucket(pk: &[u8]) -> u32 {
    let mut h: u32 = 0x811c_9dc5;
    for b in pk {
        h ^= u32::from(*b);
        h = h.wrapping_mul(0x0100_0193);
    }
    (h ^ (h >> 16)) & 0xFFFF
}

/// The store-key prefix of one partition under `base` (`…/table/`).
pub fn partition_prefix(base: &str, pk: &AttrValue) -> String {
    let bytes = value_bytes(pk);
    let mut out = String::with_capacity(base.len() + 6 + bytes.len() * 2);
    out.push_str(base);
    let _ = write!(out, "{:04x}", bucket(&bytes));
    push_part(&mut out, &bytes);
    out
}

/// The store key of an item (or an index entry) under `base`: the
/// partition, then each further part in order.
pub fn entry_key(base: &str, pk: &AttrValue, rest: &[&AttrValue]) -> String {
    let mut out = partition_prefix(base, pk);
    for r in rest {
        push_part(&mut out, &value_bytes(r));
    }
    out
}

/// Appends one further key part (a sort-key bound) to a prefix.
pub fn with_part(prefix: &str, v: &AttrValue) -> String {
    let mut out = prefix.to_string();
    push_part(&mut out, &value_bytes(v));
    out
}

/// The hex of a sort key value without the terminator: a `begins_with`
/// bound (every key starting with these bytes starts with this text).
pub fn open_part(prefix: &str, v: &AttrValue) -> String {
    let mut out = prefix.to_string();
    for b in value_bytes(v) {
        let _ = write!(out, "{b:02x}");
    }
    out
}

/// The first key of bucket `b` under `base`.
pub fn bucket_start(base: &str, b: u32) -> String {
    format!("{base}{b:04x}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(s: &str) -> AttrValue {
        AttrValue::N(Decimal::parse(s).expect("ok"))
    }

    fn key(v: &AttrValue) -> String {
        let mut s = String::new();
        push_part(&mut s, &value_bytes(v));
        s
    }

    #[test]
    fn numbers_sort_by_value() {
        let vals = [
            "-1e100", "-1000", "-100.5", "-100", "-10", "-1.5", "-1.25", "-1", "-0.5", "-0.001",
            "0", "1e-130", "0.001", "0.5", "1", "1.25", "1.5", "10", "100", "100.5", "1000",
            "1e100",
        ];
        let keys: Vec<String> = vals.iter().map(|v| key(&n(v))).collect();
        for w in keys.windows(2) {
            assert!(w[0] < w[1], "{w:?}");
        }
    }

    #[test]
    fn strings_and_binaries_sort_by_bytes_prefix_first() {
        let vals = ["", "a", "ab", "abc", "b", "z", "é", "\u{10000}"];
        let keys: Vec<String> = vals
            .iter()
            .map(|v| key(&AttrValue::S(v.to_string())))
            .collect();
        for w in keys.windows(2) {
            assert!(w[0] < w[1], "{w:?}");
        }
        let b = |x: &[u8]| key(&AttrValue::B(x.to_vec()));
        assert!(b(&[0]) < b(&[0, 0]));
        assert!(b(&[0, 255]) < b(&[1]));
    }

    #[test]
    fn a_partition_is_a_prefix_of_its_items() {
        let pk = AttrValue::S("user".into());
        let p = partition_prefix("t/", &pk);
        let k = entry_key("t/", &pk, &[&n("5")]);
        assert!(k.starts_with(&p));
        let other = partition_prefix("t/", &AttrValue::S("user2".into()));
        assert!(!other.starts_with(&p) || other == p);
    }
}
