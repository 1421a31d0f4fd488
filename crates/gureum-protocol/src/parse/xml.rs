//! XML bodies of rest-xml requests, read against the input shape.
//!
//! Element names are the member's `locationName`, else its name. Lists are
//! wrapped (`<List><member>a</member></List>`, the inner name being the
//! list member's `locationName` or `member`) unless flattened, when the
//! elements repeat directly in the parent under the member's own name. Maps
//! are `<Map><entry><key/><value/></entry></Map>` (key/value renamed by
//! their `locationName`s), or flattened: `<Map><key/><value/></Map>`
//! repeated. `xmlAttribute` members are attributes of the enclosing
//! element. Timestamps default to ISO 8601, blobs are base64 text.
//! Strings keep their whitespace exactly; other scalars are trimmed.

use super::common::{check_depth, flattened, scalar_from_text, target, wire_name, TsFormat};
use super::xml_read::Element;
use crate::{ParseError, Value};
use gureum_model::{MemberRef, ServiceModel, Shape, ShapeType};
use serde_json::Map;

/// Reads the members of `shape` that `wanted` selects from element `el`.
pub(crate) fn read_members(
    model: &ServiceModel,
    shape: &Shape,
    el: &Element,
    wanted: impl Fn(&MemberRef) -> bool,
    depth: usize,
) -> Result<Map<String, Value>, ParseError> {
    check_depth(depth)?;
    let mut out = Map::new();
    for (name, r) in &shape.members {
        if !wanted(r) {
            continue;
        }
        let t = target(model, r)?;
        let wn = wire_name(r, name);
        let value = if r.xml_attribute {
            match el.attr(wn) {
                Some(text) => Some(scalar_from_text(t, Some(r), TsFormat::Iso8601, text)?),
                None => None,
            }
        } else if t.kind == ShapeType::List && flattened(Some(r), t) {
            flattened_list(model, t, el.children_named(wn), depth)?
        } else if t.kind == ShapeType::Map && flattened(Some(r), t) {
            let entries: Vec<&Element> = el.children_named(wn).collect();
            if entries.is_empty() {
                None
            } else {
                Some(map_entries(model, t, entries.into_iter(), depth)?)
            }
        } else {
            match el.child(wn) {
                Some(child) => read_value(model, Some(r), t, child, depth + 1)?,
                None => None,
            }
        };
        if let Some(v) = value {
            out.insert(name.clone(), v);
        }
    }
    Ok(out)
}

fn flattened_list<'a>(
    model: &ServiceModel,
    shape: &Shape,
    items: impl Iterator<Item = &'a Element>,
    depth: usize,
) -> Result<Option<Value>, ParseError> {
    let member = shape
        .member
        .as_deref()
        .ok_or_else(|| ParseError::Malformed("list shape without member".into()))?;
    let mt = target(model, member)?;
    let mut out = Vec::new();
    let mut any = false;
    for item in items {
        any = true;
        if let Some(v) = read_value(model, Some(member), mt, item, depth + 1)? {
            out.push(v);
        }
    }
    Ok(any.then_some(Value::Array(out)))
}

fn map_entries<'a>(
    model: &ServiceModel,
    shape: &Shape,
    entries: impl Iterator<Item = &'a Element>,
    depth: usize,
) -> Result<Value, ParseError> {
    let (Some(kr), Some(vr)) = (shape.key.as_deref(), shape.value.as_deref()) else {
        return Err(ParseError::Malformed("map shape without key/value".into()));
    };
    let vt = target(model, vr)?;
    let key_name = kr.location_name.as_deref().unwrap_or("key");
    let value_name = vr.location_name.as_deref().unwrap_or("value");
    let mut out = Map::new();
    for entry in entries {
        let Some(k) = entry.child(key_name) else {
            continue;
        };
        if let Some(vel) = entry.child(value_name) {
            if let Some(v) = read_value(model, Some(vr), vt, vel, depth + 1)? {
                out.insert(k.text.clone(), v);
            }
        }
    }
    Ok(Value::Object(out))
}

/// Reads element `el` as a value of `shape`.
pub(crate) fn read_value(
    model: &ServiceModel,
    r: Option<&MemberRef>,
    shape: &Shape,
    el: &Element,
    depth: usize,
) -> Result<Option<Value>, ParseError> {
    check_depth(depth)?;
    match shape.kind {
        ShapeType::Structure => {
            read_members(model, shape, el, |_| true, depth + 1).map(|m| Some(Value::Object(m)))
        }
        ShapeType::List => {
            let member = shape
                .member
                .as_deref()
                .ok_or_else(|| ParseError::Malformed("list shape without member".into()))?;
            let inner = member.location_name.as_deref().unwrap_or("member");
            let list = flattened_list(model, shape, el.children_named(inner), depth)?;
            Ok(Some(list.unwrap_or(Value::Array(Vec::new()))))
        }
        ShapeType::Map => map_entries(model, shape, el.children_named("entry"), depth).map(Some),
        ShapeType::String => Ok(Some(Value::from(el.text.as_str()))),
        _ => scalar_from_text(shape, r, TsFormat::Iso8601, &el.text).map(Some),
    }
}
