//! Where object bytes live.
//!
//! Small objects (up to [`INLINE_MAX`]) are stored inside the database, in
//! the raw table `s3.inline`, written in the same transaction as their
//! metadata. Larger ones go to files under `<data dir>/s3-blobs/`, named by
//! a random id (never by the object key, so no key — `../` included — can
//! reach outside the directory), written to `tmp/` while they stream in and
//! renamed into place before the metadata commit that references them.
//! Files are immutable: an overwrite writes a new file and the old one is
//! unlinked after the commit, so a reader holding an open file never sees a
//! half-written object.
//!
//! Crash safety: `tmp/` is emptied at start; the table `s3.blob_refs`
//! records, in the same transaction as the metadata, every file a committed
//! object or part uses, and a sweep at start removes files that no commit
//! references (a crash between rename and commit, or between commit and
//! unlink). Object files are not fsynced: an acknowledged write survives
//! `kill -9` (the bytes are in the kernel's page cache), and the metadata
//! commit itself is durable; see docs/ARCHITECTURE.md.

use crate::batches::Batches;
use crate::cipher::DataCipher;
use bytes::{Bytes, BytesMut};
use gureum_core::{AwsError, ByteSource, RequestBody, ResponseBody};
use gureum_store::{RawTable, Store, Table, WriteTxn};
use std::fs::File;
use std::io::Write;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::task::{Context, Poll};

/// Objects up to this size are stored in the database.
pub const INLINE_MAX: usize = 128 * 1024;
/// Bytes per chunk when streaming a file out.
const READ_CHUNK: usize = 1 << 20;

/// Where an object's (or a part's) bytes are.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum DataRef {
    /// No bytes.
    #[default]
    Empty,
    /// In `s3.inline` under `id`.
    Inline {
        /// The row's key.
        id: String,
    },
    /// Files, in order (a completed multipart upload has one per part).
    Files {
        /// The files.
        segments: Vec<Segment>,
    },
}

/// One file of an object's bytes.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Segment {
    /// The file's id (its name under `s3-blobs/`).
    pub blob: String,
    /// Its length.
    pub len: u64,
}

/// The blob area: files, the inline table and the reference table.
pub struct Blobs {
    root: PathBuf,
    inline: RawTable,
    refs: Table<u8>,
    /// Released files go to a thread of their own to be unlinked: removing
    /// a large file frees its pages and extents (8 ms for 64 MiB here),
    /// which an overwrite's response need not wait for. `None` when no
    /// thread could be started: unlink in place.
    reaper: Option<std::sync::mpsc::Sender<PathBuf>>,
    /// Removes the directory of an in-memory (ephemeral) store on drop.
    ephemeral: bool,
}

impl Drop for Blobs {
    fn drop(&mut self) {
        if self.ephemeral {
            let _ = std::fs::remove_dir_all(&self.root);
        }
    }
}

fn io_error(e: std::io::Error) -> AwsError {
    AwsError::internal(format!("object storage: {e}"))
}

/// Runs blocking file I/O from async code without stalling other tasks on
/// this worker (Tokio's multi-thread runtime), or directly elsewhere.
pub fn blocking<R>(f: impl FnOnce() -> R) -> R {
    match tokio::runtime::Handle::try_current() {
        Ok(h) if h.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread => {
            tokio::task::block_in_place(f)
        }
        _ => f(),
    }
}

/// A body written to storage but not yet referenced by a commit.
#[derive(Debug)]
pub struct Pending {
    /// Where the bytes will be.
    pub data: DataRef,
    /// The length.
    pub size: u64,
    inline: Option<Bytes>,
    file: Option<PathBuf>,
}

impl Pending {
    /// Bytes in the file `dest` (blob `id`), not yet committed.
    fn in_file(id: String, size: u64, dest: PathBuf) -> Pending {
        Pending {
            data: DataRef::Files {
                segments: vec![Segment {
                    blob: id,
                    len: size,
                }],
            },
            size,
            inline: None,
            file: Some(dest),
        }
    }

