//! Cost Explorer's dates: `TimePeriod` parsing (`YYYY-MM-DD`, or with a
//! time for hourly data) and the periods of a granularity.

use gureum_core::timestamp::{civil_from_days, days_from_civil};
use gureum_core::{AwsError, CommonError};

/// Milliseconds in a day.
pub const DAY_MS: i64 = 86_400_000;

fn invalid(message: String) -> AwsError {
    CommonError::ValidationException { message }.into()
}

/// Parses `2026-12-01` or `2026-12-01T05:00:00Z` into epoch ms.
pub fn parse(value: &str) -> Result<i64, AwsError> {
    let bad = || invalid(format!("Error parsing date: {value}"));
    let (date, time) = match value.split_once('T') {
        Some((d, t)) => (d, Some(t)),
        None => (value, None),
    };
    let mut parts = date.split('-');
    let (Some(y), Some(m), Some(d), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(bad());
    };
    let (y, m, d): (i64, u32, u32) = (
        y.parse().map_err(|_| bad())?,
        m.parse().map_err(|_| bad())?,
        d.parse().map_err(|_| bad())?,
    );
    if y.to_string().len() != 4 || !(1..=12).contains(&m) || d == 0 || d > days_in_month(y, m) {
        return Err(bad());
    }
    let mut ms = days_from_civil(y, m, d) * DAY_MS;
    if let Some(t) = time {
        let t = t.trim_end_matches('Z');
        let mut hms = t.split(':');
        let h: i64 = hms.next().and_then(|h| h.parse().ok()).ok_or_else(bad)?;
        let min: i64 = hms
            .next()
            .map_or(Some(0), |v| v.parse().ok())
            .ok_or_else(bad)?;
        if !(0..24).contains(&h) || !(0..60).contains(&min) {
            return Err(bad());
        }
        ms += h * 3_600_000 + min * 60_000;
    }
    Ok(ms)
}

/// Days in month `m` of year `y`.
pub fn days_in_month(y: i64, m: u32) -> u32 {
    let (ny, nm) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
    (days_from_civil(ny, nm, 1) - days_from_civil(y, m, 1)) as u32
}

/// The first ms of the month after the one holding `ms`.
pub fn next_month(ms: i64) -> i64 {
    let (y, m, _) = civil_from_days(ms.div_euclid(DAY_MS));
    let (ny, nm) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
    days_from_civil(ny, nm, 1) * DAY_MS
}

/// The first ms of the month holding `ms`.
pub fn month_start(ms: i64) -> i64 {
    let (y, m, _) = civil_from_days(ms.div_euclid(DAY_MS));
    days_from_civil(y, m, 1) * DAY_MS
}

/// `2026-12-01` (or with the time, for hourly periods).
pub fn format(ms: i64, hourly: bool) -> String {
    let (y, m, d) = civil_from_days(ms.div_euclid(DAY_MS));
    if hourly {
        let h = ms.rem_euclid(DAY_MS) / 3_600_000;
        format!("{y:04}-{m:02}-{d:02}T{h:02}:00:00Z")
    } else {
        format!("{y:04}-{m:02}-{d:02}")
    }
}

/// A granularity's periods covering `[start, end)`.
pub fn periods(granularity: &str, start: i64, end: i64) -> Vec<(i64, i64)> {
    let mut out = Vec::new();
    let mut t = start;
    while t < end {
        let next = match granularity {
            "HOURLY" => (t.div_euclid(3_600_000) + 1) * 3_600_000,
            "MONTHLY" => next_month(t),
            _ => (t.div_euclid(DAY_MS) + 1) * DAY_MS,
        }
        .min(end);
        out.push((t, next));
        t = next;
    }
    out
}

/// The longest range a granularity may ask for: AWS keeps hourly data
/// for 14 days, and Gureum answers at most five years of days or months
/// (AWS keeps 38 months), so a request cannot ask for millions of
/// periods.
pub fn check_span(granularity: &str, start: i64, end: i64) -> Result<(), AwsError> {
    let days = (end - start) / DAY_MS;
    match granularity {
        "HOURLY" if days > 14 => Err(invalid(
            "Hourly granularity is available for at most the last 14 days".into(),
        )),
        _ if days > 5 * 366 => Err(invalid(
            "The time period cannot be longer than 5 years".into(),
        )),
        _ => Ok(()),
    }
}

/// The `TimePeriod` of `input`, validated: (start, end) in ms.
pub fn time_period(input: &serde_json::Value) -> Result<(i64, i64), AwsError> {
    let tp = &input["TimePeriod"];
    let start = parse(tp["Start"].as_str().unwrap_or_default())?;
    let end = parse(tp["End"].as_str().unwrap_or_default())?;
    if start >= end {
        // AWS's wording (GetCostAndUsage).
        return Err(invalid(
            "Start date (and hour) should be before end date (and hour)".into(),
        ));
    }
    Ok((start, end))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn monthly_periods_split_at_month_boundaries() {
        let s = parse("2026-11-15").expect("the test's value");
        let e = parse("2027-01-01").expect("the test's value");
        let p = periods("MONTHLY", s, e);
        assert_eq!(p.len(), 2);
        assert_eq!(format(p[1].0, false), "2026-12-01");
    }

    #[test]
    fn hourly_periods_span_at_most_fourteen_days() {
        let s = parse("2026-12-01").expect("date");
        assert!(check_span("HOURLY", s, s + 14 * DAY_MS).is_ok());
        assert!(check_span("HOURLY", s, s + 15 * DAY_MS).is_err());
        assert!(check_span("DAILY", s, s + 15 * DAY_MS).is_ok());
        assert!(check_span("DAILY", s, parse("9999-12-31").expect("date")).is_err());
    }

    #[test]
    fn impossible_dates_do_not_parse() {
        assert!(parse("2026-02-30").is_err());
        assert!(parse("yesterday").is_err());
        assert!(parse("2026-12-01T25:00:00Z").is_err());
    }
}
