//! Schedule expressions: `rate(value unit)` and `cron(minutes hours
//! day-of-month month day-of-week year)`, AWS's six-field syntax (UTC),
//! and the next time each fires.

use gureum_core::timestamp::{civil_from_days, days_from_civil};

/// A parsed schedule expression.
#[derive(Clone, Debug, PartialEq)]
pub enum Schedule {
    /// Every so many milliseconds, from when the rule was made.
    Rate(i64),
    /// A cron expression.
    Cron(Box<Cron>),
}

/// The allowed values of each cron field.
#[derive(Clone, Debug, PartialEq)]
pub struct Cron {
    minutes: Vec<bool>,
    hours: Vec<bool>,
    /// Days of the month (1-31), or every day when the field is `?`.
    dom: Option<Vec<bool>>,
    months: Vec<bool>,
    /// Days of the week (1 = Sunday … 7), or every day when `?`.
    dow: Option<Vec<bool>>,
    years: Vec<bool>,
}

const MINUTE_MS: i64 = 60_000;
const FIRST_YEAR: i64 = 1970;
const LAST_YEAR: i64 = 2199;

impl Schedule {
    /// Parses an expression; `None` when AWS would refuse it.
    pub fn parse(text: &str) -> Option<Schedule> {
        if let Some(inner) = text.strip_prefix("rate(").and_then(|t| t.strip_suffix(')')) {
            let (n, unit) = inner.trim().split_once(' ')?;
            let n: i64 = n.parse().ok().filter(|n| *n > 0)?;
            let minutes = match (unit, n) {
                ("minute", 1) | ("minutes", 2..) => 1,
                ("hour", 1) | ("hours", 2..) => 60,
                ("day", 1) | ("days", 2..) => 1440,
                _ => return None,
            };
            return Some(Schedule::Rate(n.checked_mul(minutes * MINUTE_MS)?));
        }
        let inner = text.strip_prefix("cron(")?.strip_suffix(')')?;
        Cron::parse(inner).map(|c| Schedule::Cron(Box::new(c)))
    }

    /// The first firing strictly after `after_ms`, for a rule made at
    /// `created_ms`.
    pub fn next_after(&self, created_ms: i64, after_ms: i64) -> Option<i64> {
        match self {
            Schedule::Rate(period) => {
                let elapsed = (after_ms - created_ms).max(0);
                Some(created_ms + (elapsed / period + 1) * period)
            }
            Schedule::Cron(cron) => cron.next_after(after_ms),
        }
    }
}

fn field(text: &str, lo: u32, hi: u32, names: &[&str]) -> Option<Vec<bool>> {
    let mut allowed = vec![false; hi as usize + 1];
    let value = |s: &str| -> Option<u32> {
        if let Some(i) = names.iter().position(|n| n.eq_ignore_ascii_case(s)) {
            return Some(lo + i as u32);
        }
        s.parse().ok().filter(|v| (lo..=hi).contains(v))
    };
    for part in text.split(',') {
        let (range, step) = match part.split_once('/') {
            Some((r, s)) => (r, s.parse::<u32>().ok().filter(|s| *s > 0)?),
            None => (part, 1),
        };
        let (start, end) = match range {
            "*" => (lo, hi),
            r => match r.split_once('-') {
                Some((a, b)) => (value(a)?, value(b)?),
                None if part.contains('/') => (value(r)?, hi),
                None => {
                    let v = value(r)?;
                    (v, v)
                }
            },
        };
        if start > end {
            return None;
        }
        let mut v = start;
        while v <= end {
            allowed[v as usize] = true;
            v += step;
        }
    }
    Some(allowed)
}

impl Cron {
    fn parse(text: &str) -> Option<Cron> {
        let parts: Vec<&str> = text.split_whitespace().collect();
        let [min, hour, dom, month, dow, year] = parts.as_slice() else {
            return None;
        };
        // Exactly one of the day fields is `?` (AWS).
        let (dom, dow) = match (*dom == "?", *dow == "?") {
            (true, false) => (None, Some(field(dow, 1, 7, &DAYS)?)),
            (false, true) => (Some(field(dom, 1, 31, &[])?), None),
            _ => return None,
        };
        Some(Cron {
            minutes: field(min, 0, 59, &[])?,
            hours: field(hour, 0, 23, &[])?,
            dom,
            months: field(month, 1, 12, &MONTHS)?,
            dow,
            years: field(year, FIRST_YEAR as u32, LAST_YEAR as u32, &[])?,
        })
    }

