//! `GetMetricWidgetImage`: a metric widget (the dashboard widget JSON)
//! drawn as a PNG graph: the widget's metrics and expressions are read
//! through the same queries as `GetMetricData` and each series drawn as a
//! coloured line over a white plot with axes and grid lines.
//!
//! The PNG is indexed-colour (one byte a pixel) in stored deflate blocks:
//! no image library is vendored, and clients only display it.

use crate::errors::validation;

use crate::query::{self, Answer};
use crate::CloudWatchService;
use base64::Engine as _;
use gureum_core::{AwsError, OpResult, RequestContext, Scope, Value};
use serde_json::json;

/// The palette: background, grid, axis, then series colours (CloudWatch's
/// graph colours).
const PALETTE: [[u8; 3]; 13] = [
    [255, 255, 255],
    [232, 232, 232],
    [110, 110, 110],
    [31, 119, 180],
    [255, 127, 14],
    [44, 160, 44],
    [214, 39, 40],
    [148, 103, 189],
    [140, 86, 75],
    [227, 119, 194],
    [127, 127, 127],
    [188, 189, 34],
    [23, 190, 207],
];
const GRID: u8 = 1;
const AXIS: u8 = 2;
const FIRST_SERIES: u8 = 3;

/// A relative (`-PT3H`, `-P1D`) or absolute (ISO 8601) time, in epoch ms.
fn widget_time(text: &str, now: i64) -> Option<i64> {
    if let Some(ms) = gureum_core::timestamp::parse_iso8601(text) {
        return Some(ms);
    }
    let (sign, rest) = match text.strip_prefix('-') {
        Some(r) => (-1, r),
        None => (1, text.strip_prefix('+').unwrap_or(text)),
    };
    let rest = rest.strip_prefix('P')?;
    let (days, time) = match rest.split_once('T') {
        Some((d, t)) => (d, t),
        None => (rest, ""),
    };
    let mut ms = 0i64;
    let mut unit = |part: &str, units: &[(char, i64)]| -> Option<()> {
        let mut num = String::new();
        for c in part.chars() {
            if c.is_ascii_digit() {
                num.push(c);
            } else {
                let (_, m) = units.iter().find(|(u, _)| *u == c)?;
                ms += num.parse::<i64>().ok()? * m;
                num.clear();
            }
        }
        num.is_empty().then_some(())
    };
    unit(days, &[('W', 7 * 86_400_000), ('D', 86_400_000)])?;
    unit(time, &[('H', 3_600_000), ('M', 60_000), ('S', 1000)])?;
    Some(now + sign * ms)
}

/// The widget's `metrics` rows as `GetMetricData` queries (a `"."` repeats
/// the previous row's entry).
fn queries(widget: &Value, period: i64, stat: &str) -> Result<Vec<Value>, AwsError> {
    let rows = widget
        .get("metrics")
        .and_then(Value::as_array)
        .ok_or_else(|| validation("The parameter MetricWidget.metrics is required."))?;
    let mut out = Vec::new();
    let mut prev: Vec<String> = Vec::new();
    for (i, row) in rows.iter().enumerate() {
        let items = row.as_array().ok_or_else(|| {
            validation(format!(
                "The parameter MetricWidget.metrics[{i}] must be an array."
            ))
        })?;
        let (strings, opts): (Vec<&Value>, Option<&Value>) = match items.last() {
            Some(o) if o.is_object() => (items[..items.len() - 1].iter().collect(), Some(o)),
            _ => (items.iter().collect(), None),
        };
        let opt = |k: &str| opts.and_then(|o| o.get(k));
        let id = opt("id")
            .and_then(Value::as_str)
            .map_or_else(|| format!("m{}", i + 1), String::from);
        let label = opt("label").cloned();
        let visible = opt("visible").and_then(Value::as_bool).unwrap_or(true);
        if let Some(expr) = opt("expression").and_then(Value::as_str) {
            let mut q = json!({"Id": id, "Expression": expr, "ReturnData": visible});
            if let Some(l) = label {
                q["Label"] = l;
            }
            out.push(q);
            continue;
        }
        let mut parts: Vec<String> = Vec::new();
        for (k, s) in strings.iter().enumerate() {
            let s = s.as_str().ok_or_else(|| {
                validation(format!(
                    "The parameter MetricWidget.metrics[{i}][{k}] must be a string."
                ))
            })?;
            parts.push(if s == "." {
                prev.get(k).cloned().unwrap_or_default()
            } else {
                s.to_string()
            });
        }
        if parts.len() < 2 || !parts.len().is_multiple_of(2) {
            return Err(validation(format!(
                "The parameter MetricWidget.metrics[{i}] must hold a namespace, a metric name and dimension name/value pairs."
            )));
        }
        let dims: Vec<Value> = parts[2..]
            .chunks(2)
            .map(|d| json!({"Name": d[0], "Value": d[1]}))
            .collect();
        let mut q = json!({
            "Id": id,
            "MetricStat": {
                "Metric": {"Namespace": parts[0], "MetricName": parts[1], "Dimensions": dims},
                "Period": opt("period").and_then(Value::as_i64).unwrap_or(period),
                "Stat": opt("stat").and_then(Value::as_str).unwrap_or(stat),
            },
            "ReturnData": visible,
        });
        if let Some(l) = label {
            q["Label"] = l;
        }
        out.push(q);
        prev = parts;
    }
    Ok(out)
}

