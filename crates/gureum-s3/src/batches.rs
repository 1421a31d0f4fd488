//! Write batches: an upload's chunks copied into buffers of about a
//! megabyte, each written to its file with one `write` and handed to the
//! digests as one piece.
//!
//! The copy lets the HTTP layer reuse its read buffers at once (a chunk
//! still referenced — queued for the MD5 thread, say — pins its whole read
//! buffer, and fresh buffers are memory the kernel must fault in). Batch
//! buffers themselves come from a small process-wide pool: whoever lets go
//! of a batch last (the writer after its `write`, or the MD5 thread after
//! hashing) puts its buffer back with [`recycle`].

use bytes::{Bytes, BytesMut};
use std::sync::Mutex;

/// Bytes gathered before a batch is full.
pub const BATCH: usize = 1 << 20;
/// Room for the chunk that overflows a batch, so it does not reallocate.
const CAPACITY: usize = BATCH + BATCH / 2;
/// Free buffers kept (at most ~9 MiB stays allocated after large uploads).
const POOLED: usize = 6;

/// Free batch buffers.
struct Pool(Mutex<Vec<BytesMut>>);

static POOL: Pool = Pool(Mutex::new(Vec::new()));

impl Pool {
    fn recycle(&self, batch: Bytes) {
        let Ok(mut buf) = batch.try_into_mut() else {
            return;
        };
        if buf.capacity() < CAPACITY {
            return;
        }
        buf.clear();
        if let Ok(mut free) = self.0.lock() {
            if free.len() < POOLED {
                free.push(buf);
            }
        }
    }

    fn spare(&self) -> BytesMut {
        self.0
            .lock()
            .ok()
            .and_then(|mut free| free.pop())
            .unwrap_or_else(|| BytesMut::with_capacity(CAPACITY))
    }
}

/// Puts a batch's buffer back in the pool when `batch` was its last
/// holder; otherwise just drops this reference.
pub fn recycle(batch: Bytes) {
    POOL.recycle(batch);
}

/// The batch being filled. Small bodies (most of them stay inline in the
/// database) gather in an ordinary buffer of their own size; pooled buffers
/// are for bodies bound for a file ([`Batches::for_file`]).
#[derive(Default)]
pub struct Batches {
    current: BytesMut,
    pooled: bool,
}

impl Batches {
    /// From now on, batches use pooled buffers (what was gathered moves
    /// into one).
    pub fn for_file(&mut self) {
        if !self.pooled {
            self.pooled = true;
            let mut buf = POOL.spare();
            buf.extend_from_slice(&self.current);
            self.current = buf;
        }
    }

    /// Appends a chunk to the current batch.
    pub fn push(&mut self, chunk: &[u8]) {
        if self.pooled && self.current.capacity() == 0 {
            self.current = POOL.spare();
        }
        self.current.extend_from_slice(chunk);
    }

    /// Bytes in the current batch.
    pub fn len(&self) -> usize {
        self.current.len()
    }

    /// Whether the current batch is full.
    pub fn is_full(&self) -> bool {
        self.current.len() >= BATCH
    }

    /// The current batch, frozen; the next push starts a new one.
    pub fn take(&mut self) -> Bytes {
        std::mem::take(&mut self.current).freeze()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batches_keep_every_byte_in_order() {
        let mut b = Batches::default();
        let mut out = Vec::new();
        for i in 0..3000u32 {
            if i == 100 {
                // Bound for a file after 40 KB: the gathered bytes move.
                b.for_file();
            }
            b.push(&i.to_le_bytes().repeat(100));
            if b.is_full() {
                let batch = b.take();
                out.extend_from_slice(&batch);
                recycle(batch);
            }
        }
        out.extend_from_slice(&b.take());
        let want: Vec<u8> = (0..3000u32)
            .flat_map(|i| i.to_le_bytes().repeat(100))
            .collect();
        assert_eq!(out, want);
    }

    #[test]
    fn only_the_last_holder_recycles_a_buffer() {
        let pool = Pool(Mutex::new(Vec::new()));
        let mut buf = pool.spare();
        buf.extend_from_slice(&[1; 10]);
        let batch = buf.freeze();
        let other_holder = batch.clone();
        pool.recycle(batch);
        assert_eq!(pool.0.lock().map(|f| f.len()).ok(), Some(0));
        assert_eq!(&other_holder[..], &[1; 10]);
        let ptr = other_holder.as_ptr();
        pool.recycle(other_holder);
        let again = pool.spare();
        assert_eq!(again.as_ptr(), ptr, "the buffer came back");
        assert!(again.is_empty() && again.capacity() >= CAPACITY);
    }

    #[test]
    fn the_pool_keeps_a_bounded_number_of_buffers() {
        let pool = Pool(Mutex::new(Vec::new()));
        for _ in 0..POOLED + 3 {
            let mut buf = BytesMut::with_capacity(CAPACITY);
            buf.extend_from_slice(b"x");
            pool.recycle(buf.freeze());
        }
        assert_eq!(pool.0.lock().map(|f| f.len()).ok(), Some(POOLED));
    }
}
