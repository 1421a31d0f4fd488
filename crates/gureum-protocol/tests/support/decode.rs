//! A test-only, client-side response decoder for every protocol, written
//! independently of the serializer so that "our body parses back to the
//! expected value" means something.
//!
//! It reads responses the way botocore does (shape-driven; XML via
//! quick-xml, JSON via serde_json, CBOR via ciborium) into the crate's value
//! conventions, and [`canon`] normalizes values so that two spellings of the
//! same thing compare equal (timestamps as whole milliseconds, floats
//! rounded to their shape's width, blobs as canonical base64).

use base64::Engine;
use gureum_core::timestamp;
use gureum_model::{MemberRef, OperationModel, Protocol, ServiceModel, Shape, ShapeType};
use gureum_protocol::Response;
use serde_json::{Map, Value};

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

fn shape_of<'m>(model: &'m ServiceModel, r: &MemberRef) -> Result<&'m Shape, String> {
    model
        .shape(&r.shape)
        .ok_or_else(|| format!("no shape {}", r.shape))
}

/// Members bound to headers or the status code are not in the body; a
/// `uri`/`querystring` binding is ignored in responses.
fn in_body(r: &MemberRef) -> bool {
    !matches!(
        r.location.as_deref(),
        Some("header" | "headers" | "statusCode")
    )
}

// ---------------------------------------------------------------- values

/// Converts a botocore test value (blobs as UTF-8 text) to the crate's
/// conventions (blobs as base64).
pub fn to_conventions(model: &ServiceModel, r: &MemberRef, v: &Value) -> Value {
    let Some(shape) = model.shape(&r.shape) else {
        return v.clone();
    };
    if shape.document {
        return v.clone();
    }
    match (shape.kind, v) {
        (ShapeType::Blob, Value::String(s)) => Value::String(B64.encode(s.as_bytes())),
        (ShapeType::Structure, Value::Object(obj)) => {
            let mut out = Map::new();
            for (k, item) in obj {
                let conv = match shape.members.get(k) {
                    Some(mr) => to_conventions(model, mr, item),
                    None => item.clone(),
                };
                out.insert(k.clone(), conv);
            }
            Value::Object(out)
        }
        (ShapeType::List, Value::Array(items)) => match shape.member.as_deref() {
            Some(ir) => Value::Array(items.iter().map(|i| to_conventions(model, ir, i)).collect()),
            None => v.clone(),
        },
        (ShapeType::Map, Value::Object(obj)) => match shape.value.as_deref() {
            Some(vr) => Value::Object(
                obj.iter()
                    .map(|(k, i)| (k.clone(), to_conventions(model, vr, i)))
                    .collect(),
            ),
            None => v.clone(),
        },
        _ => v.clone(),
    }
}

/// Normalizes a value of `r`'s shape for comparison (see the module docs).
/// Nulls in structures and maps are dropped (absent), members the shape
/// does not declare too.
pub fn canon(model: &ServiceModel, r: &MemberRef, v: &Value) -> Value {
    let Some(shape) = model.shape(&r.shape) else {
        return v.clone();
    };
    if shape.document {
        return v.clone();
    }
    match shape.kind {
        ShapeType::Structure => {
            let mut out = Map::new();
            if let Value::Object(obj) = v {
                for (name, mr) in &shape.members {
                    if let Some(item) = obj.get(name).filter(|i| !i.is_null()) {
                        out.insert(name.clone(), canon(model, mr, item));
                    }
                }
            }
            Value::Object(out)
        }
        ShapeType::List => match (v, shape.member.as_deref()) {
            (Value::Array(items), Some(ir)) => {
                Value::Array(items.iter().map(|i| canon(model, ir, i)).collect())
            }
            _ => v.clone(),
        },
        ShapeType::Map => match (v, shape.value.as_deref()) {
            (Value::Object(obj), Some(vr)) => Value::Object(
                obj.iter()
                    .filter(|(_, i)| !i.is_null())
                    .map(|(k, i)| (k.clone(), canon(model, vr, i)))
                    .collect(),
            ),
            _ => v.clone(),
        },
        ShapeType::Timestamp => match v {
            Value::Number(n) => n
                .as_f64()
                .map(|f| Value::from((f * 1000.0).round() as i64))
                .unwrap_or(Value::Null),
            other => other.clone(),
        },
        ShapeType::Float | ShapeType::Double => match v {
            Value::Number(n) => {
                let f = n.as_f64().unwrap_or(f64::NAN);
                let f = if shape.kind == ShapeType::Float {
                    f as f32 as f64
                } else {
                    f
                };
                serde_json::Number::from_f64(f)
                    .map(Value::Number)
                    .unwrap_or(Value::Null)
            }
            other => other.clone(),
        },
        ShapeType::Integer | ShapeType::Long | ShapeType::Short | ShapeType::Byte => match v {
            Value::Number(n) if n.as_i64().is_none() => n
                .as_f64()
                .map(|f| Value::from(f as i64))
                .unwrap_or(Value::Null),
            other => other.clone(),
        },
        ShapeType::Blob => match v {
            Value::String(s) => match B64.decode(s.as_bytes()) {
                Ok(bytes) => Value::String(B64.encode(bytes)),
                Err(_) => Value::String(format!("<not base64: {s}>")),
            },
            other => other.clone(),
        },
        _ => v.clone(),
    }
}

