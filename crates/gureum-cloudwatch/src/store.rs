//! The metrics store: one time series per metric, kept in hour-long
//! chunks of binary points.
//!
//! A metric is its namespace, name and dimensions (sorted by name, as
//! CloudWatch treats `{A=1,B=2}` and `{B=2,A=1}` as one metric). Its
//! descriptor lives in `cloudwatch.metrics` under
//! `account/region/namespace␟name␟dimensions` (so `ListMetrics` with a
//! namespace, or a namespace and a name, is a prefix scan), and its points
//! in `cloudwatch.points` under `account/region/series/hour/part`:
//! `series` is a 64-bit hash of the metric's identity in hex, `hour` the
//! chunk's start in epoch milliseconds, zero-padded, and `part` either `t`
//! (the hour's open tail) or `s…` (a sealed segment). A put appends encoded
//! points to the tail's bytes (no decoding); a tail past [`TAIL_BYTES`] is
//! sealed under a new `s…` key first, so a put rewrites at most a few KB
//! however busy the metric. One metric's day of 1-minute data is 24 rows,
//! and a read decodes only the rows of the hours its range touches.
//!
//! Points are stored raw (a value, a value/count list, or a statistic set,
//! with its unit); roll-ups and retention tiers are applied at read time
//! ([`crate::stats`]).

use gureum_core::Scope;
use gureum_store::{Codec, CodecError, Table};

/// One hour, the span of a chunk.
pub const CHUNK_MS: i64 = 3_600_000;
/// The size past which an hour's tail is sealed and a new one started.
pub const TAIL_BYTES: usize = 4096;

/// A metric's identity.
#[derive(
    Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub struct MetricId {
    /// The namespace.
    pub namespace: String,
    /// The metric name.
    pub name: String,
    /// Dimensions, name → value, sorted by name.
    pub dims: Vec<(String, String)>,
}

impl MetricId {
    /// The identity with dimensions sorted by name.
    pub fn new(namespace: &str, name: &str, mut dims: Vec<(String, String)>) -> Self {
        dims.sort();
        MetricId {
            namespace: namespace.to_string(),
            name: name.to_string(),
            dims,
        }
    }

    /// The descriptor's key under a scope: `namespace␟name␟d1␞v1␝…`.
    pub fn key(&self) -> String {
        let mut k = String::with_capacity(64);
        k.push_str(&self.namespace);
        k.push('\u{1f}');
        k.push_str(&self.name);
        k.push('\u{1f}');
        for (n, v) in &self.dims {
            k.push_str(n);
            k.push('\u{1e}');
            k.push_str(v);
            k.push('\u{1d}');
        }
        k
    }

    /// The series' hash, 16 hex digits (FNV-1a over the key).
    pub fn series(&self) -> String {
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for b in self.key().bytes() {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        format!("{h:016x}")
    }
}

/// A metric's descriptor, as stored.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct MetricRecord {
    /// Its identity.
    pub id: MetricId,
    /// When a datapoint was last put (Gureum's clock), epoch milliseconds.
    pub last_put_ms: i64,
}

/// What a stored point carries.
#[derive(Clone, Debug, PartialEq)]
pub enum Sample {
    /// One value (`Value`).
    One(f64),
    /// Values and how often each occurred (`Values`/`Counts`).
    Many(Vec<(f64, f64)>),
    /// A statistic set.
    Set {
        /// `SampleCount`.
        count: f64,
        /// `Sum`.
        sum: f64,
        /// `Minimum`.
        min: f64,
        /// `Maximum`.
        max: f64,
    },
}

/// One stored point.
#[derive(Clone, Debug, PartialEq)]
pub struct Point {
    /// Its timestamp, epoch milliseconds.
    pub ts_ms: i64,
    /// Its unit, an index into [`UNITS`].
    pub unit: u8,
    /// Stored at one-second resolution.
    pub high_res: bool,
    /// What it carries.
    pub sample: Sample,
}

/// CloudWatch's units; a point stores the index (the order is stored
/// data: never reorder).
pub use gureum_kit::metrics::STANDARD_UNITS as UNITS;

/// The index of a unit name.
pub fn unit_index(name: &str) -> Option<u8> {
    UNITS.iter().position(|u| *u == name).map(|i| i as u8)
}

impl Point {
    /// Appends the point's bytes to `out`.
    pub fn encode_into(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.ts_ms.to_le_bytes());
        out.push(self.unit);
        let kind = match &self.sample {
            Sample::One(_) => 0u8,
            Sample::Set { .. } => 1,
            Sample::Many(_) => 2,
        };
        out.push(kind | if self.high_res { 0x80 } else { 0 });
        match &self.sample {
            Sample::One(v) => out.extend_from_slice(&v.to_le_bytes()),
            Sample::Set {
                count,
                sum,
                min,
                max,
            } => {
                for v in [count, sum, min, max] {
                    out.extend_from_slice(&v.to_le_bytes());
                }
            }
            Sample::Many(vs) => {
                out.extend_from_slice(&(vs.len() as u32).to_le_bytes());
                for (v, c) in vs {
                    out.extend_from_slice(&v.to_le_bytes());
                    out.extend_from_slice(&c.to_le_bytes());
                }
            }
        }
    }
}

/// Reads `n` bytes at `*at`.
fn take<'a>(bytes: &'a [u8], at: &mut usize, n: usize) -> Result<&'a [u8], CodecError> {
    let end = at
        .checked_add(n)
        .filter(|e| *e <= bytes.len())
        .ok_or_else(|| CodecError::from("truncated metric chunk".to_string()))?;
    let s = &bytes[*at..end];
    *at = end;
    Ok(s)
}

