//! The state file of `gureum export` / `gureum import`: every table of the
//! store and the data directory's object files, in one self-describing,
//! versioned, checksummed file.
//!
//! Layout (integers little endian):
//!
//! ```text
//! "GUREUM-STATE\n"                         magic, 13 bytes
//! u32 n, n bytes of JSON                   header: {"format":"gureum-state","version":1,…}
//! records, each a tag byte:
//!   'T' u16 n, table name, u64 rows        a table; its rows follow
//!   'R' u32 n, key, u64 n, value           a row of the last table
//!   'F' u16 n, relative path, u64 n, bytes a file under the data directory
//!   'E'                                    the end
//! 32 bytes                                 SHA-256 of everything before
//! ```
//!
//! The checksum covers the whole file, so a truncated or altered file is
//! refused before anything is imported.

use sha2::{Digest, Sha256};

/// The first bytes of every state file.
pub const MAGIC: &[u8] = b"GUREUM-STATE\n";
/// The format version this build writes and reads.
pub const VERSION: u64 = 1;

/// A decoded state file.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct State {
    /// Tables with their rows, `(key, value bytes)`.
    pub tables: Vec<gureum_store::TableRows>,
    /// Files relative to the data directory, with their bytes.
    pub files: Vec<(String, Vec<u8>)>,
}

/// Why a state file was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum StateFileError {
    /// Not a state file at all.
    #[error("not a Gureum state file (it does not start with GUREUM-STATE)")]
    NotAStateFile,
    /// Written by another version of the format.
    #[error(
        "state file format version {found} is not supported (this Gureum reads version {VERSION})"
    )]
    Version {
        /// The file's version.
        found: String,
    },
    /// The checksum does not match: truncated or altered.
    #[error("state file is corrupt: its SHA-256 checksum does not match (truncated or altered)")]
    Checksum,
    /// The checksum matched but the contents do not parse.
    #[error("state file is corrupt: {0}")]
    Malformed(String),
}

/// Writes a state file incrementally: records accumulate in a buffer
/// that the caller drains with [`Writer::take`] (to stream it), and
/// [`Writer::finish`] returns the rest with the checksum.
pub struct Writer {
    buf: Vec<u8>,
    hasher: Sha256,
}

/// The bytes the magic and header take.
pub fn header(gureum_version: &str, created_ms: i64) -> Vec<u8> {
    let header = serde_json::json!({
        "format": "gureum-state",
        "version": VERSION,
        "gureum": gureum_version,
        "created_ms": created_ms,
    })
    .to_string();
    let mut out = MAGIC.to_vec();
    out.extend_from_slice(&(header.len() as u32).to_le_bytes());
    out.extend_from_slice(header.as_bytes());
    out
}

/// The bytes a table record takes.
pub fn table_len(name: &str) -> u64 {
    1 + 2 + name.len() as u64 + 8
}

/// The bytes a row record takes.
pub fn row_len(key: &str, value_len: u64) -> u64 {
    1 + 4 + key.len() as u64 + 8 + value_len
}

/// The bytes a file record takes.
pub fn file_len(path: &str, len: u64) -> u64 {
    1 + 2 + path.len() as u64 + 8 + len
}

/// The bytes after the last record: the end tag and the checksum.
pub const TRAILER_LEN: u64 = 1 + 32;

impl Writer {
    /// Starts a file: magic and header.
    pub fn new(gureum_version: &str, created_ms: i64) -> Writer {
        Writer {
            buf: header(gureum_version, created_ms),
            hasher: Sha256::new(),
        }
    }

    /// Starts a table of `rows` rows.
    pub fn table(&mut self, name: &str, rows: u64) {
        self.buf.push(b'T');
        self.buf
            .extend_from_slice(&(name.len() as u16).to_le_bytes());
        self.buf.extend_from_slice(name.as_bytes());
        self.buf.extend_from_slice(&rows.to_le_bytes());
    }

    /// A row of the current table.
    pub fn row(&mut self, key: &str, value: &[u8]) {
        self.buf.push(b'R');
        self.buf
            .extend_from_slice(&(key.len() as u32).to_le_bytes());
        self.buf.extend_from_slice(key.as_bytes());
        self.buf
            .extend_from_slice(&(value.len() as u64).to_le_bytes());
        self.buf.extend_from_slice(value);
    }