    /// Records the bytes in `txn` (with the metadata that references them).
    pub fn commit_into(&self, blobs: &Blobs, txn: &mut WriteTxn) -> Result<(), AwsError> {
        match &self.data {
            DataRef::Empty => {}
            DataRef::Inline { id } => {
                txn.put_raw(
                    &blobs.inline,
                    id,
                    self.inline.as_deref().unwrap_or_default(),
                )?;
            }
            DataRef::Files { segments } => {
                for s in segments {
                    txn.put(&blobs.refs, &s.blob, &1)?;
                }
            }
        }
        Ok(())
    }

    /// Throws the bytes away (the operation failed before its commit).
    pub fn discard(self) {
        if let Some(f) = self.file {
            let _ = std::fs::remove_file(f);
        }
    }
}

/// Files to unlink once the transaction that released them has committed.
#[derive(Debug, Default)]
#[must_use = "released files must be unlinked after the commit"]
pub struct Released(Vec<String>);

impl Released {
    /// Adds another release's files.
    pub fn extend(&mut self, other: Released) {
        self.0.extend(other.0);
    }
}

impl Blobs {
    /// The blob area of `store`: next to its database file, or a private
    /// temporary directory for an in-memory store.
    pub fn open(store: &Store) -> Blobs {
        let (root, ephemeral) = match store.path().and_then(Path::parent) {
            Some(dir) => (dir.join("s3-blobs"), false),
            None => (
                std::env::temp_dir().join(format!("gureum-s3-{}", gureum_core::id::hex(16))),
                true,
            ),
        };
        let (tx, rx) = std::sync::mpsc::channel::<PathBuf>();
        let reaper = std::thread::Builder::new()
            .name("gureum-s3-unlink".into())
            .spawn(move || {
                for path in rx {
                    let _ = std::fs::remove_file(path);
                }
            })
            .ok()
            .map(|_| tx);
        let blobs = Blobs {
            root,
            inline: store.raw_table("s3.inline"),
            refs: store.table("s3.blob_refs"),
            reaper,
            ephemeral,
        };
        // Uploads that were streaming in when the process stopped.
        let _ = std::fs::remove_dir_all(blobs.root.join("tmp"));
        let _ = std::fs::create_dir_all(blobs.root.join("tmp"));
        blobs
    }

    fn path_of(&self, blob: &str) -> PathBuf {
        let fan = blob.get(..2).unwrap_or("00");
        self.root.join(fan).join(blob)
    }

    /// Removes files no commit references, older than `before` (files that
    /// newer requests are about to commit are left alone). Run once at start.
    pub fn sweep(&self, before: std::time::SystemTime) -> usize {
        let mut removed = 0;
        let Ok(dirs) = std::fs::read_dir(&self.root) else {
            return 0;
        };
        for dir in dirs.flatten() {
            if dir.file_name() == "tmp" || !dir.path().is_dir() {
                continue;
            }
            let Ok(files) = std::fs::read_dir(dir.path()) else {
                continue;
            };
            for f in files.flatten() {
                let name = f.file_name().to_string_lossy().into_owned();
                let old = f
                    .metadata()
                    .and_then(|m| m.modified())
                    .is_ok_and(|t| t < before);
                if old && matches!(self.refs.contains(&name), Ok(false)) {
                    let _ = std::fs::remove_file(f.path());
                    removed += 1;
                }
            }
        }
        removed
    }

    /// Streams `body` into storage, calling `observe` with every byte of
    /// it, in order, in pieces of about a megabyte (for digests). Nothing
    /// is visible until [`Pending::commit_into`].
    pub async fn write(
        &self,
        body: &mut RequestBody,
        observe: impl FnMut(&Bytes),
    ) -> Result<Pending, AwsError> {
        self.write_to(body, observe, false).await
    }

