//! Policy documents: validation on the way in, parsed forms on the way out.
//!
//! Every document IAM accepts is checked by `gureum-policy` for the place it
//! goes (identity policy, trust policy, permissions boundary); a document
//! that fails answers `MalformedPolicyDocument` with the checker's message,
//! as AWS does. Parsed policies are kept in a cache keyed by the document
//! text, so the authorization path never parses JSON: the same document
//! attached to a thousand users is parsed once.

use crate::errors::IamError;
use gureum_core::AwsError;
use gureum_policy::{Policy, PolicyKind};
use parking_lot::RwLock;
use std::collections::HashMap;
use std::sync::Arc;

/// Which rules a document is checked against.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DocKind {
    /// An identity-based policy (inline or managed).
    Identity,
    /// A role's trust policy.
    Trust,
}

/// Validates `doc` as a policy of `kind`; `MalformedPolicyDocument` with
/// the checker's message if it is not one.
pub fn validate(doc: &str, kind: DocKind) -> Result<Policy, AwsError> {
    let kind = match kind {
        DocKind::Identity => PolicyKind::Identity,
        DocKind::Trust => PolicyKind::Trust,
    };
    gureum_policy::validate(doc, kind).map_err(|e| {
        IamError::MalformedPolicyDocument {
            message: e.message(),
        }
        .into()
    })
}

/// Parsed policies by document text.
#[derive(Default)]
pub struct ParsedCache {
    by_text: RwLock<HashMap<String, Arc<Policy>>>,
}

impl std::fmt::Debug for ParsedCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ParsedCache")
            .field("entries", &self.by_text.read().len())
            .finish()
    }
}

/// Past this many entries the cache starts over (documents that are no
/// longer used are not tracked one by one).
const MAX_ENTRIES: usize = 20_000;

impl ParsedCache {
    /// The parsed form of `doc`; `None` when it does not parse (documents
    /// were validated when stored, so this only happens to corrupt state).
    pub fn get(&self, doc: &str) -> Option<Arc<Policy>> {
        if let Some(p) = self.by_text.read().get(doc) {
            return Some(p.clone());
        }
        let parsed = Arc::new(Policy::parse(doc).ok()?);
        let mut map = self.by_text.write();
        if map.len() >= MAX_ENTRIES {
            map.clear();
        }
        map.insert(doc.to_string(), parsed.clone());
        Some(parsed)
    }
}
