//! Timestamps in the wire formats AWS uses.
//!
//! Protocols write time three ways: ISO 8601 (`2014-04-29T18:30:38.123Z`;
//! query, ec2 and XML bodies, URI labels), HTTP dates
//! (`Tue, 29 Apr 2014 18:30:38 GMT`; headers) and epoch seconds (JSON
//! bodies). SigV4 adds the compact `20140429T183038Z`. Everything here works
//! on milliseconds since the Unix epoch, UTC, with no allocation beyond the
//! returned string and no panics on malformed input.

const DAY_NAMES: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
const MONTH_NAMES: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// Days since 1970-01-01 for a proleptic Gregorian date (H. Hinnant's algorithm).
pub fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = m as i64;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The date (year, month, day) of a day count since 1970-01-01.
pub fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

struct Parts {
    year: i64,
    month: u32,
    day: u32,
    hour: u32,
    minute: u32,
    second: u32,
    millis: u32,
    weekday: usize,
}

fn split(millis: i64) -> Parts {
    let days = millis.div_euclid(86_400_000);
    let rem = millis.rem_euclid(86_400_000);
    let (year, month, day) = civil_from_days(days);
    Parts {
        year,
        month,
        day,
        hour: (rem / 3_600_000) as u32,
        minute: (rem / 60_000 % 60) as u32,
        second: (rem / 1000 % 60) as u32,
        millis: (rem % 1000) as u32,
        weekday: days.rem_euclid(7) as usize,
    }
}

/// `2014-04-29T18:30:38.123Z`, always with milliseconds (as AWS writes them).
pub fn format_iso8601(millis: i64) -> String {
    let p = split(millis);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        p.year, p.month, p.day, p.hour, p.minute, p.second, p.millis
    )
}

/// `2014-04-29T18:30:38Z`, whole seconds (some services, e.g. STS, write this).
pub fn format_iso8601_seconds(millis: i64) -> String {
    let p = split(millis);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        p.year, p.month, p.day, p.hour, p.minute, p.second
    )
}

/// `Tue, 29 Apr 2014 18:30:38 GMT` (RFC 7231 IMF-fixdate).
pub fn format_http_date(millis: i64) -> String {
    let p = split(millis);
    if !(0..=9999).contains(&p.year) {
        return http_date_by_format(&p);
    }
    // Written by hand: every object response carries one (`Last-Modified`),
    // and `format!` cost ~2.5k instructions of a 1 KiB GET.
    let mut out = String::with_capacity(29);
    out.push_str(DAY_NAMES[p.weekday]);
    out.push_str(", ");
    push_digits(&mut out, p.day, 2);
    out.push(' ');
    out.push_str(MONTH_NAMES[(p.month - 1) as usize]);
    out.push(' ');
    push_digits(&mut out, p.year as u32, 4);
    out.push(' ');
    push_digits(&mut out, p.hour, 2);
    out.push(':');
    push_digits(&mut out, p.minute, 2);
    out.push(':');
    push_digits(&mut out, p.second, 2);
    out.push_str(" GMT");
    out
}

/// The HTTP date through `format!`: years outside 0–9999, and the
/// reference the hand-written form is tested against.
fn http_date_by_format(p: &Parts) -> String {
    format!(
        "{}, {:02} {} {:04} {:02}:{:02}:{:02} GMT",
        DAY_NAMES[p.weekday],
        p.day,
        MONTH_NAMES[(p.month - 1) as usize],
        p.year,
        p.hour,
        p.minute,
        p.second
    )
}

/// The last `width` decimal digits of `n`, zero-padded.
fn push_digits(out: &mut String, n: u32, width: u32) {
    for i in (0..width).rev() {
        out.push(char::from(b'0' + (n / 10u32.pow(i) % 10) as u8));
    }
}

/// `20140429T183038Z`, the `X-Amz-Date` form.
pub fn format_amz_date(millis: i64) -> String {
    let p = split(millis);
    format!(
        "{:04}{:02}{:02}T{:02}{:02}{:02}Z",
        p.year, p.month, p.day, p.hour, p.minute, p.second
    )
}

