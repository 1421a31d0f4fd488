//! EC2 instances that really run, on Linux as root: each instance is a
//! network namespace on its VPC's bridge ([`fabric`]), a sandbox of PID,
//! mount and UTS namespaces running the host's OpenSSH server and the
//! user data ([`sandbox`], [`userdata`]), and a metadata service inside
//! its namespace ([`imds`]).
//!
//! [`Host`] implements EC2's [`InstanceHost`] seam. Every change runs on
//! one worker thread, in order: the namespaces are plain `ip` commands,
//! and the children are forked by that long-lived thread because their
//! death signal (`setpriv --pdeathsig KILL`) follows the thread that
//! forked them. Where Gureum is not root or has no namespaces, the host
//! says so ([`Host::status`]) and instances stay records.

pub mod fabric;
pub mod imds;
pub mod sandbox;
pub mod userdata;

use fabric::Names;
use gureum_ec2::compute::host::{BootSpec, InstanceHost};
use parking_lot::{Mutex, RwLock};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{mpsc, Arc, OnceLock};

pub use imds::{ProfileRole, ProfileRoles, Sources};

/// How instances run on this machine.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Mode {
    /// In their own namespaces (root on Linux).
    Namespaces,
    /// Not at all: instances are records. The reason says why.
    RecordsOnly(String),
}

struct Config {
    names: Names,
    root: PathBuf,
    gureum: Option<SocketAddr>,
    mode: Mode,
    /// The directory to remove at shutdown when Gureum keeps no data.
    ephemeral: Option<PathBuf>,
}

/// One instance the host knows.
struct Running {
    vpc_id: String,
    child: Option<Child>,
    /// The public address routed to it this boot.
    routed: Option<String>,
}

enum Job {
    Boot(BootSpec),
    Halt(String),
    Reboot(BootSpec),
    Discard(String),
    DiscardAll,
    Shutdown(mpsc::Sender<()>),
}

struct Inner {
    sources: Sources,
    config: OnceLock<Config>,
    instances: Mutex<HashMap<String, Running>>,
    /// The last boot's spec of each instance, for the metadata service.
    specs: Arc<RwLock<HashMap<String, BootSpec>>>,
    /// Each VPC's metadata service.
    vpcs: Mutex<HashMap<String, imds::Imds>>,
    jobs: Mutex<Option<mpsc::Sender<Job>>>,
}

/// The machine's side of EC2 instances.
#[derive(Clone)]
pub struct Host {
    inner: Arc<Inner>,
}

impl Host {
    /// A host whose metadata service issues role credentials from
    /// `sources`; it runs nothing until [`Host::configure`].
    pub fn new(sources: Sources) -> Self {
        Host {
            inner: Arc::new(Inner {
                sources,
                config: OnceLock::new(),
                instances: Mutex::new(HashMap::new()),
                specs: Default::default(),
                vpcs: Mutex::new(HashMap::new()),
                jobs: Mutex::new(None),
            }),
        }
    }

    /// Decides the mode, removes what a killed Gureum over the same data
    /// directory left behind, and starts the worker. `data_dir` holds
    /// the instances' writable directories (a temporary one when Gureum
    /// keeps no data); `gureum` is the API every instance reaches at
    /// `169.254.169.254:PORT`.
    pub fn configure(&self, data_dir: Option<&Path>, gureum: Option<SocketAddr>) {
        // Without a data directory, a directory of this host's own (its
        // tag, and so its namespaces, then differ from any other Gureum's
        // in this process), removed at shutdown.
        let ephemeral = data_dir.is_none();
        let base = data_dir.map(Path::to_path_buf).unwrap_or_else(|| {
            std::env::temp_dir().join(format!(
                "gureum-instances-{}-{:08x}",
                std::process::id(),
                rand::random::<u32>()
            ))
        });
        let root = base.join("instances");
        let names = Names::for_dir(&base);
        let mode = detect(&names);
        if mode == Mode::Namespaces {
            let range = gureum_ec2::vpc::addresses::public_ip_range_cidr();
            // This data directory's leftovers, and any killed Gureum's.
            fabric::remove_all(&names);
            fabric::sweep_dead_owners(&range);
            fabric::claim(&names);
            fabric::guard_public_range(&names, &range);
        }
        let _ = self.inner.config.set(Config {
            names,
            root,
            gureum,
            mode,
            ephemeral: ephemeral.then_some(base),
        });
        let (tx, rx) = mpsc::channel();
        *self.inner.jobs.lock() = Some(tx);
        let inner = self.inner.clone();
        let _ = std::thread::Builder::new()
            .name("gureum-instances".into())
            .spawn(move || worker(&inner, rx));
    }

