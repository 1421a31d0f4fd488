//! HTML escaping, used for every value a page shows, and small builders.

use std::fmt::{self, Display, Write};

/// `s` escaped for HTML text and quoted attribute values.
pub fn esc(s: &str) -> Escaped<'_> {
    Escaped(s)
}

/// A string that writes itself escaped (see [`esc`]).
pub struct Escaped<'a>(&'a str);

impl Display for Escaped<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut last = 0;
        for (i, c) in self.0.char_indices() {
            let rep = match c {
                '&' => "&amp;",
                '<' => "&lt;",
                '>' => "&gt;",
                '"' => "&quot;",
                '\'' => "&#39;",
                _ => continue,
            };
            f.write_str(&self.0[last..i])?;
            f.write_str(rep)?;
            last = i + c.len_utf8();
        }
        f.write_str(&self.0[last..])
    }
}

/// `s` percent-encoded for a URL's query value.
pub fn url(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, QUERY_VALUE).to_string()
}

const QUERY_VALUE: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// A table: a caption, column headings, and rows of ready HTML cells.
pub fn table(caption: &str, heads: &[&str], rows: &[Vec<String>]) -> String {
    let mut out = String::with_capacity(64 + rows.len() * 96);
    let _ = write!(out, "<table><caption>{}</caption><thead><tr>", esc(caption));
    for h in heads {
        let _ = write!(out, "<th scope=\"col\">{}</th>", esc(h));
    }
    out.push_str("</tr></thead><tbody>");
    if rows.is_empty() {
        let _ = write!(
            out,
            "<tr><td colspan=\"{}\" class=\"empty\">None.</td></tr>",
            heads.len().max(1)
        );
    }
    for row in rows {
        out.push_str("<tr>");
        for cell in row {
            let _ = write!(out, "<td>{cell}</td>");
        }
        out.push_str("</tr>");
    }
    out.push_str("</tbody></table>");
    out
}

/// A link to `href` (a console path with its query already encoded).
pub fn link(href: &str, text: &str) -> String {
    format!("<a href=\"{}\">{}</a>", esc(href), esc(text))
}

/// A string member of `v`, or `""`.
pub fn s<'v>(v: &'v serde_json::Value, key: &str) -> &'v str {
    v.get(key).and_then(|x| x.as_str()).unwrap_or("")
}

/// An epoch-seconds member of `v` as an ISO 8601 time, or `""`.
pub fn time(v: &serde_json::Value, key: &str) -> String {
    v.get(key)
        .and_then(|x| x.as_f64())
        .map(|t| gureum_core::timestamp::format_iso8601_seconds((t * 1000.0) as i64))
        .unwrap_or_default()
}

/// The array member of `v` named `key` (empty when absent).
pub fn list<'v>(v: &'v serde_json::Value, key: &str) -> &'v [serde_json::Value] {
    v.get(key)
        .and_then(|x| x.as_array())
        .map(Vec::as_slice)
        .unwrap_or(&[])
}

/// An EC2-style tag list's `Name` tag, or `""`.
pub fn name_tag(v: &serde_json::Value) -> &str {
    list(v, "Tags")
        .iter()
        .find(|t| s(t, "Key") == "Name")
        .map(|t| s(t, "Value"))
        .unwrap_or("")
}

/// JSON text indented for the editor (as stored when it does not parse).
pub fn pretty(text: &str) -> String {
    serde_json::from_str::<serde_json::Value>(text)
        .ok()
        .and_then(|v| serde_json::to_string_pretty(&v).ok())
        .unwrap_or_else(|| text.to_string())
}
