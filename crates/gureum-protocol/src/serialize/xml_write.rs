//! The shape-driven XML writer shared by query, ec2 and rest-xml bodies.
//!
//! AWS's XML encodings agree on the body rules (only the envelopes differ):
//!
//! - a structure member is an element named by its `locationName`, else the
//!   member name; members marked `xmlAttribute` become attributes of the
//!   structure's element instead;
//! - a list is `<Name><member>…</member></Name>` (the list member's
//!   `locationName` renames `member`, e.g. EC2's `item`); a *flattened* list
//!   repeats `<Name>` once per item with no wrapper;
//! - a map is `<Name><entry><key>…</key><value>…</value></entry></Name>`
//!   (key/value renamed by their `locationName`); flattened, each entry is
//!   a `<Name>` holding the key and value;
//! - `xmlNamespace` on a member (else on its shape) becomes `xmlns` or
//!   `xmlns:prefix` on that element;
//! - timestamps are ISO 8601 unless `timestampFormat` says otherwise,
//!   booleans `true`/`false`, blobs base64 (values already hold base64).
//!
//! Text goes straight into one `String`; escaping is skipped for the common
//! case of text with nothing to escape.
//!
//! A structure's members are written in the shape's order, except where
//! the value says otherwise with [`XML_ORDER`]: items of several flattened
//! lists interleaved in the order the service read them (S3's
//! `ListObjectVersions` writes `Version` and `DeleteMarker` elements in key
//! order, not one kind after the other).

use super::{format_ts, in_body, scalar_text, target, ts_format, ts_millis, TsFormat};
use crate::Value;
use gureum_model::{MemberRef, ServiceModel, Shape, ShapeType, XmlNamespace};

/// An XML document being written.
#[derive(Debug, Default)]
pub struct XmlWriter {
    /// The text so far.
    pub out: String,
}

impl XmlWriter {
    /// A writer with room for a typical response.
    pub fn new() -> Self {
        XmlWriter {
            out: String::with_capacity(512),
        }
    }

    /// `<?xml version="1.0" encoding="UTF-8"?>` (S3, EC2 and rest-xml send it).
    pub fn declaration(&mut self) {
        self.out
            .push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    }

    /// `<name` (finish with [`XmlWriter::open_end`] after any attributes).
    pub fn open_start(&mut self, name: &str) {
        self.out.push('<');
        self.out.push_str(name);
    }

    /// ` key="value"`, escaped.
    pub fn attr(&mut self, key: &str, value: &str) {
        self.out.push(' ');
        self.out.push_str(key);
        self.out.push_str("=\"");
        escape_into(&mut self.out, value, true);
        self.out.push('"');
    }

    /// An `xmlns` / `xmlns:prefix` attribute.
    pub fn namespace(&mut self, ns: &XmlNamespace) {
        match &ns.prefix {
            Some(p) if !p.is_empty() => {
                let key = format!("xmlns:{p}");
                self.attr(&key, &ns.uri);
            }
            _ => self.attr("xmlns", &ns.uri),
        }
    }

    /// `>`.
    pub fn open_end(&mut self) {
        self.out.push('>');
    }

    /// `<name>`.
    pub fn open(&mut self, name: &str) {
        self.open_start(name);
        self.open_end();
    }

    /// `</name>`.
    pub fn close(&mut self, name: &str) {
        self.out.push_str("</");
        self.out.push_str(name);
        self.out.push('>');
    }

    /// Escaped text content.
    pub fn text(&mut self, text: &str) {
        escape_into(&mut self.out, text, false);
    }

    /// `<name>text</name>`.
    pub fn leaf(&mut self, name: &str, text: &str) {
        self.open(name);
        self.text(text);
        self.close(name);
    }
}

/// Appends `text` escaped for XML content (or an attribute value). `\r` is
/// written as a character reference so that parsers do not fold it away.
pub fn escape_into(out: &mut String, text: &str, attribute: bool) {
    let needs = |b: u8| {
        matches!(b, b'&' | b'<' | b'>' | b'\r') || (attribute && matches!(b, b'"' | b'\n' | b'\t'))
    };
    if !text.bytes().any(needs) {
        out.push_str(text);
        return;
    }
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\r' => out.push_str("&#xD;"),
            '"' if attribute => out.push_str("&quot;"),
            '\n' if attribute => out.push_str("&#xA;"),
            '\t' if attribute => out.push_str("&#x9;"),
            _ => out.push(c),
        }
    }
}

