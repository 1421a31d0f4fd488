//! The engine processes: one `redis-server`, `valkey-server` or
//! `memcached` per cache node, on 127.0.0.1, working in the node's own
//! directory under Gureum's data directory.
//!
//! Each process leads its own process group and runs under util-linux's
//! `setpriv --pdeathsig KILL`, so even a `kill -9` of Gureum ends it.
//! They are spawned from one long-lived thread because the death signal
//! follows the thread that forked, not the process.

use parking_lot::Mutex;
use std::collections::{HashMap, HashSet};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

/// How long a started engine may take to accept connections.
pub const READY_TIMEOUT: Duration = Duration::from_secs(15);

/// What one node runs.
#[derive(Clone, Debug)]
pub struct NodeSpec {
    /// Unique among the running nodes (`account/region/cluster/0001`).
    pub key: String,
    /// `redis`, `valkey` or `memcached`.
    pub engine: String,
    /// The port to use if free (the node's last one, or the one asked for).
    pub port: u16,
    /// The node's working directory.
    pub dir: PathBuf,
    /// `requirepass` (and `masterauth`).
    pub password: Option<String>,
    /// Earlier auth tokens still valid (a `ROTATE` in progress).
    pub previous_passwords: Vec<String>,
    /// The primary's port, for a replica.
    pub replica_of: Option<u16>,
    /// Parameter values (the group's, defaults included).
    pub params: Vec<(String, String)>,
    /// `maxmemory` from the node type, MiB.
    pub memory_mb: u64,
    /// An RDB file to load on this start (a snapshot being restored).
    pub restore: Option<PathBuf>,
    /// ACL users `(name, rules)` under RBAC, Gureum's admin first.
    pub acl: Vec<(String, Vec<String>)>,
    /// Whether the node runs in Redis Cluster mode.
    pub cluster_enabled: bool,
    /// The user replicas log in to the primary as (RBAC).
    pub master_user: Option<(String, String)>,
}

struct Running {
    child: Child,
    pid: i32,
    port: u16,
}

type SpawnRequest = (Command, mpsc::Sender<std::io::Result<Child>>);

/// The running engines, by node key.
pub struct Engines {
    root: Option<PathBuf>,
    /// Whether `root` is a temp dir of this process (an in-memory store),
    /// removed at shutdown.
    ephemeral: bool,
    running: Mutex<HashMap<String, Running>>,
    reserved: Mutex<HashSet<u16>>,
    spawner: Mutex<Option<mpsc::Sender<SpawnRequest>>>,
    stopped: AtomicBool,
}

impl Engines {
    /// Engines working under `root` (removed at shutdown when `ephemeral`).
    pub fn new(root: PathBuf, ephemeral: bool) -> Arc<Engines> {
        Arc::new(Engines {
            root: Some(root),
            ephemeral,
            running: Mutex::default(),
            reserved: Mutex::default(),
            spawner: Mutex::default(),
            stopped: AtomicBool::new(false),
        })
    }

    /// No engines: nodes are recorded but never started.
    pub fn disabled() -> Arc<Engines> {
        Arc::new(Engines {
            root: None,
            ephemeral: false,
            running: Mutex::default(),
            reserved: Mutex::default(),
            spawner: Mutex::default(),
            stopped: AtomicBool::new(false),
        })
    }

    /// Whether engines are started at all.
    pub fn enabled(&self) -> bool {
        self.root.is_some() && !self.stopped.load(Ordering::SeqCst)
    }

    /// The working directory of a node (`None` when disabled).
    pub fn node_dir(&self, rel: &str) -> Option<PathBuf> {
        self.root.as_ref().map(|r| r.join(rel))
    }

    /// The snapshot directory (`None` when disabled).
    pub fn snapshot_dir(&self) -> Option<PathBuf> {
        self.root.as_ref().map(|r| r.join("snapshots"))
    }

    /// The port a running node listens on.
    pub fn port_of(&self, key: &str) -> Option<u16> {
        self.running.lock().get(key).map(|r| r.port)
    }

