//! The listing engine behind `ListObjects`, `ListObjectsV2` and
//! `ListObjectVersions`: which entries one page holds, read from the object
//! tables ([`crate::object`]) in key order. The handlers
//! (`list_objects.rs`) turn pages into responses.
//!
//! A page never reads the whole bucket. It reads from `bucket/prefix`
//! forward through a [`gureum_store::Cursor`] (lazily, one snapshot), and:
//! - with a delimiter, once a key rolls up into a common prefix the cursor
//!   seeks past everything under that prefix (to the prefix's
//!   [`successor`]) instead of reading it;
//! - delete markers (current versions that hide a key) are passed over,
//!   but at most [`SCAN_BUDGET`] of them per page (~10 ms): past that the page ends,
//!   truncated, with a position to resume from (S3 too may answer fewer
//!   keys than asked, even none, with `IsTruncated`).
//!
//! Positions follow one rule: an entry sits at its own string (a common
//! prefix at the prefix), and a marker (`StartAfter`, `Marker`, a
//! continuation token, `KeyMarker`) excludes every entry at or before it.
//! So a marker naming a common prefix skips all keys under it, which is how
//! `NextMarker` pages through prefixes.
//!
//! Keys are compared bytewise in UTF-8, S3's order. Noncurrent versions'
//! rows (`bucket/key\0<inverted seq>`) sort right after their key's current
//! row and before any longer key, so merging the two tables by row key
//! gives S3's version order (keys ascending, each newest first).

use crate::object::{ObjectTables, ObjectVersion};
use crate::version_codec::VersionCodec;
use gureum_core::AwsError;
use gureum_store::{Cursor, Row, Snapshot};

/// A cursor over an object table.
type VersionCursor = Cursor<ObjectVersion, VersionCodec>;
/// A row of an object table.
type VersionRow = Row<ObjectVersion, VersionCodec>;

/// The most entries one page returns, whatever `MaxKeys` asks.
pub const MAX_KEYS_LIMIT: usize = 1000;

/// The most rows one page passes over without returning them (delete
/// markers hiding keys) before it ends truncated.
pub const SCAN_BUDGET: usize = 10_000;

/// The smallest string greater than every string that starts with `s`
/// (in UTF-8 byte order, which is code point order); `None` when there is
/// none (`s` is empty or all `U+10FFFF`).
pub fn successor(s: &str) -> Option<String> {
    let mut out = s.to_string();
    while let Some(c) = out.pop() {
        let next = match c as u32 {
            0xD7FF => Some('\u{E000}'),
            0x10FFFF => None,
            n => char::from_u32(n + 1),
        };
        if let Some(n) = next {
            out.push(n);
            return Some(out);
        }
    }
    None
}

/// The common prefix `key` rolls up into: `key` up to and including the
/// first `delimiter` after `prefix`, when there is one.
pub fn common_prefix<'k>(key: &'k str, prefix: &str, delimiter: Option<&str>) -> Option<&'k str> {
    let d = delimiter.filter(|d| !d.is_empty())?;
    let rest = key.strip_prefix(prefix)?;
    let at = rest.find(d)?;
    Some(&key[..prefix.len() + at + d.len()])
}

/// Where a listing starts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Start {
    /// At the first key under the prefix.
    Beginning,
    /// After this marker, by the position rule (a marker under a common
    /// prefix skips that prefix).
    After(String),
    /// Right after this key, skipping nothing more (a page that ended by
    /// the scan budget, maybe inside a common prefix not yet answered).
    Resume(String),
}

/// What to list.
#[derive(Clone, Debug)]
pub struct Query {
    /// Keys start with this.
    pub prefix: String,
    /// Rolls keys up into common prefixes; `None` (or empty) for none.
    pub delimiter: Option<String>,
    /// Entries (objects and common prefixes) at most, already capped.
    pub max_keys: usize,
    /// Where to start.
    pub start: Start,
    /// Rows the page may pass over unanswered ([`SCAN_BUDGET`]).
    pub budget: usize,
}