fn f64_at(bytes: &[u8], at: &mut usize) -> Result<f64, CodecError> {
    let b = take(bytes, at, 8)?;
    Ok(f64::from_le_bytes(b.try_into().unwrap_or([0; 8])))
}

/// Decodes a chunk's points, handing each to `f`.
pub fn decode_chunk(bytes: &[u8], mut f: impl FnMut(Point)) -> Result<(), CodecError> {
    let mut at = 0;
    while at < bytes.len() {
        let ts = take(bytes, &mut at, 8)?;
        let ts_ms = i64::from_le_bytes(ts.try_into().unwrap_or([0; 8]));
        let head = take(bytes, &mut at, 2)?;
        let (unit, kind) = (head[0], head[1]);
        let sample = match kind & 0x7f {
            0 => Sample::One(f64_at(bytes, &mut at)?),
            1 => Sample::Set {
                count: f64_at(bytes, &mut at)?,
                sum: f64_at(bytes, &mut at)?,
                min: f64_at(bytes, &mut at)?,
                max: f64_at(bytes, &mut at)?,
            },
            2 => {
                let n = take(bytes, &mut at, 4)?;
                let n = u32::from_le_bytes(n.try_into().unwrap_or([0; 4])) as usize;
                let mut vs = Vec::with_capacity(n.min(1024));
                for _ in 0..n {
                    vs.push((f64_at(bytes, &mut at)?, f64_at(bytes, &mut at)?));
                }
                Sample::Many(vs)
            }
            _ => return Err(CodecError::from("unknown point kind".to_string())),
        };
        f(Point {
            ts_ms,
            unit,
            high_res: kind & 0x80 != 0,
            sample,
        });
    }
    Ok(())
}

/// The codec of chunk rows: the bytes as they are.
#[derive(Clone, Copy, Debug, Default)]
pub struct ChunkBytes;

impl Codec<Vec<u8>> for ChunkBytes {
    fn encode(value: &Vec<u8>) -> Result<Vec<u8>, CodecError> {
        Ok(value.clone())
    }
    fn decode(bytes: &[u8]) -> Result<Vec<u8>, CodecError> {
        Ok(bytes.to_vec())
    }
}

/// The chunk table's type.
pub type Chunks = Table<Vec<u8>, ChunkBytes>;

/// The key prefix of `series`' chunk for the hour holding `ts_ms`
/// (`…/series/hour`; its rows add `/t` or `/s…`).
pub fn chunk_key(scope: Scope<'_>, series: &str, ts_ms: i64) -> String {
    let hour = ts_ms.div_euclid(CHUNK_MS) * CHUNK_MS;
    scope.key(&format!("{series}/{hour:014}"))
}

/// The open tail row of a chunk.
pub fn tail_key(chunk: &str) -> String {
    format!("{chunk}/t")
}

/// Every point of `series` with `start_ms <= ts < end_ms`, in chunk order
/// (points inside a chunk in the order they were put).
pub fn read_points(
    chunks: &Chunks,
    scope: Scope<'_>,
    series: &str,
    start_ms: i64,
    end_ms: i64,
    mut f: impl FnMut(Point),
) -> Result<(), gureum_store::StoreError> {
    if end_ms <= start_ms {
        return Ok(());
    }
    let first = chunk_key(scope, series, start_ms.max(0));
    let last = chunk_key(scope, series, (end_ms - 1).max(0));
    let mut err = None;
    let prefix = scope.key(&format!("{series}/"));
    // The first chunk's rows are included: seek to just before them.
    let before = {
        let mut b = first.clone();
        b.pop();
        b
    };
    let width = first.len();
    chunks.visit_prefix(&prefix, Some(&before), |key, bytes| {
        let hour = key.get(..width).unwrap_or(key);
        if hour > last.as_str() {
            return std::ops::ControlFlow::Break(());
        }
        if hour < first.as_str() {
            return std::ops::ControlFlow::Continue(());
        }
        if let Err(e) = decode_chunk(&bytes, |p| {
            if p.ts_ms >= start_ms && p.ts_ms < end_ms {
                f(p)
            }
        }) {
            err = Some(e);
            return std::ops::ControlFlow::Break(());
        }
        std::ops::ControlFlow::Continue(())
    })?;
    match err {
        Some(source) => Err(gureum_store::StoreError::Decode {
            table: "cloudwatch.points",
            key: series.to_string(),
            source,
        }),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn points_round_trip_through_chunk_bytes() {
        let pts = vec![
            Point {
                ts_ms: 1_000,
                unit: 15,
                high_res: false,
                sample: Sample::One(2.5),
            },
            Point {
                ts_ms: 2_000,
                unit: 0,
                high_res: true,
                sample: Sample::Many(vec![(1.0, 2.0), (3.0, 1.0)]),
            },
            Point {
                ts_ms: 3_000,
                unit: 4,
                high_res: false,
                sample: Sample::Set {
                    count: 3.0,
                    sum: 6.0,
                    min: 1.0,
                    max: 3.0,
                },
            },
        ];
        let mut bytes = Vec::new();
        for p in &pts {
            p.encode_into(&mut bytes);
        }
        let mut back = Vec::new();
        decode_chunk(&bytes, |p| back.push(p)).expect("decode");
        assert_eq!(back, pts);
        assert!(decode_chunk(&bytes[..bytes.len() - 1], |_| {}).is_err());
    }

    #[test]
    fn dimension_order_does_not_change_the_metric() {
        let a = MetricId::new(
            "N",
            "M",
            vec![("B".into(), "2".into()), ("A".into(), "1".into())],
        );
        let b = MetricId::new(
            "N",
            "M",
            vec![("A".into(), "1".into()), ("B".into(), "2".into())],
        );
        assert_eq!(a.series(), b.series());
        assert_eq!(a.key(), b.key());
    }
}
