//! What every request parser shares: turning one piece of wire text into a
//! scalar [`Value`] of the right type, the value conventions for timestamps,
//! blobs and special floats, the effective traits of a member (a member's
//! own traits override its target shape's, as in botocore), and the depth
//! bound that keeps hostile nesting from exhausting the stack.
//!
//! Text scalars appear in query/ec2 forms, XML bodies, URI labels, query
//! strings and headers; they differ only in their default timestamp format,
//! which the caller passes as a [`TsFormat`].

use crate::{ParseError, Value};
use base64::Engine as _;
use gureum_core::timestamp;
use gureum_model::{MemberRef, ServiceModel, Shape, ShapeType};

/// Deepest nesting any parser follows. AWS shapes nest a handful of levels;
/// recursive shapes can go further, but nothing legitimate comes near this.
pub(crate) const MAX_DEPTH: usize = 100;

/// A wire timestamp format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TsFormat {
    /// `2014-04-29T18:30:38Z`.
    Iso8601,
    /// `Tue, 29 Apr 2014 18:30:38 GMT`.
    HttpDate,
    /// `1398796238` (maybe fractional).
    Epoch,
}

impl TsFormat {
    /// The format a model names (`iso8601`, `rfc822`, `unixTimestamp`).
    pub(crate) fn from_model(name: &str) -> Option<Self> {
        match name {
            "iso8601" => Some(TsFormat::Iso8601),
            "rfc822" => Some(TsFormat::HttpDate),
            "unixTimestamp" => Some(TsFormat::Epoch),
            _ => None,
        }
    }
}

/// The timestamp format in force for a member: the member's trait, else the
/// target shape's, else the location's default.
pub(crate) fn ts_format(member: Option<&MemberRef>, shape: &Shape, default: TsFormat) -> TsFormat {
    member
        .and_then(|m| m.timestamp_format.as_deref())
        .or(shape.timestamp_format.as_deref())
        .and_then(TsFormat::from_model)
        .unwrap_or(default)
}

/// The target shape of a member reference, or a Malformed error naming the
/// gap (a model bug, but never a panic).
pub(crate) fn target<'m>(model: &'m ServiceModel, r: &MemberRef) -> Result<&'m Shape, ParseError> {
    model
        .shape(&r.shape)
        .ok_or_else(|| ParseError::Malformed(format!("model has no shape {}", r.shape)))
}

/// The member's wire name: its `locationName`, else `default` (the member
/// name). A `locationName` on the target shape does not count here: it
/// names the shape only where it is a document root (the rest-xml input
/// element), as in Smithy's `xmlName`.
pub(crate) fn wire_name<'a>(r: &'a MemberRef, default: &'a str) -> &'a str {
    r.location_name.as_deref().unwrap_or(default)
}

/// Whether a list/map is flattened here (member trait or shape trait).
pub(crate) fn flattened(r: Option<&MemberRef>, shape: &Shape) -> bool {
    shape.flattened || r.is_some_and(|r| r.flattened)
}

/// Refuses input nested deeper than [`MAX_DEPTH`].
pub(crate) fn check_depth(depth: usize) -> Result<(), ParseError> {
    if depth > MAX_DEPTH {
        Err(ParseError::Malformed(format!(
            "input nested deeper than {MAX_DEPTH} levels"
        )))
    } else {
        Ok(())
    }
}

/// A timestamp value from milliseconds since the epoch: an integer number
/// of seconds when whole, else fractional.
pub(crate) fn ts_from_millis(millis: i64) -> Value {
    if millis % 1000 == 0 {
        Value::from(millis / 1000)
    } else {
        Value::from(millis as f64 / 1000.0)
    }
}

/// A timestamp value from (maybe fractional) epoch seconds.
pub(crate) fn ts_from_secs(secs: f64) -> Result<Value, ParseError> {
    if !secs.is_finite() {
        return Err(ParseError::Malformed(format!("invalid timestamp {secs}")));
    }
    if secs.fract() == 0.0 && secs.abs() < 9.0e15 {
        Ok(Value::from(secs as i64))
    } else {
        Ok(Value::from(secs))
    }
}