fn num(s: &str) -> Option<u32> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

fn valid(year: i64, month: u32, day: u32, h: u32, mi: u32, s: u32) -> bool {
    (1..=12).contains(&month)
        && (1..=31).contains(&day)
        && h < 24
        && mi < 60
        && s <= 60
        && (0..=9999).contains(&year)
}

/// Milliseconds from the digits after a decimal point (`"123456"` → 123);
/// anything but ASCII digits is refused.
fn frac_millis(frac: &str) -> Option<u32> {
    if !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let digits = &frac[..frac.len().min(3)];
    if digits.is_empty() {
        return Some(0);
    }
    Some(num(digits)? * 10u32.pow(3 - digits.len() as u32))
}

/// Parses ISO 8601 / RFC 3339 date-times: `2014-04-29T18:30:38Z`, with
/// optional fractional seconds and a `Z` or `±hh:mm` offset. Also accepts
/// the compact `20140429T183038Z`.
pub fn parse_iso8601(s: &str) -> Option<i64> {
    let s = s.trim();
    if s.len() == 16 && s.as_bytes()[8] == b'T' && s.ends_with('Z') {
        return parse_amz_date(s);
    }
    let (date, rest) = s.split_once(['T', 't', ' '])?;
    let mut d = date.splitn(3, '-');
    let year = num(d.next()?)? as i64;
    let month = num(d.next()?)?;
    let day = num(d.next()?)?;
    // Split the offset from the time.
    let (time, offset_secs) = if let Some(t) = rest.strip_suffix(['Z', 'z']) {
        (t, 0i64)
    } else if let Some(pos) = rest.rfind(['+', '-']) {
        let (t, off) = rest.split_at(pos);
        let sign = if off.starts_with('-') { -1 } else { 1 };
        let off = &off[1..];
        let (oh, om) = off
            .split_once(':')
            .unwrap_or((off.get(..2)?, off.get(2..)?));
        (t, sign * (num(oh)? as i64 * 3600 + num(om)? as i64 * 60))
    } else {
        (rest, 0)
    };
    let mut t = time.splitn(3, ':');
    let hour = num(t.next()?)?;
    let minute = num(t.next()?)?;
    let sec_part = t.next()?;
    let (sec, frac) = sec_part.split_once('.').unwrap_or((sec_part, ""));
    let second = num(sec)?;
    let millis = frac_millis(frac)?;
    if !valid(year, month, day, hour, minute, second) {
        return None;
    }
    let days = days_from_civil(year, month, day);
    let secs =
        days * 86_400 + hour as i64 * 3600 + minute as i64 * 60 + second as i64 - offset_secs;
    Some(secs * 1000 + millis as i64)
}

/// Parses the SigV4 `X-Amz-Date` form `20140429T183038Z`.
pub fn parse_amz_date(s: &str) -> Option<i64> {
    if s.len() != 16 || s.as_bytes()[8] != b'T' || !s.ends_with('Z') {
        return None;
    }
    let year = num(s.get(0..4)?)? as i64;
    let month = num(s.get(4..6)?)?;
    let day = num(s.get(6..8)?)?;
    let hour = num(s.get(9..11)?)?;
    let minute = num(s.get(11..13)?)?;
    let second = num(s.get(13..15)?)?;
    if !valid(year, month, day, hour, minute, second) {
        return None;
    }
    let days = days_from_civil(year, month, day);
    Some((days * 86_400 + hour as i64 * 3600 + minute as i64 * 60 + second as i64) * 1000)
}