    /// Like [`Blobs::write`], but always to a file, however small (a
    /// multipart upload's parts: completing the upload then only joins
    /// their segment lists, never copies bytes).
    pub async fn write_file(
        &self,
        body: &mut RequestBody,
        observe: impl FnMut(&Bytes),
    ) -> Result<Pending, AwsError> {
        self.write_to(body, observe, true).await
    }

    /// Like [`Blobs::write`] (or [`Blobs::write_file`] with
    /// `always_file`), storing the bytes encrypted under `cipher`
    /// (SSE-KMS); `observe` still sees the plaintext (digests are of the
    /// object, not of what is at rest).
    pub async fn write_encrypted(
        &self,
        body: &mut RequestBody,
        observe: impl FnMut(&Bytes),
        always_file: bool,
        cipher: &DataCipher,
    ) -> Result<Pending, AwsError> {
        self.write_to_with(body, observe, always_file, Some(cipher))
            .await
    }

    async fn write_to(
        &self,
        body: &mut RequestBody,
        observe: impl FnMut(&Bytes),
        always_file: bool,
    ) -> Result<Pending, AwsError> {
        self.write_to_with(body, observe, always_file, None).await
    }

    async fn write_to_with(
        &self,
        body: &mut RequestBody,
        mut observe: impl FnMut(&Bytes),
        always_file: bool,
        cipher: Option<&DataCipher>,
    ) -> Result<Pending, AwsError> {
        let mut batches = Batches::default();
        let mut file: Option<(File, PathBuf, String)> = None;
        let mut size: u64 = 0;
        // Bytes written to the file so far (the cipher's offset).
        let mut in_file: u64 = 0;
        let create = || -> Result<(File, PathBuf, String), AwsError> {
            let id = gureum_core::id::hex(32);
            let path = self.root.join("tmp").join(&id);
            let f = blocking(|| File::create(&path)).map_err(io_error)?;
            Ok((f, path, id))
        };
        let result: Result<(), AwsError> = async {
            if always_file {
                file = Some(create()?);
                batches.for_file();
            }
            while let Some(chunk) = body.chunk().await {
                let chunk = chunk?;
                size += chunk.len() as u64;
                if file.is_none() && batches.len() + chunk.len() > INLINE_MAX {
                    file = Some(create()?);
                    batches.for_file();
                }
                batches.push(&chunk);
                drop(chunk);
                if let Some((f, _, id)) = file.as_mut() {
                    if batches.is_full() {
                        let batch = batches.take();
                        observe(&batch);
                        let batch = seal(cipher, id, in_file, batch);
                        in_file += batch.len() as u64;
                        blocking(|| f.write_all(&batch)).map_err(io_error)?;
                        crate::batches::recycle(batch);
                    }
                }
            }
            if let Some((f, _, id)) = file.as_mut() {
                let batch = batches.take();
                observe(&batch);
                let batch = seal(cipher, id, in_file, batch);
                blocking(|| f.write_all(&batch)).map_err(io_error)?;
                crate::batches::recycle(batch);
            }
            Ok(())
        }
        .await;
        if let Err(e) = result {
            if let Some((_, path, _)) = file {
                let _ = std::fs::remove_file(path);
            }
            return Err(e);
        }
        // A body that stayed small is observed whole, here.
        let inline = batches.take();
        if file.is_none() && !inline.is_empty() {
            observe(&inline);
        }
        match file {
            None if inline.is_empty() => Ok(Pending {
                data: DataRef::Empty,
                size: 0,
                inline: None,
                file: None,
            }),
            None => {
                let id = gureum_core::id::hex(32);
                let inline = seal(cipher, &id, 0, inline);
                Ok(Pending {
                    data: DataRef::Inline { id },
                    size,
                    inline: Some(inline),
                    file: None,
                })
            }
            Some((f, tmp, id)) => {
                drop(f);
                let dest = self.path_of(&id);
                blocking(|| {
                    if let Some(dir) = dest.parent() {
                        std::fs::create_dir_all(dir)?;
                    }
                    std::fs::rename(&tmp, &dest)
                })
                .map_err(|e| {
                    let _ = std::fs::remove_file(&tmp);
                    io_error(e)
                })?;
                Ok(Pending::in_file(id, size, dest))
            }
        }
    }

