//! Consumed capacity as AWS computes it: a write is one unit per KB
//! (rounded up) of the larger of the old and new item, a strongly
//! consistent read one unit per 4 KB, an eventually consistent read half
//! that, a transactional request twice; index writes are counted per
//! index.

use serde_json::{json, Map, Value};

/// Write units for an item of `size` bytes.
pub fn write_units(size: usize) -> f64 {
    size.div_ceil(1024).max(1) as f64
}

/// Read units for `size` bytes read.
pub fn read_units(size: usize, consistent: bool) -> f64 {
    let u = size.div_ceil(4096).max(1) as f64;
    if consistent {
        u
    } else {
        u / 2.0
    }
}

/// What `ReturnConsumedCapacity` asked for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Report {
    /// Nothing.
    None,
    /// The total.
    Total,
    /// The total and per table/index.
    Indexes,
}

impl Report {
    /// From the request member.
    pub fn from_input(input: &Value) -> Report {
        match input.get("ReturnConsumedCapacity").and_then(Value::as_str) {
            Some("TOTAL") => Report::Total,
            Some("INDEXES") => Report::Indexes,
            _ => Report::None,
        }
    }
}

/// One table's consumption in one request.
#[derive(Clone, Debug, Default)]
pub struct Consumed {
    /// The table's name.
    pub table: String,
    /// Units on the table itself.
    pub table_units: f64,
    /// Units per global index.
    pub gsis: Vec<(String, f64)>,
    /// Units per local index.
    pub lsis: Vec<(String, f64)>,
    /// Whether they are read units (else write units).
    pub read: bool,
}

impl Consumed {
    /// The `ConsumedCapacity` wire member, or `None` when not asked.
    pub fn to_json(&self, report: Report) -> Option<Value> {
        if report == Report::None {
            return None;
        }
        let total = self.table_units
            + self.gsis.iter().map(|g| g.1).sum::<f64>()
            + self.lsis.iter().map(|g| g.1).sum::<f64>();
        let mut v = json!({"TableName": self.table, "CapacityUnits": total});
        v[if self.read {
            "ReadCapacityUnits"
        } else {
            "WriteCapacityUnits"
        }] = json!(total);
        if report == Report::Indexes {
            let unit = |u: f64| {
                let mut x = json!({"CapacityUnits": u});
                x[if self.read {
                    "ReadCapacityUnits"
                } else {
                    "WriteCapacityUnits"
                }] = json!(u);
                x
            };
            v["Table"] = unit(self.table_units);
            if !self.gsis.is_empty() {
                let m: Map<String, Value> = self
                    .gsis
                    .iter()
                    .map(|(n, u)| (n.clone(), unit(*u)))
                    .collect();
                v["GlobalSecondaryIndexes"] = Value::Object(m);
            }
            if !self.lsis.is_empty() {
                let m: Map<String, Value> = self
                    .lsis
                    .iter()
                    .map(|(n, u)| (n.clone(), unit(*u)))
                    .collect();
                v["LocalSecondaryIndexes"] = Value::Object(m);
            }
        }
        Some(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_round_up() {
        assert_eq!(write_units(0), 1.0);
        assert_eq!(write_units(1024), 1.0);
        assert_eq!(write_units(1025), 2.0);
        assert_eq!(read_units(4096, true), 1.0);
        assert_eq!(read_units(4097, true), 2.0);
        assert_eq!(read_units(100, false), 0.5);
    }
}
