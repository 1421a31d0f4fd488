//! The engines behind DB instances: one real server process per running
//! instance, its data in `rds/instances/ACCOUNT/REGION/ID/data` under
//! Gureum's data directory.
//!
//! Work that waits on an engine (initialising, starting, stopping,
//! copying) runs on its own thread and writes the instance's status when
//! done, so `available` means the engine accepts connections. Each
//! engine has one thread blocked in `wait()` on it: an exit nobody asked
//! for marks the instance `failed`, and an idle engine costs Gureum no
//! CPU (no polling).

pub mod mariadb;
pub mod postgres;
pub mod process;

use crate::catalog::Engine;
use crate::DbInstance;
use gureum_store::{Store, Table};
use parking_lot::{Condvar, Mutex};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The file an instance directory gets once its master user and database exist.
const BOOTSTRAPPED: &str = "bootstrapped";

/// How long an engine may take to accept connections.
const READY_TIMEOUT: Duration = Duration::from_secs(90);
/// How long a graceful stop may take before the engine is killed.
const STOP_TIMEOUT: Duration = Duration::from_secs(20);

/// What an engine is started with.
#[derive(Clone, Debug)]
pub struct Launch {
    /// The engine.
    pub engine: Engine,
    /// The master user.
    pub user: String,
    /// Its password.
    pub password: String,
    /// The database to create on a fresh instance.
    pub db_name: Option<String>,
    /// Ports to try, in order (an OS-chosen one when all are taken).
    pub ports: Vec<u16>,
    /// The parameter group's values.
    pub params: Vec<(String, String)>,
}

/// Where a new instance's data comes from, when not from a fresh cluster.
#[derive(Clone, Debug)]
pub enum Seed {
    /// A copy of a snapshot's data directory.
    Copy(PathBuf),
    /// A base backup of a running PostgreSQL at `port` that then follows
    /// it by streaming replication (a read replica).
    Replica {
        /// The source engine's port on loopback.
        port: u16,
        /// A superuser of the source.
        user: String,
        /// Its password.
        password: String,
    },
}

/// One running engine process.
struct Proc {
    pid: i32,
    port: u16,
    engine: Engine,
    /// Set before Gureum ends it, so the exit is not a crash.
    expected: AtomicBool,
    /// Set until it accepts connections: an exit then is the starter's to report.
    starting: AtomicBool,
    done: Mutex<bool>,
    exited: Condvar,
}

impl Proc {
    fn wait_exit(&self, timeout: Duration) -> bool {
        let mut done = self.done.lock();
        if !*done {
            self.exited.wait_for(&mut done, timeout);
        }
        *done
    }
}

/// The engines of every instance this Gureum serves.
pub struct Engines {
    root: PathBuf,
    temporary: bool,
    store: Store,
    instances: Table<DbInstance>,
    running: Mutex<HashMap<String, Arc<Proc>>>,
    spawner: process::Spawner,
    shutting_down: AtomicBool,
    /// Off only in the control plane's unit tests: no process is started.
    enabled: AtomicBool,
    /// Held while the PostgreSQL template is made.
    template_lock: Mutex<()>,
    /// Instances whose engine is being started.
    busy: Mutex<std::collections::HashSet<String>>,
    /// Ports chosen for engines that have not bound them yet.
    promised_ports: Mutex<std::collections::HashSet<u16>>,
}

/// What runs when background work on an instance finishes.
pub type Done = Box<dyn FnOnce(std::io::Result<()>) + Send>;

impl Engines {
    /// Engines keeping their data beside `store`'s files (a temporary
    /// directory for an in-memory store).
    pub fn new(store: &Store, instances: Table<DbInstance>) -> Arc<Self> {
        let (root, temporary) = match store.path() {
            Some(p) if p.is_dir() => (p.join("rds"), false),
            Some(p) => (p.parent().unwrap_or(Path::new(".")).join("rds"), false),
            None => {
                static N: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
                let n = N.fetch_add(1, Ordering::SeqCst);
                let dir =
                    std::env::temp_dir().join(format!("gureum-rds-{}-{n}", std::process::id()));
                (dir, true)
            }
        };
        Arc::new(Engines {
            root,
            temporary,
            store: store.clone(),
            instances,
            running: Mutex::new(HashMap::new()),
            spawner: process::Spawner::default(),
            shutting_down: AtomicBool::new(false),
            enabled: AtomicBool::new(true),
            template_lock: Mutex::new(()),
            busy: Mutex::new(Default::default()),
            promised_ports: Mutex::new(Default::default()),
        })
    }

