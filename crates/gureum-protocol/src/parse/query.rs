//! The `query` and `ec2` protocols: a flat list of `Name=value` pairs (the
//! form body of a POST, or the query string of a GET) that spells a tree
//! with dots.
//!
//! ```text
//! Nested.StringArg=foo                 structure member
//! ListArg.member.1=foo                 list (query; `member` or the list member's locationName)
//! FlattenedListArg.1=A                 flattened list (query), every ec2 list
//! MapArg.entry.1.key=k / .value=v      map (flattened: MapArg.1.key)
//! ListArg=                             an empty list (query only)
//! ```
//!
//! The pairs are first gathered into a tree keyed by the dotted segments
//! ([`Node`]), then read against the input shape. List and map indices are
//! sorted numerically from the keys that were actually sent, so
//! `A.member.99999999=x` costs one element, not a hundred million.
//!
//! Naming: query uses `locationName` or the member name (`queryName` first
//! when a query-compatible json model sets it). ec2 uses
//! `queryName`, else `locationName` with its first letter upper-cased, else
//! the member name upper-cased (`label` → `Label`); botocore sends the bare
//! member name in that last case, so both are accepted.

use super::common::{check_depth, flattened, form_pairs, scalar_from_text, target, TsFormat};
use crate::{ParseError, Request, Value};
use gureum_model::{MemberRef, ServiceModel, Shape, ShapeType};
use indexmap::IndexMap;
use serde_json::Map;

/// Most dotted segments a key may have: bounds the tree's depth.
const MAX_SEGMENTS: usize = 64;

/// One node of the dotted-key tree.
#[derive(Debug, Default)]
pub(crate) struct Node {
    /// The value sent for exactly this key, if any.
    value: Option<String>,
    /// Children by segment.
    children: IndexMap<String, Node>,
}

impl Node {
    /// Builds the tree from decoded pairs. `Action` and `Version` are kept:
    /// they are only read if a member is named so.
    pub(crate) fn from_pairs(pairs: Vec<(String, String)>) -> Result<Node, ParseError> {
        let mut root = Node::default();
        for (key, value) in pairs {
            let mut node = &mut root;
            for (i, seg) in key.split('.').enumerate() {
                if i >= MAX_SEGMENTS {
                    return Err(ParseError::Malformed(format!(
                        "parameter name '{key}' has too many parts"
                    )));
                }
                node = node.children.entry(seg.to_string()).or_default();
            }
            // A repeated key keeps its first value, as AWS does.
            if node.value.is_none() {
                node.value = Some(value);
            }
        }
        Ok(root)
    }

    fn child(&self, name: &str) -> Option<&Node> {
        self.children.get(name)
    }

    /// Children whose segment is a positive index, in index order.
    fn indexed(&self) -> Vec<(u64, &Node)> {
        let mut items: Vec<(u64, &Node)> = self
            .children
            .iter()
            .filter_map(|(k, n)| k.parse::<u64>().ok().filter(|i| *i > 0).map(|i| (i, n)))
            .collect();
        items.sort_by_key(|(i, _)| *i);
        items
    }
}

/// The decoded pairs of a query/ec2 request: the form body first, then the
/// query string (for a repeated key the first one wins).
pub(crate) fn request_pairs(request: &Request<'_>) -> Vec<(String, String)> {
    let mut pairs = Vec::new();
    if is_form(request) {
        let body = String::from_utf8_lossy(request.body);
        pairs.extend(form_pairs(&body));
    }
    pairs.extend(form_pairs(request.query));
    pairs
}

fn is_form(request: &Request<'_>) -> bool {
    if request.body.is_empty() {
        return false;
    }
    match request.headers.get(http::header::CONTENT_TYPE) {
        Some(ct) => ct
            .to_str()
            .map(|s| s.to_ascii_lowercase().contains("x-www-form-urlencoded"))
            .unwrap_or(false),
        // No content type: a body on a query endpoint can only be a form.
        None => true,
    }
}

/// The `Action` a query/ec2 request names.
pub(crate) fn action(request: &Request<'_>) -> Option<String> {
    request_pairs(request)
        .into_iter()
        .find(|(k, _)| k == "Action")
        .map(|(_, v)| v)
}

/// Reads the whole input of a query (`ec2 == false`) or ec2 request.
pub(crate) fn parse(
    model: &ServiceModel,
    input: Option<&MemberRef>,
    request: &Request<'_>,
    ec2: bool,
) -> Result<Value, ParseError> {
    let Some(input) = input else {
        return Ok(Value::Object(Map::new()));
    };
    let shape = target(model, input)?;
    let root = Node::from_pairs(request_pairs(request))?;
    let reader = Reader { model, ec2 };
    reader.structure(shape, &root, 0)
}

struct Reader<'m> {
    model: &'m ServiceModel,
    ec2: bool,
}

