//! Server-rendered SVG: a line graph of datapoints (CloudWatch's metric
//! graphs), accessible by its title and a data table beside it.

use crate::html::esc;
use std::fmt::Write;

const W: f64 = 640.0;
const H: f64 = 240.0;
const PAD_L: f64 = 56.0;
const PAD_B: f64 = 28.0;
const PAD_T: f64 = 12.0;
const PAD_R: f64 = 12.0;

/// A line graph of `points` (epoch seconds, value) between `start` and
/// `end`, with an optional threshold line; `title` names it for
/// assistive technology.
pub fn line_graph(
    title: &str,
    points: &[(f64, f64)],
    start: f64,
    end: f64,
    threshold: Option<f64>,
) -> String {
    let mut lo = points.iter().map(|p| p.1).fold(f64::INFINITY, f64::min);
    let mut hi = points.iter().map(|p| p.1).fold(f64::NEG_INFINITY, f64::max);
    if let Some(t) = threshold {
        lo = lo.min(t);
        hi = hi.max(t);
    }
    if !lo.is_finite() || !hi.is_finite() {
        (lo, hi) = (0.0, 1.0);
    }
    lo = lo.min(0.0);
    if (hi - lo).abs() < f64::EPSILON {
        hi = lo + 1.0;
    }
    hi += (hi - lo) * 0.1;
    let span = (end - start).max(1.0);
    let x = |t: f64| PAD_L + (t - start) / span * (W - PAD_L - PAD_R);
    let y = |v: f64| H - PAD_B - (v - lo) / (hi - lo) * (H - PAD_B - PAD_T);
    let mut out = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {W} {H}\" width=\"{W}\" height=\"{H}\" role=\"img\" aria-labelledby=\"graph-title\" class=\"graph\"><title id=\"graph-title\">{}</title>",
        esc(title)
    );
    // Axes, and the value scale at the bottom, middle and top.
    let _ = write!(
        out,
        "<line x1=\"{PAD_L}\" y1=\"{PAD_T}\" x2=\"{PAD_L}\" y2=\"{0}\" stroke=\"#8c8c94\"/><line x1=\"{PAD_L}\" y1=\"{0}\" x2=\"{1}\" y2=\"{0}\" stroke=\"#8c8c94\"/>",
        H - PAD_B,
        W - PAD_R
    );
    for v in [lo, (lo + hi) / 2.0, hi] {
        let _ = write!(
            out,
            "<text x=\"{}\" y=\"{:.1}\" font-size=\"11\" text-anchor=\"end\">{}</text>",
            PAD_L - 4.0,
            y(v) + 4.0,
            short(v)
        );
    }
    for (t, anchor) in [(start, "start"), (end, "end")] {
        let label = gureum_core::timestamp::format_iso8601_seconds((t * 1000.0) as i64);
        let _ = write!(
            out,
            "<text x=\"{:.1}\" y=\"{}\" font-size=\"11\" text-anchor=\"{anchor}\">{}</text>",
            x(t),
            H - 8.0,
            esc(label.get(11..16).unwrap_or(&label))
        );
    }
    if let Some(t) = threshold {
        let _ = write!(
            out,
            "<line class=\"threshold\" x1=\"{PAD_L}\" y1=\"{0:.1}\" x2=\"{1}\" y2=\"{0:.1}\" stroke=\"#d91515\" stroke-dasharray=\"6 4\"><title>Threshold {2}</title></line>",
            y(t),
            W - PAD_R,
            short(t)
        );
    }
    let mut sorted = points.to_vec();
    sorted.sort_by(|a, b| a.0.total_cmp(&b.0));
    if !sorted.is_empty() {
        out.push_str("<polyline class=\"series\" fill=\"none\" stroke=\"#0972d3\" stroke-width=\"2\" points=\"");
        for (t, v) in &sorted {
            let _ = write!(out, "{:.1},{:.1} ", x(*t), y(*v));
        }
        out.push_str("\"/>");
        for (t, v) in &sorted {
            let _ = write!(
                out,
                "<circle class=\"point\" cx=\"{:.1}\" cy=\"{:.1}\" r=\"3\" fill=\"#0972d3\"><title>{}</title></circle>",
                x(*t),
                y(*v),
                short(*v)
            );
        }
    }
    out.push_str("</svg>");
    out
}

/// A value with at most three decimals, trailing zeros dropped.
pub fn short(v: f64) -> String {
    let s = format!("{v:.3}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s.is_empty() || s == "-" {
        "0".into()
    } else {
        s.to_string()
    }
}

/// A horizontal bar chart of `(label, dollars)`, one bar a row, each
/// labelled with its amount; `title` names it for assistive technology
/// (the data table beside it carries the same figures).
pub fn bar_chart(title: &str, bars: &[(String, f64)]) -> String {
    const ROW: f64 = 22.0;
    const LABEL_W: f64 = 260.0;
    const AMOUNT_W: f64 = 80.0;
    let h = (bars.len().max(1) as f64) * ROW + 8.0;
    let hi = bars.iter().map(|b| b.1).fold(0.0, f64::max);
    let room = W - LABEL_W - AMOUNT_W;
    let mut out = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {W} {h}\" width=\"{W}\" height=\"{h}\" role=\"img\" aria-label=\"{}\" class=\"graph\">",
        esc(title)
    );
    if bars.is_empty() {
        let _ = write!(
            out,
            "<text x=\"8\" y=\"18\" font-size=\"12\">No cost recorded yet.</text>"
        );
    }
    for (i, (label, v)) in bars.iter().enumerate() {
        let y = i as f64 * ROW + 4.0;
        let w = if hi > 0.0 { v / hi * room } else { 0.0 };
        let _ = write!(
            out,
            "<text x=\"{:.1}\" y=\"{:.1}\" font-size=\"12\" text-anchor=\"end\">{}</text>\
             <rect x=\"{LABEL_W}\" y=\"{y:.1}\" width=\"{w:.1}\" height=\"{:.1}\" fill=\"#3b6fb6\"/>\
             <text x=\"{:.1}\" y=\"{:.1}\" font-size=\"12\">${v:.2}</text>",
            LABEL_W - 6.0,
            y + 14.0,
            esc(label),
            ROW - 6.0,
            LABEL_W + w + 4.0,
            y + 14.0,
        );
    }
    out.push_str("</svg>");
    out
}
