//! Reading members of a parsed input (or an output being built).
//!
//! Inputs are JSON objects keyed by model member name. They hold a few of
//! their shape's members (a PutObject: ~5 of ~40) while handlers ask for
//! many (every content header, every grant header): comparing against the
//! few present keys costs less than SipHashing each asked-for name, which
//! is what `serde_json::Map::get` does.

use crate::Value;
use serde_json::Map;

/// Entries up to which a scan beats hashing the name.
const SCAN_MAX: usize = 16;

/// `obj[name]`, by scan when `obj` is small.
pub fn get<'v>(obj: &'v Map<String, Value>, name: &str) -> Option<&'v Value> {
    if obj.len() <= SCAN_MAX {
        obj.iter().find(|(k, _)| *k == name).map(|(_, v)| v)
    } else {
        obj.get(name)
    }
}

/// `value[name]` when `value` is an object.
pub fn member<'v>(value: &'v Value, name: &str) -> Option<&'v Value> {
    value.as_object().and_then(|obj| get(obj, name))
}

/// `value[name]` when it is a string.
pub fn str_member<'v>(value: &'v Value, name: &str) -> Option<&'v str> {
    member(value, name).and_then(Value::as_str)
}

/// The key of an output structure that orders the items of several
/// flattened XML lists as one sequence: an array with one member name per
/// item, in document order (S3's `ListObjectVersions` interleaves
/// `Version` and `DeleteMarker`). Model member names never start with `$`;
/// the rest-xml serializer reads it and every serializer leaves it out.
pub const XML_ORDER: &str = "$order";

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn scan_and_hash_agree() {
        for n in [0, 1, SCAN_MAX, SCAN_MAX + 1, 40] {
            let obj: Map<String, Value> = (0..n).map(|i| (format!("M{i}"), json!(i))).collect();
            for i in 0..n + 2 {
                let name = format!("M{i}");
                assert_eq!(get(&obj, &name), obj.get(&name), "{n} entries, {name}");
            }
        }
    }

    #[test]
    fn members_of_non_objects_are_absent() {
        assert_eq!(member(&json!([1, 2]), "0"), None);
        assert_eq!(str_member(&json!({"A": 1}), "A"), None);
        assert_eq!(str_member(&json!({"A": "x"}), "A"), Some("x"));
    }
}
