//! Statistics over stored points: a period's aggregate, the standard
//! statistics, percentiles and trimmed means as CloudWatch computes them,
//! and the retention and alignment rules applied at read time.

use crate::store::{Point, Sample};
use std::collections::BTreeMap;

/// One statistic a request names.
#[derive(Clone, Debug, PartialEq)]
pub enum Stat {
    /// `SampleCount`.
    SampleCount,
    /// `Average`.
    Average,
    /// `Sum`.
    Sum,
    /// `Minimum`.
    Minimum,
    /// `Maximum`.
    Maximum,
    /// `pNN.NN`: the value below which that share of samples fall.
    Percentile(f64),
    /// `tmNN`, `TM(a%:b%)`, `IQM`: the mean of the samples between two
    /// percentiles.
    TrimmedMean(f64, f64),
}

impl Stat {
    /// A standard statistic's name (`Statistics`, `Statistic`).
    pub fn standard(name: &str) -> Option<Stat> {
        Some(match name {
            "SampleCount" => Stat::SampleCount,
            "Average" => Stat::Average,
            "Sum" => Stat::Sum,
            "Minimum" => Stat::Minimum,
            "Maximum" => Stat::Maximum,
            _ => return None,
        })
    }

    /// An extended statistic (`p99`, `p99.9`, `tm90`, `TM(10%:90%)`,
    /// `IQM`).
    pub fn extended(name: &str) -> Option<Stat> {
        let pct = |s: &str| -> Option<f64> {
            let v: f64 = s.parse().ok()?;
            (s.len() <= 6 && (0.0..=100.0).contains(&v) && !s.starts_with('+')).then_some(v)
        };
        if name == "IQM" {
            return Some(Stat::TrimmedMean(25.0, 75.0));
        }
        if let Some(p) = name.strip_prefix('p') {
            return pct(p).map(Stat::Percentile);
        }
        if let Some(t) = name.strip_prefix("tm") {
            return pct(t).map(|v| Stat::TrimmedMean(0.0, v));
        }
        let inner = name
            .strip_prefix("TM(")
            .or_else(|| name.strip_prefix("tm("))?
            .strip_suffix(')')?;
        let (a, b) = inner.split_once(':')?;
        let lo = if a.is_empty() {
            0.0
        } else {
            pct(a.strip_suffix('%')?)?
        };
        let hi = if b.is_empty() {
            100.0
        } else {
            pct(b.strip_suffix('%')?)?
        };
        (lo < hi).then_some(Stat::TrimmedMean(lo, hi))
    }

    /// Whether it needs the raw values (percentiles, trimmed means).
    pub fn needs_values(&self) -> bool {
        matches!(self, Stat::Percentile(_) | Stat::TrimmedMean(..))
    }

    /// Either kind (`Stat` in `MetricStat`, an alarm's statistic).
    pub fn parse(name: &str) -> Option<Stat> {
        Stat::standard(name).or_else(|| Stat::extended(name))
    }
}

/// The aggregate of one period's points.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Agg {
    /// `SampleCount`.
    pub count: f64,
    /// `Sum`.
    pub sum: f64,
    /// `Minimum`.
    pub min: f64,
    /// `Maximum`.
    pub max: f64,
    /// Raw values with their counts (for percentiles).
    pub values: Vec<(f64, f64)>,
    /// Whether every point kept its raw values (a statistic set with more
    /// than one sample and `Minimum != Maximum` does not).
    pub raw: bool,
    /// The unit of the first point (index into [`crate::store::UNITS`]).
    pub unit: u8,
    /// Whether raw values are kept (only percentiles need them).
    pub keep_values: bool,
}

impl Agg {
    /// An empty aggregate; `keep_values` for percentiles and trimmed means.
    pub fn new(keep_values: bool) -> Agg {
        Agg {
            keep_values,
            ..Agg::default()
        }
    }

    /// Adds one point.
    pub fn add(&mut self, p: &Point) {
        if self.count == 0.0 {
            self.min = f64::INFINITY;
            self.max = f64::NEG_INFINITY;
            self.raw = true;
            self.unit = p.unit;
        }
        match &p.sample {
            Sample::One(v) => self.push(*v, 1.0),
            Sample::Many(vs) => {
                for (v, c) in vs {
                    self.push(*v, *c);
                }
            }
            Sample::Set {
                count,
                sum,
                min,
                max,
            } => {
                self.count += count;
                self.sum += sum;
                self.min = self.min.min(*min);
                self.max = self.max.max(*max);
                if *count == 1.0 || min == max {
                    if self.keep_values {
                        self.values.push((*min, *count));
                    }
                } else {
                    self.raw = false;
                }
            }
        }
    }