// ---------------------------------------------------------------- scalars

fn ts_value(text: &str) -> Result<Value, String> {
    let t = text.trim();
    let millis = timestamp::parse_iso8601(t)
        .or_else(|| timestamp::parse_http_date(t))
        .or_else(|| timestamp::parse_epoch_seconds(t))
        .ok_or_else(|| format!("bad timestamp {t:?}"))?;
    Ok(millis_value(millis))
}

fn millis_value(millis: i64) -> Value {
    if millis % 1000 == 0 {
        Value::from(millis / 1000)
    } else {
        serde_json::Number::from_f64(millis as f64 / 1000.0)
            .map(Value::Number)
            .unwrap_or(Value::Null)
    }
}

/// A scalar from its text form (XML content, header value).
fn scalar_from_text(shape: &Shape, text: &str) -> Result<Value, String> {
    Ok(match shape.kind {
        ShapeType::Integer | ShapeType::Long | ShapeType::Short | ShapeType::Byte => Value::from(
            text.trim()
                .parse::<i64>()
                .map_err(|e| format!("bad integer {text:?}: {e}"))?,
        ),
        ShapeType::Float | ShapeType::Double | ShapeType::BigDecimal => match text.trim() {
            s @ ("NaN" | "Infinity" | "-Infinity") => Value::String(s.to_string()),
            s => {
                let f: f64 = s.parse().map_err(|e| format!("bad float {s:?}: {e}"))?;
                serde_json::Number::from_f64(f)
                    .map(Value::Number)
                    .unwrap_or(Value::Null)
            }
        },
        ShapeType::Boolean => match text.trim() {
            "true" => Value::Bool(true),
            "false" => Value::Bool(false),
            s => return Err(format!("bad boolean {s:?}")),
        },
        ShapeType::Timestamp => ts_value(text)?,
        _ => Value::String(text.to_string()),
    })
}

// ---------------------------------------------------------------- XML

/// A parsed XML element (names without namespace prefixes).
#[derive(Debug, Default)]
pub struct Node {
    /// Local name.
    pub name: String,
    /// Attributes, with their raw (maybe prefixed) keys.
    pub attrs: Vec<(String, String)>,
    /// Child elements.
    pub children: Vec<Node>,
    /// The concatenated text content.
    pub text: String,
}

impl Node {
    fn child(&self, name: &str) -> Option<&Node> {
        self.children.iter().find(|c| c.name == name)
    }
    fn children_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Node> + 'a {
        self.children.iter().filter(move |c| c.name == name)
    }
}

fn local(name: &[u8]) -> String {
    let s = String::from_utf8_lossy(name);
    match s.rsplit_once(':') {
        Some((_, l)) => l.to_string(),
        None => s.into_owned(),
    }
}