/// Parses a timestamp written in `format`. The other formats are tried too:
/// clients are not always strict, and the three never look alike.
pub(crate) fn parse_timestamp(text: &str, format: TsFormat) -> Result<Value, ParseError> {
    let text = text.trim();
    let epoch = |t: &str| -> Option<Value> {
        let v: f64 = t.parse().ok()?;
        ts_from_secs(v).ok()
    };
    let found = match format {
        TsFormat::Epoch => epoch(text)
            .or_else(|| timestamp::parse_iso8601(text).map(ts_from_millis))
            .or_else(|| timestamp::parse_http_date(text).map(ts_from_millis)),
        TsFormat::Iso8601 => timestamp::parse_iso8601(text)
            .map(ts_from_millis)
            .or_else(|| timestamp::parse_http_date(text).map(ts_from_millis))
            .or_else(|| epoch(text)),
        TsFormat::HttpDate => timestamp::parse_http_date(text)
            .map(ts_from_millis)
            .or_else(|| timestamp::parse_iso8601(text).map(ts_from_millis))
            .or_else(|| epoch(text)),
    };
    found.ok_or_else(|| ParseError::Malformed(format!("invalid timestamp '{text}'")))
}

/// A float value under the conventions: special values as strings, and a
/// `float` (32-bit) shape rounded through `f32` so that `1.1` stays `1.1`.
pub(crate) fn float_value(kind: ShapeType, v: f64) -> Value {
    if v.is_nan() {
        return Value::from("NaN");
    }
    if v.is_infinite() {
        return Value::from(if v > 0.0 { "Infinity" } else { "-Infinity" });
    }
    let v = if kind == ShapeType::Float {
        // The shortest decimal that round-trips the f32 is what the client
        // meant; widening the f32 directly would give 1.100000023841858.
        let short = (v as f32).to_string();
        short.parse::<f64>().unwrap_or(v)
    } else {
        v
    };
    serde_json::Number::from_f64(v).map_or(Value::Null, Value::Number)
}

/// Parses a float from text, accepting the special spellings.
pub(crate) fn parse_float(kind: ShapeType, text: &str) -> Result<Value, ParseError> {
    let t = text.trim();
    let v = match t {
        "NaN" => f64::NAN,
        "Infinity" | "+Infinity" => f64::INFINITY,
        "-Infinity" => f64::NEG_INFINITY,
        _ => {
            // Rust would also accept "inf"/"nan"; AWS does not.
            if t.is_empty()
                || t.bytes()
                    .any(|b| b.is_ascii_alphabetic() && b != b'e' && b != b'E')
            {
                return Err(ParseError::Malformed(format!("invalid number '{t}'")));
            }
            t.parse::<f64>()
                .map_err(|_| ParseError::Malformed(format!("invalid number '{t}'")))?
        }
    };
    Ok(float_value(kind, v))
}

/// Checks an integer against the width of its shape.
pub(crate) fn int_value(kind: ShapeType, v: i64) -> Result<Value, ParseError> {
    let ok = match kind {
        ShapeType::Byte => i8::try_from(v).is_ok(),
        ShapeType::Short => i16::try_from(v).is_ok(),
        ShapeType::Integer => i32::try_from(v).is_ok(),
        _ => true,
    };
    if ok {
        Ok(Value::from(v))
    } else {
        Err(ParseError::Malformed(format!("number {v} is out of range")))
    }
}

/// Parses an integer from text.
pub(crate) fn parse_int(kind: ShapeType, text: &str) -> Result<Value, ParseError> {
    let t = text.trim();
    let v: i64 = t
        .parse()
        .map_err(|_| ParseError::Malformed(format!("invalid integer '{t}'")))?;
    int_value(kind, v)
}

/// Parses a boolean from text (`true`/`false`, any case).
pub(crate) fn parse_bool(text: &str) -> Result<Value, ParseError> {
    let t = text.trim();
    if t.eq_ignore_ascii_case("true") {
        Ok(Value::Bool(true))
    } else if t.eq_ignore_ascii_case("false") {
        Ok(Value::Bool(false))
    } else {
        Err(ParseError::Malformed(format!("invalid boolean '{t}'")))
    }
}

/// Base64 text as the value convention wants it (standard, padded):
/// decodes leniently (whitespace, missing padding, URL-safe alphabet) and
/// re-encodes, so equal bytes always give equal values.
pub(crate) fn normalize_base64(text: &str) -> Result<Value, ParseError> {
    let bytes = decode_base64(text)?;
    Ok(Value::from(encode_base64(&bytes)))
}

