//! The write-ahead log that makes a commit durable against a process crash
//! without an fsync per commit.
//!
//! Every write transaction's changes (table, key, new value or removal) are
//! appended to `wal.<generation>` with one `write(2)` before they become
//! visible (in the memtable, later in redb). A killed process leaves its
//! appended records in the kernel's page cache, so they are on the file
//! when the store opens again, and replayed. A checkpoint — an fsynced
//! redb commit of everything pending — runs every second while there are
//! logged writes (and after many): with writers held off only for that
//! step it starts the next generation and freezes the memtable, then,
//! writers running again, commits the frozen changes durably and deletes
//! the older logs. Replay is idempotent (each
//! record sets or removes a key), so a crash anywhere in a checkpoint is
//! harmless.
//!
//! Record format: `u32 length | u32 crc32 | payload`, where the payload is a
//! sequence of operations `u16 table length, table, u32 key length, key,
//! u8 kind (1 = put, 0 = delete), [u32 value length, value]` (little
//! endian). Replay stops at the first torn or corrupt record.

use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

/// One change of a transaction.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Op {
    /// The table name.
    pub table: String,
    /// The key.
    pub key: String,
    /// The new value; `None` removes the key.
    pub value: Option<Vec<u8>>,
}

/// Encodes one transaction's operations as a record.
pub fn encode(ops: &[Op]) -> Vec<u8> {
    let mut payload = Vec::with_capacity(
        ops.iter()
            .map(|o| 11 + o.table.len() + o.key.len() + o.value.as_ref().map_or(0, Vec::len))
            .sum(),
    );
    for op in ops {
        payload.extend_from_slice(&(op.table.len() as u16).to_le_bytes());
        payload.extend_from_slice(op.table.as_bytes());
        payload.extend_from_slice(&(op.key.len() as u32).to_le_bytes());
        payload.extend_from_slice(op.key.as_bytes());
        match &op.value {
            Some(v) => {
                payload.push(1);
                payload.extend_from_slice(&(v.len() as u32).to_le_bytes());
                payload.extend_from_slice(v);
            }
            None => payload.push(0),
        }
    }
    let mut record = Vec::with_capacity(payload.len() + 8);
    record.extend_from_slice(&(payload.len() as u32).to_le_bytes());
    record.extend_from_slice(&crc32fast::hash(&payload).to_le_bytes());
    record.extend_from_slice(&payload);
    record
}

fn take<'a>(buf: &mut &'a [u8], n: usize) -> Option<&'a [u8]> {
    if buf.len() < n {
        return None;
    }
    let (head, rest) = buf.split_at(n);
    *buf = rest;
    Some(head)
}

fn u32_of(b: &[u8]) -> u32 {
    u32::from_le_bytes([b[0], b[1], b[2], b[3]])
}

fn decode_payload(mut p: &[u8]) -> Option<Vec<Op>> {
    let mut ops = Vec::new();
    while !p.is_empty() {
        let tl = take(&mut p, 2)?;
        let table =
            std::str::from_utf8(take(&mut p, u16::from_le_bytes([tl[0], tl[1]]) as usize)?).ok()?;
        let kl = u32_of(take(&mut p, 4)?) as usize;
        let key = std::str::from_utf8(take(&mut p, kl)?).ok()?;
        let value = match take(&mut p, 1)?[0] {
            1 => {
                let vl = u32_of(take(&mut p, 4)?) as usize;
                Some(take(&mut p, vl)?.to_vec())
            }
            0 => None,
            _ => return None,
        };
        ops.push(Op {
            table: table.to_string(),
            key: key.to_string(),
            value,
        });
    }
    Some(ops)
}

/// Decodes the records of a log, stopping at the first torn or corrupt one.
pub fn decode(mut data: &[u8]) -> Vec<Vec<Op>> {
    let mut out = Vec::new();
    while data.len() >= 8 {
        let len = u32_of(&data[..4]) as usize;
        let crc = u32_of(&data[4..8]);
        let Some(payload) = data.get(8..8 + len) else {
            break;
        };
        if crc32fast::hash(payload) != crc {
            break;
        }
        match decode_payload(payload) {
            Some(ops) => out.push(ops),
            None => break,
        }
        data = &data[8 + len..];
    }
    out
}