/// Parses an XML document into its root [`Node`].
pub fn parse_xml(bytes: &[u8]) -> Result<Node, String> {
    use quick_xml::events::Event;
    let mut reader = quick_xml::Reader::from_reader(bytes);
    reader.config_mut().trim_text(false);
    let mut stack: Vec<Node> = Vec::new();
    let mut buf = Vec::new();
    let open = |e: &quick_xml::events::BytesStart<'_>| -> Result<Node, String> {
        let mut n = Node {
            name: local(e.name().as_ref()),
            ..Node::default()
        };
        for a in e.attributes() {
            let a = a.map_err(|e| e.to_string())?;
            let v = a.unescape_value().map_err(|e| e.to_string())?;
            n.attrs.push((
                String::from_utf8_lossy(a.key.as_ref()).into_owned(),
                v.into_owned(),
            ));
        }
        Ok(n)
    };
    loop {
        match reader
            .read_event_into(&mut buf)
            .map_err(|e| e.to_string())?
        {
            Event::Start(e) => stack.push(open(&e)?),
            Event::Empty(e) => {
                let n = open(&e)?;
                match stack.last_mut() {
                    Some(p) => p.children.push(n),
                    None => return Ok(n),
                }
            }
            Event::End(_) => {
                let n = stack.pop().ok_or("unbalanced end tag")?;
                match stack.last_mut() {
                    Some(p) => p.children.push(n),
                    None => return Ok(n),
                }
            }
            Event::Text(t) => {
                if let Some(p) = stack.last_mut() {
                    p.text.push_str(&t.unescape().map_err(|e| e.to_string())?);
                }
            }
            Event::CData(t) => {
                if let Some(p) = stack.last_mut() {
                    p.text.push_str(&String::from_utf8_lossy(&t));
                }
            }
            Event::Eof => return Err("no root element".into()),
            _ => {}
        }
        buf.clear();
    }
}

/// Decodes the members of a structure from its element.
pub fn xml_struct(model: &ServiceModel, shape: &Shape, node: &Node) -> Result<Value, String> {
    let mut out = Map::new();
    for (name, r) in &shape.members {
        if !in_body(r) {
            continue;
        }
        let ms = shape_of(model, r)?;
        let wire = r.location_name.as_deref().unwrap_or(name);
        if r.xml_attribute {
            if let Some((_, v)) = node.attrs.iter().find(|(k, _)| k == wire) {
                out.insert(name.clone(), scalar_from_text(ms, v)?);
            }
            continue;
        }
        let wire_local = wire.rsplit(':').next().unwrap_or(wire);
        let flat = r.flattened || ms.flattened;
        if flat && matches!(ms.kind, ShapeType::List | ShapeType::Map) {
            let nodes: Vec<&Node> = node.children_named(wire_local).collect();
            if nodes.is_empty() {
                continue;
            }
            let v = if ms.kind == ShapeType::List {
                let ir = ms.member.as_deref().ok_or("list without member")?;
                let mut items = Vec::new();
                for n in nodes {
                    items.push(xml_value(model, ir, n)?);
                }
                Value::Array(items)
            } else {
                xml_entries(model, ms, &nodes)?
            };
            out.insert(name.clone(), v);
        } else if let Some(child) = node.child(wire_local) {
            out.insert(name.clone(), xml_value(model, r, child)?);
        }
    }
    Ok(Value::Object(out))
}

fn xml_entries(model: &ServiceModel, ms: &Shape, entries: &[&Node]) -> Result<Value, String> {
    let kr = ms.key.as_deref().ok_or("map without key")?;
    let vr = ms.value.as_deref().ok_or("map without value")?;
    let kn = kr.location_name.as_deref().unwrap_or("key");
    let vn = vr.location_name.as_deref().unwrap_or("value");
    let mut out = Map::new();
    for e in entries {
        let k = e.child(kn).ok_or("map entry without key")?;
        let v = e.child(vn).ok_or("map entry without value")?;
        out.insert(k.text.clone(), xml_value(model, vr, v)?);
    }
    Ok(Value::Object(out))
}

/// Decodes one element as a value of `r`'s shape.
pub fn xml_value(model: &ServiceModel, r: &MemberRef, node: &Node) -> Result<Value, String> {
    let shape = shape_of(model, r)?;
    match shape.kind {
        ShapeType::Structure => xml_struct(model, shape, node),
        ShapeType::List => {
            let ir = shape.member.as_deref().ok_or("list without member")?;
            let item = ir.location_name.as_deref().unwrap_or("member");
            let mut items = Vec::new();
            for n in node.children_named(item) {
                items.push(xml_value(model, ir, n)?);
            }
            Ok(Value::Array(items))
        }
        ShapeType::Map => {
            let entries: Vec<&Node> = node.children_named("entry").collect();
            xml_entries(model, shape, &entries)
        }
        _ => scalar_from_text(shape, &node.text),
    }
}

// ---------------------------------------------------------------- JSON / CBOR