    /// The program that runs `engine`, when the host has one: Valkey where
    /// installed (for `valkey`, and for `redis` when no `redis-server`),
    /// else `redis-server`; `memcached` for memcached.
    pub fn program(engine: &str) -> Option<PathBuf> {
        let candidates: &[&str] = match engine {
            "memcached" => &["memcached"],
            "valkey" => &["valkey-server", "redis-server"],
            _ => &["redis-server", "valkey-server"],
        };
        candidates.iter().find_map(|p| which(p))
    }

    /// Starts the node (stopping an earlier process of the same key) and
    /// returns the port it listens on: `spec.port` when free, otherwise
    /// one the OS chooses.
    pub fn start(&self, spec: &NodeSpec) -> std::io::Result<u16> {
        if !self.enabled() {
            return Err(std::io::Error::other("engines are not running"));
        }
        let program = Self::program(&spec.engine).ok_or_else(|| {
            std::io::Error::new(
                std::io::ErrorKind::NotFound,
                format!("no {} program on this host", spec.engine),
            )
        })?;
        self.stop(&spec.key);
        std::fs::create_dir_all(&spec.dir)?;
        let port = self.pick_port(spec.port)?;
        let mut cmd = command_for(&program);
        if spec.engine == "memcached" {
            memcached_args(&mut cmd, spec, port);
            let log = std::fs::File::create(spec.dir.join("memcached.log"))?;
            cmd.stdout(log.try_clone()?).stderr(log);
        } else {
            let conf = spec.dir.join("redis.conf");
            std::fs::write(&conf, redis_conf(spec, port))?;
            cmd.arg(&conf).stdout(Stdio::null()).stderr(Stdio::null());
        }
        cmd.current_dir(&spec.dir).stdin(Stdio::null());
        let child = self.spawn(cmd);
        let child = match child {
            Ok(c) => c,
            Err(e) => {
                self.reserved.lock().remove(&port);
                return Err(e);
            }
        };
        let pid = child.id() as i32;
        self.running
            .lock()
            .insert(spec.key.clone(), Running { child, pid, port });
        Ok(port)
    }

    /// Waits until the node accepts connections; `false` if its process
    /// ended or the timeout passed.
    pub fn wait_ready(&self, key: &str, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            let port = {
                let mut running = self.running.lock();
                let Some(r) = running.get_mut(key) else {
                    return false;
                };
                if !matches!(r.child.try_wait(), Ok(None)) {
                    return false;
                }
                r.port
            };
            let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
            if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
                return true;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        false
    }

    /// Ends a node's process group, waiting for it; its data stays.
    pub fn stop(&self, key: &str) {
        let gone = self.running.lock().remove(key);
        if let Some(mut r) = gone {
            kill_group(r.pid);
            let _ = r.child.kill();
            let _ = r.child.wait();
            self.reserved.lock().remove(&r.port);
        }
    }

    /// Stops every node whose key starts with `prefix`.
    pub fn stop_prefix(&self, prefix: &str) {
        let keys: Vec<String> = self
            .running
            .lock()
            .keys()
            .filter(|k| k.starts_with(prefix))
            .cloned()
            .collect();
        for k in keys {
            self.stop(&k);
        }
    }

    /// The keys of the running nodes, and whether each process has ended
    /// on its own (crashed or killed) since it was started.
    pub fn survey(&self) -> Vec<(String, bool)> {
        self.running
            .lock()
            .iter_mut()
            .map(|(k, r)| (k.clone(), !matches!(r.child.try_wait(), Ok(None))))
            .collect()
    }

    /// Ends every engine; no more start afterwards.
    pub fn shutdown(&self) {
        self.stopped.store(true, Ordering::SeqCst);
        let keys: Vec<String> = self.running.lock().keys().cloned().collect();
        for k in keys {
            self.stop(&k);
        }
        if let (true, Some(root)) = (self.ephemeral, &self.root) {
            let _ = std::fs::remove_dir_all(root);
        }
    }

    fn pick_port(&self, wanted: u16) -> std::io::Result<u16> {
        let mut reserved = self.reserved.lock();
        if wanted != 0 && !reserved.contains(&wanted) && port_free(wanted) {
            reserved.insert(wanted);
            return Ok(wanted);
        }
        loop {
            let port = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?
                .local_addr()?
                .port();
            if reserved.insert(port) {
                return Ok(port);
            }
        }
    }

