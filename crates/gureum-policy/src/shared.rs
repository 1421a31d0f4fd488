//! Parsed policies shared between evaluations of the same document.
//!
//! Resource policies are stored as text and evaluated on hot paths (a
//! queue's policy on every SNS or EventBridge delivery): parsing the JSON
//! again each time cost more than the evaluation. Parsing is a pure
//! function of the text, so a small process-wide cache keyed by the text
//! itself can never answer for a changed document.

use crate::error::PolicyError;
use crate::policy::Policy;
use std::hash::{BuildHasher, Hasher};
use std::sync::{Arc, Mutex, OnceLock};

/// Slots of the direct-mapped cache: a new document evicts whatever
/// shared its slot, so memory stays bounded whatever callers send.
const SLOTS: usize = 128;
/// Longer documents are parsed every time (policies are at most 20 KiB
/// for S3, 8 KiB for SNS/SQS; a bound keeps one slot's memory small).
const MAX_CACHED_LEN: usize = 32 * 1024;

type Slot = Option<(Box<str>, Arc<Policy>)>;

struct Cache {
    hasher: std::hash::RandomState,
    slots: Mutex<Vec<Slot>>,
}

impl Cache {
    fn new() -> Cache {
        Cache {
            hasher: std::hash::RandomState::new(),
            slots: Mutex::new(vec![None; SLOTS]),
        }
    }

    fn parse(&self, json: &str) -> Result<Arc<Policy>, PolicyError> {
        if json.len() > MAX_CACHED_LEN {
            return Policy::parse(json).map(Arc::new);
        }
        let slot = {
            let mut h = self.hasher.build_hasher();
            h.write(json.as_bytes());
            h.finish() as usize % SLOTS
        };
        if let Some((text, policy)) = &lock(&self.slots)[slot] {
            if &**text == json {
                return Ok(policy.clone());
            }
        }
        // Parsed outside the lock: other threads' hits do not wait on it.
        let policy = Arc::new(Policy::parse(json)?);
        lock(&self.slots)[slot] = Some((json.into(), policy.clone()));
        Ok(policy)
    }
}

/// [`Policy::parse`], answered from a process-wide cache when the same
/// text was parsed before. Only successful parses are kept.
pub fn parse_shared(json: &str) -> Result<Arc<Policy>, PolicyError> {
    static CACHE: OnceLock<Cache> = OnceLock::new();
    CACHE.get_or_init(Cache::new).parse(json)
}

/// The slots, even after a panic elsewhere poisoned the lock (a slot is
/// only ever replaced whole, so its state is always consistent).
fn lock(slots: &Mutex<Vec<Slot>>) -> std::sync::MutexGuard<'_, Vec<Slot>> {
    slots
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALLOW: &str =
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#;
    const DENY: &str =
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"*","Resource":"*"}]}"#;

    #[test]
    fn the_same_text_is_parsed_once_and_shared() {
        let cache = Cache::new();
        let a = cache.parse(ALLOW).expect("parses");
        let b = cache.parse(ALLOW).expect("parses");
        assert!(Arc::ptr_eq(&a, &b));
        assert_eq!(*a, Policy::parse(ALLOW).expect("parses"));
    }

    #[test]
    fn a_different_text_gets_its_own_parse() {
        let cache = Cache::new();
        let allow = cache.parse(ALLOW).expect("parses");
        let deny = cache.parse(DENY).expect("parses");
        assert_ne!(*allow, *deny);
        assert_eq!(*deny, Policy::parse(DENY).expect("parses"));
    }

    #[test]
    fn a_document_that_does_not_parse_is_refused_every_time() {
        assert_eq!(parse_shared("{").err(), Some(PolicyError::Syntax));
        assert_eq!(parse_shared("{").err(), Some(PolicyError::Syntax));
    }

    #[test]
    fn more_documents_than_slots_still_parse_each_to_its_own_policy() {
        let cache = Cache::new();
        for i in 0..(SLOTS * 3) {
            let doc = format!(
                r#"{{"Version":"2012-10-17","Id":"p{i}","Statement":[{{"Effect":"Allow","Action":"sqs:*","Resource":"*"}}]}}"#
            );
            let p = cache.parse(&doc).expect("parses");
            assert_eq!(p.id.as_deref(), Some(format!("p{i}").as_str()));
        }
    }
}
