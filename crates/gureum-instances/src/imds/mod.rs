//! The Instance Metadata Service at `169.254.169.254:80`, and Gureum's
//! API at `169.254.169.254:PORT` beside it, served in each VPC's router
//! namespace: instances reach it through their default route, and the
//! caller's source address says which instance asks (as AWS's Nitro
//! card knows), so no socket of the instance's own takes port 80.
//!
//! A short-lived thread enters the router's network namespace (`setns`),
//! binds the listeners there and hands them back; the sockets stay in
//! that namespace while threads of the host's namespace accept on them
//! (so the API proxy's own connection goes to Gureum on the host's
//! loopback). HTTP is answered by hand: the requests are tiny and a
//! thread per connection serves them; [`answers`] says what.

use gureum_core::Clock;
use gureum_ec2::compute::host::BootSpec;
use gureum_kit::role_sessions::{RoleSessions, TemporaryCredentials};
use parking_lot::Mutex;
use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

mod answers;
use answers::answer;

/// An instance profile and the role it holds, as IAM has them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProfileRole {
    /// `arn:aws:iam::ACCT:instance-profile/NAME`.
    pub profile_arn: String,
    /// `AIPA…`.
    pub profile_id: String,
    /// The role's ARN.
    pub role_arn: String,
}

/// Finds an instance profile and its role: `(account, profile name or
/// ARN)`.
pub type ProfileRoles = Arc<dyn Fn(&str, &str) -> Option<ProfileRole> + Send + Sync>;

/// What the metadata service reaches beyond the instance.
#[derive(Clone)]
pub struct Sources {
    /// STS, for the instance profile role's credentials.
    pub sessions: Arc<dyn RoleSessions>,
    /// IAM, for the profile's role.
    pub profiles: ProfileRoles,
    /// Gureum's clock.
    pub clock: Clock,
}

/// Finds the instance of the VPC whose private address asks.
pub type Lookup = Arc<dyn Fn(std::net::IpAddr) -> Option<BootSpec> + Send + Sync>;

/// One VPC's metadata service and API proxy.
pub struct Imds {
    listeners: Vec<Arc<TcpListener>>,
    stopped: Arc<AtomicBool>,
}

pub(crate) struct State {
    pub(crate) lookup: Lookup,
    pub(crate) sources: Sources,
    /// Token → the instance it was issued to, and its expiry.
    pub(crate) tokens: Mutex<HashMap<String, (String, Instant)>>,
    /// Instance → its role's credentials.
    pub(crate) creds: Mutex<HashMap<String, (String, TemporaryCredentials)>>,
}

/// Binds `ports` on `addr` inside the namespace at `ns_path`.
fn bind_in(ns_path: &Path, addr: &str, ports: &[u16]) -> Result<Vec<TcpListener>, String> {
    let ns_path = ns_path.to_path_buf();
    let addr = addr.to_string();
    let ports = ports.to_vec();
    std::thread::spawn(move || {
        let file = std::fs::File::open(&ns_path).map_err(|e| e.to_string())?;
        rustix::thread::move_into_link_name_space(
            std::os::fd::AsFd::as_fd(&file),
            Some(rustix::thread::LinkNameSpaceType::Network),
        )
        .map_err(|e| format!("setns: {e}"))?;
        ports
            .iter()
            .map(|p| TcpListener::bind((addr.as_str(), *p)).map_err(|e| format!("bind {p}: {e}")))
            .collect()
    })
    .join()
    .map_err(|_| "bind thread panicked".to_string())?
}

