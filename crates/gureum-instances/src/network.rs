//! Applying the control plane's network plans (on the worker thread):
//! nft rulesets into the router and instance namespaces, the host's `/32`
//! routes to public addresses, and the veth links between peered routers.
//! Only what changed since the last plan is touched, so a tick with no
//! change runs no process at all.
//!
//! Everything lives inside namespaces Gureum made, except the host's
//! `/32` routes, which go through the VPC's own link: deleting the
//! namespaces and links (terminate, stop, the start-up sweep) removes it
//! all.

use crate::fabric::{self, Names};
use crate::firewall;
use gureum_ec2::compute::host::VpcPlan;
use std::collections::{BTreeMap, HashMap, HashSet};

/// What was applied last: ruleset text by namespace, host routes
/// (public address → VPC), peering links (`pcx-…` → the two routers).
#[derive(Default)]
pub(crate) struct Applied {
    rules: HashMap<String, String>,
    /// Namespaces holding only the seal (new instances awaiting their plan).
    sealed: HashSet<String>,
    routes: BTreeMap<String, String>,
    links: BTreeMap<String, (String, String)>,
    /// Whether `nft` was found (checked once).
    nft: Option<bool>,
}

impl Applied {
    /// Forgets a namespace's ruleset (it was deleted; a new one with the
    /// same name starts empty).
    pub(crate) fn forget(&mut self, ns: &str) {
        self.rules.remove(ns);
        self.sealed.remove(ns);
    }

    /// Forgets everything (every namespace and link was removed).
    pub(crate) fn clear(&mut self) {
        let nft = self.nft;
        *self = Applied {
            nft,
            ..Default::default()
        };
    }
}

/// Whether the host has nft (without it nothing is enforced; the health
/// endpoint says so). Asked once per process.
pub fn nft_available() -> bool {
    static FOUND: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *FOUND.get_or_init(|| fabric::run("nft", &["--version"]).is_ok())
}

