//! Reset, export and import of the whole state (see [`crate::admin`]).
//!
//! A service's state is its store tables, named `<model name>.<table>`
//! (`s3.buckets`), plus what it keeps in memory, which
//! [`gureum_core::Service::reset`] drops; S3's large objects are files
//! under the data directory, exported and imported with the tables.
//! Gureum's own settings (`gureum.*`, the clock offset) survive a reset,
//! and travel in exports (an import stores the offset but the running
//! clock keeps its own until the next start).

use crate::admin::MAX_IMPORT_BYTES;
use crate::admin::{json_response, AdminResponse};
use crate::body::ResponseStream;
use crate::pipeline::AppState;
use crate::state_file::{self, Writer};
use crate::state_reader::read_records;
use serde_json::json;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Tables that belong to Gureum itself, not to a service.
const OWN_TABLES: &str = "gureum.";

/// Clears every service's state, or `service`'s only.
pub fn reset(state: &AppState, service: Option<&str>) -> AdminResponse {
    let services: Vec<&'static str> = match service {
        Some("") => {
            return json_response(
                400,
                json!({"error": "service= needs a service name (s3, iam, ec2…)"}),
            )
        }
        Some(name) => match state.registry.services().find(|(n, _)| *n == name) {
            Some((n, _)) => vec![n],
            None => {
                let mut served: Vec<&str> = state.registry.services().map(|(n, _)| n).collect();
                served.sort_unstable();
                return json_response(
                    400,
                    json!({"error": format!(
                        "no such service: {name} (Gureum serves {})", served.join(", ")
                    )}),
                );
            }
        },
        None => state.registry.services().map(|(n, _)| n).collect(),
    };
    let cleared = match service {
        Some(name) => {
            let prefix = format!("{name}.");
            state.store.clear_tables(|t| t.starts_with(&prefix))
        }
        None => state.store.clear_tables(|t| !t.starts_with(OWN_TABLES)),
    };
    let cleared = match cleared {
        Ok(c) => c,
        Err(e) => return AdminResponse::internal(&e.to_string()),
    };
    forget_in_memory(state, &services);
    let mut services = services;
    services.sort_unstable();
    json_response(
        200,
        json!({"status": "ok", "services": services, "tables": cleared}),
    )
}

/// Lets `services` drop what they keep in memory about their state.
fn forget_in_memory(state: &AppState, services: &[&str]) {
    for (name, s) in state.registry.services() {
        if services.contains(&name) {
            s.reset();
        }
    }
}

/// Bytes sent per chunk of an export.
const CHUNK: usize = 1 << 20;

/// The whole state as a state file, streamed: one store snapshot, then
/// the data directory's object files. A first pass over the snapshot
/// counts the bytes (the answer has a `Content-Length`, so the CLI can
/// show progress) and opens every object file (an open file stays
/// readable if an overwrite unlinks it meanwhile); a thread then writes
/// the same snapshot out a chunk at a time.
pub fn export(state: &AppState) -> AdminResponse {
    match plan_export(state) {
        Ok(plan) => {
            let total = plan.total;
            let (tx, rx) = tokio::sync::mpsc::channel(4);
            let spawned = std::thread::Builder::new()
                .name("gureum-export".into())
                .spawn(move || plan.stream(&tx));
            if let Err(e) = spawned {
                return AdminResponse::internal(&e.to_string());
            }
            AdminResponse {
                status: 200,
                content_type: "application/octet-stream",
                body: ResponseStream::Stream {
                    source: Box::pin(Chunks(rx)),
                    remaining: total,
                },
            }
        }
        Err((status, message)) => json_response(status, json!({"error": message})),
    }
}

/// What an export will write: the snapshot, its tables' row counts, the
/// open object files, and the total length.
struct ExportPlan {
    snap: gureum_store::Snapshot,
    tables: Vec<(String, u64)>,
    files: Vec<(String, std::fs::File, u64)>,
    created_ms: i64,
    total: u64,
}

