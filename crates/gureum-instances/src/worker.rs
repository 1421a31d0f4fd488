//! The worker: every change to the machine, in order, on one thread (which
//! also forks the instances' processes, whose death signal follows it).

use crate::{fabric, imds, sandbox, Config, Inner};
use gureum_ec2::compute::host::{BootSpec, OsEnd};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{mpsc, Arc};

/// One instance the host knows.
pub(crate) struct Running {
    child: Option<Child>,
}

/// A change the host asked for (`InstanceHost`'s calls, and the stop).
pub(crate) enum Job {
    /// Plug in and start (a running instance is left as it is).
    Boot(BootSpec),
    /// Kill the processes; the namespace and files stay.
    Halt(String),
    /// Halt, then boot.
    Reboot(BootSpec),
    /// Halt and remove the namespace and files.
    Discard(String),
    /// Discard every instance (the store was reset).
    DiscardAll,
    /// Bring security groups, ACLs, NAT, routes and peering in line.
    Network(Vec<gureum_ec2::compute::host::VpcPlan>),
    /// Keep the instance's layers and home as the image's contents
    /// (instance id, image id).
    Capture(String, String),
    /// Drop an image's contents.
    ForgetImage(String),
    /// Gureum stops: halt all, remove every namespace and interface, then
    /// say so.
    Shutdown(mpsc::Sender<()>),
}