impl Query {
    fn delimiter(&self) -> Option<&str> {
        self.delimiter.as_deref().filter(|d| !d.is_empty())
    }
}

/// One entry of a page.
#[derive(Clone, Debug)]
pub enum Entry {
    /// A key's current version.
    Object {
        /// The key.
        key: String,
        /// Its current version.
        version: Box<ObjectVersion>,
    },
    /// A common prefix.
    Prefix(String),
}

impl Entry {
    /// The entry's position: its key or its prefix.
    pub fn position(&self) -> &str {
        match self {
            Entry::Object { key, .. } => key,
            Entry::Prefix(p) => p,
        }
    }
}

/// One page of current objects.
#[derive(Debug, Default)]
pub struct Page {
    /// In key order.
    pub entries: Vec<Entry>,
    /// Whether more entries may follow.
    pub truncated: bool,
    /// Where the next page starts, when truncated.
    pub next: Option<Start>,
    /// Rows read (for tests of the no-full-scan rule).
    pub rows_read: usize,
}

/// Row-space bounds of a listing: `bucket/prefix` and the end of its range.
struct Bounds {
    base: String,
    low: String,
    high: Option<String>,
}

impl Bounds {
    fn new(bucket: &str, prefix: &str) -> Bounds {
        let base = format!("{bucket}/");
        let low = format!("{base}{prefix}");
        let high = successor(&low);
        Bounds { base, low, high }
    }

    fn row(&self, key: &str) -> String {
        format!("{}{key}", self.base)
    }

    /// The row after every key under the common prefix `cp`.
    fn past(&self, cp: &str) -> String {
        successor(&self.row(cp)).unwrap_or_else(|| self.row(cp))
    }
}

/// Positions `cursor` where a listing from `start` begins.
fn seek_start(
    cursor: &mut VersionCursor,
    b: &Bounds,
    q: &Query,
    start: &Start,
    after_key: impl Fn(&str) -> String,
) -> Result<(), AwsError> {
    let high = b.high.as_deref();
    match start {
        Start::Beginning => cursor.seek(&b.low, false, high)?,
        Start::After(m) if m.as_str() < q.prefix.as_str() => cursor.seek(&b.low, false, high)?,
        Start::After(m) => match common_prefix(m, &q.prefix, q.delimiter()) {
            Some(cp) => cursor.seek(&b.past(cp), false, high)?,
            None => cursor.seek(&after_key(m), false, high)?,
        },
        Start::Resume(k) => {
            let row = b.row(k);
            if row < b.low {
                cursor.seek(&b.low, false, high)?
            } else {
                cursor.seek(&row, true, high)?
            }
        }
    }
    Ok(())
}