    /// Starts no engine from now on (the control plane's unit tests).
    pub fn disable(&self) {
        self.enabled.store(false, Ordering::SeqCst);
    }

    /// Where instance `key`'s files live.
    pub fn instance_dir(&self, key: &str) -> PathBuf {
        self.root.join("instances").join(key)
    }

    /// Where snapshot `key`'s copy lives.
    pub fn snapshot_dir(&self, key: &str) -> PathBuf {
        self.root.join("snapshots").join(key)
    }

    /// Whether the host has `engine`'s programs.
    pub fn installed(engine: Engine) -> bool {
        match engine {
            Engine::Postgres => postgres::bin_dir().is_some(),
            Engine::Mysql | Engine::Mariadb => mariadb::installed(),
        }
    }

    /// Starts instance `key`'s engine on a thread: initialised first when
    /// it has no data yet (or from the copy in `from`), `available` once
    /// it accepts connections, `failed` if it cannot start.
    pub fn launch(self: &Arc<Self>, key: String, launch: Launch, from: Option<Seed>) {
        if !self.enabled.load(Ordering::SeqCst) {
            return;
        }
        let me = self.clone();
        self.busy.lock().insert(key.clone());
        spawn_work(move || {
            let result = me.start_blocking(&key, &launch, from.as_ref());
            me.finish_start(&key, result);
            me.busy.lock().remove(&key);
        });
    }

    fn finish_start(&self, key: &str, result: std::io::Result<u16>) {
        match result {
            Ok(port) => self.set_status(key, "available", Some(port)),
            Err(e) => {
                tracing::warn!(target: "gureum", "rds: {key}: {e}");
                let status = if self.refused_parameters(key) {
                    "incompatible-parameters"
                } else {
                    "failed"
                };
                self.set_status(key, status, None);
            }
        }
    }

    /// Whether the engine's last words blame its configuration (a value
    /// it rejects, or memory it cannot have): RDS's
    /// `incompatible-parameters`.
    fn refused_parameters(&self, key: &str) -> bool {
        let dir = self.instance_dir(key);
        let log = ["engine.log", "error.log"]
            .iter()
            .filter_map(|f| std::fs::read_to_string(dir.join(f)).ok())
            .collect::<String>();
        let tail = &log[log.len().saturating_sub(4096)..];
        [
            "invalid value for parameter",
            "insufficient parameter settings",
            "could not map anonymous shared memory",
            "unknown variable",
        ]
        .iter()
        .any(|m| tail.contains(m))
    }

    fn start_blocking(
        &self,
        key: &str,
        launch: &Launch,
        from: Option<&Seed>,
    ) -> std::io::Result<u16> {
        if !Self::installed(launch.engine) {
            return Err(std::io::Error::other(format!(
                "the {} engine is not installed on this host",
                launch.engine.name()
            )));
        }
        let dir = self.instance_dir(key);
        std::fs::create_dir_all(&dir)?;
        if process::engine_user().is_some() && launch.engine.is_postgres() {
            process::grant_traverse(&dir);
        }
        if let Some(from) = from {
            match from {
                Seed::Copy(snapshot) => {
                    process::copy_dir(&snapshot.join("data"), &dir.join("data"))?
                }
                Seed::Replica {
                    port,
                    user,
                    password,
                } => postgres::replica_backup(*port, user, password, &dir)?,
            }
            if launch.engine.is_postgres() {
                postgres::adopt(&dir)?;
            } else {
                let _ = std::fs::remove_file(dir.join("mariadbd.pid"));
            }
        }
        if from.is_some() {
            // A copy carries its users and databases.
            std::fs::write(dir.join(BOOTSTRAPPED), "")?;
        }
        let fresh = !dir.join("data").exists();
        let mut admin_password = String::new();
        if fresh {
            match launch.engine {
                Engine::Postgres => {
                    let (template, password) = self.postgres_template()?;
                    postgres::init(&dir, &template)?;
                    admin_password = password;
                }
                _ => mariadb::init(&dir)?,
            }
        }
        // The master user and database come once the engine first runs
        // (a first start that failed, on bad parameters, leaves them to
        // the next).
        let bootstrap = !dir.join(BOOTSTRAPPED).exists();
        if bootstrap && admin_password.is_empty() && launch.engine.is_postgres() {
            admin_password = self.postgres_template()?.1;
        }
        if launch.engine.is_postgres() && !fresh {
            postgres::clear_leftovers(&dir);
        }
        // Two engines starting at once must not both take a port that is
        // free only until the first binds it.
        let port = {
            let mut promised = self.promised_ports.lock();
            let port = process::pick_port(&launch.ports, &promised)?;
            promised.insert(port);
            port
        };
        let result = self.run_engine(key, launch, &dir, port, bootstrap, &admin_password);
        self.promised_ports.lock().remove(&port);
        result
    }