/// The element name of a structure member: `locationName`, else its name.
pub fn member_name<'a>(name: &'a str, r: &'a MemberRef) -> &'a str {
    r.location_name.as_deref().unwrap_or(name)
}

/// The element name of a structure member in a body: its `locationName`;
/// else its `queryName` (set by query-compatible json models such as SQS,
/// whose json names differ from their query ones: `Messages` is written
/// `<Message>`); else the member's name.
pub fn element_name<'a>(name: &'a str, r: &'a MemberRef) -> &'a str {
    r.location_name
        .as_deref()
        .or(r.query_name.as_deref())
        .unwrap_or(name)
}

/// Writes the attributes (`xmlAttribute` members) of a structure's element.
pub fn write_attributes(w: &mut XmlWriter, model: &ServiceModel, shape: &Shape, value: &Value) {
    let Some(obj) = value.as_object() else { return };
    for (name, r) in shape.members.iter().filter(|(_, r)| r.xml_attribute) {
        let Some(v) = gureum_core::member::get(obj, name) else {
            continue;
        };
        let Some(s) = target(model, r) else { continue };
        if let Some(text) = scalar(s, r, v) {
            w.attr(member_name(name, r), &text);
        }
    }
}

/// Writes the child elements of a structure: every member present in
/// `value`, in the shape's order, except attributes and members bound to
/// HTTP headers or the status code.
pub fn write_struct_contents(
    w: &mut XmlWriter,
    model: &ServiceModel,
    shape: &Shape,
    value: &Value,
) {
    let Some(obj) = value.as_object() else { return };
    let order = obj.get(XML_ORDER).and_then(Value::as_array);
    let mut interleaved = false;
    for (name, r) in &shape.members {
        if r.xml_attribute || !in_body(r) {
            continue;
        }
        let in_order = |o: &&Vec<Value>| o.iter().any(|n| n == name.as_str());
        if let Some(order) = order.filter(in_order).filter(|_| flattened_list(model, r)) {
            if !interleaved {
                write_interleaved(w, model, shape, obj, order);
                interleaved = true;
            }
            continue;
        }
        if let Some(v) = gureum_core::member::get(obj, name) {
            write_member(w, model, element_name(name, r), r, v);
        }
    }
}

/// Where [`XML_ORDER`] names flattened lists, their items are written
/// together, where the first of those members would be; an entry past its
/// list's end, or naming no flattened list member, is skipped, and items no
/// entry reached follow, member by member.
pub use gureum_core::member::XML_ORDER;

fn flattened_list(model: &ServiceModel, r: &MemberRef) -> bool {
    target(model, r).is_some_and(|s| s.kind == ShapeType::List && (r.flattened || s.flattened))
}

fn write_interleaved(
    w: &mut XmlWriter,
    model: &ServiceModel,
    shape: &Shape,
    obj: &serde_json::Map<String, Value>,
    order: &[Value],
) {
    // Members taken so far, and how many items of each.
    let mut taken: Vec<(&str, usize)> = Vec::new();
    for entry in order {
        let Some(name) = entry.as_str() else { continue };
        let Some((r, item_ref, items)) = flattened_items(model, shape, obj, name) else {
            continue;
        };
        let i = match taken.iter_mut().find(|(n, _)| *n == name) {
            Some((_, i)) => i,
            None => {
                taken.push((name, 0));
                &mut taken.last_mut().expect("just pushed").1
            }
        };
        if let Some(item) = items.get(*i) {
            write_member(w, model, element_name(name, r), item_ref, item);
        }
        *i += 1;
    }
    for name in shape.members.keys() {
        if !order.iter().any(|n| n == name.as_str()) {
            continue;
        }
        let Some((r, item_ref, items)) = flattened_items(model, shape, obj, name) else {
            continue;
        };
        let done = taken
            .iter()
            .find(|(n, _)| *n == name)
            .map_or(0, |(_, i)| *i);
        for item in items.iter().skip(done) {
            write_member(w, model, element_name(name, r), item_ref, item);
        }
    }
}

