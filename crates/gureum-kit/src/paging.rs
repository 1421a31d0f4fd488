//! One page of a listing, read straight from a store scan.
//!
//! AWS's list operations page with a size (`MaxResults`, `MaxItems`,
//! `Limit`) and an opaque token (`NextToken`, `Marker`). Here a token is
//! the last key a page returned, relative to the scope's prefix, in
//! URL-safe base64: opaque to clients, and the next page starts right
//! after it with a range seek. [`page`] walks the scope's key range,
//! keeps the entries the caller's filter accepts, and stops one entry
//! past the page, so a page of 50 out of 100,000 decodes about 51
//! entries, not 100,000.
//!
//! Sizes and tokens that break a service's rules answer that service's
//! error: [`PageRequest::new`] reports a [`PagingError`] and the service
//! turns it into its own declared error with its own wording.

use base64::Engine as _;
use gureum_store::{Codec, StoreError, Table};
use std::ops::ControlFlow;

/// What a list request asked for: where to start, how many.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PageRequest {
    /// The key (relative to the scope prefix) the previous page ended on.
    pub after: Option<String>,
    /// The most items to return.
    pub limit: usize,
}

/// Why a page request is refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PagingError {
    /// The size is outside the operation's bounds.
    SizeOutOfRange {
        /// What was asked for.
        given: i64,
        /// The smallest allowed.
        min: usize,
        /// The largest allowed.
        max: usize,
    },
    /// The token is not one this server handed out.
    BadToken(String),
}

impl PageRequest {
    /// A request from the operation's size and token members. `bounds` is
    /// the inclusive range sizes must fall in; `default` the size when the
    /// caller gives none.
    pub fn new(
        size: Option<i64>,
        token: Option<&str>,
        bounds: (usize, usize),
        default: usize,
    ) -> Result<Self, PagingError> {
        let limit = match size {
            None => default,
            Some(n) if n >= bounds.0 as i64 && n <= bounds.1 as i64 => n as usize,
            Some(given) => {
                return Err(PagingError::SizeOutOfRange {
                    given,
                    min: bounds.0,
                    max: bounds.1,
                })
            }
        };
        let after = token.map(decode_token).transpose()?;
        Ok(PageRequest { after, limit })
    }

    /// Every item, in one page (operations that do not page).
    pub fn all() -> Self {
        PageRequest {
            after: None,
            limit: usize::MAX,
        }
    }
}

/// One page: the items and, when more follow, the token for the next.
#[derive(Clone, Debug, PartialEq)]
pub struct Page<T> {
    /// The items, in key order.
    pub items: Vec<T>,
    /// The token of the next page (`None` on the last).
    pub next_token: Option<String>,
}

impl<T> Page<T> {
    /// Whether more items follow (`IsTruncated`).
    pub fn is_truncated(&self) -> bool {
        self.next_token.is_some()
    }
}

/// The token that resumes after `relative_key`.
pub fn encode_token(relative_key: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(relative_key.as_bytes())
}

/// The key a token resumes after.
pub fn decode_token(token: &str) -> Result<String, PagingError> {
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(token.as_bytes())
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .filter(|k| !k.is_empty())
        .ok_or_else(|| PagingError::BadToken(token.to_string()))
}

/// One page of `table`'s entries under `prefix` (a scope's, from
/// [`gureum_core::Scope::prefix`]): `keep` maps each entry to an item or
/// skips it (`None`), so filters cost no extra pass.
pub fn page<T, C, R>(
    table: &Table<T, C>,
    prefix: &str,
    request: &PageRequest,
    mut keep: impl FnMut(&str, T) -> Option<R>,
) -> Result<Page<R>, StoreError>
where
    C: Codec<T>,
{
    let after = request.after.as_ref().map(|a| format!("{prefix}{a}"));
    let mut items = Vec::new();
    let mut last_key = String::new();
    let mut more = false;
    table.visit_prefix(prefix, after.as_deref(), |key, value| {
        if items.len() == request.limit {
            more = true;
            return ControlFlow::Break(());
        }
        if let Some(item) = keep(key, value) {
            items.push(item);
            last_key.clear();
            last_key.push_str(key);
        }
        ControlFlow::Continue(())
    })?;
    let next_token = more.then(|| encode_token(&last_key[prefix.len()..]));
    Ok(Page { items, next_token })
}