    fn push(&mut self, v: f64, c: f64) {
        self.count += c;
        self.sum += v * c;
        self.min = self.min.min(v);
        self.max = self.max.max(v);
        if self.keep_values {
            self.values.push((v, c));
        }
    }

    /// The statistic's value, `None` when it cannot be computed (no
    /// samples; percentiles of statistic sets or of negative values).
    pub fn stat(&mut self, stat: &Stat) -> Option<f64> {
        if self.count <= 0.0 {
            return None;
        }
        Some(match stat {
            Stat::SampleCount => self.count,
            Stat::Average => self.sum / self.count,
            Stat::Sum => self.sum,
            Stat::Minimum => self.min,
            Stat::Maximum => self.max,
            Stat::Percentile(p) => {
                if !self.percentiles_ok() || !self.keep_values {
                    return None;
                }
                self.sort();
                percentile(&self.values, *p)
            }
            Stat::TrimmedMean(lo, hi) => {
                if !self.percentiles_ok() || !self.keep_values {
                    return None;
                }
                self.sort();
                trimmed_mean(&self.values, *lo, *hi)?
            }
        })
    }

    fn percentiles_ok(&self) -> bool {
        self.raw && self.min >= 0.0
    }

    fn sort(&mut self) {
        self.values.sort_by(|a, b| a.0.total_cmp(&b.0));
    }
}

/// The nearest-rank percentile of weighted, sorted values: the smallest
/// value at or below which `p`% of the samples fall.
pub fn percentile(sorted: &[(f64, f64)], p: f64) -> f64 {
    let total: f64 = sorted.iter().map(|(_, c)| c).sum();
    let rank = (p / 100.0 * total).ceil().max(1.0);
    let mut seen = 0.0;
    for (v, c) in sorted {
        seen += c;
        if seen >= rank {
            return *v;
        }
    }
    sorted.last().map_or(0.0, |(v, _)| *v)
}

/// The mean of the samples ranked between the `lo` and `hi` percentiles
/// (`lo` exclusive, `hi` inclusive), of weighted, sorted values.
pub fn trimmed_mean(sorted: &[(f64, f64)], lo: f64, hi: f64) -> Option<f64> {
    let total: f64 = sorted.iter().map(|(_, c)| c).sum();
    let (from, to) = (lo / 100.0 * total, hi / 100.0 * total);
    let (mut seen, mut sum, mut n) = (0.0, 0.0, 0.0);
    for (v, c) in sorted {
        let start = seen;
        seen += c;
        let take = (seen.min(to) - start.max(from)).max(0.0);
        sum += v * take;
        n += take;
    }
    (n > 0.0).then(|| sum / n)
}

/// How long each storage resolution is kept (CloudWatch's retention
/// tiers): 1-second data for 3 hours, 1-minute for 15 days, 5-minute for
/// 63 days, 1-hour for 455 days.
pub const THREE_HOURS_MS: i64 = 3 * 3_600_000;
/// 15 days.
pub const FIFTEEN_DAYS_MS: i64 = 15 * 86_400_000;
/// 63 days.
pub const SIXTY_THREE_DAYS_MS: i64 = 63 * 86_400_000;
/// 455 days: nothing older is returned.
pub const RETENTION_MS: i64 = 455 * 86_400_000;

/// Whether a read starting at `start_ms` with `period_s` can return data
/// under the retention tiers: the older the start, the coarser the period
/// must be (finer periods return no datapoints, as CloudWatch's do).
pub fn period_serves(start_ms: i64, now_ms: i64, period_s: i64) -> bool {
    let age = now_ms - start_ms;
    if age > SIXTY_THREE_DAYS_MS {
        period_s % 3600 == 0
    } else if age > FIFTEEN_DAYS_MS {
        period_s % 300 == 0
    } else if age > THREE_HOURS_MS {
        period_s % 60 == 0
    } else {
        true
    }
}

/// The start CloudWatch rounds a query's `StartTime` down to: the whole
/// minute within 15 days, 5 minutes within 63 days, the hour beyond; a
/// sub-minute period aligns to itself.
pub fn align_start(start_ms: i64, now_ms: i64, period_s: i64) -> i64 {
    let age = now_ms - start_ms;
    let unit = if period_s < 60 {
        period_s.max(1) * 1000
    } else if age > SIXTY_THREE_DAYS_MS {
        3_600_000
    } else if age > FIFTEEN_DAYS_MS {
        300_000
    } else {
        60_000
    };
    start_ms.div_euclid(unit) * unit
}