impl Imds {
    /// Starts the service in the router namespace at `ns_path`; the API
    /// proxy forwards to `gureum` when given.
    pub fn start(
        ns_path: &Path,
        lookup: Lookup,
        sources: Sources,
        gureum: Option<SocketAddr>,
    ) -> Result<Imds, String> {
        let mut ports = vec![80];
        if let Some(g) = gureum {
            ports.push(g.port());
        }
        let bound = bind_in(ns_path, crate::fabric::IMDS_IP, &ports)?;
        let stopped = Arc::new(AtomicBool::new(false));
        let state = Arc::new(State {
            lookup,
            sources,
            tokens: Mutex::new(HashMap::new()),
            creds: Mutex::new(HashMap::new()),
        });
        let mut listeners = Vec::new();
        for (n, l) in bound.into_iter().enumerate() {
            let l = Arc::new(l);
            listeners.push(l.clone());
            let stopped = stopped.clone();
            let state = state.clone();
            let target = if n == 0 { None } else { gureum };
            std::thread::spawn(move || {
                for conn in l.incoming() {
                    if stopped.load(Ordering::SeqCst) {
                        break;
                    }
                    let Ok(conn) = conn else { continue };
                    let state = state.clone();
                    std::thread::spawn(move || match target {
                        Some(to) => proxy(conn, to),
                        None => serve(&state, conn),
                    });
                }
            });
        }
        Ok(Imds { listeners, stopped })
    }

    /// Stops accepting (the listeners' accepts return at once).
    pub fn stop(&self) {
        self.stopped.store(true, Ordering::SeqCst);
        for l in &self.listeners {
            let _ = rustix::net::shutdown(&**l, rustix::net::Shutdown::Read);
        }
    }
}

impl Drop for Imds {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Copies bytes both ways between a client in the instance and Gureum.
fn proxy(client: TcpStream, to: SocketAddr) {
    let Ok(upstream) = TcpStream::connect(to) else {
        return;
    };
    let (Ok(mut c2), Ok(mut u2)) = (client.try_clone(), upstream.try_clone()) else {
        return;
    };
    let up = std::thread::spawn(move || {
        let _ = std::io::copy(&mut c2, &mut u2);
        let _ = u2.shutdown(std::net::Shutdown::Write);
    });
    let (mut client, mut upstream) = (client, upstream);
    let _ = std::io::copy(&mut upstream, &mut client);
    let _ = client.shutdown(std::net::Shutdown::Write);
    let _ = up.join();
}

/// One parsed request: method, path, headers (lowercased names).
pub(crate) struct Request {
    pub(crate) method: String,
    pub(crate) path: String,
    pub(crate) headers: HashMap<String, String>,
}

fn read_request(conn: &mut TcpStream) -> Option<Request> {
    conn.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    let mut buf = Vec::new();
    let mut chunk = [0u8; 2048];
    while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = conn.read(&mut chunk).ok()?;
        if n == 0 || buf.len() > 16 * 1024 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    let text = String::from_utf8_lossy(&buf);
    let mut lines = text.split("\r\n");
    let mut first = lines.next()?.split_whitespace();
    let method = first.next()?.to_string();
    let path = first.next()?.to_string();
    let headers = lines
        .take_while(|l| !l.is_empty())
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    Some(Request {
        method,
        path,
        headers,
    })
}

fn respond(conn: &mut TcpStream, status: u16, content_type: &str, body: &str) {
    let reason = match status {
        200 => "OK",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        _ => "Error",
    };
    let head = format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nServer: EC2ws\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let _ = conn.write_all(head.as_bytes());
    let _ = conn.write_all(body.as_bytes());
}

fn serve(state: &State, mut conn: TcpStream) {
    let Some(req) = read_request(&mut conn) else {
        return;
    };
    let Some(spec) = conn.peer_addr().ok().and_then(|a| (state.lookup)(a.ip())) else {
        respond(&mut conn, 403, "text/plain", "");
        return;
    };
    // `HttpEndpoint=disabled`: the instance gets no answer at all.
    if spec.http_endpoint == "disabled" {
        return;
    }
    let (status, ctype, body) = answer(state, &spec, &req);
    if req.method == "PUT" {
        // The token's packets die after `HttpPutResponseHopLimit` hops
        // (a container behind the instance is one more).
        let _ = conn.set_ttl(spec.hop_limit.clamp(1, 64) as u32);
    }
    respond(&mut conn, status, ctype, &body);
}