/// Decodes a JSON value of `r`'s shape.
pub fn json_value(model: &ServiceModel, r: &MemberRef, v: &Value) -> Result<Value, String> {
    let shape = shape_of(model, r)?;
    if shape.document {
        return Ok(v.clone());
    }
    Ok(match (shape.kind, v) {
        (_, Value::Null) => Value::Null,
        (ShapeType::Structure, Value::Object(_)) => json_struct(model, shape, v)?,
        (ShapeType::List, Value::Array(items)) => {
            let ir = shape.member.as_deref().ok_or("list without member")?;
            Value::Array(
                items
                    .iter()
                    .map(|i| json_value(model, ir, i))
                    .collect::<Result<_, _>>()?,
            )
        }
        (ShapeType::Map, Value::Object(obj)) => {
            let vr = shape.value.as_deref().ok_or("map without value")?;
            let mut out = Map::new();
            for (k, i) in obj {
                out.insert(k.clone(), json_value(model, vr, i)?);
            }
            Value::Object(out)
        }
        (ShapeType::Timestamp, Value::String(s)) => ts_value(s)?,
        (ShapeType::Timestamp, Value::Number(_)) => v.clone(),
        (ShapeType::Blob, Value::String(_)) => v.clone(),
        (ShapeType::Float | ShapeType::Double, Value::Number(_) | Value::String(_)) => v.clone(),
        (
            ShapeType::Integer | ShapeType::Long | ShapeType::Short | ShapeType::Byte,
            Value::Number(_),
        ) => v.clone(),
        (ShapeType::Boolean, Value::Bool(_)) => v.clone(),
        (ShapeType::String, Value::String(_)) => v.clone(),
        (kind, other) => return Err(format!("{kind:?} member {} holds {other}", r.shape)),
    })
}

/// Decodes a JSON object as a structure (keys are `locationName`s).
pub fn json_struct(model: &ServiceModel, shape: &Shape, v: &Value) -> Result<Value, String> {
    let obj = v.as_object().ok_or("body is not an object")?;
    let mut out = Map::new();
    for (name, r) in &shape.members {
        if !in_body(r) {
            continue;
        }
        let key = r.location_name.as_deref().unwrap_or(name);
        if let Some(item) = obj.get(key) {
            out.insert(name.clone(), json_value(model, r, item)?);
        }
    }
    Ok(Value::Object(out))
}

/// Converts CBOR to the JSON conventions: byte strings → base64, tag 1 →
/// epoch seconds, special floats → their strings.
pub fn cbor_to_json(v: &ciborium::Value) -> Result<Value, String> {
    use ciborium::Value as C;
    Ok(match v {
        C::Null => Value::Null,
        C::Bool(b) => Value::Bool(*b),
        C::Integer(i) => {
            let i: i128 = (*i).into();
            Value::from(i64::try_from(i).map_err(|e| e.to_string())?)
        }
        C::Float(f) => float_json(*f),
        C::Text(s) => Value::String(s.clone()),
        C::Bytes(b) => Value::String(B64.encode(b)),
        C::Array(items) => Value::Array(items.iter().map(cbor_to_json).collect::<Result<_, _>>()?),
        C::Map(entries) => {
            let mut out = Map::new();
            for (k, v) in entries {
                let k = k.as_text().ok_or("non-text map key")?;
                out.insert(k.to_string(), cbor_to_json(v)?);
            }
            Value::Object(out)
        }
        C::Tag(1, inner) => match &**inner {
            C::Integer(i) => {
                let i: i128 = (*i).into();
                Value::from(i64::try_from(i).map_err(|e| e.to_string())?)
            }
            C::Float(f) => float_json(*f),
            other => return Err(format!("bad timestamp {other:?}")),
        },
        other => return Err(format!("unexpected CBOR {other:?}")),
    })
}

fn float_json(f: f64) -> Value {
    if f.is_nan() {
        Value::String("NaN".into())
    } else if f.is_infinite() {
        Value::String(if f > 0.0 { "Infinity" } else { "-Infinity" }.into())
    } else {
        serde_json::Number::from_f64(f)
            .map(Value::Number)
            .unwrap_or(Value::Null)
    }
}

fn parse_body(protocol: Protocol, body: &[u8]) -> Result<Value, String> {
    if protocol == Protocol::RpcV2Cbor {
        let v: ciborium::Value = ciborium::de::from_reader(body).map_err(|e| e.to_string())?;
        cbor_to_json(&v)
    } else {
        serde_json::from_slice(body).map_err(|e| format!("bad JSON body: {e}"))
    }
}

// ---------------------------------------------------------------- headers