/// One page of a catalogue held in memory (a service's fixed list of
/// quotas or instance types), sorted by `key`, with the same tokens as
/// [`page`].
pub fn page_sorted<'a, T>(
    items: &'a [T],
    key: impl Fn(&T) -> String,
    request: &PageRequest,
) -> Page<&'a T> {
    let start = match &request.after {
        Some(after) => items.partition_point(|i| key(i).as_str() <= after.as_str()),
        None => 0,
    };
    let rest = &items[start..];
    let taken = &rest[..rest.len().min(request.limit)];
    let next_token = match taken.last() {
        Some(last) if taken.len() < rest.len() => Some(encode_token(&key(last))),
        _ => None,
    };
    Page {
        items: taken.iter().collect(),
        next_token,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use gureum_store::Store;

    fn table() -> Table<u32> {
        let store = Store::in_memory().expect("store");
        let t: Table<u32> = store.table("things");
        for i in 0..25u32 {
            t.put(&format!("acct/r/id-{i:02}"), &i).expect("put");
        }
        t.put("acct/r2/id-00", &99).expect("put");
        t
    }

    #[test]
    fn pages_chain_through_the_scope_and_stop_at_its_end() {
        let t = table();
        let mut req = PageRequest::new(Some(10), None, (5, 1000), 1000).expect("request");
        let mut seen = Vec::new();
        loop {
            let p = page(&t, "acct/r/", &req, |_, v| Some(v)).expect("page");
            seen.extend(p.items.iter().copied());
            match p.next_token {
                Some(tok) => {
                    req = PageRequest::new(Some(10), Some(&tok), (5, 1000), 1000).expect("next")
                }
                None => break,
            }
        }
        assert_eq!(
            seen,
            (0..25).collect::<Vec<_>>(),
            "every item once, none of r2's"
        );
    }

    #[test]
    fn a_full_last_page_has_no_token() {
        let t = table();
        let req = PageRequest::new(Some(25), None, (1, 100), 100).expect("request");
        let p = page(&t, "acct/r/", &req, |_, v| Some(v)).expect("page");
        assert_eq!(p.items.len(), 25);
        assert!(!p.is_truncated());
    }

    #[test]
    fn filtered_pages_are_full_pages_of_matches() {
        let t = table();
        let req = PageRequest::new(Some(5), None, (1, 100), 100).expect("request");
        let p = page(&t, "acct/r/", &req, |_, v| (v % 2 == 0).then_some(v)).expect("page");
        assert_eq!(p.items, [0, 2, 4, 6, 8]);
        let next = PageRequest::new(Some(5), p.next_token.as_deref(), (1, 100), 100).expect("r");
        let p = page(&t, "acct/r/", &next, |_, v| (v % 2 == 0).then_some(v)).expect("page");
        assert_eq!(p.items, [10, 12, 14, 16, 18]);
    }

    #[test]
    fn sorted_catalogues_page_like_tables() {
        let items: Vec<u32> = (0..7).collect();
        let key = |i: &u32| format!("k{i}");
        let mut req = PageRequest::new(Some(3), None, (1, 100), 100).expect("request");
        let mut seen = Vec::new();
        loop {
            let p = page_sorted(&items, key, &req);
            seen.extend(p.items.iter().map(|i| **i));
            match p.next_token {
                Some(t) => req = PageRequest::new(Some(3), Some(&t), (1, 100), 100).expect("r"),
                None => break,
            }
        }
        assert_eq!(seen, items);
        let all = page_sorted(&items, key, &PageRequest::all());
        assert_eq!((all.items.len(), all.next_token), (7, None));
    }

    #[test]
    fn sizes_out_of_bounds_and_foreign_tokens_are_refused() {
        assert_eq!(
            PageRequest::new(Some(3), None, (5, 1000), 1000),
            Err(PagingError::SizeOutOfRange {
                given: 3,
                min: 5,
                max: 1000
            })
        );
        assert!(matches!(
            PageRequest::new(None, Some("not base64!"), (5, 1000), 1000),
            Err(PagingError::BadToken(_))
        ));
        assert!(matches!(
            PageRequest::new(None, Some(""), (5, 1000), 1000),
            Err(PagingError::BadToken(_))
        ));
    }
}
