//! Looking a member up in a parsed input or an output value.

use crate::Value;
use serde_json::Map;

/// Entries up to which a scan beats hashing the name.
const SCAN_MAX: usize = 16;

/// `obj[name]`. Inputs and outputs carry a few of their shape's members
/// (a PutObject: ~5 of ~40), and the parser and serializer walk the shape's
/// members asking for each: comparing against the few present keys costs
/// less than SipHashing every member name.
pub(crate) fn member<'v>(obj: &'v Map<String, Value>, name: &str) -> Option<&'v Value> {
    if obj.len() <= SCAN_MAX {
        obj.iter().find(|(k, _)| *k == name).map(|(_, v)| v)
    } else {
        obj.get(name)
    }
}

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
                assert_eq!(member(&obj, &name), obj.get(&name), "{n} entries, {name}");
            }
        }
    }
}