/// A flattened list member's ref, its item ref and the value's items.
fn flattened_items<'a>(
    model: &'a ServiceModel,
    shape: &'a Shape,
    obj: &'a serde_json::Map<String, Value>,
    name: &str,
) -> Option<(&'a MemberRef, &'a MemberRef, &'a Vec<Value>)> {
    let r = shape.members.get(name)?;
    if !flattened_list(model, r) {
        return None;
    }
    let item_ref = target(model, r)?.member.as_deref()?;
    let items = obj.get(name)?.as_array()?;
    Some((r, item_ref, items))
}

/// Writes one value as the element(s) `name` (several for a flattened list).
pub fn write_member(
    w: &mut XmlWriter,
    model: &ServiceModel,
    name: &str,
    r: &MemberRef,
    value: &Value,
) {
    if value.is_null() {
        return;
    }
    let Some(shape) = target(model, r) else {
        return;
    };
    let ns = r.xml_namespace.as_ref().or(shape.xml_namespace.as_ref());
    match shape.kind {
        ShapeType::List => {
            let (Some(items), Some(item_ref)) = (value.as_array(), shape.member.as_deref()) else {
                return;
            };
            if r.flattened || shape.flattened {
                for item in items {
                    write_member(w, model, name, item_ref, item);
                }
            } else {
                let item_name = item_ref.location_name.as_deref().unwrap_or("member");
                open_ns(w, name, r.xml_namespace.as_ref());
                for item in items {
                    write_member(w, model, item_name, item_ref, item);
                }
                w.close(name);
            }
        }
        ShapeType::Map => {
            let (Some(entries), Some(kr), Some(vr)) = (
                value.as_object(),
                shape.key.as_deref(),
                shape.value.as_deref(),
            ) else {
                return;
            };
            let key_name = kr.location_name.as_deref().unwrap_or("key");
            let value_name = vr.location_name.as_deref().unwrap_or("value");
            let flat = r.flattened || shape.flattened;
            if !flat {
                open_ns(w, name, r.xml_namespace.as_ref());
            }
            for (k, v) in entries {
                if v.is_null() {
                    continue;
                }
                if flat {
                    open_ns(w, name, r.xml_namespace.as_ref());
                } else {
                    w.open("entry");
                }
                write_member(w, model, key_name, kr, &Value::String(k.clone()));
                write_member(w, model, value_name, vr, v);
                w.close(if flat { name } else { "entry" });
            }
            if !flat {
                w.close(name);
            }
        }
        ShapeType::Structure => {
            w.open_start(name);
            if let Some(ns) = ns {
                w.namespace(ns);
            }
            write_attributes(w, model, shape, value);
            w.open_end();
            write_struct_contents(w, model, shape, value);
            w.close(name);
        }
        _ => {
            let Some(text) = scalar(shape, r, value) else {
                return;
            };
            open_ns(w, name, ns);
            w.text(&text);
            w.close(name);
        }
    }
}

fn open_ns(w: &mut XmlWriter, name: &str, ns: Option<&XmlNamespace>) {
    w.open_start(name);
    if let Some(ns) = ns {
        w.namespace(ns);
    }
    w.open_end();
}

/// A scalar as XML text: timestamps formatted (ISO 8601 by default),
/// everything else as its plain text.
pub fn scalar<'v>(
    shape: &Shape,
    r: &MemberRef,
    value: &'v Value,
) -> Option<std::borrow::Cow<'v, str>> {
    if shape.kind == ShapeType::Timestamp {
        let millis = ts_millis(value)?;
        return Some(format_ts(millis, ts_format(Some(r), shape, TsFormat::Iso8601)).into());
    }
    scalar_text(value)
}

/// Writes an unmodelled value (an error field the shape does not declare)
/// as plain elements: scalars as text, objects as nested elements, arrays
/// as repeated elements.
pub fn write_plain(w: &mut XmlWriter, name: &str, value: &Value) {
    match value {
        Value::Null => {}
        Value::Object(obj) => {
            w.open(name);
            for (k, v) in obj {
                write_plain(w, k, v);
            }
            w.close(name);
        }
        Value::Array(items) => {
            for v in items {
                write_plain(w, name, v);
            }
        }
        other => {
            if let Some(t) = scalar_text(other) {
                w.leaf(name, &t);
            }
        }
    }
}