/// One page of a bucket's current objects (`ListObjects`/`ListObjectsV2`):
/// delete markers are skipped, and a common prefix appears only when some
/// key under it is not deleted.
pub fn list_current(
    snap: &Snapshot,
    tables: &ObjectTables,
    bucket: &str,
    q: &Query,
) -> Result<Page, AwsError> {
    let mut page = Page::default();
    if q.max_keys == 0 {
        return Ok(page);
    }
    let b = Bounds::new(bucket, &q.prefix);
    let high = b.high.clone();
    let mut cursor = snap.cursor(&tables.current)?;
    // After a key: the first row past it (`\0` is the least character).
    seek_start(&mut cursor, &b, q, &q.start, |m| format!("{}{m}\0", b.base))?;
    let mut skipped = 0usize;
    let mut row = cursor.next()?;
    page.rows_read += usize::from(row.is_some());
    while let Some(r) = row.take() {
        let key = r.key()[b.base.len()..].to_string();
        if let Some(cp) = common_prefix(&key, &q.prefix, q.delimiter()).map(str::to_string) {
            // Find a live key under the prefix before answering it.
            let mut probe = Some(r);
            let mut live = false;
            while let Some(p) = probe.take() {
                if !p.key()[b.base.len()..].starts_with(&cp) {
                    probe = Some(p);
                    break;
                }
                if !p.value()?.delete_marker {
                    live = true;
                    break;
                }
                skipped += 1;
                if skipped >= q.budget {
                    page.truncated = true;
                    page.next = Some(Start::Resume(p.key()[b.base.len()..].to_string()));
                    return Ok(page);
                }
                probe = cursor.next()?;
                page.rows_read += usize::from(probe.is_some());
            }
            if !live {
                // Every key under it is deleted: `probe` is past it.
                row = probe;
                continue;
            }
            if page.entries.len() == q.max_keys {
                page.truncated = true;
                break;
            }
            cursor.seek(&b.past(&cp), false, high.as_deref())?;
            page.entries.push(Entry::Prefix(cp));
            row = cursor.next()?;
            page.rows_read += usize::from(row.is_some());
            continue;
        }
        // One decode per row (a delete marker's row is small anyway).
        let version: ObjectVersion = r.value()?;
        if version.delete_marker {
            skipped += 1;
            if skipped >= q.budget {
                page.truncated = true;
                page.next = Some(Start::Resume(key));
                return Ok(page);
            }
            row = cursor.next()?;
            page.rows_read += usize::from(row.is_some());
            continue;
        }
        if page.entries.len() == q.max_keys {
            page.truncated = true;
            break;
        }
        page.entries.push(Entry::Object {
            key,
            version: Box::new(version),
        });
        row = cursor.next()?;
        page.rows_read += usize::from(row.is_some());
    }
    if page.truncated {
        page.next = page
            .entries
            .last()
            .map(|e| Start::After(e.position().to_string()));
    }
    Ok(page)
}

/// Where a version listing starts: `KeyMarker` and `VersionIdMarker`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct VersionStart {
    /// Versions of keys after this one (all of them, or those after
    /// `version_id` of this key).
    pub key_marker: Option<String>,
    /// A version of `key_marker` to continue after.
    pub version_id: Option<String>,
}

/// One entry of a version listing.
#[derive(Clone, Debug)]
pub enum VersionEntry {
    /// A version or a delete marker.
    Version {
        /// The key.
        key: String,
        /// Whether it is the key's current version.
        is_latest: bool,
        /// The version.
        version: Box<ObjectVersion>,
    },
    /// A common prefix.
    Prefix(String),
}

/// One page of versions.
#[derive(Debug, Default)]
pub struct VersionPage {
    /// Keys ascending, each key's versions newest first.
    pub entries: Vec<VersionEntry>,
    /// Whether more entries may follow.
    pub truncated: bool,
    /// Rows read (for tests of the no-full-scan rule).
    pub rows_read: usize,
}

/// Why a version marker could not be used.
#[derive(Debug, PartialEq, Eq)]
pub enum MarkerError {
    /// No version of the key has that id.
    NoSuchVersion,
}

/// The key of a noncurrent row (`key\0<seq>`), given the row minus the
/// bucket part.
fn version_key(rest: &str) -> &str {
    rest.split_once('\0').map_or(rest, |(k, _)| k)
}

/// A cursor with one row looked ahead.
struct Peek {
    cursor: VersionCursor,
    head: Option<VersionRow>,
}

impl Peek {
    fn seek(&mut self, start: &str, exclusive: bool, end: Option<&str>) -> Result<(), AwsError> {
        self.cursor.seek(start, exclusive, end)?;
        self.head = self.cursor.next()?;
        Ok(())
    }

    fn advance(&mut self) -> Result<Option<VersionRow>, AwsError> {
        let next = self.cursor.next()?;
        Ok(std::mem::replace(&mut self.head, next))
    }
}

