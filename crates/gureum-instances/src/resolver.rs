//! The Amazon-provided resolver of each VPC: a UDP socket in the router
//! namespace at the VPC's `.2` address (and `169.254.169.253`), bound by a
//! thread that enters the namespace and served from the host namespace.
//! Each query goes to [`Resolve`] with the VPC it was asked in, so
//! private hosted zones answer by the asking VPC even when two VPCs share
//! address blocks.

use std::net::{IpAddr, UdpSocket};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// The VPC a query was asked in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AskingVpc {
    /// The owning account.
    pub account: String,
    /// The region.
    pub region: String,
    /// `vpc-…`.
    pub vpc_id: String,
}

/// Answers one DNS query packet asked in a VPC by `source`; `None` sends
/// nothing. The server wires Route 53's authority here.
pub type Resolve = Arc<dyn Fn(&AskingVpc, IpAddr, &[u8]) -> Option<Vec<u8>> + Send + Sync>;

/// One VPC's resolver sockets.
pub struct Resolver {
    stopped: Arc<AtomicBool>,
}

/// Binds UDP port 53 on each of `addrs` inside the namespace at `ns_path`.
fn bind_in(ns_path: &Path, addrs: &[String]) -> Result<Vec<UdpSocket>, String> {
    let ns_path = ns_path.to_path_buf();
    let addrs = addrs.to_vec();
    std::thread::spawn(move || {
        let file = std::fs::File::open(&ns_path).map_err(|e| e.to_string())?;
        rustix::thread::move_into_link_name_space(
            std::os::fd::AsFd::as_fd(&file),
            Some(rustix::thread::LinkNameSpaceType::Network),
        )
        .map_err(|e| format!("setns: {e}"))?;
        addrs
            .iter()
            .map(|a| UdpSocket::bind((a.as_str(), 53)).map_err(|e| format!("bind {a}:53: {e}")))
            .collect()
    })
    .join()
    .map_err(|_| "bind thread panicked".to_string())?
}

impl Resolver {
    /// Starts answering at `addrs` in the router namespace at `ns_path`.
    pub fn start(
        ns_path: &Path,
        addrs: &[String],
        vpc: AskingVpc,
        resolve: Resolve,
    ) -> Result<Resolver, String> {
        let sockets = bind_in(ns_path, addrs)?;
        let stopped = Arc::new(AtomicBool::new(false));
        for socket in sockets {
            // A timeout lets the thread notice the stop.
            let _ = socket.set_read_timeout(Some(Duration::from_millis(500)));
            let stopped = stopped.clone();
            let vpc = vpc.clone();
            let resolve = resolve.clone();
            let _ = std::thread::Builder::new()
                .name("gureum-vpc-dns".into())
                .spawn(move || {
                    let mut buf = [0u8; 4096];
                    while !stopped.load(Ordering::SeqCst) {
                        let Ok((n, from)) = socket.recv_from(&mut buf) else {
                            continue;
                        };
                        if let Some(reply) = resolve(&vpc, from.ip(), &buf[..n]) {
                            let _ = socket.send_to(&reply, from);
                        }
                    }
                });
        }
        Ok(Resolver { stopped })
    }

    /// Stops answering (the threads end within half a second).
    pub fn stop(&self) {
        self.stopped.store(true, Ordering::SeqCst);
    }
}

impl Drop for Resolver {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The VPC's resolver address: its primary block's base plus two.
pub fn vpc_resolver_ip(vpc_cidr: &str) -> Option<String> {
    crate::fabric::nth_address(vpc_cidr, 2).map(|(ip, _)| ip)
}