    /// A file at `path` relative to the data directory, of `len` bytes
    /// given next through [`Writer::file_bytes`].
    pub fn file_start(&mut self, path: &str, len: u64) {
        self.buf.push(b'F');
        self.buf
            .extend_from_slice(&(path.len() as u16).to_le_bytes());
        self.buf.extend_from_slice(path.as_bytes());
        self.buf.extend_from_slice(&len.to_le_bytes());
    }

    /// Bytes of the current file.
    pub fn file_bytes(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
    }

    /// A whole file at `path` relative to the data directory.
    pub fn file(&mut self, path: &str, bytes: &[u8]) {
        self.file_start(path, bytes.len() as u64);
        self.file_bytes(bytes);
    }

    /// How many bytes wait in the buffer.
    pub fn buffered(&self) -> usize {
        self.buf.len()
    }

    /// The bytes written since the last take (counted into the checksum).
    pub fn take(&mut self) -> Vec<u8> {
        self.hasher.update(&self.buf);
        std::mem::take(&mut self.buf)
    }

    /// Ends the file: the bytes not yet taken, the end tag and the checksum.
    pub fn finish(mut self) -> Vec<u8> {
        self.buf.push(b'E');
        self.hasher.update(&self.buf);
        let sum = self.hasher.finalize();
        self.buf.extend_from_slice(&sum);
        self.buf
    }
}

struct Reader<'a> {
    data: &'a [u8],
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], StateFileError> {
        if self.data.len() < n {
            return Err(StateFileError::Malformed("it ends early".into()));
        }
        let (head, rest) = self.data.split_at(n);
        self.data = rest;
        Ok(head)
    }

    fn u32(&mut self) -> Result<usize, StateFileError> {
        let b = self.take(4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize)
    }
}

/// Checks the magic, the version and the checksum; returns the header.
pub fn verify(data: &[u8]) -> Result<serde_json::Value, StateFileError> {
    let (header, n) = verify_header(data)?;
    if data.len() < MAGIC.len() + 4 + n + 1 + 32 {
        return Err(StateFileError::Checksum);
    }
    let (body, sum) = data.split_at(data.len() - 32);
    if Sha256::digest(body).as_slice() != sum {
        return Err(StateFileError::Checksum);
    }
    Ok(header)
}

/// Checks what the first bytes of a file say (magic, format, version);
/// returns the header and its length. For a file read in pieces, with a
/// [`Checker`] for the checksum.
pub fn verify_header(data: &[u8]) -> Result<(serde_json::Value, usize), StateFileError> {
    if !data.starts_with(MAGIC) {
        return Err(StateFileError::NotAStateFile);
    }
    let mut r = Reader {
        data: &data[MAGIC.len()..],
    };
    let n = r.u32().map_err(|_| StateFileError::Checksum)?;
    let header: serde_json::Value =
        serde_json::from_slice(r.take(n).map_err(|_| StateFileError::Checksum)?)
            .map_err(|_| StateFileError::Checksum)?;
    // The version first: a newer format may checksum differently.
    match header.get("version").and_then(|v| v.as_u64()) {
        Some(VERSION) => {}
        other => {
            return Err(StateFileError::Version {
                found: other.map_or_else(|| header["version"].to_string(), |v| v.to_string()),
            })
        }
    }
    if header.get("format").and_then(|f| f.as_str()) != Some("gureum-state") {
        return Err(StateFileError::NotAStateFile);
    }
    Ok((header, n))
}

/// Checks a state file's checksum as its bytes go by, holding back only
/// the last 32 (the checksum itself).
#[derive(Default)]
pub struct Checker {
    hasher: Sha256,
    tail: Vec<u8>,
}

impl Checker {
    /// The next bytes of the file.
    pub fn update(&mut self, bytes: &[u8]) {
        self.tail.extend_from_slice(bytes);
        if self.tail.len() > 32 {
            let cut = self.tail.len() - 32;
            self.hasher.update(&self.tail[..cut]);
            self.tail.drain(..cut);
        }
    }

    /// Whether the bytes seen end with the checksum of the rest.
    pub fn finish(self) -> Result<(), StateFileError> {
        if self.tail.len() == 32 && self.hasher.finalize().as_slice() == self.tail.as_slice() {
            Ok(())
        } else {
            Err(StateFileError::Checksum)
        }
    }
}