    /// Stores bytes already in memory (copies, small payloads).
    pub async fn write_bytes(&self, bytes: Bytes) -> Result<Pending, AwsError> {
        let mut body = RequestBody::from_bytes(bytes);
        self.write(&mut body, |_| {}).await
    }

    /// Removes `data`'s rows in `txn`; the files go after the commit
    /// ([`Blobs::unlink`]).
    pub fn release(&self, txn: &mut WriteTxn, data: &DataRef) -> Result<Released, AwsError> {
        match data {
            DataRef::Empty => Ok(Released::default()),
            DataRef::Inline { id } => {
                txn.delete_raw(&self.inline, id)?;
                Ok(Released::default())
            }
            DataRef::Files { segments } => {
                let mut out = Vec::with_capacity(segments.len());
                for s in segments {
                    txn.delete(&self.refs, &s.blob)?;
                    out.push(s.blob.clone());
                }
                Ok(Released(out))
            }
        }
    }

    /// Unlinks released files (after their release committed), in the
    /// background. A crash first leaves them unreferenced, and the sweep
    /// at start removes them.
    pub fn unlink(&self, released: Released) {
        for blob in released.0 {
            let path = self.path_of(&blob);
            let path = match &self.reaper {
                Some(reaper) => match reaper.send(path) {
                    Ok(()) => continue,
                    Err(unsent) => unsent.0,
                },
                None => path,
            };
            let _ = std::fs::remove_file(path);
        }
    }

    /// Bytes `start..end` of `data`. `Ok(None)` when a file is gone (an
    /// overwrite committed since the metadata was read: read it again).
    pub fn read(
        &self,
        data: &DataRef,
        start: u64,
        end: u64,
    ) -> Result<Option<ResponseBody>, AwsError> {
        self.read_with(data, start, end, None)
    }

    /// [`Blobs::read`] of bytes stored encrypted under `cipher` (SSE-KMS),
    /// decrypted as they are read.
    pub fn read_decrypted(
        &self,
        data: &DataRef,
        start: u64,
        end: u64,
        cipher: &DataCipher,
    ) -> Result<Option<ResponseBody>, AwsError> {
        self.read_with(data, start, end, Some(cipher))
    }

    fn read_with(
        &self,
        data: &DataRef,
        start: u64,
        end: u64,
        cipher: Option<&DataCipher>,
    ) -> Result<Option<ResponseBody>, AwsError> {
        let len = end.saturating_sub(start);
        match data {
            DataRef::Empty => Ok(Some(ResponseBody::Bytes(Bytes::new()))),
            DataRef::Inline { id } => match self.inline.get(id)? {
                None => Ok(None),
                Some(bytes) => {
                    let (s, e) = (start as usize, (end as usize).min(bytes.len()));
                    let slice = Bytes::from(bytes).slice(s.min(e)..e);
                    let slice = match cipher {
                        None => slice,
                        Some(c) => {
                            let mut buf = BytesMut::from(&slice[..]);
                            c.apply(id, s.min(e) as u64, &mut buf);
                            buf.freeze()
                        }
                    };
                    Ok(Some(ResponseBody::Bytes(slice)))
                }
            },
            DataRef::Files { segments } => {
                // Open every file now: once open, a later unlink cannot
                // take the bytes away mid-stream.
                let mut files = Vec::with_capacity(segments.len());
                for s in segments {
                    match File::open(self.path_of(&s.blob)) {
                        Ok(f) => files.push((f, s.len)),
                        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
                        Err(e) => return Err(io_error(e)),
                    }
                }
                let cipher = cipher.map(|c| {
                    (
                        c.clone(),
                        segments.iter().map(|s| s.blob.clone()).collect::<Vec<_>>(),
                    )
                });
                let reader = FileRange {
                    files,
                    start,
                    end,
                    cipher,
                };
                if len <= READ_CHUNK as u64 {
                    let mut out = BytesMut::with_capacity(len as usize);
                    blocking(|| reader.read_all(&mut out)).map_err(io_error)?;
                    return Ok(Some(ResponseBody::Bytes(out.freeze())));
                }
                let (tx, rx) = tokio::sync::mpsc::channel(4);
                std::thread::spawn(move || reader.send_all(tx));
                Ok(Some(ResponseBody::Stream {
                    source: Box::pin(ChannelSource(rx)),
                    length: len,
                }))
            }
        }
    }
}