    fn spawn(&self, cmd: Command) -> std::io::Result<Child> {
        let tx = {
            let mut s = self.spawner.lock();
            match &*s {
                Some(tx) => tx.clone(),
                None => {
                    let (tx, rx) = mpsc::channel::<SpawnRequest>();
                    std::thread::Builder::new()
                        .name("elasticache-spawner".into())
                        .spawn(move || {
                            for (mut cmd, reply) in rx {
                                let _ = reply.send(cmd.spawn());
                            }
                        })?;
                    *s = Some(tx.clone());
                    tx
                }
            }
        };
        let (reply, answer) = mpsc::channel();
        tx.send((cmd, reply))
            .map_err(|_| std::io::Error::other("the spawner thread is gone"))?;
        answer
            .recv()
            .map_err(|_| std::io::Error::other("the spawner thread is gone"))?
    }
}

/// Whether nothing listens on 127.0.0.1:`port`.
fn port_free(port: u16) -> bool {
    TcpListener::bind((Ipv4Addr::LOCALHOST, port)).is_ok()
}

/// The configuration file of a Redis-like node: loopback only, its own
/// directory, AOF persistence (so data outlives a restart of Gureum), the
/// auth token, replication, and the parameter group's values.
fn redis_conf(spec: &NodeSpec, port: u16) -> String {
    let mut c = String::new();
    let line = |c: &mut String, k: &str, v: &str| {
        c.push_str(k);
        c.push(' ');
        c.push_str(&quote(v));
        c.push('\n');
    };
    line(&mut c, "bind", "127.0.0.1");
    line(&mut c, "port", &port.to_string());
    line(&mut c, "protected-mode", "no");
    line(&mut c, "daemonize", "no");
    line(&mut c, "dir", &spec.dir.to_string_lossy());
    line(&mut c, "logfile", "redis.log");
    line(&mut c, "dbfilename", "dump.rdb");
    // A restored snapshot loads from its RDB file: AOF stays off for that
    // start and is switched on once loaded (lifecycle.rs), which writes
    // the AOF from the loaded data.
    let restoring = spec.restore.is_some()
        || !spec.dir.join("appendonlydir").exists() && spec.dir.join("dump.rdb").exists();
    line(&mut c, "appendonly", if restoring { "no" } else { "yes" });
    line(&mut c, "appendfsync", "everysec");
    line(&mut c, "save", "");
    line(&mut c, "maxmemory", &format!("{}mb", spec.memory_mb));
    if let Some(p) = &spec.password {
        line(&mut c, "masterauth", p);
        // The default user's passwords: the token and any still rotating.
        c.push_str("user default on ~* &* +@all");
        for pw in std::iter::once(p).chain(&spec.previous_passwords) {
            c.push(' ');
            c.push_str(&quote(&format!(">{pw}")));
        }
        c.push('\n');
    }
    if let Some(primary) = spec.replica_of {
        c.push_str(&format!("replicaof 127.0.0.1 {primary}\n"));
        line(&mut c, "replica-read-only", "yes");
    }
    // Replicas sync at once (Redis waits 5 s by default for more to join).
    line(&mut c, "repl-diskless-sync-delay", "0");
    for (k, v) in &spec.params {
        line(&mut c, k, v);
    }
    for (name, rules) in &spec.acl {
        c.push_str("user ");
        c.push_str(&quote(name));
        for r in rules {
            c.push(' ');
            c.push_str(&quote(r));
        }
        c.push('\n');
    }
    if spec.cluster_enabled {
        line(&mut c, "cluster-enabled", "yes");
        line(&mut c, "cluster-config-file", "nodes.conf");
        line(&mut c, "cluster-node-timeout", "5000");
    }
    if let Some((user, password)) = &spec.master_user {
        line(&mut c, "masteruser", user);
        line(&mut c, "masterauth", password);
    }
    c
}