/// Verifies and decodes a state file held in memory.
pub fn decode(data: &[u8]) -> Result<State, StateFileError> {
    verify(data)?;
    let mut files = Vec::new();
    let tables = crate::state_reader::read_records(data, |path, _, bytes| {
        let mut b = Vec::new();
        bytes.read_to_end(&mut b).map_err(|e| e.to_string())?;
        files.push((path.to_string(), b));
        Ok(())
    })?;
    Ok(State { tables, files })
}

/// Whether `path` names a file inside a directory: relative, `/`-separated
/// plain names (no `..`, no empty parts).
pub fn safe_relative(path: &str) -> bool {
    !path.is_empty()
        && path.split('/').all(|p| {
            !p.is_empty() && p != "." && p != ".." && !p.contains('\\') && !p.contains('\0')
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Vec<u8> {
        let mut w = Writer::new("0.1.0", 5);
        w.table("s3.buckets", 2);
        w.row("a", b"{}");
        w.row("b", b"");
        w.table("empty", 0);
        w.file("s3-blobs/ab/abcd", b"bytes");
        w.finish()
    }

    #[test]
    fn a_written_file_reads_back_the_same() {
        let state = decode(&sample()).expect("decode");
        assert_eq!(
            state.tables,
            vec![
                (
                    "s3.buckets".to_string(),
                    vec![("a".into(), b"{}".to_vec()), ("b".into(), Vec::new())]
                ),
                ("empty".to_string(), vec![]),
            ]
        );
        assert_eq!(
            state.files,
            vec![("s3-blobs/ab/abcd".into(), b"bytes".to_vec())]
        );
    }

    #[test]
    fn announced_lengths_match_the_bytes_written_even_when_taken_in_pieces() {
        let mut w = Writer::new("0.1.0", 5);
        let mut out = w.take();
        let mut want = header("0.1.0", 5).len() as u64;
        w.table("t", 1);
        w.row("key", b"value");
        out.extend(w.take());
        w.file_start("s3-blobs/ab/abcd", 6);
        w.file_bytes(b"abc");
        out.extend(w.take());
        w.file_bytes(b"def");
        out.extend(w.finish());
        want += table_len("t") + row_len("key", 5) + file_len("s3-blobs/ab/abcd", 6) + TRAILER_LEN;
        assert_eq!(out.len() as u64, want);
        let state = decode(&out).expect("decode");
        assert_eq!(
            state.files,
            vec![("s3-blobs/ab/abcd".into(), b"abcdef".to_vec())]
        );
    }

    #[test]
    fn any_changed_or_missing_byte_is_refused_and_never_panics() {
        let good = sample();
        for i in 0..good.len() {
            let mut bad = good.clone();
            bad[i] ^= 0x5a;
            assert!(decode(&bad).is_err(), "a flipped byte at {i} was accepted");
            assert!(
                decode(&good[..i]).is_err(),
                "a file cut at {i} was accepted"
            );
        }
    }

    #[test]
    fn a_checker_fed_in_pieces_agrees_with_verify() {
        let good = sample();
        for piece in [1, 7, 32, 33, 1000] {
            let mut c = Checker::default();
            good.chunks(piece).for_each(|p| c.update(p));
            assert_eq!(c.finish(), Ok(()), "pieces of {piece}");
        }
        let mut bad = good.clone();
        bad[20] ^= 1;
        let mut c = Checker::default();
        c.update(&bad);
        assert_eq!(c.finish(), Err(StateFileError::Checksum));
        let mut c = Checker::default();
        c.update(&good[..10]);
        assert_eq!(c.finish(), Err(StateFileError::Checksum));
    }

    #[test]
    fn another_version_is_refused_by_name() {
        let text = String::from_utf8_lossy(&sample()).replace("\"version\":1", "\"version\":9");
        let err = decode(text.as_bytes()).expect_err("refused");
        assert_eq!(err, StateFileError::Version { found: "9".into() });
        assert_eq!(decode(b"PK\x03\x04zip"), Err(StateFileError::NotAStateFile));
    }

    #[test]
    fn paths_outside_the_data_directory_are_unsafe() {
        assert!(safe_relative("s3-blobs/ab/abc"));
        for p in ["", "/etc/passwd", "../x", "a/../../x", "a//b", "./a"] {
            assert!(!safe_relative(p), "{p}");
        }
    }
}