/// The open log.
#[derive(Debug)]
pub struct Wal {
    dir: PathBuf,
    generation: u64,
    file: File,
    /// Commits since the last checkpoint.
    pub pending: u64,
}

fn log_path(dir: &Path, generation: u64) -> PathBuf {
    dir.join(format!("wal.{generation:016}"))
}

/// The logs in `dir`, oldest first.
pub fn existing(dir: &Path) -> std::io::Result<Vec<(u64, PathBuf)>> {
    let mut logs = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let name = entry.file_name();
        let Some(g) = name.to_str().and_then(|n| n.strip_prefix("wal.")) else {
            continue;
        };
        if let Ok(g) = g.parse::<u64>() {
            logs.push((g, entry.path()));
        }
    }
    logs.sort();
    Ok(logs)
}

/// Reads every record of the logs in `dir`, oldest first.
pub fn read_all(dir: &Path) -> std::io::Result<Vec<Vec<Op>>> {
    let mut records = Vec::new();
    for (_, path) in existing(dir)? {
        let mut data = Vec::new();
        File::open(&path)?.read_to_end(&mut data)?;
        records.extend(decode(&data));
    }
    Ok(records)
}

impl Wal {
    /// Starts a new log in `dir` after `generation`.
    pub fn create(dir: &Path, generation: u64) -> std::io::Result<Wal> {
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(log_path(dir, generation))?;
        Ok(Wal {
            dir: dir.to_path_buf(),
            generation,
            file,
            pending: 0,
        })
    }

    /// The current generation.
    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// Appends one transaction's record with a single write.
    pub fn append(&mut self, ops: &[Op]) -> std::io::Result<()> {
        self.file.write_all(&encode(ops))?;
        self.pending += 1;
        Ok(())
    }

    /// Switches to the next generation; the caller commits durably and
    /// then calls [`remove_before`].
    pub fn rotate(&mut self) -> std::io::Result<()> {
        let next = Wal::create(&self.dir, self.generation + 1)?;
        *self = next;
        Ok(())
    }

    /// The directory the logs are in.
    pub fn dir(&self) -> &Path {
        &self.dir
    }
}

/// Deletes the logs in `dir` older than `generation` (their records are
/// in a durable commit).
pub fn remove_before(dir: &Path, generation: u64) -> std::io::Result<()> {
    for (g, path) in existing(dir)? {
        if g < generation {
            std::fs::remove_file(path)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn op(t: &str, k: &str, v: Option<&[u8]>) -> Op {
        Op {
            table: t.into(),
            key: k.into(),
            value: v.map(<[u8]>::to_vec),
        }
    }

    #[test]
    fn records_round_trip() {
        let a = vec![op("t", "k", Some(b"v")), op("u", "gone", None)];
        let b = vec![op("t", "k2", Some(b""))];
        let mut log = encode(&a);
        log.extend(encode(&b));
        assert_eq!(decode(&log), vec![a, b]);
    }

    #[test]
    fn a_torn_tail_is_ignored_and_earlier_records_kept() {
        let a = vec![op("t", "k", Some(b"value"))];
        let mut log = encode(&a);
        let second = encode(&[op("t", "k", Some(b"newer"))]);
        log.extend_from_slice(&second[..second.len() - 2]);
        assert_eq!(decode(&log), vec![a]);
    }

    #[test]
    fn random_and_truncated_logs_never_panic() {
        let good = encode(&[op("t", "k", Some(b"v")), op("t", "x", None)]);
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for _ in 0..2000 {
            let mut log = good.clone();
            let flips = (next() % 4) as usize;
            for _ in 0..flips {
                let i = (next() as usize) % log.len();
                log[i] = next() as u8;
            }
            log.truncate((next() as usize) % (log.len() + 1));
            let _ = decode(&log);
            let noise: Vec<u8> = (0..(next() % 64)).map(|_| next() as u8).collect();
            let _ = decode(&noise);
        }
    }

    #[test]
    fn a_corrupt_record_stops_replay() {
        let mut log = encode(&[op("t", "k", Some(b"v"))]);
        let last = log.len() - 1;
        log[last] ^= 0xff;
        assert!(decode(&log).is_empty());
    }
}