fn plan_export(state: &AppState) -> Result<ExportPlan, (u16, String)> {
    let internal = |e: gureum_store::StoreError| (500, e.to_string());
    let snap = state.store.snapshot().map_err(internal)?;
    let created_ms = state.clock.now_millis();
    let mut total = state_file::header(env!("CARGO_PKG_VERSION"), created_ms).len() as u64
        + state_file::TRAILER_LEN;
    let mut tables = Vec::new();
    let mut has_files = false;
    for name in snap.table_names().map_err(internal)? {
        let mut rows = 0u64;
        snap.visit_raw(&name, |k, v| {
            rows += 1;
            total += state_file::row_len(k, v.len() as u64);
            Ok(())
        })
        .map_err(internal)?;
        has_files |= name == "s3.blob_refs" && rows > 0;
        total += state_file::table_len(&name);
        tables.push((name, rows));
    }
    let mut files = Vec::new();
    match &state.data_dir {
        Some(dir) => {
            for (rel, path) in data_files(dir).map_err(|e| (500, e.to_string()))? {
                let file = match std::fs::File::open(&path) {
                    Ok(f) => f,
                    // Gone since the listing: no snapshot row refers to it.
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                    Err(e) => return Err((500, format!("{}: {e}", path.display()))),
                };
                let len = file
                    .metadata()
                    .map_err(|e| (500, format!("{}: {e}", path.display())))?
                    .len();
                total += state_file::file_len(&rel, len);
                files.push((rel, file, len));
            }
        }
        None if has_files => {
            return Err((
                409,
                "this server is --ephemeral: the bytes of its objects over 128 KiB are not \
                 in the store and cannot be exported"
                    .into(),
            ))
        }
        None => {}
    }
    Ok(ExportPlan {
        snap,
        tables,
        files,
        created_ms,
        total,
    })
}

type Chunk = Result<bytes::Bytes, gureum_core::AwsError>;

impl ExportPlan {
    /// Writes the file into `tx` a chunk at a time; stops when the client
    /// goes away.
    fn stream(self, tx: &tokio::sync::mpsc::Sender<Chunk>) {
        let send = |bytes: Vec<u8>| tx.blocking_send(Ok(bytes.into())).is_ok();
        let fail = |message: String| {
            let _ = tx.blocking_send(Err(gureum_core::AwsError::internal(message)));
        };
        let mut w = Writer::new(env!("CARGO_PKG_VERSION"), self.created_ms);
        for (name, rows) in &self.tables {
            w.table(name, *rows);
            let mut written = 0u64;
            let visited = self.snap.visit_raw(name, |k, v| {
                w.row(k, v);
                written += 1;
                if w.buffered() >= CHUNK && !send(w.take()) {
                    // The client went away: stop reading.
                    return Err(gureum_store::StoreError::Io {
                        path: PathBuf::new(),
                        source: std::io::Error::other("export abandoned"),
                    });
                }
                Ok(())
            });
            if let Err(e) = visited {
                return fail(e.to_string());
            }
            if written != *rows {
                return fail(format!("table {name} changed within one snapshot"));
            }
        }
        for (rel, mut file, len) in self.files {
            w.file_start(&rel, len);
            let mut left = len;
            let mut buf = vec![0u8; CHUNK];
            while left > 0 {
                let want = buf.len().min(usize::try_from(left).unwrap_or(usize::MAX));
                match std::io::Read::read(&mut file, &mut buf[..want]) {
                    Ok(0) => return fail(format!("{rel} shrank during the export")),
                    Ok(n) => {
                        w.file_bytes(&buf[..n]);
                        left -= n as u64;
                    }
                    Err(e) => return fail(format!("{rel}: {e}")),
                }
                if w.buffered() >= CHUNK && !send(w.take()) {
                    return;
                }
            }
        }
        let _ = send(w.finish());
    }
}

/// The receiving end of an export's chunks, as a response body.
struct Chunks(tokio::sync::mpsc::Receiver<Chunk>);

impl gureum_core::body::ByteSource for Chunks {
    fn poll_chunk(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Chunk>> {
        self.0.poll_recv(cx)
    }
}

/// The files under the data directory's subdirectories (object files),
/// skipping `tmp` directories (uploads in flight) and dot directories
/// (caches and work in progress, such as RDS's template cluster while
/// `initdb` writes it): `(relative path, path)`.
fn data_files(dir: &Path) -> std::io::Result<Vec<(String, PathBuf)>> {
    let mut out = Vec::new();
    let mut pending: Vec<(String, PathBuf)> = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        if entry.file_type()?.is_dir() && !not_state(&entry.file_name()) {
            pending.push((
                entry.file_name().to_string_lossy().into_owned(),
                entry.path(),
            ));
        }
    }
    while let Some((rel, path)) = pending.pop() {
        for entry in std::fs::read_dir(&path)? {
            let entry = entry?;
            let name = entry.file_name().to_string_lossy().into_owned();
            let kind = entry.file_type()?;
            if kind.is_dir() && !not_state(entry.file_name().as_os_str()) {
                pending.push((format!("{rel}/{name}"), entry.path()));
            } else if kind.is_file() {
                out.push((format!("{rel}/{name}"), entry.path()));
            }
        }
    }
    out.sort();
    Ok(out)
}