    /// The mode in force, for `/_gureum/health` (decided at start).
    pub fn status(&self) -> serde_json::Value {
        let Some(c) = self.inner.config.get() else {
            return serde_json::json!({"mode": "records-only", "reason": "not started"});
        };
        match &c.mode {
            Mode::Namespaces => serde_json::json!({
                "mode": "namespaces",
                "namespace_prefix": c.names.ns_prefix(),
                "ssh": sandbox::sshd().is_some(),
            }),
            Mode::RecordsOnly(reason) => {
                serde_json::json!({"mode": "records-only", "reason": reason})
            }
        }
    }

    /// Stops every instance's processes and removes every namespace and
    /// interface (Gureum stopping); the instances' files stay for the
    /// next start.
    pub fn shutdown(&self) {
        let tx = self.inner.jobs.lock().take();
        if let Some(tx) = tx {
            let (done, wait) = mpsc::channel();
            if tx.send(Job::Shutdown(done)).is_ok() {
                let _ = wait.recv_timeout(std::time::Duration::from_secs(20));
            }
        }
    }

    fn send(&self, job: Job) {
        if !self.runs_instances() {
            return;
        }
        if let Some(tx) = self.inner.jobs.lock().as_ref() {
            let _ = tx.send(job);
        }
    }
}

impl InstanceHost for Host {
    fn boot(&self, spec: BootSpec) {
        self.send(Job::Boot(spec));
    }

    fn halt(&self, instance_id: &str) {
        self.send(Job::Halt(instance_id.to_string()));
    }

    fn refresh(&self, spec: BootSpec) {
        // Only what the metadata service answers from: no job needed.
        let mut specs = self.inner.specs.write();
        if let Some(known) = specs.get_mut(&spec.instance_id) {
            *known = spec;
        }
    }

    fn reboot(&self, spec: BootSpec) {
        self.send(Job::Reboot(spec));
    }

    fn discard(&self, instance_id: &str) {
        self.send(Job::Discard(instance_id.to_string()));
    }

    fn discard_all(&self) {
        self.send(Job::DiscardAll);
    }

    fn console(&self, instance_id: &str) -> Option<String> {
        let c = self.inner.config.get()?;
        sandbox::console(&c.root.join(instance_id))
    }

    fn runs_instances(&self) -> bool {
        self.inner
            .config
            .get()
            .is_some_and(|c| c.mode == Mode::Namespaces)
    }
}

/// Namespaces need root, `ip` with `netns`, and util-linux's `nsenter`,
/// `unshare` and `setpriv`; a probe namespace proves it.
fn detect(names: &Names) -> Mode {
    if std::env::var_os("GUREUM_INSTANCES_RECORDS_ONLY").is_some() {
        return Mode::RecordsOnly("GUREUM_INSTANCES_RECORDS_ONLY is set".into());
    }
    if !cfg!(target_os = "linux") {
        return Mode::RecordsOnly("not Linux".into());
    }
    if !rustix::process::geteuid().is_root() {
        return Mode::RecordsOnly("not root".into());
    }
    for tool in ["ip", "nsenter", "unshare", "setpriv"] {
        if fabric::run(tool, &["--version"]).is_err() && fabric::run(tool, &["-V"]).is_err() {
            return Mode::RecordsOnly(format!("{tool} is missing"));
        }
    }
    let probe = format!("{}probe", names.ns_prefix());
    if let Err(e) = fabric::ip(&["netns", "add", &probe]) {
        return Mode::RecordsOnly(format!("no network namespaces: {e}"));
    }
    fabric::ip_quiet(&["netns", "del", &probe]);
    Mode::Namespaces
}

