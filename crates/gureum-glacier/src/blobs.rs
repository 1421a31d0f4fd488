//! Archive and part bytes in files beside the store
//! (`<data dir>/glacier-archives/`), named by their random ids; the
//! records in the store say which exist. An in-memory store (tests) keeps
//! them in a temporary directory.

use crate::treehash::TreeHasher;
use gureum_core::{AwsError, ByteSource, RequestBody, ResponseBody};
use gureum_store::Store;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

/// Where the bytes live.
pub(crate) struct Blobs {
    root: PathBuf,
}

/// A body written to a file: its size and tree hash.
pub(crate) struct Written {
    /// The file (under `tmp/` until moved into place).
    pub path: PathBuf,
    /// Bytes written.
    pub size: u64,
    /// The SHA-256 tree hash, hex.
    pub tree_hash: String,
}

fn io_error(e: std::io::Error) -> AwsError {
    AwsError::internal(format!("glacier storage: {e}"))
}

impl Blobs {
    /// The directory for `store`.
    pub(crate) fn open(store: &Store) -> Blobs {
        let root = match store.path().and_then(Path::parent) {
            Some(dir) => dir.join("glacier-archives"),
            None => {
                std::env::temp_dir().join(format!("gureum-glacier-{}", gureum_core::id::hex(16)))
            }
        };
        // Bodies that were arriving when the process stopped.
        let _ = std::fs::remove_dir_all(root.join("tmp"));
        for dir in ["tmp", "archives", "uploads", "jobs"] {
            let _ = std::fs::create_dir_all(root.join(dir));
        }
        Blobs { root }
    }

    /// An archive's file.
    pub(crate) fn archive(&self, id: &str) -> PathBuf {
        self.root.join("archives").join(id)
    }

    /// An upload's part file, by first byte.
    fn part(&self, upload: &str, start: u64) -> PathBuf {
        self.root
            .join("uploads")
            .join(upload)
            .join(start.to_string())
    }

    /// Streams `body` into a temporary file, hashing it.
    pub(crate) async fn receive(&self, mut body: RequestBody) -> Result<Written, AwsError> {
        let path = self.root.join("tmp").join(gureum_core::id::hex(24));
        let mut file = std::fs::File::create(&path).map_err(io_error)?;
        let mut hasher = TreeHasher::default();
        let mut size = 0u64;
        while let Some(chunk) = body.chunk().await {
            let chunk = match chunk {
                Ok(c) => c,
                Err(e) => {
                    let _ = std::fs::remove_file(&path);
                    return Err(e);
                }
            };
            hasher.update(&chunk);
            size += chunk.len() as u64;
            file.write_all(&chunk).map_err(io_error)?;
        }
        file.flush().map_err(io_error)?;
        Ok(Written {
            path,
            size,
            tree_hash: hasher.finish(),
        })
    }

    /// Moves a received body into place as archive `id`.
    pub(crate) fn keep_archive(&self, written: &Written, id: &str) -> Result<(), AwsError> {
        std::fs::rename(&written.path, self.archive(id)).map_err(io_error)
    }