/// A directory that holds no state: uploads in flight (`tmp`), caches and
/// work in progress (a name starting with a dot).
fn not_state(name: &std::ffi::OsStr) -> bool {
    name == "tmp" || name.as_encoded_bytes().starts_with(b".")
}

/// Replaces the whole state with a state file's, sent as the body of
/// `POST /_gureum/import`: the body is spooled to a file (checked on the
/// way: header, size, checksum), then applied from it off the async
/// workers ([`apply_spooled`]). Nothing changes unless the whole file
/// checks out.
pub async fn import(state: &Arc<AppState>, body: hyper::body::Incoming) -> AdminResponse {
    let dir = match &state.data_dir {
        Some(d) => d.join("tmp"),
        None => std::env::temp_dir(),
    };
    let spool = dir.join(format!("import-{}.gureum-tmp", gureum_core::id::hex(8)));
    let received = receive(body, &spool).await;
    let answer = match received {
        Ok(()) => {
            let (state, path) = (Arc::clone(state), spool.clone());
            tokio::task::spawn_blocking(move || apply_spooled(&state, &path))
                .await
                .unwrap_or_else(|_| AdminResponse::internal("the import task panicked"))
        }
        Err(r) => r,
    };
    let _ = tokio::fs::remove_file(&spool).await;
    answer
}

/// Writes the body to `path`, checking it as it goes.
async fn receive(mut body: hyper::body::Incoming, path: &Path) -> Result<(), AdminResponse> {
    use http_body_util::BodyExt;
    use tokio::io::AsyncWriteExt;
    let io = |e: std::io::Error| AdminResponse::internal(&format!("{}: {e}", path.display()));
    if let Some(parent) = path.parent() {
        tokio::fs::create_dir_all(parent).await.map_err(io)?;
    }
    let mut file = tokio::fs::File::create(path).await.map_err(io)?;
    let mut checker = state_file::Checker::default();
    let mut head: Vec<u8> = Vec::new();
    let mut total = 0usize;
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|_| {
            json_response(
                400,
                json!({"error": "the state file was not received in full"}),
            )
        })?;
        let Ok(data) = frame.into_data() else {
            continue;
        };
        total += data.len();
        if total > MAX_IMPORT_BYTES {
            return Err(json_response(
                413,
                json!({"error": format!("a state file may be at most {MAX_IMPORT_BYTES} bytes")}),
            ));
        }
        if head.len() < 64 * 1024 {
            head.extend_from_slice(&data);
        }
        checker.update(&data);
        file.write_all(&data).await.map_err(io)?;
    }
    file.flush().await.map_err(io)?;
    let bad = |e: state_file::StateFileError| json_response(400, json!({"error": e.to_string()}));
    state_file::verify_header(&head).map_err(bad)?;
    checker.finish().map_err(bad)
}

/// Applies a checked state file: object files first (until the commit
/// nothing references them, and an interrupted import leaves only files
/// the next start sweeps), then every table in one durable commit.
fn apply_spooled(state: &AppState, path: &Path) -> AdminResponse {
    let file = match std::fs::File::open(path) {
        Ok(f) => std::io::BufReader::new(f),
        Err(e) => return AdminResponse::internal(&format!("{}: {e}", path.display())),
    };
    let mut files = 0usize;
    let read = read_records(file, |rel, _len, bytes| {
        let Some(dir) = &state.data_dir else {
            return Err(
                "this server is --ephemeral: it cannot hold the state file's object files".into(),
            );
        };
        files += 1;
        write_file(dir, rel, bytes).map_err(|e| format!("{rel}: {e}"))
    });
    let tables = match read {
        Ok(t) => t,
        Err(e) => return json_response(400, json!({"error": e.to_string()})),
    };
    let rows: usize = tables.iter().map(|(_, r)| r.len()).sum();
    let count = tables.len();
    if let Err(e) = state.store.replace_all(tables) {
        return AdminResponse::internal(&e.to_string());
    }
    let all: Vec<&str> = state.registry.services().map(|(n, _)| n).collect();
    forget_in_memory(state, &all);
    json_response(
        200,
        json!({"status": "ok", "tables": count, "rows": rows, "files": files}),
    )
}

/// Copies `bytes` to `dir/rel` through a temporary name (never a torn file).
fn write_file(dir: &Path, rel: &str, bytes: &mut dyn Read) -> std::io::Result<()> {
    let path = dir.join(rel);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    let tmp = path.with_extension("import-tmp");
    let mut out = std::fs::File::create(&tmp)?;
    std::io::copy(bytes, &mut out)?;
    drop(out);
    std::fs::rename(&tmp, &path)
}