/// One page of every version and delete marker (`ListObjectVersions`):
/// current rows and noncurrent rows merged in key order.
pub fn list_versions(
    snap: &Snapshot,
    tables: &ObjectTables,
    bucket: &str,
    q: &Query,
    start: &VersionStart,
) -> Result<Result<VersionPage, MarkerError>, AwsError> {
    let mut page = VersionPage::default();
    if q.max_keys == 0 {
        return Ok(Ok(page));
    }
    let b = Bounds::new(bucket, &q.prefix);
    let high = b.high.clone();
    let mut cur = Peek {
        cursor: snap.cursor(&tables.current)?,
        head: None,
    };
    let mut non = Peek {
        cursor: snap.cursor(&tables.noncurrent)?,
        head: None,
    };
    // Where each table starts.
    match (&start.key_marker, &start.version_id) {
        (Some(k), Some(vid)) if k.as_str() >= q.prefix.as_str() => {
            let row = b.row(k);
            let current = tables.current_in(snap, &row)?;
            if current.as_ref().is_some_and(|c| c.is_version(vid)) {
                cur.seek(&row, true, high.as_deref())?;
                non.seek(&row, true, high.as_deref())?;
            } else {
                let Some(found) = tables.noncurrent_row_of(snap, bucket, k, vid)? else {
                    return Ok(Err(MarkerError::NoSuchVersion));
                };
                cur.seek(&row, true, high.as_deref())?;
                non.seek(&found, true, high.as_deref())?;
            }
        }
        (Some(k), _) if k.as_str() >= q.prefix.as_str() => {
            let from = match common_prefix(k, &q.prefix, q.delimiter()) {
                Some(cp) => b.past(cp),
                // Past the key and all its versions (`key\0…`).
                None => format!("{}{k}\u{1}", b.base),
            };
            cur.seek(&from, false, high.as_deref())?;
            non.seek(&from, false, high.as_deref())?;
        }
        _ => {
            cur.seek(&b.low, false, high.as_deref())?;
            non.seek(&b.low, false, high.as_deref())?;
        }
    }
    loop {
        let take_current = match (&cur.head, &non.head) {
            (None, None) => break,
            (Some(_), None) => true,
            (None, Some(_)) => false,
            (Some(c), Some(n)) => c.key() <= n.key(),
        };
        let head = if take_current { &cur.head } else { &non.head };
        let Some(h) = head else { break };
        let rest = &h.key()[b.base.len()..];
        let key = version_key(rest).to_string();
        if let Some(cp) = common_prefix(&key, &q.prefix, q.delimiter()).map(str::to_string) {
            if page.entries.len() == q.max_keys {
                page.truncated = true;
                break;
            }
            let past = b.past(&cp);
            page.rows_read += 1;
            cur.seek(&past, false, high.as_deref())?;
            non.seek(&past, false, high.as_deref())?;
            page.entries.push(VersionEntry::Prefix(cp));
            continue;
        }
        if page.entries.len() == q.max_keys {
            page.truncated = true;
            break;
        }
        let row = if take_current {
            cur.advance()?
        } else {
            non.advance()?
        };
        let Some(row) = row else { break };
        page.rows_read += 1;
        page.entries.push(VersionEntry::Version {
            key,
            is_latest: take_current,
            version: Box::new(row.value()?),
        });
    }
    Ok(Ok(page))
}

impl ObjectTables {
    /// The current row `row` as of `snap`.
    fn current_in(&self, snap: &Snapshot, row: &str) -> Result<Option<ObjectVersion>, AwsError> {
        let mut c = snap.cursor(&self.current)?;
        c.seek(row, false, None)?;
        match c.next()? {
            Some(r) if r.key() == row => Ok(Some(r.value()?)),
            _ => Ok(None),
        }
    }

    /// The row of `key`'s noncurrent version `vid`, as of `snap`.
    fn noncurrent_row_of(
        &self,
        snap: &Snapshot,
        bucket: &str,
        key: &str,
        vid: &str,
    ) -> Result<Option<String>, AwsError> {
        let prefix = crate::object::versions_prefix(bucket, key);
        let mut c = snap.cursor(&self.noncurrent)?;
        c.seek(&prefix, false, successor(&prefix).as_deref())?;
        while let Some(r) = c.next()? {
            if r.value()?.version_id.as_deref().unwrap_or("null") == vid {
                return Ok(Some(r.key().to_string()));
            }
        }
        Ok(None)
    }
}

#[cfg(test)]
#[path = "listing_tests.rs"]
mod tests;