/// Writes an error's message and extra fields inside its `<Error>`
/// element: declared members through the shape (skipping header-bound
/// ones, which go in headers), undeclared ones as plain elements.
pub fn write_error_fields(
    w: &mut XmlWriter,
    model: &ServiceModel,
    info: &super::errors::ErrorInfo<'_>,
    error: &gureum_core::AwsError,
) {
    // Always `Message`, whatever the shape's member is called (IAM's is
    // `message`): AWS writes `<Message>` and clients read only that.
    w.leaf("Message", &error.message);
    for (name, value) in &error.fields {
        if info.is_message_field(name) {
            continue;
        }
        match info.shape.and_then(|s| s.members.get(name)) {
            Some(r) if !in_body(r) => {}
            Some(r) => write_member(w, model, member_name(name, r), r, value),
            None => write_plain(w, name, value),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flattened_lists_and_maps_repeat_their_element() {
        let model = ServiceModel::from_json(
            r#"{"metadata":{"protocol":"query"},"operations":{},"shapes":{
              "Out":{"type":"structure","members":{
                "L":{"shape":"L","flattened":true,"locationName":"Item"},
                "M":{"shape":"M"},
                "F":{"shape":"M","flattened":true}}},
              "L":{"type":"list","member":{"shape":"S"}},
              "M":{"type":"map","key":{"shape":"S","locationName":"K"},"value":{"shape":"S"}},
              "S":{"type":"string"}}}"#,
        )
        .expect("model");
        let shape = model.shape("Out").expect("shape");
        let mut w = XmlWriter::new();
        let v = serde_json::json!({"L": ["a", "b"], "M": {"k": "v"}, "F": {"x": "y"}});
        write_struct_contents(&mut w, &model, shape, &v);
        assert_eq!(
            w.out,
            "<Item>a</Item><Item>b</Item>\
             <M><entry><K>k</K><value>v</value></entry></M>\
             <F><K>x</K><value>y</value></F>"
        );
    }

    #[test]
    fn xml_order_interleaves_flattened_lists_and_keeps_leftovers() {
        let model = ServiceModel::from_json(
            r#"{"metadata":{"protocol":"rest-xml"},"operations":{},"shapes":{
              "Out":{"type":"structure","members":{
                "Name":{"shape":"S"},
                "Versions":{"shape":"L","flattened":true,"locationName":"Version"},
                "Markers":{"shape":"L","flattened":true,"locationName":"DeleteMarker"},
                "Prefixes":{"shape":"L","flattened":true,"locationName":"Prefix"}}},
              "L":{"type":"list","member":{"shape":"S"}},
              "S":{"type":"string"}}}"#,
        )
        .expect("model");
        let shape = model.shape("Out").expect("shape");
        let write = |v: serde_json::Value| {
            let mut w = XmlWriter::new();
            write_struct_contents(&mut w, &model, shape, &v);
            w.out
        };
        let v = serde_json::json!({
            "Name": "n",
            "Versions": ["a1", "b2", "c1"],
            "Markers": ["b1"],
            "Prefixes": ["p/"],
            "$order": ["Versions", "Markers", "Versions"],
        });
        assert_eq!(
            write(v),
            "<Name>n</Name><Version>a1</Version><DeleteMarker>b1</DeleteMarker>\
             <Version>b2</Version><Version>c1</Version><Prefix>p/</Prefix>",
            "order first, then what it did not reach; other members untouched"
        );
        let plain = serde_json::json!({"Versions": ["a"], "Markers": ["b"]});
        assert_eq!(
            write(plain),
            "<Version>a</Version><DeleteMarker>b</DeleteMarker>"
        );
        let odd = serde_json::json!({"Name": "n", "Markers": ["b"], "$order": ["Name", 7, "Nope"]});
        assert_eq!(
            write(odd),
            "<Name>n</Name><DeleteMarker>b</DeleteMarker>",
            "entries naming no flattened list change nothing"
        );
    }

    #[test]
    fn text_and_attributes_are_escaped() {
        let mut s = String::new();
        escape_into(&mut s, "a<b & \"c\"\r", false);
        assert_eq!(s, "a&lt;b &amp; \"c\"&#xD;");
        s.clear();
        escape_into(&mut s, "\"x\"\n", true);
        assert_eq!(s, "&quot;x&quot;&#xA;");
    }
}