/// Runs the jobs in order until [`Job::Shutdown`] (or every sender went).
pub(crate) fn worker(inner: &Inner, rx: mpsc::Receiver<Job>) {
    let Some(config) = inner.config.get() else {
        return;
    };
    // Jobs taken early (see `Job::Network`), run in order next.
    let mut early: std::collections::VecDeque<Job> = Default::default();
    loop {
        let job = match early.pop_front() {
            Some(job) => job,
            None => match rx.recv() {
                Ok(job) => job,
                Err(_) => return,
            },
        };
        // (Plans are never dropped as superseded: the ticker computes its
        // plan before an operation's commit and may queue it after the
        // operation's own.)
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
            Job::Capture(instance, image) => {
                if let Err(e) = crate::images::capture(config, &instance, &image) {
                    tracing::warn!(target: "gureum", "image {image} of {instance}: {e}");
                }
            }
            Job::ForgetImage(image) => crate::images::forget(config, &image),
            Job::Network(plans) => {
                // Updates to instances that already run yield to a boot
                // waiting behind them: the next plan (at the latest on the
                // next tick) finishes them.
                let mut waiting = || {
                    early.extend(rx.try_iter());
                    early
                        .iter()
                        .any(|j| matches!(j, Job::Boot(_) | Job::Reboot(_)))
                };
                crate::network::apply(&config.names, &mut inner.net.lock(), &plans, &mut waiting);
            }
            Job::DiscardAll => {
                let ids: Vec<String> = inner.instances.lock().keys().cloned().collect();
                for id in ids {
                    discard(inner, config, &id);
                }
                let _ = std::fs::remove_dir_all(&config.root);
                crate::images::forget_all(config);
            }
            Job::Shutdown(done) => {
                let ids: Vec<String> = inner.instances.lock().keys().cloned().collect();
                for id in ids {
                    halt(inner, config, &id);
                }
                inner.instances.lock().clear();
                for (_, (imds, resolver)) in inner.vpcs.lock().drain() {
                    imds.stop();
                    if let Some(r) = resolver {
                        r.stop();
                    }
                }
                fabric::remove_all(&config.names);
                inner.net.lock().clear();
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

/// The instances whose init ended on its own since the last call: by the
/// request the sandbox's `shutdown`/`poweroff`/`reboot` left
/// ([`sandbox::SHUTDOWN_REQUEST`]), or a crash without one.
pub(crate) fn ended(inner: &Inner) -> Vec<(String, OsEnd)> {
    let Some(config) = inner.config.get() else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let mut map = inner.instances.lock();
    for (id, running) in map.iter_mut() {
        let Some(child) = running.child.as_mut() else {
            continue;
        };
        if !matches!(child.try_wait(), Ok(Some(_))) {
            continue;
        }
        running.child = None;
        let request = config.root.join(id).join(sandbox::SHUTDOWN_REQUEST);
        let end = match std::fs::read_to_string(&request).as_deref().map(str::trim) {
            Ok("reboot") => OsEnd::Reboot,
            Ok(_) => OsEnd::Shutdown,
            Err(_) => OsEnd::Crashed,
        };
        let _ = std::fs::remove_file(&request);
        append_console(
            &config.root.join(id),
            match end {
                OsEnd::Reboot => "gureum: the instance rebooted itself\n",
                OsEnd::Shutdown => "gureum: the instance shut itself down\n",
                OsEnd::Crashed => "gureum: the instance's init ended without a shutdown\n",
            },
        );
        out.push((id.clone(), end));
    }
    out
}

/// Halts the instance and removes its namespace and directory.
fn discard(inner: &Inner, config: &Config, id: &str) {
    halt(inner, config, id);
    inner.instances.lock().remove(id);
    inner.specs.write().remove(id);
    let ns = config.names.instance_ns(id);
    fabric::delete_ns(&ns);
    inner.net.lock().forget(&ns);
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
    crate::network::seal(
        &mut inner.net.lock(),
        &names.instance_ns(&id),
        &spec.vpc_cidr,
    );
    let dir = config.root.join(&id);
    if !dir.exists() {
        // First boot: an image made by CreateImage gives its contents.
        crate::images::seed(config, &spec.image_id, &dir)?;
    }
    let endpoint = match config.gureum {
        Some(g) => format!("http://{}:{}", fabric::IMDS_IP, g.port()),
        None => String::new(),
    };
    let script = sandbox::prepare(&dir, &spec, &endpoint)?;
    let ns = names.instance_ns(&id);
    inner.specs.write().insert(id.clone(), spec.clone());
    {
        let mut map = inner.instances.lock();
        map.entry(id.clone()).or_insert(Running { child: None });
    }
    ensure_imds(inner, config, &spec)?;
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

/// Starts the VPC's metadata service and resolver unless they run: the
/// metadata service answers each instance of the VPC by the private
/// address that asks.
fn ensure_imds(inner: &Inner, config: &Config, spec: &BootSpec) -> Result<(), String> {
    let vpc_id = spec.vpc_id.as_str();
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
    let ns_path = Path::new("/run/netns").join(config.names.vpc_ns(vpc_id));
    let service = imds::Imds::start(
        &ns_path,
        lookup,
        inner.sources.clone(),
        config.gureum.map(loopback),
    )?;
    let resolver = inner.resolve.get().and_then(|resolve| {
        let dot2 = crate::resolver::vpc_resolver_ip(&spec.vpc_cidr)?;
        // The `.2` lives on the router's loopback, as the link-local
        // resolver address does.
        fabric::ip_quiet(&[
            "-n",
            &config.names.vpc_ns(vpc_id),
            "addr",
            "add",
            &format!("{dot2}/32"),
            "dev",
            "lo",
        ]);
        let asking = crate::resolver::AskingVpc {
            account: spec.account.clone(),
            region: spec.region.clone(),
            vpc_id: vpc_id.to_string(),
        };
        crate::resolver::Resolver::start(
            &ns_path,
            &[dot2, fabric::DNS_IP.to_string()],
            asking,
            resolve.clone(),
        )
        .map_err(|e| tracing::warn!(target: "gureum", "VPC resolver of {vpc_id}: {e}"))
        .ok()
    });
    vpcs.insert(vpc_id.to_string(), (service, resolver));
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

/// Kills the instance's processes; its namespace, metadata service and
/// files stay (the next network plan, without it, takes its public route
/// and mapping away).
fn halt(inner: &Inner, config: &Config, id: &str) {
    let child = {
        let mut map = inner.instances.lock();
        let Some(r) = map.get_mut(id) else { return };
        r.child.take()
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
}