fn worker(inner: &Inner, rx: mpsc::Receiver<Job>) {
    let Some(config) = inner.config.get() else {
        return;
    };
    for job in rx {
        match job {
            Job::Boot(spec) => {
                let id = spec.instance_id.clone();
                let started = std::time::Instant::now();
                let result = boot(inner, config, spec);
                tracing::info!(target: "gureum", "instance {id} boot steps took {} ms", started.elapsed().as_millis());
                if let Err(e) = result {
                    tracing::warn!(target: "gureum", "instance {id} did not boot: {e}");
                    append_console(
                        &config.root.join(&id),
                        &format!("gureum: boot failed: {e}\n"),
                    );
                }
            }
            Job::Halt(id) => halt(inner, config, &id),
            Job::Reboot(spec) => {
                let id = spec.instance_id.clone();
                halt(inner, config, &id);
                if let Err(e) = boot(inner, config, spec) {
                    tracing::warn!(target: "gureum", "instance {id} did not reboot: {e}");
                }
            }
            Job::Discard(id) => discard(inner, config, &id),
            Job::DiscardAll => {
                let ids: Vec<String> = inner.instances.lock().keys().cloned().collect();
                for id in ids {
                    discard(inner, config, &id);
                }
                let _ = std::fs::remove_dir_all(&config.root);
            }
            Job::Shutdown(done) => {
                let ids: Vec<String> = inner.instances.lock().keys().cloned().collect();
                for id in ids {
                    halt(inner, config, &id);
                }
                inner.instances.lock().clear();
                for (_, imds) in inner.vpcs.lock().drain() {
                    imds.stop();
                }
                fabric::remove_all(&config.names);
                fabric::unguard_public_range(
                    &config.names,
                    &gureum_ec2::vpc::addresses::public_ip_range_cidr(),
                );
                fabric::release(&config.names);
                if let Some(dir) = &config.ephemeral {
                    let _ = std::fs::remove_dir_all(dir);
                }
                let _ = done.send(());
                return;
            }
        }
    }
}

/// Halts the instance and removes its namespace and directory.
fn discard(inner: &Inner, config: &Config, id: &str) {
    halt(inner, config, id);
    inner.instances.lock().remove(id);
    inner.specs.write().remove(id);
    fabric::delete_ns(&config.names.instance_ns(id));
    let _ = std::fs::remove_dir_all(config.root.join(id));
}

fn append_console(dir: &Path, line: &str) {
    use std::io::Write;
    let _ = std::fs::create_dir_all(dir);
    if let Ok(mut f) = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(dir.join("console.log"))
    {
        let _ = f.write_all(line.as_bytes());
    }
}

/// Plugs the instance in, routes its public address, prepares its
/// sandbox and starts its init; a running instance is left as it is.
fn boot(inner: &Inner, config: &Config, spec: BootSpec) -> Result<(), String> {
    let id = spec.instance_id.clone();
    if inner
        .instances
        .lock()
        .get(&id)
        .is_some_and(|r| r.child.is_some())
    {
        return Ok(());
    }
    let names = &config.names;
    fabric::plug_instance(names, &spec)?;
    let dir = config.root.join(&id);
    let endpoint = match config.gureum {
        Some(g) => format!("http://{}:{}", fabric::IMDS_IP, g.port()),
        None => String::new(),
    };
    let script = sandbox::prepare(&dir, &spec, &endpoint)?;
    let ns = names.instance_ns(&id);
    inner.specs.write().insert(id.clone(), spec.clone());
    {
        let mut map = inner.instances.lock();
        let entry = map.entry(id.clone()).or_insert_with(|| Running {
            vpc_id: spec.vpc_id.clone(),
            child: None,
            routed: None,
        });
        entry.routed = spec.public_ip.clone();
    }
    ensure_imds(inner, config, &spec.vpc_id)?;
    let console = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(dir.join("console.log"))
        .map_err(|e| e.to_string())?;
    let err = console.try_clone().map_err(|e| e.to_string())?;
    let child = sandbox_command(&ns, &script)
        .stdin(Stdio::null())
        .stdout(console)
        .stderr(err)
        .spawn()
        .map_err(|e| format!("spawn: {e}"))?;
    let mut map = inner.instances.lock();
    if let Some(r) = map.get_mut(&id) {
        r.child = Some(child);
    }
    Ok(())
}

