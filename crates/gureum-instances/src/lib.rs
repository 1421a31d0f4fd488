//! EC2 instances that really run, on Linux as root: each instance is a
//! network namespace on its VPC's bridge ([`fabric`]), a sandbox of PID,
//! mount and UTS namespaces running the host's OpenSSH server and the
//! user data ([`sandbox`], [`userdata`]), and a metadata service inside
//! its namespace ([`imds`]). The control plane's network plans become
//! nftables rules, NAT, routes and peering links ([`firewall`] renders,
//! [`network`] applies); each VPC's resolver answers at its `.2`
//! ([`resolver`]).
//!
//! [`Host`] implements EC2's [`InstanceHost`] seam. Every change runs on
//! one worker thread, in order: the namespaces are plain `ip` commands,
//! and the children are forked by that long-lived thread because their
//! death signal (`setpriv --pdeathsig KILL`) follows the thread that
//! forked them. Where Gureum is not root or has no namespaces, the host
//! says so ([`Host::status`]) and instances stay records.

pub mod fabric;
pub mod firewall;
mod images;
pub mod imds;
pub mod network;
pub mod resolver;
pub mod sandbox;
pub mod userdata;
mod worker;

use fabric::Names;
use gureum_ec2::compute::host::{BootSpec, InstanceHost};
use parking_lot::{Mutex, RwLock};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{mpsc, Arc, OnceLock};

pub use imds::{ProfileRole, ProfileRoles, Sources};
use worker::{worker, Job, Running};

/// How instances run on this machine.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Mode {
    /// In their own namespaces (root on Linux).
    Namespaces,
    /// Not at all: instances are records. The reason says why.
    RecordsOnly(String),
}

pub(crate) struct Config {
    pub(crate) names: Names,
    pub(crate) root: PathBuf,
    pub(crate) gureum: Option<SocketAddr>,
    pub(crate) mode: Mode,
    /// The directory to remove at shutdown when Gureum keeps no data.
    pub(crate) ephemeral: Option<PathBuf>,
}

pub(crate) struct Inner {
    pub(crate) sources: Sources,
    pub(crate) config: OnceLock<Config>,
    pub(crate) instances: Mutex<HashMap<String, Running>>,
    /// The last boot's spec of each instance, for the metadata service.
    pub(crate) specs: Arc<RwLock<HashMap<String, BootSpec>>>,
    /// Each VPC's metadata service and resolver.
    pub(crate) vpcs: Mutex<HashMap<String, (imds::Imds, Option<resolver::Resolver>)>>,
    /// Where the VPCs' resolvers send queries (set by the server).
    pub(crate) resolve: OnceLock<resolver::Resolve>,
    pub(crate) jobs: Mutex<Option<mpsc::Sender<Job>>>,
    /// What the network plans last applied.
    pub(crate) net: Mutex<network::Applied>,
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
                net: Mutex::new(network::Applied::default()),
                resolve: OnceLock::new(),
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

    /// Answers the VPCs' resolvers' queries with `resolve` (Route 53's
    /// zones, as the server wires it); without it nothing answers at the
    /// VPC's `.2` and lookups fail at once.
    pub fn set_resolver(&self, resolve: resolver::Resolve) {
        let _ = self.inner.resolve.set(resolve);
    }

    /// The network namespace of `vpc_id`'s router, when instances run in
    /// namespaces and the VPC's router exists (an instance of it booted):
    /// where other services (EFS's mount targets) serve inside the VPC.
    pub fn vpc_router_namespace(&self, vpc_id: &str) -> Option<String> {
        let c = self.inner.config.get()?;
        let ns = c.names.vpc_ns(vpc_id);
        (c.mode == Mode::Namespaces && fabric::ns_exists(&ns)).then_some(ns)
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
                "firewall": if network::nft_available() { "nftables" } else { "none: nft is missing, security groups and network ACLs are not enforced" },
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

    fn apply_network(&self, plans: Vec<gureum_ec2::compute::host::VpcPlan>) {
        self.send(Job::Network(plans));
    }

    fn capture_image(&self, instance_id: &str, image_id: &str) {
        self.send(Job::Capture(instance_id.to_string(), image_id.to_string()));
    }

    fn forget_image(&self, image_id: &str) {
        self.send(Job::ForgetImage(image_id.to_string()));
    }

    fn ended(&self) -> Vec<(String, gureum_ec2::compute::host::OsEnd)> {
        if !self.runs_instances() {
            return Vec::new();
        }
        worker::ended(&self.inner)
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