/// A configuration value in double quotes, escaped.
fn quote(v: &str) -> String {
    let escaped = v.replace('\\', "\\\\").replace('"', "\\\"");
    format!("\"{escaped}\"")
}

fn memcached_args(cmd: &mut Command, spec: &NodeSpec, port: u16) {
    cmd.arg("-l")
        .arg("127.0.0.1")
        .arg("-p")
        .arg(port.to_string());
    cmd.arg("-U")
        .arg("0")
        .arg("-m")
        .arg(spec.memory_mb.to_string());
    for (k, v) in &spec.params {
        let flag = match k.as_str() {
            "max_item_size" => "-I",
            "chunk_size" => "-n",
            "max_simultaneous_connections" => "-c",
            _ => continue,
        };
        // memcached raises its descriptor limit to the connection count;
        // past the host's hard limit it refuses to start.
        let v = if flag == "-c" {
            let limit = open_files_limit().saturating_sub(16).max(3);
            v.parse::<u64>().map_or(limit, |n| n.min(limit)).to_string()
        } else {
            v.clone()
        };
        cmd.arg(flag).arg(v);
    }
    // memcached refuses to run as root without a user to drop to.
    if is_root() {
        cmd.arg("-u").arg("root");
    }
}

/// The hard limit of open files a child may raise itself to.
fn open_files_limit() -> u64 {
    std::fs::read_to_string("/proc/self/limits")
        .ok()
        .and_then(|s| {
            let line = s.lines().find(|l| l.starts_with("Max open files"))?;
            line.split_whitespace().nth(4)?.parse().ok()
        })
        .unwrap_or(1024)
}

fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("Uid:"))
                .map(|l| l.split_whitespace().nth(1) == Some("0"))
        })
        .unwrap_or(false)
}

/// `program` on the `PATH`.
fn which(program: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join(program))
        .find(|p| p.is_file())
}

/// Kills process group `pid` (each engine leads its own).
fn kill_group(pid: i32) {
    let _ = Command::new("kill")
        .arg("-KILL")
        .arg("--")
        .arg(format!("-{pid}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
}

/// The command that runs `program` in its own process group and, where
/// `setpriv` exists, with `PR_SET_PDEATHSIG` = `SIGKILL` (the crates
/// forbid `unsafe`, so no `pre_exec`).
fn command_for(program: &Path) -> Command {
    use std::os::unix::process::CommandExt;
    let setpriv = ["/usr/bin/setpriv", "/bin/setpriv"]
        .iter()
        .map(Path::new)
        .find(|p| p.exists());
    let mut cmd = match setpriv {
        Some(s) => {
            let mut c = Command::new(s);
            c.arg("--pdeathsig").arg("KILL").arg("--").arg(program);
            c
        }
        None => Command::new(program),
    };
    cmd.process_group(0);
    cmd
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_restored_node_starts_with_aof_off_and_a_password() {
        let spec = NodeSpec {
            key: "k".into(),
            engine: "redis".into(),
            port: 6379,
            dir: PathBuf::from("/nonexistent"),
            password: Some("s3cret\"x".into()),
            previous_passwords: vec!["old-one".into()],
            replica_of: Some(7000),
            params: vec![("maxmemory-policy".into(), "allkeys-lru".into())],
            memory_mb: 512,
            restore: Some(PathBuf::from("/x.rdb")),
            acl: vec![(
                "alice".into(),
                vec!["reset".into(), "on".into(), ">pw".into()],
            )],
            master_user: None,
            cluster_enabled: false,
        };
        let conf = redis_conf(&spec, 6400);
        assert!(conf.contains("appendonly \"no\""), "{conf}");
        assert!(
            conf.contains("user default on ~* &* +@all \">s3cret\\\"x\" \">old-one\""),
            "{conf}"
        );
        assert!(conf.contains("replicaof 127.0.0.1 7000"), "{conf}");
        assert!(conf.contains("maxmemory-policy \"allkeys-lru\""), "{conf}");
        assert!(conf.contains("port \"6400\""), "{conf}");
        assert!(
            conf.contains("user \"alice\" \"reset\" \"on\" \">pw\""),
            "{conf}"
        );
    }
}