/// Starts the VPC's metadata service unless it runs: it answers each
/// instance of the VPC by the private address that asks.
fn ensure_imds(inner: &Inner, config: &Config, vpc_id: &str) -> Result<(), String> {
    let mut vpcs = inner.vpcs.lock();
    if vpcs.contains_key(vpc_id) {
        return Ok(());
    }
    let specs = inner.specs.clone();
    let vpc = vpc_id.to_string();
    let lookup: imds::Lookup = Arc::new(move |ip| {
        let ip = ip.to_string();
        specs
            .read()
            .values()
            .find(|s| s.vpc_id == vpc && s.private_ip == ip)
            .cloned()
    });
    let service = imds::Imds::start(
        &Path::new("/run/netns").join(config.names.vpc_ns(vpc_id)),
        lookup,
        inner.sources.clone(),
        config.gureum.map(loopback),
    )?;
    vpcs.insert(vpc_id.to_string(), service);
    Ok(())
}

/// Gureum's address as seen from the host (a wildcard bind is reached on
/// loopback).
fn loopback(addr: SocketAddr) -> SocketAddr {
    if addr.ip().is_unspecified() {
        SocketAddr::new(std::net::IpAddr::from([127, 0, 0, 1]), addr.port())
    } else {
        addr
    }
}

/// `setpriv --pdeathsig KILL -- nsenter --net=NS -- unshare … -- sh SCRIPT`:
/// the init runs as PID 1 of new PID, mount and UTS namespaces inside the
/// instance's network namespace; `--kill-child` ends it (and with it the
/// whole PID namespace) when `unshare` is killed.
fn sandbox_command(ns: &str, script: &Path) -> Command {
    use std::os::unix::process::CommandExt;
    let mut cmd = Command::new("setpriv");
    cmd.args(["--pdeathsig", "KILL", "--", "nsenter"])
        .arg(format!("--net=/run/netns/{ns}"))
        .args([
            "--",
            "unshare",
            "--uts",
            "--mount",
            "--pid",
            "--fork",
            "--kill-child",
            "--mount-proc",
            "--",
            "/bin/sh",
        ])
        .arg(script);
    cmd.process_group(0);
    cmd
}

/// Kills the instance's processes and takes its public route away; its
/// namespace, metadata service and files stay.
fn halt(inner: &Inner, config: &Config, id: &str) {
    let (child, routed, vpc) = {
        let mut map = inner.instances.lock();
        let Some(r) = map.get_mut(id) else { return };
        (r.child.take(), r.routed.take(), r.vpc_id.clone())
    };
    if let Some(mut child) = child {
        let _ = child.kill();
        let _ = child.wait();
    }
    // Anything that escaped the PID namespace's end still sits in the
    // network namespace.
    let ns = config.names.instance_ns(id);
    for pid in fabric::ip_output(&["netns", "pids", &ns]).split_whitespace() {
        if let Some(pid) = pid.parse().ok().and_then(rustix::process::Pid::from_raw) {
            let _ = rustix::process::kill_process(pid, rustix::process::Signal::KILL);
        }
    }
    if let Some(public) = routed {
        fabric::unroute_public(&config.names, &vpc, &public);
    }
}
