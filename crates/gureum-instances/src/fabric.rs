//! The VPC fabric: namespaces, a bridge per VPC, veth pairs, and the only
//! routes Gureum installs.
//!
//! ```text
//!  host ns                 gureum-TAG-vpc-…  (the VPC's router)   gureum-TAG-i-…
//!  guTAGvpcHASH ──veth── up0                                      (the instance)
//!  169.254.77.1/32        169.254.77.2/32
//!  PUB/32 via .2 onlink   br0: 10.0.1.1/24 (each subnet's .1) ── v… ──veth── eth0: 10.0.1.5/24
//!                          PUB ⇄ 10.0.1.5 (nft DNAT/SNAT)            default via 10.0.1.1
//!  lo of the router: 169.254.169.254 (IMDS, API)
//! ```
//!
//! The router also holds `169.254.169.254` (the metadata service and
//! Gureum's API, [`crate::imds`]).
//!
//! Nothing here can send a packet off the machine: the host gets only
//! `/32` routes to public addresses of the configured range, through an
//! interface Gureum created, and an `unreachable` route for the rest of
//! the range (so a client's packet to an address no instance holds is
//! refused at once instead of taking the default route out); the router namespace has no default route
//! (it knows its subnets, its instances' public addresses and the host's
//! link address, nothing else) and nothing NATs to the host's uplink.
//! Every name carries the data directory's tag, so a restart finds and
//! removes a killed Gureum's leftovers without touching another Gureum's.

use std::process::Command;

/// The host's end of every VPC link.
pub const HOST_LINK_IP: &str = "169.254.77.1";
/// The router's end of every VPC link.
pub const ROUTER_LINK_IP: &str = "169.254.77.2";
/// The metadata service's address (on each VPC router).
pub const IMDS_IP: &str = "169.254.169.254";
/// The Amazon-provided DNS address (on each VPC router, answered with
/// the VPC's `.2` by [`crate::resolver`]).
pub const DNS_IP: &str = "169.254.169.253";

/// Names derived from one data directory's tag.
#[derive(Clone, Debug)]
pub struct Names {
    /// Six hex digits of the data directory's hash.
    pub tag: String,
}

impl Names {
    /// The names for data directory `dir`.
    pub fn for_dir(dir: &std::path::Path) -> Self {
        use sha2::Digest;
        let canon = dir.canonicalize().unwrap_or_else(|_| dir.to_path_buf());
        let h = sha2::Sha256::digest(canon.to_string_lossy().as_bytes());
        Names {
            tag: hex::encode(&h[..3]),
        }
    }

    /// Every namespace of this Gureum starts so.
    pub fn ns_prefix(&self) -> String {
        format!("gureum-{}-", self.tag)
    }

    /// Every host interface of this Gureum starts so.
    pub fn link_prefix(&self) -> String {
        format!("gu{}", &self.tag[..5])
    }

    /// The instance's namespace.
    pub fn instance_ns(&self, instance_id: &str) -> String {
        format!("{}{instance_id}", self.ns_prefix())
    }

    /// The VPC router's namespace.
    pub fn vpc_ns(&self, vpc_id: &str) -> String {
        format!("{}{vpc_id}", self.ns_prefix())
    }

    /// The host's end of the VPC's link (15 characters at most).
    pub fn host_link(&self, vpc_id: &str) -> String {
        use sha2::Digest;
        let h = sha2::Sha256::digest(vpc_id.as_bytes());
        format!("{}{}", self.link_prefix(), &hex::encode(&h[..4])[..8])
    }
}

/// The router-side veth of an instance (inside the VPC namespace).
pub fn router_port(instance_id: &str) -> String {
    let tail = &instance_id[instance_id.len().saturating_sub(12)..];
    format!("v{tail}")
}

/// Runs `ip ARGS`; the error carries its stderr.
pub fn ip(args: &[&str]) -> Result<(), String> {
    run("ip", args)
}

/// Runs `ip ARGS`, ignoring "already exists" and "not found".
pub fn ip_quiet(args: &[&str]) {
    let _ = ip(args);
}

