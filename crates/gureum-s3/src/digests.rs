//! The digests of an upload (MD5 for the ETag, the checksum, maybe a
//! second checksum), computed as the bytes stream in.
//!
//! MD5 (~830 MB/s on one core) is the slowest of them and every upload
//! needs it, so for a large body MD5 runs on a thread of its own, fed the
//! body's write batches (`batches.rs`, shared, not copied) through a
//! bounded channel,
//! while the request's task receives, writes and computes the checksums
//! (CRC at several GB/s, SHA with CPU extensions at ~2): a large PUT then
//! takes about as long as its MD5, not the sum. Small bodies hash in place
//! (a thread hand-off would cost more than it saves).

use crate::checksum::{ChecksumAlgorithm, Hasher, Md5};
use bytes::Bytes;
use std::sync::mpsc::{sync_channel, SyncSender, TrySendError};
use std::thread::JoinHandle;

/// Bodies longer than this hash on a thread of their own.
pub const PARALLEL_ABOVE: u64 = 1 << 20;
/// Pieces queued for the MD5 thread before the receiver waits (4 write
/// batches: ~4 MiB of runway). A queued piece pins its buffer; when pieces
/// were hyper's read buffers, 64 of them cost eight times the page faults
/// of 4 and ~12 % more CPU per large PUT.
const QUEUE: usize = 4;

struct State {
    md5: Md5,
    main: Hasher,
    also: Option<Hasher>,
}

impl State {
    fn update(&mut self, data: &[u8]) {
        self.md5.update(data);
        self.main.update(data);
        if let Some(h) = self.also.as_mut() {
            h.update(data);
        }
    }
}

/// What [`Digests::finish`] gives.
#[derive(Debug)]
pub struct Finished {
    /// The MD5.
    pub md5: [u8; 16],
    /// The main checksum, raw.
    pub main: Vec<u8>,
    /// The second checksum, raw.
    pub also: Option<Vec<u8>>,
}

enum Mode {
    Here(Box<State>),
    Thread {
        tx: SyncSender<Bytes>,
        md5: JoinHandle<Md5>,
        /// The checksums, computed here: `(main, also)`.
        sums: Box<(Hasher, Option<Hasher>)>,
    },
}

/// Running digests of one body.
pub struct Digests(Mode);

impl Digests {
    /// Digests with `main` (and `also`) for a body of `length` bytes (when
    /// known).
    pub fn new(
        main: ChecksumAlgorithm,
        also: Option<ChecksumAlgorithm>,
        length: Option<u64>,
    ) -> Self {
        if length.unwrap_or(0) > PARALLEL_ABOVE {
            let (tx, rx) = sync_channel::<Bytes>(QUEUE);
            let spawned = std::thread::Builder::new()
                .name("gureum-md5".into())
                .spawn(move || {
                    let mut md5 = Md5::new();
                    for chunk in rx {
                        md5.update(&chunk);
                        crate::batches::recycle(chunk);
                    }
                    md5
                });
            // No thread to be had: hash in place.
            if let Ok(md5) = spawned {
                return Digests(Mode::Thread {
                    tx,
                    md5,
                    sums: Box::new((Hasher::new(main), also.map(Hasher::new))),
                });
            }
        }
        Digests(Mode::Here(Box::new(State {
            md5: Md5::new(),
            main: Hasher::new(main),
            also: also.map(Hasher::new),
        })))
    }

    /// Adds a chunk.
    pub fn update(&mut self, chunk: &Bytes) {
        match &mut self.0 {
            Mode::Here(state) => state.update(chunk),
            Mode::Thread { tx, sums, .. } => {
                // The thread only ends when the sender drops, so a send
                // cannot fail while `tx` lives. A full queue (MD5 behind
                // the network) waits outside the runtime's worker, whose
                // other tasks keep running.
                if let Err(TrySendError::Full(chunk)) = tx.try_send(chunk.clone()) {
                    let _ = crate::storage::blocking(|| tx.send(chunk));
                }
                sums.0.update(chunk);
                if let Some(h) = sums.1.as_mut() {
                    h.update(chunk);
                }
            }
        }
    }

    /// The digests of everything added.
    pub fn finish(self) -> Finished {
        let state = match self.0 {
            Mode::Here(state) => *state,
            Mode::Thread { tx, md5, sums } => {
                drop(tx);
                let (main, also) = *sums;
                match crate::storage::blocking(|| md5.join()) {
                    Ok(md5) => State { md5, main, also },
                    Err(panic) => std::panic::resume_unwind(panic),
                }
            }
        };
        Finished {
            md5: state.md5.finish(),
            main: state.main.finish(),
            also: state.also.map(Hasher::finish),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checksum::digest;

    fn run(length: Option<u64>, data: &[u8]) -> Finished {
        let mut d = Digests::new(
            ChecksumAlgorithm::Crc32,
            Some(ChecksumAlgorithm::Sha256),
            length,
        );
        for chunk in data.chunks(7000) {
            d.update(&Bytes::copy_from_slice(chunk));
        }
        d.finish()
    }

    #[test]
    fn threaded_and_in_place_digests_agree_with_one_shot_hashes() {
        let data: Vec<u8> = (0..3_000_000u32).map(|i| (i * 31 % 251) as u8).collect();
        for length in [None, Some(data.len() as u64)] {
            let f = run(length, &data);
            assert_eq!(f.main, digest(ChecksumAlgorithm::Crc32, &data));
            assert_eq!(f.also, Some(digest(ChecksumAlgorithm::Sha256, &data)));
            let mut md5 = Md5::new();
            md5.update(&data);
            assert_eq!(f.md5, md5.finish());
        }
    }
}