/// Parses an HTTP date (`Tue, 29 Apr 2014 18:30:38 GMT`), also without the
/// weekday and with fractional seconds, which some clients send.
pub fn parse_http_date(s: &str) -> Option<i64> {
    let s = s.trim();
    let s = match s.split_once(',') {
        Some((_, rest)) => rest.trim(),
        None => s,
    };
    let mut it = s.split_ascii_whitespace();
    let day = num(it.next()?)?;
    let mon_name = it.next()?;
    let month = MONTH_NAMES
        .iter()
        .position(|m| m.eq_ignore_ascii_case(mon_name))? as u32
        + 1;
    let year = num(it.next()?)? as i64;
    let time = it.next()?;
    let zone = it.next().unwrap_or("GMT");
    if !matches!(zone, "GMT" | "UTC" | "Z" | "+0000") {
        return None;
    }
    let mut t = time.splitn(3, ':');
    let hour = num(t.next()?)?;
    let minute = num(t.next()?)?;
    let sec_part = t.next()?;
    let (sec, frac) = sec_part.split_once('.').unwrap_or((sec_part, ""));
    let second = num(sec)?;
    let millis = frac_millis(frac)?;
    if !valid(year, month, day, hour, minute, second) {
        return None;
    }
    let days = days_from_civil(year, month, day);
    Some(
        (days * 86_400 + hour as i64 * 3600 + minute as i64 * 60 + second as i64) * 1000
            + millis as i64,
    )
}

/// Parses epoch seconds, possibly fractional (`1398796238.123`).
pub fn parse_epoch_seconds(s: &str) -> Option<i64> {
    let v: f64 = s.trim().parse().ok()?;
    if !v.is_finite() {
        return None;
    }
    Some((v * 1000.0).round() as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: i64 = 1_398_796_238_123; // 2014-04-29T18:30:38.123Z, a Tuesday

    #[test]
    fn formats_each_wire_form() {
        assert_eq!(format_iso8601(T), "2014-04-29T18:30:38.123Z");
        assert_eq!(format_iso8601_seconds(T), "2014-04-29T18:30:38Z");
        assert_eq!(format_http_date(T), "Tue, 29 Apr 2014 18:30:38 GMT");
        assert_eq!(format_amz_date(T), "20140429T183038Z");
    }

    #[test]
    fn http_dates_written_by_hand_match_the_formatted_form() {
        let formatted = |millis: i64| http_date_by_format(&split(millis));
        // Every 7 h 13 min 17.5 s from 1900 to 2200 (so every hour, day,
        // month and weekday comes round), and the edges of the fast path.
        let mut t = -2_208_988_800_000;
        while t < 7_258_118_400_000 {
            assert_eq!(format_http_date(t), formatted(t), "{t}");
            t += 25_997_500;
        }
        for t in [
            0,
            -1,
            -62_167_219_200_000,
            253_402_300_799_999,
            253_402_300_800_000,
        ] {
            assert_eq!(format_http_date(t), formatted(t), "{t}");
        }
    }

    #[test]
    fn parses_what_it_formats() {
        assert_eq!(parse_iso8601(&format_iso8601(T)), Some(T));
        assert_eq!(parse_http_date(&format_http_date(T)), Some(T - 123));
        assert_eq!(parse_amz_date("20140429T183038Z"), Some(T - 123));
        assert_eq!(parse_epoch_seconds("1398796238.123"), Some(T));
    }

    #[test]
    fn iso8601_offsets_are_applied() {
        assert_eq!(
            parse_iso8601("2014-04-29T20:30:38.123+02:00"),
            parse_iso8601("2014-04-29T18:30:38.123Z")
        );
        assert_eq!(
            parse_iso8601("1996-12-19T16:39:57-08:00"),
            parse_iso8601("1996-12-20T00:39:57Z")
        );
    }

    #[test]
    fn malformed_dates_are_refused_not_panicked_on() {
        for bad in [
            "",
            "2014",
            "2014-13-01T00:00:00Z",
            "2014-01-01T25:00:00Z",
            "x-y-zTa:b:cZ",
            "2014-01-01T00:00:00.abcZ",
            "Tue, 29 Foo 2014 18:30:38 GMT",
            "20140429T183038",
            "é",
        ] {
            assert_eq!(parse_iso8601(bad), None, "{bad}");
            assert_eq!(parse_http_date(bad), None, "{bad}");
        }
        assert_eq!(parse_epoch_seconds("NaN"), None);
    }

    #[test]
    fn dates_before_1970_round_trip() {
        let t = -86_400_000 * 365;
        assert_eq!(parse_iso8601(&format_iso8601(t)), Some(t));
    }
}