    /// Starts the engine on `port` and waits until it accepts connections
    /// (then creates the master user and database when `bootstrap`).
    fn run_engine(
        &self,
        key: &str,
        launch: &Launch,
        dir: &Path,
        port: u16,
        bootstrap: bool,
        admin_password: &str,
    ) -> std::io::Result<u16> {
        let mut cmd = match launch.engine {
            Engine::Postgres => {
                postgres::write_params(dir, &launch.params)?;
                postgres::command(dir, port)
            }
            _ => {
                mariadb::write_config(dir, port, &launch.params)?;
                mariadb::command(dir)
            }
        };
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(dir.join("engine.log"))?;
        cmd.stdout(log.try_clone()?).stderr(log);
        let mut child = self.spawner.spawn(cmd)?;
        let proc = Arc::new(Proc {
            pid: child.id() as i32,
            port,
            engine: launch.engine,
            expected: AtomicBool::new(false),
            starting: AtomicBool::new(true),
            done: Mutex::new(false),
            exited: Condvar::new(),
        });
        self.running.lock().insert(key.to_string(), proc.clone());
        let (me_store, me_table) = (self.store.clone(), self.instances.clone());
        let watched = proc.clone();
        let watched_key = key.to_string();
        std::thread::Builder::new()
            .name("rds-engine-wait".into())
            .spawn(move || {
                let status = child.wait();
                *watched.done.lock() = true;
                watched.exited.notify_all();
                if !watched.expected.load(Ordering::SeqCst)
                    && !watched.starting.load(Ordering::SeqCst)
                {
                    tracing::warn!(target: "gureum", "rds: {watched_key}: engine exited ({status:?})");
                    set_status_in(&me_store, &me_table, &watched_key, "failed", None);
                }
            })?;
        let deadline = Instant::now() + READY_TIMEOUT;
        loop {
            if *proc.done.lock() {
                return Err(std::io::Error::other(format!(
                    "the engine exited while starting (see {})",
                    dir.join("engine.log").display()
                )));
            }
            let ready = match launch.engine {
                Engine::Postgres => postgres::ready(port),
                _ => mariadb::ready(dir),
            };
            if ready {
                break;
            }
            if Instant::now() > deadline {
                return Err(std::io::Error::other(
                    "the engine did not accept connections in time",
                ));
            }
            // Only while starting: an engine is watched by its wait() after.
            std::thread::sleep(Duration::from_millis(25));
        }
        if bootstrap {
            match launch.engine {
                Engine::Postgres => postgres::bootstrap(port, launch, admin_password)?,
                _ => mariadb::bootstrap(dir, launch)?,
            }
            std::fs::write(dir.join(BOOTSTRAPPED), "")?;
        }
        proc.starting.store(false, Ordering::SeqCst);
        Ok(port)
    }

    /// The PostgreSQL template cluster, made on first need (one at a time).
    fn postgres_template(&self) -> std::io::Result<(PathBuf, String)> {
        let _one = self.template_lock.lock();
        postgres::template(&self.root)
    }

    /// Makes the PostgreSQL template ahead of the first create, on a
    /// thread (so that create meets its time budget from the start).
    pub fn prepare(self: &Arc<Self>) {
        if !self.enabled.load(Ordering::SeqCst) || !Self::installed(Engine::Postgres) {
            return;
        }
        let me = self.clone();
        spawn_work(move || {
            if let Err(e) = me.postgres_template() {
                tracing::warn!(target: "gureum", "rds: postgres template: {e}");
            }
        });
    }

    /// Stops instance `key`'s engine gracefully (killed after a while) and
    /// waits for it to end.
    pub fn stop_blocking(&self, key: &str) {
        let Some(proc) = self.running.lock().remove(key) else {
            return;
        };
        end(&proc);
    }

