//! The Amazon-provided resolver of each VPC: UDP and TCP sockets in the
//! router namespace at the VPC's `.2` address (and `169.254.169.253`),
//! bound by a thread that enters the namespace and served from the host
//! namespace. TCP carries what does not fit a UDP answer (RFC 7766).
//! Each query goes to [`Resolve`] with the VPC it was asked in, so
//! private hosted zones answer by the asking VPC even when two VPCs share
//! address blocks.

use std::io::{Read, Write};
use std::net::{IpAddr, TcpListener, TcpStream, UdpSocket};
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
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

/// Answers one DNS query packet asked in a VPC by `source` (over TCP
/// when the last argument is `true`: no size limit); `None` sends
/// nothing. The server wires Route 53's authority here.
pub type Resolve = Arc<dyn Fn(&AskingVpc, IpAddr, &[u8], bool) -> Option<Vec<u8>> + Send + Sync>;

/// TCP connections served at once per VPC; more wait in the backlog.
const TCP_CONNECTIONS: usize = 64;
/// Queries answered on one TCP connection before it is closed.
const TCP_QUERIES_PER_CONNECTION: usize = 100;
/// How long a TCP connection may sit idle between queries.
const TCP_IDLE: Duration = Duration::from_secs(10);

/// One VPC's resolver sockets.
pub struct Resolver {
    stopped: Arc<AtomicBool>,
}

/// Binds UDP and TCP port 53 on each of `addrs` inside the namespace at
/// `ns_path`.
fn bind_in(ns_path: &Path, addrs: &[String]) -> Result<(Vec<UdpSocket>, Vec<TcpListener>), String> {
    let ns_path = ns_path.to_path_buf();
    let addrs = addrs.to_vec();
    std::thread::spawn(move || {
        let file = std::fs::File::open(&ns_path).map_err(|e| e.to_string())?;
        rustix::thread::move_into_link_name_space(
            std::os::fd::AsFd::as_fd(&file),
            Some(rustix::thread::LinkNameSpaceType::Network),
        )
        .map_err(|e| format!("setns: {e}"))?;
        let udp = addrs
            .iter()
            .map(|a| UdpSocket::bind((a.as_str(), 53)).map_err(|e| format!("bind udp {a}:53: {e}")))
            .collect::<Result<Vec<_>, _>>()?;
        let tcp = addrs
            .iter()
            .map(|a| {
                TcpListener::bind((a.as_str(), 53)).map_err(|e| format!("bind tcp {a}:53: {e}"))
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok((udp, tcp))
    })
    .join()
    .map_err(|_| "bind thread panicked".to_string())?
}

/// Length-prefixed queries on one connection (RFC 1035 §4.2.2).
fn serve_tcp(mut stream: TcpStream, vpc: &AskingVpc, resolve: &Resolve) {
    let Ok(peer) = stream.peer_addr() else { return };
    let _ = stream.set_read_timeout(Some(TCP_IDLE));
    let _ = stream.set_write_timeout(Some(TCP_IDLE));
    let mut buf = Vec::new();
    for _ in 0..TCP_QUERIES_PER_CONNECTION {
        let mut len = [0u8; 2];
        if stream.read_exact(&mut len).is_err() {
            return;
        }
        buf.resize(usize::from(u16::from_be_bytes(len)), 0);
        if stream.read_exact(&mut buf).is_err() {
            return;
        }
        let Some(reply) = resolve(vpc, peer.ip(), &buf, true) else {
            return;
        };
        let mut framed = Vec::with_capacity(reply.len() + 2);
        framed.extend_from_slice(&(reply.len().min(usize::from(u16::MAX)) as u16).to_be_bytes());
        framed.extend_from_slice(&reply);
        if stream.write_all(&framed).is_err() {
            return;
        }
    }
}

impl Resolver {
    /// Starts answering at `addrs` in the router namespace at `ns_path`.
    pub fn start(
        ns_path: &Path,
        addrs: &[String],
        vpc: AskingVpc,
        resolve: Resolve,
    ) -> Result<Resolver, String> {
        let (sockets, listeners) = bind_in(ns_path, addrs)?;
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
                        if let Some(reply) = resolve(&vpc, from.ip(), &buf[..n], false) {
                            let _ = socket.send_to(&reply, from);
                        }
                    }
                });
        }
        let open = Arc::new(AtomicUsize::new(0));
        for listener in listeners {
            // Non-blocking accepts polled, so the thread notices the stop.
            let _ = listener.set_nonblocking(true);
            let stopped = stopped.clone();
            let vpc = vpc.clone();
            let resolve = resolve.clone();
            let open = open.clone();
            let _ = std::thread::Builder::new()
                .name("gureum-vpc-dns-tcp".into())
                .spawn(move || {
                    while !stopped.load(Ordering::SeqCst) {
                        let stream = match listener.accept() {
                            Ok((stream, _)) => stream,
                            Err(_) => {
                                std::thread::sleep(Duration::from_millis(50));
                                continue;
                            }
                        };
                        if open.fetch_add(1, Ordering::SeqCst) >= TCP_CONNECTIONS {
                            open.fetch_sub(1, Ordering::SeqCst);
                            continue;
                        }
                        let _ = stream.set_nonblocking(false);
                        let (vpc, resolve, done) = (vpc.clone(), resolve.clone(), open.clone());
                        let spawned = std::thread::Builder::new()
                            .name("gureum-vpc-dns-conn".into())
                            .spawn(move || {
                                serve_tcp(stream, &vpc, &resolve);
                                done.fetch_sub(1, Ordering::SeqCst);
                            });
                        if spawned.is_err() {
                            open.fetch_sub(1, Ordering::SeqCst);
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