fn upper_first(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

impl Reader<'_> {
    /// The names a structure member may be sent under, preferred first.
    fn member_names(&self, name: &str, r: &MemberRef, shape: &Shape) -> Vec<String> {
        let loc = r.location_name.as_deref();
        if self.ec2 {
            let mut names = Vec::with_capacity(3);
            if let Some(q) = r.query_name.as_deref() {
                names.push(q.to_string());
            }
            names.push(upper_first(loc.unwrap_or(name)));
            names.push(loc.unwrap_or(name).to_string());
            names
        } else if let Some(q) = r.query_name.as_deref() {
            // A json model that kept query compatibility (SQS) names the
            // member's query spelling (`Attribute.1.Name`) apart.
            vec![q.to_string(), loc.unwrap_or(name).to_string()]
        } else if shape.kind == ShapeType::List && flattened(Some(r), shape) {
            // botocore names a flattened list after its member's
            // locationName when it has one (`Hi.1=A`).
            let mut names = Vec::with_capacity(2);
            if let Some(m) = shape
                .member
                .as_deref()
                .and_then(|m| m.location_name.as_deref())
            {
                names.push(m.to_string());
            }
            names.push(loc.unwrap_or(name).to_string());
            names
        } else {
            vec![loc.unwrap_or(name).to_string()]
        }
    }

    fn structure(&self, shape: &Shape, node: &Node, depth: usize) -> Result<Value, ParseError> {
        check_depth(depth)?;
        let mut out = Map::new();
        for (name, r) in &shape.members {
            let t = target(self.model, r)?;
            let found = self
                .member_names(name, r, t)
                .iter()
                .find_map(|n| node.child(n));
            if let Some(child) = found {
                if let Some(v) = self.value(Some(r), t, child, depth + 1)? {
                    out.insert(name.clone(), v);
                }
            }
        }
        Ok(Value::Object(out))
    }

    /// The value of one node; `None` when the node carries nothing.
    fn value(
        &self,
        r: Option<&MemberRef>,
        shape: &Shape,
        node: &Node,
        depth: usize,
    ) -> Result<Option<Value>, ParseError> {
        check_depth(depth)?;
        match shape.kind {
            ShapeType::Structure => {
                if node.children.is_empty() {
                    // `Nested=` with no members: nothing was set.
                    return Ok(None);
                }
                self.structure(shape, node, depth).map(Some)
            }
            ShapeType::List => self.list(r, shape, node, depth),
            ShapeType::Map => self.map(r, shape, node, depth),
            _ => match &node.value {
                Some(text) => scalar_from_text(shape, r, TsFormat::Iso8601, text).map(Some),
                None => Ok(None),
            },
        }
    }

    fn list(
        &self,
        r: Option<&MemberRef>,
        shape: &Shape,
        node: &Node,
        depth: usize,
    ) -> Result<Option<Value>, ParseError> {
        let Some(member) = shape.member.as_deref() else {
            return Err(ParseError::Malformed("list shape without member".into()));
        };
        let mt = target(self.model, member)?;
        // Where the indexed elements hang.
        let container = if self.ec2 || flattened(r, shape) {
            Some(node)
        } else {
            let name = member.location_name.as_deref().unwrap_or("member");
            node.child(name).or_else(|| node.child("member"))
        };
        let mut items = Vec::new();
        if let Some(c) = container {
            for (_, el) in c.indexed() {
                if let Some(v) = self.value(Some(member), mt, el, depth + 1)? {
                    items.push(v);
                }
            }
        }
        if items.is_empty() && node.children.is_empty() && node.value.is_none() {
            return Ok(None);
        }
        // `ListArg=` (a value, no children) is the explicit empty list.
        Ok(Some(Value::Array(items)))
    }

    fn map(
        &self,
        r: Option<&MemberRef>,
        shape: &Shape,
        node: &Node,
        depth: usize,
    ) -> Result<Option<Value>, ParseError> {
        let (Some(kr), Some(vr)) = (shape.key.as_deref(), shape.value.as_deref()) else {
            return Err(ParseError::Malformed("map shape without key/value".into()));
        };
        let kt = target(self.model, kr)?;
        let vt = target(self.model, vr)?;
        let container = if flattened(r, shape) {
            Some(node)
        } else {
            node.child("entry")
        };
        let key_name = kr.location_name.as_deref().unwrap_or("key");
        let value_name = vr.location_name.as_deref().unwrap_or("value");
        let mut out = Map::new();
        if let Some(c) = container {
            for (_, entry) in c.indexed() {
                let Some(k) = entry.child(key_name).and_then(|k| k.value.as_deref()) else {
                    continue;
                };
                if kt.kind != ShapeType::String {
                    return Err(ParseError::Malformed("map keys must be strings".into()));
                }
                if let Some(vn) = entry.child(value_name) {
                    if let Some(v) = self.value(Some(vr), vt, vn, depth + 1)? {
                        out.insert(k.to_string(), v);
                    }
                }
            }
        }
        if out.is_empty() && node.children.is_empty() && node.value.is_none() {
            return Ok(None);
        }
        Ok(Some(Value::Object(out)))
    }
}