    /// Stops the engine on a thread, then sets the status `stopped`.
    /// With `snapshot`, the stopped data is copied to its directory first
    /// and its completion reported.
    pub fn stop(self: &Arc<Self>, key: String, snapshot: Option<(PathBuf, Done)>) {
        let me = self.clone();
        spawn_work(move || {
            me.stop_blocking(&key);
            if let Some((dest, done)) = snapshot {
                done(me.copy_data(&key, &dest, None));
            }
            me.set_status(&key, "stopped", None);
        });
    }

    /// Restarts the engine on a thread (`rebooting` → `available`).
    pub fn reboot(self: &Arc<Self>, key: String, launch: Launch) {
        let me = self.clone();
        self.busy.lock().insert(key.clone());
        spawn_work(move || {
            me.stop_blocking(&key);
            let result = me.start_blocking(&key, &launch, None);
            me.finish_start(&key, result);
            me.busy.lock().remove(&key);
        });
    }

    /// Copies instance `key`'s data to `dest` on a thread, consistently:
    /// a running PostgreSQL through `pg_basebackup`, a running MariaDB by
    /// stopping it for the copy; the instance is `available` again after.
    pub fn snapshot(
        self: &Arc<Self>,
        key: String,
        dest: PathBuf,
        launch: Option<Launch>,
        done: Done,
    ) {
        let me = self.clone();
        spawn_work(move || {
            let result = me.copy_data(&key, &dest, launch.as_ref());
            done(result);
        });
    }

    /// The blocking copy behind [`Engines::snapshot`] (and final snapshots).
    pub fn copy_data(
        &self,
        key: &str,
        dest: &Path,
        launch: Option<&Launch>,
    ) -> std::io::Result<()> {
        let _ = std::fs::remove_dir_all(dest);
        let running = self.running.lock().get(key).cloned();
        match (running, launch) {
            (Some(proc), Some(launch)) if proc.engine.is_postgres() => {
                postgres::base_backup(proc.port, launch, dest)
            }
            (Some(_), Some(launch)) => {
                self.stop_blocking(key);
                let copied =
                    process::copy_dir(&self.instance_dir(key).join("data"), &dest.join("data"));
                let started = self.start_blocking(key, launch, None);
                self.finish_start(key, started);
                copied
            }
            _ => process::copy_dir(&self.instance_dir(key).join("data"), &dest.join("data")),
        }
    }

    /// Applies changed dynamic parameters to a running engine now;
    /// `params` are all the group's values (rewritten for the next start).
    pub fn apply_dynamic(
        &self,
        key: &str,
        params: &[(String, String)],
        changed: &[(String, String)],
    ) {
        let Some(proc) = self.running.lock().get(key).cloned() else {
            return;
        };
        let dir = self.instance_dir(key);
        if proc.engine.is_postgres() {
            if postgres::write_params(&dir, params).is_ok() {
                postgres::reload(proc.pid);
            }
        } else {
            let _ = mariadb::write_config(&dir, proc.port, params);
            mariadb::set_global(&dir, changed);
        }
    }

    /// Promotes a PostgreSQL standby on a thread (`modifying` → `available`).
    pub fn promote(self: &Arc<Self>, key: String, user: String, password: String) {
        let me = self.clone();
        spawn_work(move || {
            let port = me.running.lock().get(&key).map(|p| p.port);
            let result = match port {
                Some(port) => postgres::promote(port, &user, &password).map(|()| port),
                None => Err(std::io::Error::other("the engine is not running")),
            };
            me.finish_start(&key, result);
        });
    }

    /// Changes the master user's password in the running engine.
    pub fn change_password(&self, key: &str, user: &str, old: &str, new: &str) {
        let Some(proc) = self.running.lock().get(key).cloned() else {
            return;
        };
        let result = if proc.engine.is_postgres() {
            postgres::change_password(proc.port, user, old, new)
        } else {
            mariadb::change_password(&self.instance_dir(key), user, new)
        };
        if let Err(e) = result {
            tracing::warn!(target: "gureum", "rds: {key}: password change: {e}");
        }
    }