/// Runs `nft -f -` with `text` inside namespace `ns` (atomic: the whole
/// table or nothing).
fn nft_in(ns: &str, text: &str) -> Result<(), String> {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let mut child = Command::new("ip")
        .args(["netns", "exec", ns, "nft", "-f", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("nft: {e}"))?;
    if let Some(mut stdin) = child.stdin.take() {
        let _ = stdin.write_all(text.as_bytes());
    }
    let out = child.wait_with_output().map_err(|e| format!("nft: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "nft in {ns}: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}

/// Applies `text` to `ns` unless it is what `ns` holds already.
fn apply_rules(applied: &mut Applied, ns: &str, text: String) {
    if applied.rules.get(ns) == Some(&text) || !fabric::ns_exists(ns) {
        return;
    }
    match nft_in(ns, &text) {
        Ok(()) => {
            applied.sealed.remove(ns);
            applied.rules.insert(ns.to_string(), text);
        }
        Err(e) => tracing::warn!(target: "gureum", "{e}"),
    }
}

/// Closes a namespace that holds no ruleset yet (a new instance) to all
/// but the metadata service and the resolver, until the network plan that
/// follows its boot opens what its security groups allow.
pub(crate) fn seal(applied: &mut Applied, ns: &str, vpc_cidr: &str) {
    if !*applied.nft.get_or_insert_with(nft_available) || applied.rules.contains_key(ns) {
        return;
    }
    let dot2 = crate::resolver::vpc_resolver_ip(vpc_cidr);
    apply_rules(
        applied,
        ns,
        firewall::instance_rules(&[], &[], dot2.as_deref()),
    );
    if applied.rules.contains_key(ns) {
        applied.sealed.insert(ns.to_string());
    }
}

/// Brings the fabric in line with `plans`: the routers, then new
/// instances (sealed, awaiting their plan) and the host's routes, then
/// the other instances. A new instance answers as soon as its own rules
/// and route are in, not after every instance whose rules its arrival
/// changed (each member of a self-referencing group, one `nft` each);
/// those stop early when `waiting` says another job waits (what is left
/// is applied by the next plan, since only what was applied is recorded).
pub(crate) fn apply(
    names: &Names,
    applied: &mut Applied,
    plans: &[VpcPlan],
    waiting: &mut dyn FnMut() -> bool,
) {
    if !*applied.nft.get_or_insert_with(nft_available) {
        return;
    }
    let live: Vec<&VpcPlan> = plans
        .iter()
        .filter(|p| fabric::ns_exists(&names.vpc_ns(&p.vpc_id)))
        .collect();
    links(names, applied, &live);
    let mut instances = Vec::new();
    for plan in &live {
        apply_rules(
            applied,
            &names.vpc_ns(&plan.vpc_id),
            firewall::router_rules(plan),
        );
        let dot2 = crate::resolver::vpc_resolver_ip(&plan.cidr);
        for i in &plan.instances {
            let ns = names.instance_ns(&i.instance_id);
            let new = applied.sealed.contains(&ns);
            instances.push((!new, ns, i, dot2.clone()));
        }
    }
    // New instances first, one by one; then the host's routes.
    let (new, old): (Vec<_>, Vec<_>) = instances.into_iter().partition(|(old, ..)| !*old);
    for (_, ns, i, dot2) in new {
        apply_rules(
            applied,
            &ns,
            firewall::instance_rules(&i.ingress, &i.egress, dot2.as_deref()),
        );
    }
    routes(names, applied, &live);
    // Then the rest, a few `nft` runs at a time (each is mostly process
    // start-up), yielding to a waiting boot between batches.
    let changed: Vec<(String, String)> = old
        .into_iter()
        .map(|(_, ns, i, dot2)| {
            let text = firewall::instance_rules(&i.ingress, &i.egress, dot2.as_deref());
            (ns, text)
        })
        .filter(|(ns, text)| applied.rules.get(ns) != Some(text))
        .collect();
    for batch in changed.chunks(NFT_AT_ONCE) {
        if waiting() {
            return;
        }
        let done: Vec<bool> = std::thread::scope(|scope| {
            let runs: Vec<_> = batch
                .iter()
                .map(|(ns, text)| {
                    scope.spawn(move || {
                        fabric::ns_exists(ns)
                            && nft_in(ns, text)
                                .map_err(|e| tracing::warn!(target: "gureum", "{e}"))
                                .is_ok()
                    })
                })
                .collect();
            runs.into_iter()
                .map(|r| r.join().unwrap_or(false))
                .collect()
        });
        for ((ns, text), ok) in batch.iter().zip(done) {
            if ok {
                applied.sealed.remove(ns);
                applied.rules.insert(ns.clone(), text.clone());
            }
        }
    }
}

/// How many instance namespaces get their rules at once.
const NFT_AT_ONCE: usize = 4;

/// The host's `/32` routes to public addresses, each through its VPC's
/// link (never anything wider, never another interface).
fn routes(names: &Names, applied: &mut Applied, live: &[&VpcPlan]) {
    let mut want: BTreeMap<String, String> = BTreeMap::new();
    for plan in live {
        for public in firewall::public_addresses(plan) {
            want.insert(public, plan.vpc_id.clone());
        }
    }
    let stale: Vec<(String, String)> = applied
        .routes
        .iter()
        .filter(|(ip, vpc)| want.get(*ip) != Some(vpc))
        .map(|(a, b)| (a.clone(), b.clone()))
        .collect();
    for (ip, vpc) in stale {
        fabric::ip_quiet(&[
            "route",
            "del",
            &format!("{ip}/32"),
            "dev",
            &names.host_link(&vpc),
        ]);
        applied.routes.remove(&ip);
    }
    for (ip, vpc) in want {
        if applied.routes.get(&ip) == Some(&vpc) {
            continue;
        }
        let r = fabric::ip(&[
            "route",
            "replace",
            &format!("{ip}/32"),
            "via",
            fabric::ROUTER_LINK_IP,
            "dev",
            &names.host_link(&vpc),
            "onlink",
            "src",
            fabric::HOST_LINK_IP,
        ]);
        match r {
            Ok(()) => {
                applied.routes.insert(ip, vpc);
            }
            Err(e) => tracing::warn!(target: "gureum", "public route: {e}"),
        }
    }
}

/// The peering side's link addresses: the VPC whose id sorts first takes
/// `.1`, so both routers agree without talking.
fn link_ends(a: &str, b: &str) -> (&'static str, &'static str) {
    if a < b {
        ("169.254.78.1", "169.254.78.2")
    } else {
        ("169.254.78.2", "169.254.78.1")
    }
}

/// A veth pair between the routers of every active peering whose two
/// VPCs run here, with routes to the peer's blocks (the ACL and route
/// table checks are in the rulesets); links of ended peerings go.
fn links(names: &Names, applied: &mut Applied, live: &[&VpcPlan]) {
    let mut want: BTreeMap<String, (String, String, String, String)> = BTreeMap::new();
    for plan in live {
        for (pcx, peer, _) in &plan.peerings {
            let Some(other) = live.iter().find(|p| &p.vpc_id == peer) else {
                continue;
            };
            let (a, b) = if plan.vpc_id < *peer {
                (*plan, *other)
            } else {
                (*other, *plan)
            };
            want.insert(
                pcx.clone(),
                (
                    a.vpc_id.clone(),
                    b.vpc_id.clone(),
                    a.cidr.clone(),
                    b.cidr.clone(),
                ),
            );
        }
    }
    let stale: Vec<String> = applied
        .links
        .keys()
        .filter(|k| !want.contains_key(*k))
        .cloned()
        .collect();
    for pcx in stale {
        if let Some((a, _)) = applied.links.remove(&pcx) {
            // Deleting one end deletes the pair, and the routes through it.
            fabric::ip_quiet(&["-n", &a, "link", "del", &firewall::peering_link(&pcx)]);
        }
    }
    for (pcx, (a, b, a_cidr, b_cidr)) in want {
        if applied.links.contains_key(&pcx) {
            continue;
        }
        let (ns_a, ns_b) = (names.vpc_ns(&a), names.vpc_ns(&b));
        let link = firewall::peering_link(&pcx);
        let (end_a, end_b) = link_ends(&a, &b);
        let mut in_a = vec![
            format!("link add {link} type veth peer name {link} netns {ns_b}"),
            format!("addr add {end_a}/32 dev {link}"),
            format!("link set {link} up"),
        ];
        if let Some(c) = firewall::cidr(&b_cidr) {
            in_a.push(format!("route replace {c} via {end_b} dev {link} onlink"));
        }
        let mut in_b = vec![
            format!("addr add {end_b}/32 dev {link}"),
            format!("link set {link} up"),
        ];
        if let Some(c) = firewall::cidr(&a_cidr) {
            in_b.push(format!("route replace {c} via {end_a} dev {link} onlink"));
        }
        let made =
            fabric::batch(Some(&ns_a), &in_a).and_then(|()| fabric::batch(Some(&ns_b), &in_b));
        match made {
            Ok(()) => {
                applied.links.insert(pcx, (ns_a, ns_b));
            }
            Err(e) => {
                tracing::warn!(target: "gureum", "peering {pcx}: {e}");
                fabric::ip_quiet(&["-n", &ns_a, "link", "del", &link]);
            }
        }
    }
}