/// Decodes base64 leniently (see [`normalize_base64`]).
pub(crate) fn decode_base64(text: &str) -> Result<Vec<u8>, ParseError> {
    use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
    use base64::engine::DecodePaddingMode;
    const LENIENT: GeneralPurpose = GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
    );
    let cleaned: String = text
        .chars()
        .filter(|c| !c.is_ascii_whitespace())
        .map(|c| match c {
            '-' => '+',
            '_' => '/',
            c => c,
        })
        .collect();
    LENIENT
        .decode(cleaned.as_bytes())
        .map_err(|_| ParseError::Malformed("invalid base64 in a blob".to_string()))
}

/// Standard padded base64.
pub(crate) fn encode_base64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// One piece of wire text as a scalar of `shape`. `member` supplies the
/// timestamp format override; `default_ts` is the location's default.
pub(crate) fn scalar_from_text(
    shape: &Shape,
    member: Option<&MemberRef>,
    default_ts: TsFormat,
    text: &str,
) -> Result<Value, ParseError> {
    match shape.kind {
        ShapeType::String => Ok(Value::from(text)),
        ShapeType::Integer
        | ShapeType::Long
        | ShapeType::Short
        | ShapeType::Byte
        | ShapeType::BigInteger => parse_int(shape.kind, text),
        ShapeType::Float | ShapeType::Double | ShapeType::BigDecimal => {
            parse_float(shape.kind, text)
        }
        ShapeType::Boolean => parse_bool(text),
        ShapeType::Blob => normalize_base64(text),
        ShapeType::Timestamp => parse_timestamp(text, ts_format(member, shape, default_ts)),
        ShapeType::Structure | ShapeType::List | ShapeType::Map => Err(ParseError::Malformed(
            format!("expected a structured value, found text '{text}'"),
        )),
    }
}

/// Refuses a path or query whose percent escapes decode to invalid UTF-8.
pub(crate) fn check_utf8_escapes(s: &str) -> Result<(), ParseError> {
    if !s.contains('%') {
        return Ok(());
    }
    match percent_encoding::percent_decode_str(s).decode_utf8() {
        Ok(_) => Ok(()),
        Err(_) => Err(ParseError::InvalidUri),
    }
}

/// Percent-decodes a URI component (no `+` handling).
pub(crate) fn percent_decode(s: &str) -> String {
    percent_encoding::percent_decode_str(s)
        .decode_utf8_lossy()
        .into_owned()
}

/// Splits a query string or form body into decoded `(key, value)` pairs.
/// `+` means a space, as in HTML forms (SDKs write `%20`, browsers `+`).
pub(crate) fn form_pairs(raw: &str) -> Vec<(String, String)> {
    raw.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (form_decode(k), form_decode(v))
        })
        .collect()
}

fn form_decode(s: &str) -> String {
    if s.contains('+') {
        percent_decode(&s.replace('+', " "))
    } else {
        percent_decode(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn float_shape_rounds_through_f32() {
        assert_eq!(
            float_value(ShapeType::Float, 1.1f32 as f64),
            Value::from(1.1)
        );
        assert_eq!(float_value(ShapeType::Double, f64::NAN), Value::from("NaN"));
    }

    #[test]
    fn special_float_spellings_only() {
        assert!(parse_float(ShapeType::Double, "inf").is_err());
        assert!(parse_float(ShapeType::Double, "1e3").is_ok());
        assert_eq!(
            parse_float(ShapeType::Double, "-Infinity").ok(),
            Some(Value::from("-Infinity"))
        );
    }

    #[test]
    fn timestamps_whole_and_fractional() {
        assert_eq!(ts_from_millis(1_000), Value::from(1));
        assert_eq!(ts_from_millis(1_500), Value::from(1.5));
        assert_eq!(
            parse_timestamp("2015-01-25T08:00:00Z", TsFormat::Iso8601).ok(),
            Some(Value::from(1_422_172_800))
        );
    }

    #[test]
    fn base64_is_normalized() {
        assert_eq!(
            normalize_base64("dmFsdWU").ok(),
            Some(Value::from("dmFsdWU="))
        );
        assert!(normalize_base64("!!!").is_err());
    }

    #[test]
    fn form_pairs_decode_plus_and_percent() {
        assert_eq!(
            form_pairs("a=b+c&d=%2F&e"),
            vec![
                ("a".into(), "b c".into()),
                ("d".into(), "/".into()),
                ("e".into(), "".into())
            ]
        );
    }
}
