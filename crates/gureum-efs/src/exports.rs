//! The NFSv3 servers: one `nfsserve` listener per available file system
//! on a loopback port chosen by the OS, serving the file system's
//! directory under the data dir (`<data dir>/efs/<account>/<fs id>`).
//! Listeners are started off the async workers (the server's ticker runs
//! in a blocking thread), so binding can wait on the runtime.

use crate::vfs::DirFs;
use nfsserve::tcp::{NFSTcp, NFSTcpListener};
use parking_lot::Mutex;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// One running export.
struct Export {
    port: u16,
    task: tokio::task::JoinHandle<()>,
}

/// The file systems' directories and their running NFS listeners.
pub struct Exports {
    root: PathBuf,
    running: Mutex<BTreeMap<String, Export>>,
}

impl Exports {
    /// Directories under `root`.
    pub fn new(root: PathBuf) -> Exports {
        Exports {
            root,
            running: Mutex::new(BTreeMap::new()),
        }
    }

    /// A file system's directory.
    pub fn dir(&self, account: &str, fs_id: &str) -> PathBuf {
        self.root.join(account).join(fs_id)
    }

    /// Starts serving `fs_id` (once); answers its port. Needs a Tokio
    /// runtime and a thread that may block (none in unit tests: nothing
    /// is served there).
    pub fn start(&self, account: &str, fs_id: &str) -> Result<u16, String> {
        if let Some(e) = self.running.lock().get(fs_id) {
            return Ok(e.port);
        }
        let handle = tokio::runtime::Handle::try_current().map_err(|e| e.to_string())?;
        let fs = DirFs::new(&self.dir(account, fs_id)).map_err(|e| e.to_string())?;
        let listener = handle
            .block_on(NFSTcpListener::bind("127.0.0.1:0", fs))
            .map_err(|e| e.to_string())?;
        let port = listener.get_listen_port();
        let task = handle.spawn(async move {
            if let Err(e) = listener.handle_forever().await {
                tracing::warn!(target: "gureum", "efs nfs listener: {e}");
            }
        });
        self.running
            .lock()
            .insert(fs_id.to_string(), Export { port, task });
        Ok(port)
    }

    /// Stops serving `fs_id` and, when `remove`, deletes its data.
    pub fn stop(&self, account: &str, fs_id: &str, remove: bool) {
        if let Some(e) = self.running.lock().remove(fs_id) {
            e.task.abort();
        }
        if remove {
            let _ = std::fs::remove_dir_all(self.dir(account, fs_id));
        }
    }

    /// Stops every listener (the server is stopping).
    pub fn stop_all(&self) {
        for (_, e) in std::mem::take(&mut *self.running.lock()) {
            e.task.abort();
        }
    }

    /// The port `fs_id` is served on, when it is.
    pub fn port(&self, fs_id: &str) -> Option<u16> {
        self.running.lock().get(fs_id).map(|e| e.port)
    }

    /// `{fs id: {"host", "port", "mount"}}` for `/_gureum/health`.
    pub fn listing(&self) -> Value {
        let running = self.running.lock();
        let map: serde_json::Map<String, Value> = running
            .iter()
            .map(|(id, e)| {
                (
                    id.clone(),
                    json!({
                        "host": "127.0.0.1",
                        "port": e.port,
                        "protocol": "nfs3",
                        "mount": format!(
                            "mount -t nfs -o vers=3,proto=tcp,port={0},mountport={0},nolock 127.0.0.1:/ DIR",
                            e.port
                        ),
                    }),
                )
            })
            .collect();
        Value::Object(map)
    }

    /// The metered size of a directory tree, as EFS meters it: each
    /// regular file's size rounded up to 4 KiB, and 6 KiB for each
    /// directory (an empty file system meters 6,144 bytes).
    pub fn metered_size(&self, account: &str, fs_id: &str) -> u64 {
        fn walk(dir: &Path) -> u64 {
            let mut total = 6 * 1024;
            let Ok(entries) = std::fs::read_dir(dir) else {
                return total;
            };
            for entry in entries.flatten() {
                let Ok(meta) = entry.metadata() else { continue };
                if meta.is_dir() {
                    total += walk(&entry.path());
                } else {
                    total += meta.len().div_ceil(4096) * 4096;
                }
            }
            total
        }
        walk(&self.dir(account, fs_id))
    }
}