/// The points of one read, aggregated per period from `start_ms`, only
/// those of `unit` when given. Keys are period starts.
pub fn bucket(
    points: impl IntoIterator<Item = Point>,
    start_ms: i64,
    period_ms: i64,
    unit: Option<u8>,
) -> BTreeMap<i64, Agg> {
    let mut out: BTreeMap<i64, Agg> = BTreeMap::new();
    for p in points {
        if unit.is_some_and(|u| u != p.unit) {
            continue;
        }
        let b = start_ms + (p.ts_ms - start_ms).div_euclid(period_ms) * period_ms;
        out.entry(b).or_insert_with(|| Agg::new(true)).add(&p);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(ts: i64, v: f64) -> Point {
        Point {
            ts_ms: ts,
            unit: 0,
            high_res: false,
            sample: Sample::One(v),
        }
    }

    #[test]
    fn standard_statistics_of_a_period() {
        let mut a = Agg::new(true);
        for v in [1.0, 2.0, 3.0, 10.0] {
            a.add(&one(0, v));
        }
        assert_eq!(a.stat(&Stat::SampleCount), Some(4.0));
        assert_eq!(a.stat(&Stat::Sum), Some(16.0));
        assert_eq!(a.stat(&Stat::Average), Some(4.0));
        assert_eq!(a.stat(&Stat::Minimum), Some(1.0));
        assert_eq!(a.stat(&Stat::Maximum), Some(10.0));
    }

    #[test]
    fn percentiles_are_nearest_rank_over_weighted_values() {
        let mut a = Agg::new(true);
        for v in 1..=100 {
            a.add(&one(0, f64::from(v)));
        }
        assert_eq!(a.stat(&Stat::Percentile(99.0)), Some(99.0));
        assert_eq!(a.stat(&Stat::Percentile(50.0)), Some(50.0));
        assert_eq!(a.stat(&Stat::Percentile(100.0)), Some(100.0));
        assert_eq!(a.stat(&Stat::Percentile(0.0)), Some(1.0));
        let mut w = Agg::new(true);
        w.add(&Point {
            ts_ms: 0,
            unit: 0,
            high_res: false,
            sample: Sample::Many(vec![(1.0, 9.0), (50.0, 1.0)]),
        });
        assert_eq!(w.stat(&Stat::Percentile(90.0)), Some(1.0));
        assert_eq!(w.stat(&Stat::Percentile(91.0)), Some(50.0));
        assert_eq!(
            a.stat(&Stat::TrimmedMean(0.0, 90.0)),
            Some(45.5),
            "mean of 1..=90"
        );
    }

    #[test]
    fn percentiles_of_statistic_sets_or_negative_values_are_unavailable() {
        let mut s = Agg::new(true);
        s.add(&Point {
            ts_ms: 0,
            unit: 0,
            high_res: false,
            sample: Sample::Set {
                count: 2.0,
                sum: 3.0,
                min: 1.0,
                max: 2.0,
            },
        });
        assert_eq!(s.stat(&Stat::Percentile(50.0)), None);
        assert_eq!(s.stat(&Stat::Average), Some(1.5));
        let mut n = Agg::new(true);
        n.add(&one(0, -1.0));
        assert_eq!(n.stat(&Stat::Percentile(50.0)), None);
    }

    #[test]
    fn extended_statistic_names() {
        assert_eq!(Stat::extended("p99"), Some(Stat::Percentile(99.0)));
        assert_eq!(Stat::extended("p99.9"), Some(Stat::Percentile(99.9)));
        assert_eq!(Stat::extended("p101"), None);
        assert_eq!(Stat::extended("Average"), None);
        assert_eq!(
            Stat::extended("TM(10%:90%)"),
            Some(Stat::TrimmedMean(10.0, 90.0))
        );
        assert_eq!(Stat::extended("IQM"), Some(Stat::TrimmedMean(25.0, 75.0)));
    }

    #[test]
    fn retention_tiers_refuse_fine_periods_for_old_starts() {
        let now = 100 * 86_400_000;
        assert!(period_serves(now - 3_600_000, now, 1));
        assert!(!period_serves(now - 4 * 3_600_000, now, 30));
        assert!(period_serves(now - 4 * 3_600_000, now, 60));
        assert!(!period_serves(now - 20 * 86_400_000, now, 60));
        assert!(period_serves(now - 20 * 86_400_000, now, 300));
        assert!(!period_serves(now - 70 * 86_400_000, now, 300));
        assert!(period_serves(now - 70 * 86_400_000, now, 3600));
    }

    #[test]
    fn points_fall_into_period_buckets_from_the_start() {
        let b = bucket(
            vec![one(60_000, 1.0), one(119_000, 2.0), one(120_000, 5.0)],
            60_000,
            60_000,
            None,
        );
        assert_eq!(b.len(), 2);
        assert_eq!(b[&60_000].sum, 3.0);
        assert_eq!(b[&120_000].sum, 5.0);
    }
}
