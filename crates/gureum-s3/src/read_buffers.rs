//! Buffers large reads stream out of: a small process-wide pool, so a
//! 64 MiB GET reads (and decrypts) into the same few megabyte buffers
//! instead of allocating and faulting in a fresh one per chunk.
//!
//! A chunk handed to the HTTP layer owns its buffer ([`Bytes::from_owner`]);
//! when the last reference to it is dropped (the bytes were written to the
//! socket), the buffer goes back to the pool.

use bytes::Bytes;
use std::sync::Mutex;

/// Free buffers kept (at most this many chunk-sized buffers stay
/// allocated after large reads).
const POOLED: usize = 8;

/// Free buffers.
pub struct Pool(Mutex<Vec<Vec<u8>>>);

static POOL: Pool = Pool(Mutex::new(Vec::new()));

/// A buffer of at least `len` bytes from the process-wide pool.
pub fn take(len: usize) -> ReadBuffer {
    POOL.take(len)
}

impl Pool {
    /// A buffer of at least `len` bytes (contents unspecified: the caller
    /// overwrites them), from the pool when one is free.
    pub fn take(&'static self, len: usize) -> ReadBuffer {
        let mut buf = self
            .0
            .lock()
            .ok()
            .and_then(|mut free| free.pop())
            .unwrap_or_default();
        if buf.len() < len {
            buf.resize(len, 0);
        }
        ReadBuffer {
            buf,
            len,
            pool: self,
        }
    }
}

/// A pooled buffer holding `len` meaningful bytes.
pub struct ReadBuffer {
    buf: Vec<u8>,
    len: usize,
    pool: &'static Pool,
}

impl ReadBuffer {
    /// The bytes, to fill.
    pub fn as_mut(&mut self) -> &mut [u8] {
        &mut self.buf[..self.len]
    }

    /// The bytes as a chunk that returns the buffer to the pool when
    /// dropped.
    pub fn freeze(self) -> Bytes {
        Bytes::from_owner(self)
    }
}

impl AsRef<[u8]> for ReadBuffer {
    fn as_ref(&self) -> &[u8] {
        &self.buf[..self.len]
    }
}

impl Drop for ReadBuffer {
    fn drop(&mut self) {
        let buf = std::mem::take(&mut self.buf);
        if buf.is_empty() {
            return;
        }
        if let Ok(mut free) = self.pool.0.lock() {
            if free.len() < POOLED {
                free.push(buf);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_dropped_chunk_gives_its_buffer_back_for_the_next_read() {
        let pool: &'static Pool = Box::leak(Box::new(Pool(Mutex::new(Vec::new()))));
        let mut b = pool.take(1 << 16);
        b.as_mut().fill(7);
        let chunk = b.freeze();
        assert_eq!(chunk.len(), 1 << 16);
        assert!(chunk.iter().all(|&x| x == 7));
        let ptr = chunk.as_ptr();
        drop(chunk);
        let again = pool.take(100);
        assert_eq!(again.buf.as_ptr(), ptr);
        assert_eq!(again.as_ref().len(), 100);
        // A chunk still held keeps its buffer out of the pool.
        let held = again.freeze();
        assert_ne!(pool.take(100).buf.as_ptr(), held.as_ptr());
    }
}