    /// Stops the engine and removes the instance's files.
    pub fn destroy(&self, key: &str) {
        // An engine still starting (a delete right after a create) is
        // waited for, so that no engine starts on a removed directory.
        let deadline = Instant::now() + READY_TIMEOUT;
        while self.busy.lock().contains(key) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(50));
        }
        self.stop_blocking(key);
        let _ = std::fs::remove_dir_all(self.instance_dir(key));
    }

    /// Removes a snapshot's copy.
    pub fn remove_snapshot(&self, key: &str) {
        let _ = std::fs::remove_dir_all(self.snapshot_dir(key));
    }

    /// Forgets every instance's engine and data: the store's RDS tables
    /// were cleared or replaced (`/_gureum/reset`, an import).
    pub fn reset(&self) {
        let procs: Vec<Arc<Proc>> = self.running.lock().drain().map(|(_, p)| p).collect();
        for proc in &procs {
            end(proc);
        }
        let _ = std::fs::remove_dir_all(self.root.join("instances"));
        let _ = std::fs::remove_dir_all(self.root.join("snapshots"));
    }

    /// Ends every engine: all asked to stop at once, then each waited for.
    pub fn shutdown(&self) {
        self.shutting_down.store(true, Ordering::SeqCst);
        let procs: Vec<Arc<Proc>> = self.running.lock().drain().map(|(_, p)| p).collect();
        for proc in &procs {
            proc.expected.store(true, Ordering::SeqCst);
            process::signal(proc.pid, stop_signal(proc.engine));
        }
        for proc in &procs {
            if !proc.wait_exit(STOP_TIMEOUT) {
                process::kill_group(proc.pid);
            }
        }
        if self.temporary {
            let _ = std::fs::remove_dir_all(&self.root);
        }
    }

    /// Running engines: `(key, port)`.
    pub fn endpoints(&self) -> Vec<(String, u16)> {
        let mut v: Vec<_> = self
            .running
            .lock()
            .iter()
            .map(|(k, p)| (k.clone(), p.port))
            .collect();
        v.sort();
        v
    }

    /// The engine process of `key`.
    pub fn pid(&self, key: &str) -> Option<i32> {
        self.running.lock().get(key).map(|p| p.pid)
    }

    /// Whether `key`'s engine runs.
    pub fn is_running(&self, key: &str) -> bool {
        self.running.lock().contains_key(key)
    }

    fn set_status(&self, key: &str, to: &str, port: Option<u16>) {
        if self.shutting_down.load(Ordering::SeqCst) {
            return;
        }
        set_status_in(&self.store, &self.instances, key, to, port);
    }
}

impl Drop for Engines {
    fn drop(&mut self) {
        if !self.shutting_down.load(Ordering::SeqCst) {
            self.shutdown();
        }
    }
}

fn stop_signal(engine: Engine) -> &'static str {
    // PostgreSQL's "fast" shutdown; MariaDB's normal one.
    if engine.is_postgres() {
        "INT"
    } else {
        "TERM"
    }
}

fn end(proc: &Proc) {
    proc.expected.store(true, Ordering::SeqCst);
    process::signal(proc.pid, stop_signal(proc.engine));
    if !proc.wait_exit(STOP_TIMEOUT) {
        process::kill_group(proc.pid);
        proc.wait_exit(Duration::from_secs(5));
    }
}

/// Writes an instance's status as its engine reports it. A `failed` never
/// overrides a stop or delete in progress, and `available` only follows
/// a transitional state.
fn set_status_in(store: &Store, table: &Table<DbInstance>, key: &str, to: &str, port: Option<u16>) {
    let result = store.write(|txn| -> Result<(), gureum_store::StoreError> {
        let Some(mut inst) = txn.get(table, key)? else {
            return Ok(());
        };
        let allowed = match to {
            "failed" => !matches!(inst.status.as_str(), "deleting" | "stopping" | "stopped"),
            "available" => matches!(
                inst.status.as_str(),
                "creating" | "starting" | "rebooting" | "backing-up" | "modifying" | "failed"
            ),
            "incompatible-parameters" => {
                !matches!(inst.status.as_str(), "deleting" | "stopping" | "stopped")
            }
            "stopped" => inst.status == "stopping",
            _ => true,
        };
        if allowed {
            inst.status = to.to_string();
            if to == "available" {
                // A start reads the whole configuration: nothing waits for a reboot.
                inst.parameter_apply_status = "in-sync".into();
            }
            if let Some(port) = port {
                inst.port = port;
            }
            txn.put(table, key, &inst)?;
        }
        Ok(())
    });
    if let Err(e) = result {
        tracing::warn!(target: "gureum", "rds: {key}: status {to}: {e}");
    }
}

fn spawn_work(f: impl FnOnce() + Send + 'static) {
    let _ = std::thread::Builder::new()
        .name("rds-engine".into())
        .spawn(f);
}