fn header<'r>(resp: &'r Response, name: &str) -> Option<&'r str> {
    resp.header(name)
}

/// Splits a list header: after `GMT,` for HTTP dates, else on commas
/// outside double quotes (quoted items unescaped).
fn split_header(text: &str, dates: bool) -> Vec<String> {
    if dates {
        return text
            .split("GMT,")
            .map(|p| p.trim())
            .map(|p| {
                if p.ends_with("GMT") {
                    p.to_string()
                } else {
                    format!("{p} GMT")
                }
            })
            .collect();
    }
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' => quoted = !quoted,
            '\\' if quoted => {
                if let Some(n) = chars.next() {
                    cur.push(n);
                }
            }
            ',' if !quoted => {
                out.push(cur.trim().to_string());
                cur.clear();
            }
            c => cur.push(c),
        }
    }
    out.push(cur.trim().to_string());
    out
}

fn header_member(model: &ServiceModel, r: &MemberRef, text: &str) -> Result<Value, String> {
    let shape = shape_of(model, r)?;
    match shape.kind {
        ShapeType::List => {
            let ir = shape.member.as_deref().ok_or("list without member")?;
            let is = shape_of(model, ir)?;
            let dates = is.kind == ShapeType::Timestamp
                && !matches!(
                    ir.timestamp_format
                        .as_deref()
                        .or(is.timestamp_format.as_deref()),
                    Some("iso8601" | "unixTimestamp")
                );
            if text.trim().is_empty() {
                return Ok(Value::Array(vec![]));
            }
            let items = split_header(text, dates)
                .iter()
                .map(|i| scalar_from_text(is, i))
                .collect::<Result<_, _>>()?;
            Ok(Value::Array(items))
        }
        ShapeType::String if r.jsonvalue || shape.jsonvalue => {
            let bytes = B64.decode(text.trim()).map_err(|e| e.to_string())?;
            Ok(Value::String(String::from_utf8_lossy(&bytes).into_owned()))
        }
        _ => scalar_from_text(shape, text),
    }
}

/// Headers every response carries that are protocol plumbing, not members
/// (a `headers` map with an empty prefix would otherwise capture them).
const PLUMBING: &[&str] = &[
    "content-type",
    "content-length",
    "x-amzn-requestid",
    "x-amz-request-id",
    "x-amz-id-2",
    "x-amzn-errortype",
];

fn rest_bindings(
    model: &ServiceModel,
    shape: &Shape,
    resp: &Response,
    out: &mut Map<String, Value>,
) -> Result<(), String> {
    for (name, r) in &shape.members {
        match r.location.as_deref() {
            Some("header") => {
                let wire = r.location_name.as_deref().unwrap_or(name);
                if let Some(text) = header(resp, wire) {
                    out.insert(name.clone(), header_member(model, r, text)?);
                }
            }
            Some("headers") => {
                let prefix = r
                    .location_name
                    .as_deref()
                    .unwrap_or("")
                    .to_ascii_lowercase();
                let ms = shape_of(model, r)?;
                let vr = ms.value.as_deref().ok_or("headers map without value")?;
                let mut map = Map::new();
                for (hn, hv) in &resp.headers {
                    let lower = hn.to_ascii_lowercase();
                    if prefix.is_empty() && PLUMBING.contains(&lower.as_str()) {
                        continue;
                    }
                    if let Some(rest) = lower.strip_prefix(&prefix) {
                        let key = &hn[hn.len() - rest.len()..];
                        map.insert(key.to_string(), header_member(model, vr, hv)?);
                    }
                }
                if !map.is_empty() {
                    out.insert(name.clone(), Value::Object(map));
                }
            }
            Some("statusCode") => {
                out.insert(name.clone(), Value::from(resp.status));
            }
            _ => {}
        }
    }
    Ok(())
}

// ---------------------------------------------------------------- responses

