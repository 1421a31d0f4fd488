//! The digests of an upload (MD5 for the ETag, the checksum, maybe a
//! second checksum), computed as the bytes stream in.
//!
//! MD5 runs at ~600 MB/s on one core and every upload needs it, so for a
//! large body the digests run on their own thread, fed the body's chunks
//! (reference-counted, not copied) through a bounded channel, while the
//! request's task receives and writes: a large PUT then takes as long as
//! the slower of the two, not their sum. Small bodies hash in place (a
//! thread hand-off would cost more than it saves).

use crate::checksum::{ChecksumAlgorithm, Hasher, Md5};
use bytes::Bytes;
use std::sync::mpsc::{sync_channel, SyncSender};
use std::thread::JoinHandle;

/// Bodies longer than this hash on a thread of their own.
pub const PARALLEL_ABOVE: u64 = 1 << 20;
/// Chunks queued for the hashing thread before the receiver waits.
const QUEUE: usize = 64;

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
        handle: JoinHandle<State>,
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
        let mut state = State {
            md5: Md5::new(),
            main: Hasher::new(main),
            also: also.map(Hasher::new),
        };
        if length.unwrap_or(0) <= PARALLEL_ABOVE {
            return Digests(Mode::Here(Box::new(state)));
        }
        let (tx, rx) = sync_channel::<Bytes>(QUEUE);
        let spawned = std::thread::Builder::new()
            .name("gureum-digest".into())
            .spawn(move || {
                for chunk in rx {
                    state.update(&chunk);
                }
                state
            });
        match spawned {
            Ok(handle) => Digests(Mode::Thread { tx, handle }),
            // No thread to be had: hash in place.
            Err(_) => Digests::new(main, also, None),
        }
    }

    /// Adds a chunk.
    pub fn update(&mut self, chunk: &Bytes) {
        match &mut self.0 {
            Mode::Here(state) => state.update(chunk),
            Mode::Thread { tx, .. } => {
                // The thread only ends when the sender drops, so a send
                // cannot fail while `tx` lives.
                let _ = tx.send(chunk.clone());
            }
        }
    }

    /// The digests of everything added.
    pub fn finish(self) -> Finished {
        let state = match self.0 {
            Mode::Here(state) => *state,
            Mode::Thread { tx, handle } => {
                drop(tx);
                match crate::storage::blocking(|| handle.join()) {
                    Ok(state) => state,
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