    fn day_matches(&self, days: i64) -> bool {
        let (y, m, d) = civil_from_days(days);
        // 1970-01-01 was a Thursday (5 with Sunday = 1).
        let weekday = (days + 4).rem_euclid(7) as usize + 1;
        self.years.get(y as usize).copied().unwrap_or(false)
            && self.months[m as usize]
            && self.dom.as_ref().is_none_or(|v| v[d as usize])
            && self.dow.as_ref().is_none_or(|v| v[weekday])
    }

    fn next_after(&self, after_ms: i64) -> Option<i64> {
        let start = after_ms.div_euclid(MINUTE_MS) + 1;
        let mut day = start.div_euclid(1440);
        let last_day = days_from_civil(LAST_YEAR, 12, 31);
        while day <= last_day {
            if self.day_matches(day) {
                let first = if day == start.div_euclid(1440) {
                    start.rem_euclid(1440)
                } else {
                    0
                };
                for minute_of_day in first..1440 {
                    let (h, m) = (minute_of_day / 60, minute_of_day % 60);
                    if self.hours[h as usize] && self.minutes[m as usize] {
                        return Some((day * 1440 + minute_of_day) * MINUTE_MS);
                    }
                }
            }
            day += 1;
        }
        None
    }
}

const DAYS: [&str; 7] = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];
const MONTHS: [&str; 12] = [
    "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC",
];

#[cfg(test)]
mod tests {
    use super::Schedule;
    use gureum_core::timestamp::parse_iso8601;

    fn at(s: &str) -> i64 {
        parse_iso8601(s).expect("a time")
    }

    #[test]
    fn rate_takes_a_positive_value_and_a_unit_agreeing_in_number() {
        assert_eq!(
            Schedule::parse("rate(5 minutes)"),
            Some(Schedule::Rate(300_000))
        );
        assert_eq!(
            Schedule::parse("rate(1 hour)"),
            Some(Schedule::Rate(3_600_000))
        );
        assert_eq!(
            Schedule::parse("rate(2 days)"),
            Some(Schedule::Rate(172_800_000))
        );
        for bad in [
            "rate(1 minutes)",
            "rate(5 minute)",
            "rate(0 minutes)",
            "rate(5 weeks)",
            "rate(x)",
        ] {
            assert_eq!(Schedule::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn rate_fires_every_period_from_creation() {
        let s = Schedule::parse("rate(5 minutes)").expect("rate");
        assert_eq!(s.next_after(0, 0), Some(300_000));
        assert_eq!(s.next_after(0, 300_000), Some(600_000));
    }

    #[test]
    fn cron_has_six_fields_and_one_question_mark_day() {
        assert!(Schedule::parse("cron(0 12 * * ? *)").is_some());
        assert!(Schedule::parse("cron(0/15 * ? * MON-FRI *)").is_some());
        assert!(Schedule::parse("cron(0 12 * * *)").is_none(), "five fields");
        assert!(Schedule::parse("cron(0 12 * * * *)").is_none(), "no ?");
        assert!(Schedule::parse("cron(0 12 ? * ? *)").is_none(), "two ?");
        assert!(Schedule::parse("cron(61 12 * * ? *)").is_none());
    }

    #[test]
    fn cron_fires_at_the_next_matching_minute() {
        let s = Schedule::parse("cron(0 12 * * ? *)").expect("cron");
        assert_eq!(
            s.next_after(0, at("2026-01-01T11:00:00Z")),
            Some(at("2026-01-01T12:00:00Z"))
        );
        assert_eq!(
            s.next_after(0, at("2026-01-01T12:00:00Z")),
            Some(at("2026-01-02T12:00:00Z"))
        );
        let weekdays = Schedule::parse("cron(30 9 ? * MON-FRI *)").expect("cron");
        // 2026-01-03 is a Saturday.
        assert_eq!(
            weekdays.next_after(0, at("2026-01-03T00:00:00Z")),
            Some(at("2026-01-05T09:30:00Z"))
        );
    }
}
