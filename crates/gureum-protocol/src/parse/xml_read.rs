//! A small XML element tree, read with quick-xml.
//!
//! Request bodies are small (S3 and Route 53 configurations, a few KB), so
//! reading them whole into a tree keeps the shape-driven reader simple: it
//! can look children up by name, in any order. Names keep their prefix
//! (`xsi:type`); lookups compare local names when the exact name is not
//! there. Text and CDATA are concatenated and unescaped. Anything that is
//! not well-formed (mismatched tags, bad entities, two roots, nesting deeper
//! than [`MAX_DEPTH`]) is a [`ParseError::Malformed`], never a panic.

use super::common::MAX_DEPTH;
use crate::ParseError;
use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;

/// One element.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Element {
    /// The qualified name as written (`baz:Nested`).
    pub name: String,
    /// Attributes as written (name, unescaped value), `xmlns` ones included.
    pub attrs: Vec<(String, String)>,
    /// Child elements in document order.
    pub children: Vec<Element>,
    /// The concatenated, unescaped text directly inside the element.
    pub text: String,
}

/// The part of a qualified name after the prefix.
pub(crate) fn local(name: &str) -> &str {
    name.rsplit_once(':').map_or(name, |(_, l)| l)
}

impl Element {
    /// Children named `name` (exact, or same local name).
    pub(crate) fn children_named<'a>(
        &'a self,
        name: &'a str,
    ) -> impl Iterator<Item = &'a Element> + 'a {
        let exact = self.children.iter().any(|c| c.name == name);
        self.children.iter().filter(move |c| {
            if exact {
                c.name == name
            } else {
                local(&c.name) == local(name)
            }
        })
    }

    /// The first child named `name`.
    pub(crate) fn child(&self, name: &str) -> Option<&Element> {
        self.children
            .iter()
            .find(|c| c.name == name)
            .or_else(|| self.children.iter().find(|c| local(&c.name) == local(name)))
    }

    /// The attribute named `name` (exact, or same local name when unprefixed).
    pub(crate) fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(n, _)| n == name)
            .or_else(|| {
                self.attrs
                    .iter()
                    .find(|(n, _)| !n.starts_with("xmlns") && local(n) == local(name))
            })
            .map(|(_, v)| v.as_str())
    }
}

fn malformed(e: impl std::fmt::Display) -> ParseError {
    ParseError::Malformed(format!("The XML you provided was not well-formed: {e}"))
}

fn start(e: &BytesStart<'_>) -> Result<Element, ParseError> {
    let name = String::from_utf8_lossy(e.name().as_ref()).into_owned();
    let mut attrs = Vec::new();
    for a in e.attributes() {
        let a = a.map_err(malformed)?;
        let key = String::from_utf8_lossy(a.key.as_ref()).into_owned();
        let value = a.unescape_value().map_err(malformed)?.into_owned();
        attrs.push((key, value));
    }
    Ok(Element {
        name,
        attrs,
        ..Element::default()
    })
}

/// Parses a document into its root element; `None` when the body holds no
/// element at all (empty or whitespace only).
pub(crate) fn parse(body: &[u8]) -> Result<Option<Element>, ParseError> {
    let mut reader = Reader::from_reader(body);
    reader.config_mut().check_end_names = true;
    let mut stack: Vec<Element> = Vec::new();
    let mut root: Option<Element> = None;
    loop {
        let event = reader.read_event().map_err(malformed)?;
        match event {
            Event::Start(e) => {
                if root.is_some() {
                    return Err(malformed("more than one root element"));
                }
                if stack.len() >= MAX_DEPTH {
                    return Err(malformed("elements nested too deeply"));
                }
                stack.push(start(&e)?);
            }
            Event::Empty(e) => {
                if root.is_some() {
                    return Err(malformed("more than one root element"));
                }
                let el = start(&e)?;
                match stack.last_mut() {
                    Some(parent) => parent.children.push(el),
                    None => root = Some(el),
                }
            }
            Event::End(_) => {
                let Some(el) = stack.pop() else {
                    return Err(malformed("unexpected end tag"));
                };
                match stack.last_mut() {
                    Some(parent) => parent.children.push(el),
                    None => root = Some(el),
                }
            }
            Event::Text(t) => {
                let text = t.unescape().map_err(malformed)?;
                match stack.last_mut() {
                    Some(el) => el.text.push_str(&text),
                    None if text.trim().is_empty() => {}
                    None => return Err(malformed("text outside the root element")),
                }
            }
            Event::CData(c) => {
                let bytes = c.into_inner();
                let text = std::str::from_utf8(&bytes).map_err(malformed)?;
                match stack.last_mut() {
                    Some(el) => el.text.push_str(text),
                    None => return Err(malformed("CDATA outside the root element")),
                }
            }
            Event::Decl(_) | Event::PI(_) | Event::Comment(_) | Event::DocType(_) => {}
            Event::Eof => break,
        }
    }
    if !stack.is_empty() {
        return Err(malformed("unexpected end of document"));
    }
    Ok(root)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_nested_elements_attributes_and_entities() {
        let doc = br#"<?xml version="1.0"?><A xmlns="u" x:y="1&amp;2"><B>a&lt;b</B><C/><B><![CDATA[<z>]]></B></A>"#;
        let root = parse(doc).ok().flatten().unwrap_or_default();
        assert_eq!(root.name, "A");
        assert_eq!(root.attr("x:y"), Some("1&2"));
        assert_eq!(root.attr("y"), Some("1&2"));
        let bs: Vec<&str> = root.children_named("B").map(|b| b.text.as_str()).collect();
        assert_eq!(bs, vec!["a<b", "<z>"]);
        assert!(root.child("C").is_some());
    }

    #[test]
    fn bad_xml_is_malformed_not_panic() {
        for bad in [
            &b"<A><B></A>"[..],
            b"<A>",
            b"<A></A><B/>",
            b"<A>&bogus;</A>",
            b"</A>",
            b"<A x='1></A>",
        ] {
            assert!(parse(bad).is_err(), "{}", String::from_utf8_lossy(bad));
        }
        assert_eq!(parse(b"  ").ok(), Some(None));
    }

    #[test]
    fn deep_nesting_is_refused() {
        let deep = "<a>".repeat(MAX_DEPTH + 5) + &"</a>".repeat(MAX_DEPTH + 5);
        assert!(parse(deep.as_bytes()).is_err());
    }
}