/// A byte range over consecutive files.
struct FileRange {
    files: Vec<(File, u64)>,
    start: u64,
    end: u64,
    /// For bytes stored encrypted: the cipher and each file's blob id
    /// (its initial counter).
    cipher: Option<(DataCipher, Vec<String>)>,
}

impl FileRange {
    /// Visits the range in chunks of at most [`READ_CHUNK`] bytes: the
    /// file's index, the file, the offset in it and the length.
    fn each_chunk(
        &self,
        mut f: impl FnMut(usize, &File, u64, usize) -> std::io::Result<bool>,
    ) -> std::io::Result<()> {
        let mut offset = 0u64; // where the current file starts in the object
        for (index, (file, len)) in self.files.iter().enumerate() {
            let (file_start, file_end) = (offset, offset + len);
            offset = file_end;
            let from = self.start.max(file_start);
            let to = self.end.min(file_end);
            let mut pos = from;
            while pos < to {
                let n = ((to - pos) as usize).min(READ_CHUNK);
                if !f(index, file, pos - file_start, n)? {
                    return Ok(());
                }
                pos += n as u64;
            }
        }
        Ok(())
    }

    /// Decrypts `buf`, read at `at` of file `index`, when stored encrypted.
    fn open(&self, index: usize, at: u64, buf: &mut [u8]) {
        if let Some((c, ids)) = &self.cipher {
            c.apply(&ids[index], at, buf);
        }
    }

    fn read_all(&self, out: &mut BytesMut) -> std::io::Result<()> {
        self.each_chunk(|index, file, at, n| {
            let old = out.len();
            out.resize(old + n, 0);
            file.read_exact_at(&mut out[old..], at)?;
            self.open(index, at, &mut out[old..]);
            Ok(true)
        })
    }

    fn send_all(self, tx: tokio::sync::mpsc::Sender<Result<Bytes, AwsError>>) {
        let result = self.each_chunk(|index, file, at, n| {
            let mut buf = crate::read_buffers::take(n);
            file.read_exact_at(buf.as_mut(), at)?;
            self.open(index, at, buf.as_mut());
            // A closed channel: the client went away.
            Ok(tx.blocking_send(Ok(buf.freeze())).is_ok())
        });
        if let Err(e) = result {
            let _ = tx.blocking_send(Err(io_error(e)));
        }
    }
}

/// `batch` as it is stored: as is, or encrypted under `cipher` as the
/// bytes at `offset` of the piece of storage `id`.
fn seal(cipher: Option<&DataCipher>, id: &str, offset: u64, batch: Bytes) -> Bytes {
    let Some(c) = cipher else {
        return batch;
    };
    // In place when this is the batch's only holder (it is: just taken).
    let mut buf = batch
        .try_into_mut()
        .unwrap_or_else(|shared| BytesMut::from(&shared[..]));
    c.apply(id, offset, &mut buf);
    buf.freeze()
}

/// Chunks sent by a reader thread.
struct ChannelSource(tokio::sync::mpsc::Receiver<Result<Bytes, AwsError>>);

impl ByteSource for ChannelSource {
    fn poll_chunk(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Bytes, AwsError>>> {
        self.0.poll_recv(cx)
    }
}
