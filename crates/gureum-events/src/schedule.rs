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
    /// The day-of-month rule, or every day when the field is `?`.
    dom: Option<DayOfMonth>,
    months: Vec<bool>,
    /// The day-of-week rule (1 = Sunday … 7), or every day when `?`.
    dow: Option<DayOfWeek>,
    years: Vec<bool>,
}

/// A day-of-month field.
#[derive(Clone, Debug, PartialEq)]
enum DayOfMonth {
    /// Listed days (1-31).
    Days(Vec<bool>),
    /// `L`: the month's last day.
    Last,
    /// `LW`: the month's last weekday.
    LastWeekday,
    /// `NW`: the weekday nearest day N, within the month.
    NearestWeekday(u32),
}

/// A day-of-week field.
#[derive(Clone, Debug, PartialEq)]
enum DayOfWeek {
    /// Listed days (1 = Sunday … 7).
    Days(Vec<bool>),
    /// `NL`: the month's last day N.
    Last(u32),
    /// `N#k`: the month's k-th day N.
    Nth(u32, u32),
}

const MINUTE_MS: i64 = 60_000;

fn day_of_week_value(text: &str) -> Option<u32> {
    if let Some(i) = DAYS.iter().position(|n| n.eq_ignore_ascii_case(text)) {
        return Some(i as u32 + 1);
    }
    text.parse().ok().filter(|v| (1..=7).contains(v))
}

fn day_of_month(text: &str) -> Option<DayOfMonth> {
    match text {
        "L" => Some(DayOfMonth::Last),
        "LW" => Some(DayOfMonth::LastWeekday),
        _ => match text.strip_suffix('W') {
            Some(n) => n
                .parse()
                .ok()
                .filter(|d| (1..=31).contains(d))
                .map(DayOfMonth::NearestWeekday),
            None => field(text, 1, 31, &[]).map(DayOfMonth::Days),
        },
    }
}

fn day_of_week(text: &str) -> Option<DayOfWeek> {
    if let Some((day, nth)) = text.split_once('#') {
        let nth: u32 = nth.parse().ok().filter(|n| (1..=5).contains(n))?;
        return Some(DayOfWeek::Nth(day_of_week_value(day)?, nth));
    }
    if let Some(day) = text.strip_suffix('L').filter(|d| !d.is_empty()) {
        return Some(DayOfWeek::Last(day_of_week_value(day)?));
    }
    field(text, 1, 7, &DAYS).map(DayOfWeek::Days)
}

fn days_in_month(y: i64, m: u32) -> u32 {
    let (ny, nm) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
    (days_from_civil(ny, nm, 1) - days_from_civil(y, m, 1)) as u32
}

/// 1 = Sunday … 7 (1970-01-01 was a Thursday).
fn weekday_of(days: i64) -> u32 {
    (days + 4).rem_euclid(7) as u32 + 1
}
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
                let elapsed = after_ms.saturating_sub(created_ms).max(0);
                let periods = (elapsed / period).checked_add(1)?;
                created_ms.checked_add(periods.checked_mul(*period)?)
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
            (true, false) => (None, Some(day_of_week(dow)?)),
            (false, true) => (Some(day_of_month(dom)?), None),
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
        let weekday = weekday_of(days);
        let last = days_in_month(y, m);
        let is_weekday = (2..=6).contains(&weekday);
        let dom = match &self.dom {
            None => true,
            Some(DayOfMonth::Days(v)) => v[d as usize],
            Some(DayOfMonth::Last) => d == last,
            Some(DayOfMonth::LastWeekday) => {
                is_weekday
                    && (d + 1..=last)
                        .all(|later| !(2..=6).contains(&weekday_of(days + i64::from(later - d))))
            }
            Some(DayOfMonth::NearestWeekday(n)) => {
                let target = (*n).min(last);
                let target_days = days - i64::from(d) + i64::from(target);
                let nearest = match weekday_of(target_days) {
                    // Saturday: Friday before, unless that leaves the month.
                    7 if target > 1 => target - 1,
                    7 => target + 2,
                    // Sunday: Monday after, unless that leaves the month.
                    1 if target < last => target + 1,
                    1 => target - 2,
                    _ => target,
                };
                d == nearest
            }
        };
        let dow = match &self.dow {
            None => true,
            Some(DayOfWeek::Days(v)) => v[weekday as usize],
            Some(DayOfWeek::Last(w)) => weekday == *w && d + 7 > last,
            Some(DayOfWeek::Nth(w, nth)) => weekday == *w && (d - 1) / 7 + 1 == *nth,
        };
        self.years.get(y as usize).copied().unwrap_or(false)
            && self.months[m as usize]
            && dom
            && dow
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
    fn a_rate_too_long_to_fire_never_fires() {
        let s = Schedule::parse("rate(106751991167 days)").expect("rate");
        assert_eq!(s.next_after(i64::MAX / 2, i64::MAX / 2), None);
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
    fn cron_knows_last_days_nearest_weekdays_and_nth_weekdays() {
        let last = Schedule::parse("cron(0 0 L * ? *)").expect("L");
        assert_eq!(
            last.next_after(0, at("2026-02-01T00:00:00Z")),
            Some(at("2026-02-28T00:00:00Z"))
        );
        // 2026-01-31 is a Saturday: the last weekday is Friday the 30th.
        let lw = Schedule::parse("cron(0 0 LW * ? *)").expect("LW");
        assert_eq!(
            lw.next_after(0, at("2026-01-01T00:00:00Z")),
            Some(at("2026-01-30T00:00:00Z"))
        );
        // 2026-02-01 is a Sunday: 1W is Monday the 2nd.
        let w = Schedule::parse("cron(0 0 1W * ? *)").expect("W");
        assert_eq!(
            w.next_after(0, at("2026-01-31T00:00:00Z")),
            Some(at("2026-02-02T00:00:00Z"))
        );
        // The last Friday of January 2026 is the 30th; its second Tuesday the 13th.
        let fri = Schedule::parse("cron(0 0 ? * 6L *)").expect("6L");
        assert_eq!(
            fri.next_after(0, at("2026-01-01T00:00:00Z")),
            Some(at("2026-01-30T00:00:00Z"))
        );
        let tue = Schedule::parse("cron(0 0 ? * 3#2 *)").expect("3#2");
        assert_eq!(
            tue.next_after(0, at("2026-01-01T00:00:00Z")),
            Some(at("2026-01-13T00:00:00Z"))
        );
        assert!(Schedule::parse("cron(0 0 ? * 3#6 *)").is_none());
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
