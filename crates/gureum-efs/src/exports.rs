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

/// One mount target served inside its VPC's router namespace.
struct InVpc {
    ns: String,
    ip: String,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

/// The file systems' directories and their running NFS listeners.
pub struct Exports {
    root: PathBuf,
    running: Mutex<BTreeMap<String, Export>>,
    in_vpc: Mutex<BTreeMap<String, InVpc>>,
}

impl Exports {
    /// Directories under `root`.
    pub fn new(root: PathBuf) -> Exports {
        Exports {
            root,
            running: Mutex::new(BTreeMap::new()),
            in_vpc: Mutex::new(BTreeMap::new()),
        }
    }

    /// Whether mount target `mt_id` is served in namespace `ns`.
    pub fn serves_in(&self, mt_id: &str, ns: &str) -> bool {
        self.in_vpc.lock().get(mt_id).is_some_and(|v| v.ns == ns)
    }

    /// Serves `fs_id` at `ip:2049` inside the router namespace `ns`: the
    /// address joins the router's bridge (so instances of the subnet reach
    /// it on-link), and a thread that entered the namespace binds the
    /// listener there and runs it on its own runtime (sockets belong to
    /// the namespace they were made in).
    pub fn serve_in(
        &self,
        account: &str,
        fs_id: &str,
        mt_id: &str,
        ns: &str,
        ip: &str,
    ) -> Result<(), String> {
        self.unserve_in(mt_id);
        let out = std::process::Command::new("ip")
            .args([
                "-n",
                ns,
                "addr",
                "replace",
                &format!("{ip}/32"),
                "dev",
                "br0",
            ])
            .output()
            .map_err(|e| format!("ip: {e}"))?;
        if !out.status.success() {
            return Err(String::from_utf8_lossy(&out.stderr).trim().to_string());
        }
        let fs = DirFs::new(&self.dir(account, fs_id)).map_err(|e| e.to_string())?;
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let (ready_tx, ready_rx) = std::sync::mpsc::channel::<Result<(), String>>();
        let (path, addr) = (format!("/run/netns/{ns}"), format!("{ip}:2049"));
        std::thread::Builder::new()
            .name("gureum-efs-vpc".into())
            .spawn(move || {
                let entered = std::fs::File::open(&path)
                    .map_err(|e| e.to_string())
                    .and_then(|f| {
                        rustix::thread::move_into_link_name_space(
                            std::os::fd::AsFd::as_fd(&f),
                            Some(rustix::thread::LinkNameSpaceType::Network),
                        )
                        .map_err(|e| format!("setns: {e}"))
                    })
                    .and_then(|()| {
                        tokio::runtime::Builder::new_current_thread()
                            .enable_all()
                            .build()
                            .map_err(|e| e.to_string())
                    });
                let runtime = match entered {
                    Ok(r) => r,
                    Err(e) => {
                        let _ = ready_tx.send(Err(e));
                        return;
                    }
                };
                runtime.block_on(async move {
                    let listener = match NFSTcpListener::bind(&addr, fs).await {
                        Ok(l) => l,
                        Err(e) => {
                            let _ = ready_tx.send(Err(format!("bind {addr}: {e}")));
                            return;
                        }
                    };
                    let _ = ready_tx.send(Ok(()));
                    tokio::select! {
                        _ = listener.handle_forever() => {}
                        _ = stop_rx => {}
                    }
                });
            })
            .map_err(|e| e.to_string())?;
        ready_rx.recv().map_err(|e| e.to_string())??;
        self.in_vpc.lock().insert(
            mt_id.to_string(),
            InVpc {
                ns: ns.to_string(),
                ip: ip.to_string(),
                stop: Some(stop_tx),
            },
        );
        Ok(())
    }

    /// Stops serving mount target `mt_id` in its VPC and removes its
    /// address from the router.
    pub fn unserve_in(&self, mt_id: &str) {
        let Some(mut v) = self.in_vpc.lock().remove(mt_id) else {
            return;
        };
        if let Some(stop) = v.stop.take() {
            let _ = stop.send(());
        }
        let _ = std::process::Command::new("ip")
            .args([
                "-n",
                &v.ns,
                "addr",
                "del",
                &format!("{}/32", v.ip),
                "dev",
                "br0",
            ])
            .output();
    }

    /// A file system's directory.
    pub fn dir(&self, account: &str, fs_id: &str) -> PathBuf {
        self.root.join(account).join(fs_id)
    }

    /// Starts serving `fs_id` (once); answers its port. Needs a Tokio
    /// runtime and a thread that may block (none in unit tests: nothing
    /// is served there).
    pub fn start(&self, account: &str, fs_id: &str) -> Result<u16, String> {
        self.start_at(fs_id, &self.dir(account, fs_id))
    }

    /// Starts serving `dir` as export `id` (a file system, or an access
    /// point whose root directory is `dir`); answers its port.
    pub fn start_at(&self, id: &str, dir: &Path) -> Result<u16, String> {
        if let Some(e) = self.running.lock().get(id) {
            return Ok(e.port);
        }
        let handle = tokio::runtime::Handle::try_current().map_err(|e| e.to_string())?;
        let fs = DirFs::new(dir).map_err(|e| e.to_string())?;
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
            .insert(id.to_string(), Export { port, task });
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
        let mounts: Vec<String> = self.in_vpc.lock().keys().cloned().collect();
        for mt in mounts {
            self.unserve_in(&mt);
        }
    }

    /// The port `fs_id` is served on, when it is.
    pub fn port(&self, fs_id: &str) -> Option<u16> {
        self.running.lock().get(fs_id).map(|e| e.port)
    }

    /// `{fs or access point id: {"host", "port", "mount"}}` for
    /// `/_gureum/health`.
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
