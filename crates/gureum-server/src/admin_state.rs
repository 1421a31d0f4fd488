//! Reset, export and import of the whole state (see [`crate::admin`]).
//!
//! A service's state is its store tables, named `<model name>.<table>`
//! (`s3.buckets`), plus what it keeps in memory, which
//! [`gureum_core::Service::reset`] drops; S3's large objects are files
//! under the data directory, exported and imported with the tables.
//! Gureum's own settings (`gureum.*`, the clock offset) survive a reset,
//! and travel in exports.

use crate::admin::{json_response, AdminResponse};
use crate::pipeline::AppState;
use crate::state_file::{self, Writer};
use serde_json::json;
use std::path::{Path, PathBuf};

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

/// The whole state as a state file: one store snapshot, then the data
/// directory's object files.
pub fn export(state: &AppState) -> AdminResponse {
    match export_bytes(state) {
        Ok(bytes) => AdminResponse {
            status: 200,
            content_type: "application/octet-stream",
            body: bytes.into(),
        },
        Err((status, message)) => json_response(status, json!({"error": message})),
    }
}

fn export_bytes(state: &AppState) -> Result<Vec<u8>, (u16, String)> {
    let internal = |e: gureum_store::StoreError| (500, e.to_string());
    let snap = state.store.snapshot().map_err(internal)?;
    let mut w = Writer::new(env!("CARGO_PKG_VERSION"), state.clock.now_millis());
    let mut has_files = false;
    for name in snap.table_names().map_err(internal)? {
        let mut rows = Vec::new();
        snap.visit_raw(&name, |k, v| {
            rows.push((k.to_string(), v.to_vec()));
            Ok(())
        })
        .map_err(internal)?;
        has_files |= name == "s3.blob_refs" && !rows.is_empty();
        w.table(&name, rows.len() as u64);
        for (k, v) in &rows {
            w.row(k, v);
        }
    }
    match &state.data_dir {
        Some(dir) => {
            for (rel, path) in data_files(dir).map_err(|e| (500, e.to_string()))? {
                // An object overwritten since the snapshot may be gone.
                match std::fs::read(&path) {
                    Ok(bytes) => w.file(&rel, &bytes),
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                    Err(e) => return Err((500, format!("{}: {e}", path.display()))),
                }
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
    Ok(w.finish())
}

/// The files under the data directory's subdirectories (object files),
/// skipping `tmp` directories (uploads in flight): `(relative path, path)`.
fn data_files(dir: &Path) -> std::io::Result<Vec<(String, PathBuf)>> {
    let mut out = Vec::new();
    let mut pending: Vec<(String, PathBuf)> = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        if entry.file_type()?.is_dir() {
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
            if kind.is_dir() && name != "tmp" {
                pending.push((format!("{rel}/{name}"), entry.path()));
            } else if kind.is_file() {
                out.push((format!("{rel}/{name}"), entry.path()));
            }
        }
    }
    out.sort();
    Ok(out)
}

/// Replaces the whole state with a state file's.
pub fn import(state: &AppState, body: &[u8]) -> AdminResponse {
    let decoded = match state_file::decode(body) {
        Ok(s) => s,
        Err(e) => return json_response(400, json!({"error": e.to_string()})),
    };
    if !decoded.files.is_empty() && state.data_dir.is_none() {
        return json_response(
            409,
            json!({"error": "this server is --ephemeral: it cannot hold the state file's object files"}),
        );
    }
    // Files first: until the commit below nothing references them, and an
    // interrupted import leaves only files the next start sweeps.
    if let Some(dir) = &state.data_dir {
        for (rel, bytes) in &decoded.files {
            if let Err(e) = write_file(dir, rel, bytes) {
                return AdminResponse::internal(&format!("{rel}: {e}"));
            }
        }
    }
    let rows: usize = decoded.tables.iter().map(|(_, r)| r.len()).sum();
    let (tables, files) = (decoded.tables.len(), decoded.files.len());
    if let Err(e) = state.store.replace_all(decoded.tables) {
        return AdminResponse::internal(&e.to_string());
    }
    let all: Vec<&str> = state.registry.services().map(|(n, _)| n).collect();
    forget_in_memory(state, &all);
    json_response(
        200,
        json!({"status": "ok", "tables": tables, "rows": rows, "files": files}),
    )
}

/// Writes `bytes` at `dir/rel` through a temporary name (never a torn file).
fn write_file(dir: &Path, rel: &str, bytes: &[u8]) -> std::io::Result<()> {
    let path = dir.join(rel);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    let tmp = path.with_extension("import-tmp");
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(&tmp, &path)
}