/// Decodes a success response into a value of the operation's output.
pub fn decode_output(
    model: &ServiceModel,
    protocol: Protocol,
    op: &OperationModel,
    resp: &Response,
) -> Result<Value, String> {
    let Some(out_ref) = op.output.as_ref() else {
        return Ok(Value::Object(Map::new()));
    };
    let shape = shape_of(model, out_ref)?;
    let body = &resp.body[..];
    match protocol {
        Protocol::Query => {
            let root = parse_xml(body)?;
            let wrapper = out_ref
                .result_wrapper
                .clone()
                .unwrap_or_else(|| format!("{}Result", op.name));
            match root.child(&wrapper) {
                Some(n) => xml_struct(model, shape, n),
                None => Ok(Value::Object(Map::new())),
            }
        }
        Protocol::Ec2 => xml_struct(model, shape, &parse_xml(body)?),
        Protocol::Json10 | Protocol::Json11 | Protocol::RpcV2Cbor => {
            if body.is_empty() {
                return Ok(Value::Object(Map::new()));
            }
            json_struct(model, shape, &parse_body(protocol, body)?)
        }
        Protocol::RestJson | Protocol::RestXml => {
            let mut out = Map::new();
            rest_bindings(model, shape, resp, &mut out)?;
            let payload = shape
                .payload
                .as_deref()
                .and_then(|p| shape.members.get_key_value(p));
            if let Some((pname, pref)) = payload {
                let ps = shape_of(model, pref)?;
                if !body.is_empty() {
                    let v = match ps.kind {
                        ShapeType::Blob => Value::String(B64.encode(body)),
                        ShapeType::String => {
                            Value::String(String::from_utf8_lossy(body).into_owned())
                        }
                        _ if ps.document => parse_body(protocol, body)?,
                        _ if protocol == Protocol::RestJson => {
                            json_value(model, pref, &parse_body(protocol, body)?)?
                        }
                        _ => xml_value(model, pref, &parse_xml(body)?)?,
                    };
                    out.insert(pname.clone(), v);
                }
            } else if !body.is_empty() {
                let body_value = if protocol == Protocol::RestJson {
                    json_struct(model, shape, &parse_body(protocol, body)?)?
                } else {
                    xml_struct(model, shape, &parse_xml(body)?)?
                };
                if let Value::Object(obj) = body_value {
                    out.extend(obj);
                }
            }
            Ok(Value::Object(out))
        }
    }
}

/// Strips `ns#` and `:uri` decorations from an error code, as clients do.
pub fn sanitize_code(code: &str) -> String {
    let code = code.split(':').next().unwrap_or(code);
    code.rsplit('#').next().unwrap_or(code).to_string()
}

/// Decodes an error response: the code and the error shape's members.
pub fn decode_error(
    model: &ServiceModel,
    protocol: Protocol,
    shape_ref: Option<&MemberRef>,
    resp: &Response,
) -> Result<(String, Value), String> {
    let shape = match shape_ref {
        Some(r) => Some(shape_of(model, r)?),
        None => None,
    };
    let body = &resp.body[..];
    let mut fields = Map::new();
    let code = match protocol {
        Protocol::Query | Protocol::Ec2 | Protocol::RestXml => {
            let root = parse_xml(body)?;
            let err = match root.name.as_str() {
                "Error" => &root,
                "ErrorResponse" => root.child("Error").ok_or("no <Error>")?,
                "Response" => root
                    .child("Errors")
                    .and_then(|e| e.child("Error"))
                    .ok_or("no <Errors><Error>")?,
                other => return Err(format!("unexpected error root <{other}>")),
            };
            if let Some(s) = shape {
                if let Value::Object(obj) = xml_struct(model, s, err)? {
                    fields.extend(obj);
                }
            }
            err.child("Code")
                .map(|c| c.text.clone())
                .ok_or("no <Code>")?
        }
        Protocol::Json10 | Protocol::Json11 | Protocol::RestJson | Protocol::RpcV2Cbor => {
            let parsed = if body.is_empty() {
                Value::Object(Map::new())
            } else {
                parse_body(protocol, body)?
            };
            if let Some(s) = shape {
                if let Value::Object(obj) = json_struct(model, s, &parsed)? {
                    fields.extend(obj);
                }
            }
            let from_body = parsed
                .get("__type")
                .or_else(|| parsed.get("code"))
                .and_then(Value::as_str)
                .map(str::to_string);
            let query_code = header(resp, "x-amzn-query-error")
                .and_then(|h| h.split(';').next())
                .map(str::to_string);
            let header_code = header(resp, "x-amzn-errortype").map(str::to_string);
            let code = match protocol {
                Protocol::RestJson => header_code.or(from_body),
                _ => query_code.or(from_body).or(header_code),
            };
            sanitize_code(&code.ok_or("no error code")?)
        }
    };
    if let Some(s) = shape {
        if matches!(protocol, Protocol::RestJson | Protocol::RestXml) {
            rest_bindings(model, s, resp, &mut fields)?;
        }
    }
    Ok((code, Value::Object(fields)))
}