    /// Moves a received body into place as a part starting at `start`.
    pub(crate) fn keep_part(
        &self,
        written: &Written,
        upload: &str,
        start: u64,
    ) -> Result<(), AwsError> {
        let path = self.part(upload, start);
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(io_error)?;
        }
        std::fs::rename(&written.path, path).map_err(io_error)
    }

    /// Forgets a received body that was refused.
    pub(crate) fn discard(&self, written: &Written) {
        let _ = std::fs::remove_file(&written.path);
    }

    /// Joins an upload's parts (in order of first byte) into archive `id`,
    /// answering the whole archive's size and tree hash.
    pub(crate) fn assemble(
        &self,
        upload: &str,
        starts: &[u64],
        id: &str,
    ) -> Result<(u64, String), AwsError> {
        let path = self.archive(id);
        let mut out = std::fs::File::create(&path).map_err(io_error)?;
        let mut hasher = TreeHasher::default();
        let mut size = 0u64;
        let mut buf = vec![0u8; 1 << 20];
        for start in starts {
            let mut part = std::fs::File::open(self.part(upload, *start)).map_err(io_error)?;
            loop {
                let n = part.read(&mut buf).map_err(io_error)?;
                if n == 0 {
                    break;
                }
                hasher.update(&buf[..n]);
                out.write_all(&buf[..n]).map_err(io_error)?;
                size += n as u64;
            }
        }
        out.flush().map_err(io_error)?;
        Ok((size, hasher.finish()))
    }

    /// Removes an upload's parts.
    pub(crate) fn remove_upload(&self, upload: &str) {
        let _ = std::fs::remove_dir_all(self.root.join("uploads").join(upload));
    }

    /// Removes an archive's bytes.
    pub(crate) fn remove_archive(&self, id: &str) {
        let _ = std::fs::remove_file(self.archive(id));
    }

    /// Keeps archive `archive`'s bytes for job `job` (a hard link), so a
    /// retrieval still answers after the archive is deleted, as AWS's do.
    pub(crate) fn hold_for_job(&self, archive: &str, job: &str) -> Result<(), AwsError> {
        let to = self.root.join("jobs").join(job);
        std::fs::hard_link(self.archive(archive), &to)
            .or_else(|_| std::fs::copy(self.archive(archive), &to).map(|_| ()))
            .map_err(io_error)
    }

    /// Removes a job's bytes.
    pub(crate) fn remove_job(&self, job: &str) {
        let _ = std::fs::remove_file(self.root.join("jobs").join(job));
    }

    /// Bytes `start..=end` held for job `job`, as a body read from the
    /// file as it is sent (archives may be far larger than memory).
    pub(crate) fn stream_range(
        &self,
        job: &str,
        start: u64,
        end: u64,
    ) -> Result<ResponseBody, AwsError> {
        use std::io::{Seek, SeekFrom};
        let mut file = std::fs::File::open(self.root.join("jobs").join(job)).map_err(io_error)?;
        file.seek(SeekFrom::Start(start)).map_err(io_error)?;
        let length = end + 1 - start;
        Ok(ResponseBody::Stream {
            source: Box::pin(FileChunks {
                file,
                remaining: length,
            }),
            length,
        })
    }

    /// The tree hash of bytes `start..=end` held for job `job`.
    pub(crate) fn hash_range(&self, job: &str, start: u64, end: u64) -> Result<String, AwsError> {
        use std::io::{Seek, SeekFrom};
        let mut file = std::fs::File::open(self.root.join("jobs").join(job)).map_err(io_error)?;
        file.seek(SeekFrom::Start(start)).map_err(io_error)?;
        let mut hasher = TreeHasher::default();
        let mut left = end + 1 - start;
        let mut buf = vec![0u8; 1 << 20];
        while left > 0 {
            let want = buf.len().min(left as usize);
            file.read_exact(&mut buf[..want]).map_err(io_error)?;
            hasher.update(&buf[..want]);
            left -= want as u64;
        }
        Ok(hasher.finish())
    }
}

/// A file read in chunks as the response is written (reads from the page
/// cache; a short file read ends the body with an error).
struct FileChunks {
    file: std::fs::File,
    remaining: u64,
}

impl ByteSource for FileChunks {
    fn poll_chunk(
        mut self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<bytes::Bytes, AwsError>>> {
        if self.remaining == 0 {
            return std::task::Poll::Ready(None);
        }
        let mut buf = vec![0u8; (256 * 1024).min(self.remaining as usize)];
        let read = self.file.read_exact(&mut buf);
        std::task::Poll::Ready(Some(match read {
            Ok(()) => {
                self.remaining -= buf.len() as u64;
                Ok(buf.into())
            }
            Err(e) => Err(io_error(e)),
        }))
    }
}
