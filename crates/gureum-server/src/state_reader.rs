//! Reads a state file's records from a byte stream (a spooled import, a
//! slice), handing object files to the caller as they go by so that they
//! are never held in memory whole. The checksum is checked before, by
//! [`crate::state_file::verify`] or a [`crate::state_file::Checker`].

use crate::state_file::{safe_relative, StateFileError, MAGIC};
use gureum_store::TableRows;
use std::io::Read;

fn early() -> StateFileError {
    StateFileError::Malformed("it ends early".into())
}

fn exact<const N: usize>(r: &mut impl Read) -> Result<[u8; N], StateFileError> {
    let mut b = [0u8; N];
    r.read_exact(&mut b).map_err(|_| early())?;
    Ok(b)
}

/// `n` bytes, read without trusting `n` for an allocation up front.
fn bytes(r: &mut impl Read, n: u64) -> Result<Vec<u8>, StateFileError> {
    let mut out = Vec::new();
    r.take(n).read_to_end(&mut out).map_err(|_| early())?;
    if out.len() as u64 != n {
        return Err(early());
    }
    Ok(out)
}

fn text(r: &mut impl Read, n: u64) -> Result<String, StateFileError> {
    String::from_utf8(bytes(r, n)?)
        .map_err(|_| StateFileError::Malformed("a name is not UTF-8".into()))
}

/// Reads the records of a state file from `r` (positioned at its start):
/// returns the tables, and calls `on_file(path, length, bytes)` for each
/// object file, which must read the file's bytes from `bytes`.
pub fn read_records(
    mut r: impl Read,
    mut on_file: impl FnMut(&str, u64, &mut dyn Read) -> Result<(), String>,
) -> Result<Vec<TableRows>, StateFileError> {
    if exact::<13>(&mut r)? != MAGIC[..] {
        return Err(StateFileError::NotAStateFile);
    }
    let n = u32::from_le_bytes(exact(&mut r)?);
    bytes(&mut r, u64::from(n))?;
    let mut tables = Vec::new();
    loop {
        match exact::<1>(&mut r)?[0] {
            b'T' => {
                let n = u16::from_le_bytes(exact(&mut r)?);
                let name = text(&mut r, u64::from(n))?;
                let rows = u64::from_le_bytes(exact(&mut r)?);
                let mut out = Vec::new();
                for _ in 0..rows {
                    if exact::<1>(&mut r)?[0] != b'R' {
                        return Err(StateFileError::Malformed(format!(
                            "table {name} has fewer rows than it announces"
                        )));
                    }
                    let kn = u32::from_le_bytes(exact(&mut r)?);
                    let key = text(&mut r, u64::from(kn))?;
                    let vn = u64::from_le_bytes(exact(&mut r)?);
                    out.push((key, bytes(&mut r, vn)?));
                }
                tables.push((name, out));
            }
            b'F' => {
                let n = u16::from_le_bytes(exact(&mut r)?);
                let path = text(&mut r, u64::from(n))?;
                if !safe_relative(&path) {
                    return Err(StateFileError::Malformed(format!(
                        "file path {path:?} leaves the data directory"
                    )));
                }
                let len = u64::from_le_bytes(exact(&mut r)?);
                let mut file = (&mut r).take(len);
                on_file(&path, len, &mut file).map_err(StateFileError::Malformed)?;
                // Whatever the callback left unread is skipped.
                std::io::copy(&mut file, &mut std::io::sink()).map_err(|_| early())?;
                if file.limit() != 0 {
                    return Err(early());
                }
            }
            b'E' => {
                // Only the checksum may follow.
                let mut tail = Vec::new();
                r.take(33).read_to_end(&mut tail).map_err(|_| early())?;
                if tail.len() != 32 {
                    return Err(StateFileError::Malformed("data after the end".into()));
                }
                return Ok(tables);
            }
            t => {
                return Err(StateFileError::Malformed(format!(
                    "unknown record tag {t:#04x}"
                )))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state_file::Writer;

    #[test]
    fn damaged_records_are_refused_without_panicking_even_unchecked() {
        let mut w = Writer::new("0.1.0", 1);
        w.table("t", 2);
        w.row("a", b"1");
        w.row("b", b"22");
        w.file("s3-blobs/ab/abc", b"bytes");
        let good = w.finish();
        let ok = read_records(&good[..], |_, _, _| Ok(())).expect("good");
        assert_eq!(ok.len(), 1);
        for i in 0..good.len() {
            // Cut anywhere, or a byte changed anywhere: an error or the
            // same shape, never a panic or a huge allocation.
            assert!(
                read_records(&good[..i], |_, _, _| Ok(())).is_err(),
                "cut at {i}"
            );
            let mut bad = good.clone();
            bad[i] = 0xff;
            let _ = read_records(&bad[..], |_, _, _| Ok(()));
        }
    }

    #[test]
    fn a_file_the_caller_refuses_stops_the_read() {
        let mut w = Writer::new("0.1.0", 1);
        w.file("s3-blobs/ab/abc", b"bytes");
        let data = w.finish();
        let err = read_records(&data[..], |_, _, _| Err("no room".into())).expect_err("refused");
        assert_eq!(err, StateFileError::Malformed("no room".into()));
    }
}