/// Runs a program, its error with stderr.
pub fn run(program: &str, args: &[&str]) -> Result<(), String> {
    let out = Command::new(program)
        .args(args)
        .output()
        .map_err(|e| format!("{program}: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{program} {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}

/// Runs `ip ARGS` and returns its stdout.
pub fn ip_output(args: &[&str]) -> String {
    Command::new("ip")
        .args(args)
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).to_string())
        .unwrap_or_default()
}

/// Whether namespace `name` exists.
pub fn ns_exists(name: &str) -> bool {
    std::path::Path::new("/run/netns").join(name).exists()
}

/// The address `n` of `cidr` (`10.0.1.0/24`, 1 → `10.0.1.1`) and the
/// prefix length.
pub fn nth_address(cidr: &str, n: u32) -> Option<(String, u32)> {
    let (ip, bits) = cidr.split_once('/')?;
    let bits: u32 = bits.parse().ok()?;
    let addr: std::net::Ipv4Addr = ip.parse().ok()?;
    let base = u32::from(addr)
        & if bits == 0 {
            0
        } else {
            u32::MAX << (32 - bits)
        };
    Some((std::net::Ipv4Addr::from(base + n).to_string(), bits))
}

/// Runs `ip [-n NS] -batch -` over `lines` (one `ip` process for many
/// changes: a boot is a handful of processes, not dozens).
pub fn batch(ns: Option<&str>, lines: &[String]) -> Result<(), String> {
    use std::io::Write;
    let mut cmd = Command::new("ip");
    if let Some(ns) = ns {
        cmd.args(["-n", ns]);
    }
    let mut child = cmd
        .args(["-batch", "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .map_err(|e| format!("ip: {e}"))?;
    if let Some(mut stdin) = child.stdin.take() {
        let _ = stdin.write_all(lines.join("\n").as_bytes());
    }
    let out = child.wait_with_output().map_err(|e| format!("ip: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "ip -batch ({}): {}",
            ns.unwrap_or("host"),
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}

/// Makes the VPC's router namespace, its bridge and its link to the host
/// (idempotent).
pub fn ensure_vpc(names: &Names, vpc_id: &str) -> Result<(), String> {
    let ns = names.vpc_ns(vpc_id);
    if ns_exists(&ns) {
        return Ok(());
    }
    ip(&["netns", "add", &ns])?;
    let host = names.host_link(vpc_id);
    // The link is made inside the namespace, its host end moved out, so
    // a failure halfway leaves nothing on the host. The router holds the
    // metadata service's and the resolver's addresses for the whole VPC.
    batch(
        Some(&ns),
        &[
            "link set lo up".into(),
            format!("addr add {IMDS_IP}/32 dev lo"),
            format!("addr add {DNS_IP}/32 dev lo"),
            "link add br0 type bridge".into(),
            "link set br0 up".into(),
            format!("link add up0 type veth peer name {host}"),
            format!("link set {host} netns 1"),
            format!("addr add {ROUTER_LINK_IP}/32 dev up0"),
            "link set up0 up".into(),
            format!("route add {HOST_LINK_IP}/32 dev up0"),
        ],
    )?;
    // The router forwards between subnets on the same bridge: a redirect
    // would tell instances to go round it (and its ACLs).
    for conf in ["all", "default", "br0"] {
        run(
            "ip",
            &[
                "netns",
                "exec",
                &ns,
                "sysctl",
                "-qw",
                &format!("net.ipv4.conf.{conf}.send_redirects=0"),
            ],
        )?;
    }
    batch(
        None,
        &[
            format!("addr add {HOST_LINK_IP}/32 dev {host}"),
            format!("link set {host} up"),
        ],
    )?;
    run(
        "ip",
        &[
            "netns",
            "exec",
            &ns,
            "sysctl",
            "-qw",
            "net.ipv4.ip_forward=1",
        ],
    )?;
    Ok(())
}

/// Makes the instance's namespace and plugs it into its VPC's bridge
/// (idempotent), then sets its private address and its default route
/// to the router (public addresses are the router's NAT, applied with
/// the network plan).
pub fn plug_instance(
    names: &Names,
    spec: &gureum_ec2::compute::host::BootSpec,
) -> Result<(), String> {
    ensure_vpc(names, &spec.vpc_id)?;
    let vpc = names.vpc_ns(&spec.vpc_id);
    let ns = names.instance_ns(&spec.instance_id);
    let (gateway, bits) = nth_address(&spec.subnet_cidr, 1).ok_or("bad subnet CIDR")?;
    let mut router = Vec::new();
    if !ns_exists(&ns) {
        ip(&["netns", "add", &ns])?;
        let port = router_port(&spec.instance_id);
        router.extend([
            format!("link add {port} type veth peer name eth0 netns {ns}"),
            format!("link set {port} master br0"),
            format!("link set {port} up"),
        ]);
    }
    // The VPC router answers at each subnet's first address; a reused
    // private address may have a new MAC.
    router.push(format!("addr replace {gateway}/{bits} dev br0"));
    router.push(format!("neigh flush to {} dev br0", spec.private_ip));
    let mut inside = vec![
        "link set lo up".to_string(),
        format!("link set eth0 address {}", spec.mac),
        "addr flush dev eth0".into(),
        format!("addr add {}/{bits} dev eth0", spec.private_ip),
        "link set eth0 up".into(),
    ];
    // Everything off the subnet, the rest of the VPC included, goes
    // through the router, where network ACLs and route tables decide; the
    // instance holds only its private address (the router maps the public
    // one, [`crate::firewall`]).
    inside.push(format!("route replace default via {gateway} dev eth0"));
    batch(Some(&vpc), &router)?;
    batch(Some(&ns), &inside)?;
    Ok(())
}

/// The metric of this Gureum's `unreachable` route for the public range
/// (its own, so two Gureums' routes are two routes).
fn guard_metric(names: &Names) -> String {
    (0x10000 + u32::from_str_radix(&names.tag[..4], 16).unwrap_or(0)).to_string()
}

/// Makes the public range `unreachable` on the host: an address no
/// instance holds (yet, or any more) is refused at once instead of
/// following the default route off the machine. The instances' own `/32`
/// routes are more specific.
pub fn guard_public_range(names: &Names, cidr: &str) {
    ip_quiet(&[
        "route",
        "replace",
        "unreachable",
        cidr,
        "metric",
        &guard_metric(names),
    ]);
}

/// Removes [`guard_public_range`]'s route.
pub fn unguard_public_range(names: &Names, cidr: &str) {
    ip_quiet(&[
        "route",
        "del",
        "unreachable",
        cidr,
        "metric",
        &guard_metric(names),
    ]);
}

/// Kills every process left in namespace `ns` and deletes it.
pub fn delete_ns(ns: &str) {
    for pid in ip_output(&["netns", "pids", ns]).split_whitespace() {
        if let Ok(pid) = pid.parse::<i32>() {
            if let Some(pid) = rustix::process::Pid::from_raw(pid) {
                let _ = rustix::process::kill_process(pid, rustix::process::Signal::KILL);
            }
        }
    }
    ip_quiet(&["netns", "del", ns]);
}

/// Removes every namespace and host interface carrying `names`' tag: a
/// killed Gureum's leftovers at start, everything at stop.
pub fn remove_all(names: &Names) {
    let prefix = names.ns_prefix();
    for line in ip_output(&["netns", "list"]).lines() {
        let name = line.split_whitespace().next().unwrap_or_default();
        if name.starts_with(&prefix) {
            delete_ns(name);
        }
    }
    let link_prefix = names.link_prefix();
    for line in ip_output(&["-o", "link", "show"]).lines() {
        // `7: guabcde12345678@if6: <…>`
        let Some(name) = line.split(": ").nth(1) else {
            continue;
        };
        let name = name.split('@').next().unwrap_or(name);
        if name.starts_with(&link_prefix) {
            ip_quiet(&["link", "del", name]);
        }
    }
}

/// Where each running Gureum notes its tag's owner (`TAG` holding its
/// PID), so a start also removes what a killed Gureum over another data
/// directory left.
pub const OWNERS_DIR: &str = "/run/gureum-instances";

/// Notes this process as the owner of `names`' tag.
pub fn claim(names: &Names) {
    let _ = std::fs::create_dir_all(OWNERS_DIR);
    let _ = std::fs::write(
        std::path::Path::new(OWNERS_DIR).join(&names.tag),
        std::process::id().to_string(),
    );
}

/// Forgets this process's note (a clean stop).
pub fn release(names: &Names) {
    let _ = std::fs::remove_file(std::path::Path::new(OWNERS_DIR).join(&names.tag));
}

/// Whether process `pid` is a running Gureum.
fn gureum_runs(pid: &str) -> bool {
    std::fs::read_link(format!("/proc/{pid}/exe"))
        .map(|exe| exe.to_string_lossy().contains("gureum"))
        .unwrap_or(false)
}

/// Removes the namespaces, interfaces and guard route of every tag whose
/// owner no longer runs (killed with `kill -9`, say).
pub fn sweep_dead_owners(public_range: &str) {
    let Ok(entries) = std::fs::read_dir(OWNERS_DIR) else {
        return;
    };
    for entry in entries.flatten() {
        let tag = entry.file_name().to_string_lossy().to_string();
        let pid = std::fs::read_to_string(entry.path()).unwrap_or_default();
        if tag.len() != 6 || !tag.chars().all(|c| c.is_ascii_hexdigit()) {
            continue;
        }
        if gureum_runs(pid.trim()) {
            continue;
        }
        let names = Names { tag };
        remove_all(&names);
        unguard_public_range(&names, public_range);
        let _ = std::fs::remove_file(entry.path());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_link_names_fit_the_kernel_limit_of_15_characters() {
        let names = Names {
            tag: "abcdef".into(),
        };
        let link = names.host_link("vpc-0123456789abcdef0");
        assert!(link.len() <= 15, "{link}");
        assert!(link.starts_with(&names.link_prefix()));
        assert!(router_port("i-0123456789abcdef0").len() <= 15);
    }

    #[test]
    fn the_router_takes_the_first_address_of_the_subnet() {
        assert_eq!(nth_address("10.0.1.0/24", 1), Some(("10.0.1.1".into(), 24)));
        assert_eq!(
            nth_address("172.31.16.7/20", 1),
            Some(("172.31.16.1".into(), 20))
        );
        assert_eq!(nth_address("nonsense", 1), None);
    }

    #[test]
    fn names_of_one_data_directory_share_a_prefix_another_does_not() {
        let a = Names::for_dir(std::path::Path::new("/tmp/a-gureum-dir"));
        let b = Names::for_dir(std::path::Path::new("/tmp/b-gureum-dir"));
        assert!(a.instance_ns("i-1").starts_with(&a.ns_prefix()));
        assert_ne!(a.ns_prefix(), b.ns_prefix());
    }
}