/// Draws `series` over `[start, end)` on a `w`×`h` indexed canvas.
fn draw(series: &[Answer], start: i64, end: i64, w: usize, h: usize) -> Vec<u8> {
    let mut px = vec![0u8; w * h];
    let (left, right, top, bottom) = (40usize, w.saturating_sub(10), 10usize, h.saturating_sub(30));
    if right <= left + 1 || bottom <= top + 1 {
        return px;
    }
    let values = series.iter().flat_map(|s| s.points.iter().map(|p| p.1));
    let (mut lo, mut hi) = values.fold((0.0f64, f64::NEG_INFINITY), |(l, h), v| {
        (l.min(v), h.max(v))
    });
    if !hi.is_finite() || hi <= lo {
        hi = lo + 1.0;
    }
    hi += (hi - lo) * 0.1;
    lo = lo.min(0.0);
    for g in 0..=4 {
        let y = top + (bottom - top) * g / 4;
        for x in left..right {
            px[y * w + x] = GRID;
        }
    }
    for y in top..=bottom {
        px[y * w + left] = AXIS;
    }
    for x in left..right {
        px[bottom * w + x] = AXIS;
    }
    let span = (end - start).max(1) as f64;
    let to_xy = |t: i64, v: f64| -> (i64, i64) {
        let x = left as f64 + (t - start) as f64 / span * (right - left - 1) as f64;
        let y = bottom as f64 - (v - lo) / (hi - lo) * (bottom - top) as f64;
        (x.round() as i64, y.round() as i64)
    };
    let mut plot = |x: i64, y: i64, c: u8| {
        for (dx, dy) in [(0, 0), (1, 0), (0, 1), (1, 1)] {
            let (px_x, px_y) = (x + dx, y + dy);
            if px_x >= left as i64
                && px_x < right as i64
                && px_y >= top as i64
                && px_y <= bottom as i64
            {
                px[px_y as usize * w + px_x as usize] = c;
            }
        }
    };
    for (i, s) in series.iter().enumerate() {
        let color = FIRST_SERIES + (i % (PALETTE.len() - FIRST_SERIES as usize)) as u8;
        let mut pts: Vec<(i64, f64)> = s.points.clone();
        pts.sort_by_key(|p| p.0);
        let mut last: Option<(i64, i64)> = None;
        for (t, v) in pts {
            let (x1, y1) = to_xy(t, v);
            match last {
                Some((x0, y0)) => {
                    let steps = (x1 - x0).abs().max((y1 - y0).abs()).max(1);
                    for k in 0..=steps {
                        plot(
                            x0 + (x1 - x0) * k / steps,
                            y0 + (y1 - y0) * k / steps,
                            color,
                        );
                    }
                }
                None => plot(x1, y1, color),
            }
            last = Some((x1, y1));
        }
    }
    px
}

/// An indexed-colour PNG of `px` (`w`×`h`, one palette index a pixel).
pub fn png(px: &[u8], w: usize, h: usize) -> Vec<u8> {
    let mut raw = Vec::with_capacity((w + 1) * h);
    for row in px.chunks(w) {
        raw.push(0);
        raw.extend_from_slice(row);
    }
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = Vec::with_capacity(13);
    ihdr.extend_from_slice(&(w as u32).to_be_bytes());
    ihdr.extend_from_slice(&(h as u32).to_be_bytes());
    // Bit depth 8, palette colour, deflate, no filter method, no interlace.
    ihdr.extend_from_slice(&[8, 3, 0, 0, 0]);
    chunk(&mut out, b"IHDR", &ihdr);
    let plte: Vec<u8> = PALETTE.iter().flatten().copied().collect();
    chunk(&mut out, b"PLTE", &plte);
    chunk(&mut out, b"IDAT", &zlib_stored(&raw));
    chunk(&mut out, b"IEND", &[]);
    out
}

fn chunk(png: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    png.extend_from_slice(&(data.len() as u32).to_be_bytes());
    let start = png.len();
    png.extend_from_slice(kind);
    png.extend_from_slice(data);
    let crc = crc32(&png[start..]);
    png.extend_from_slice(&crc.to_be_bytes());
}

fn zlib_stored(data: &[u8]) -> Vec<u8> {
    let mut out = vec![0x78, 0x01];
    let blocks: Vec<&[u8]> = if data.is_empty() {
        vec![&[][..]]
    } else {
        data.chunks(65_535).collect()
    };
    for (i, block) in blocks.iter().enumerate() {
        out.push(u8::from(i + 1 == blocks.len()));
        let len = block.len() as u16;
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(&(!len).to_le_bytes());
        out.extend_from_slice(block);
    }
    let (mut a, mut b) = (1u32, 0u32);
    for &x in data {
        a = (a + u32::from(x)) % 65_521;
        b = (b + a) % 65_521;
    }
    out.extend_from_slice(&((b << 16) | a).to_be_bytes());
    out
}

fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xffff_ffffu32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xedb8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// `GetMetricWidgetImage`.
pub(crate) fn get_metric_widget_image(
    svc: &CloudWatchService,
    ctx: &RequestContext,
    input: &Value,
) -> OpResult {
    let text = input
        .get("MetricWidget")
        .and_then(Value::as_str)
        .ok_or_else(|| crate::errors::missing("MetricWidget"))?;
    match input.get("OutputFormat").and_then(Value::as_str) {
        None | Some("png") | Some("image/png") => {}
        Some(f) => {
            return Err(validation(format!(
                "The value {f} for parameter OutputFormat is invalid. Only png is supported."
            )))
        }
    }
    let widget: Value = serde_json::from_str(text)
        .map_err(|_| validation("The parameter MetricWidget must be valid JSON."))?;
    if !widget.is_object() {
        return Err(validation(
            "The parameter MetricWidget must be a JSON object.",
        ));
    }
    let now = ctx.clock.now_millis();
    let start = match widget.get("start").and_then(Value::as_str) {
        None => now - 3 * 3_600_000,
        Some(s) => widget_time(s, now).ok_or_else(|| {
            validation(format!(
                "The value {s} for parameter MetricWidget.start is invalid."
            ))
        })?,
    };
    let end = match widget.get("end").and_then(Value::as_str) {
        None => now,
        Some(s) => widget_time(s, now).ok_or_else(|| {
            validation(format!(
                "The value {s} for parameter MetricWidget.end is invalid."
            ))
        })?,
    };
    if start >= end {
        return Err(validation(
            "The parameter MetricWidget.start must be before MetricWidget.end.",
        ));
    }
    let size = |k: &str, default: i64| -> Result<usize, AwsError> {
        let v = widget.get(k).and_then(Value::as_i64).unwrap_or(default);
        if !(1..=2000).contains(&v) {
            return Err(validation(format!(
                "The value {v} for parameter MetricWidget.{k} is invalid (1 to 2000)."
            )));
        }
        Ok(v as usize)
    };
    let (w, h) = (size("width", 600)?, size("height", 395)?);
    let period = widget.get("period").and_then(Value::as_i64).unwrap_or(300);
    let stat = widget
        .get("stat")
        .and_then(Value::as_str)
        .unwrap_or("Average");
    let list = queries(&widget, period, stat)?;
    let parsed = query::parse_queries(&list, "MetricWidget.metrics")?;
    let aligned = crate::stats::align_start(start, now, period);
    let answers = query::run(svc, Scope::regional(ctx), &parsed, aligned, end)?;
    let shown: Vec<Answer> = answers.into_iter().filter(|a| a.return_data).collect();
    let image = png(&draw(&shown, aligned, end, w, h), w, h);
    Ok(json!({
        "MetricWidgetImage": base64::engine::general_purpose::STANDARD.encode(image),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn widget_times_relative_and_absolute() {
        let now = 10 * 86_400_000;
        assert_eq!(widget_time("-PT3H", now), Some(now - 3 * 3_600_000));
        assert_eq!(
            widget_time("-P1DT30M", now),
            Some(now - 86_400_000 - 1_800_000)
        );
        assert_eq!(widget_time("P0D", now), Some(now));
        assert_eq!(widget_time("1970-01-02T00:00:00Z", now), Some(86_400_000));
        assert_eq!(widget_time("-PT3X", now), None);
    }

    #[test]
    fn the_png_has_its_chunks_and_the_series_colour() {
        let s = Answer {
            id: "m1".into(),
            label: "l".into(),
            points: vec![(0, 1.0), (50, 5.0), (100, 2.0)],
            return_data: true,
        };
        let px = draw(&[s], 0, 100, 120, 80);
        assert!(px.contains(&FIRST_SERIES));
        let p = png(&px, 120, 80);
        assert_eq!(&p[..8], b"\x89PNG\r\n\x1a\n");
        assert_eq!(&p[12..16], b"IHDR");
        assert_eq!(&p[p.len() - 8..p.len() - 4], b"IEND");
    }

    #[test]
    fn rows_repeat_dots_and_take_options() {
        let w = json!({"metrics": [
            ["NS", "A", "Host", "h1"],
            [".", "B", ".", ".", {"stat": "Sum", "label": "bee"}],
            [{"expression": "m1 + m2", "label": "both"}],
        ]});
        let q = queries(&w, 60, "Average").expect("queries");
        assert_eq!(q[1]["MetricStat"]["Metric"]["Namespace"], "NS");
        assert_eq!(q[1]["MetricStat"]["Metric"]["Dimensions"][0]["Value"], "h1");
        assert_eq!(q[1]["MetricStat"]["Stat"], "Sum");
        assert_eq!(q[1]["Label"], "bee");
        assert_eq!(q[2]["Expression"], "m1 + m2");
    }
}
