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
//! thread per connection serves them.

use gureum_core::Clock;
use gureum_ec2::compute::host::BootSpec;
use gureum_kit::role_sessions::{RoleSessions, ServiceAssumption, TemporaryCredentials};
use parking_lot::Mutex;
use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

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

struct State {
    lookup: Lookup,
    sources: Sources,
    /// Token → the instance it was issued to, and its expiry.
    tokens: Mutex<HashMap<String, (String, Instant)>>,
    /// Instance → its role's credentials.
    creds: Mutex<HashMap<String, (String, TemporaryCredentials)>>,
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
struct Request {
    method: String,
    path: String,
    headers: HashMap<String, String>,
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

/// AWS's answer to a request: status, content type, body.
fn answer(state: &State, spec: &BootSpec, req: &Request) -> (u16, &'static str, String) {
    let text = "text/plain";
    if req.path == "/latest/api/token" {
        if req.method != "PUT" {
            return (405, text, String::new());
        }
        // A token is refused to a request that went through a proxy.
        if req.headers.contains_key("x-forwarded-for") {
            return (403, text, String::new());
        }
        let ttl = req
            .headers
            .get("x-aws-ec2-metadata-token-ttl-seconds")
            .and_then(|v| v.parse::<u64>().ok());
        let Some(ttl) = ttl.filter(|t| (1..=21_600).contains(t)) else {
            return (400, text, String::new());
        };
        let token = format!(
            "AQAEA{}==",
            base64::Engine::encode(
                &base64::engine::general_purpose::STANDARD_NO_PAD,
                rand::random::<[u8; 32]>()
            )
        );
        let mut tokens = state.tokens.lock();
        let now = Instant::now();
        tokens.retain(|_, (_, exp)| *exp > now);
        tokens.insert(
            token.clone(),
            (spec.instance_id.clone(), now + Duration::from_secs(ttl)),
        );
        return (200, text, token);
    }
    if req.method != "GET" && req.method != "HEAD" {
        return (405, text, String::new());
    }
    match req.headers.get("x-aws-ec2-metadata-token") {
        Some(t) => {
            let valid = state
                .tokens
                .lock()
                .get(t)
                .is_some_and(|(id, exp)| *id == spec.instance_id && *exp > Instant::now());
            if !valid {
                return (401, text, String::new());
            }
        }
        None if spec.http_tokens == "required" => {
            return (401, text, String::new());
        }
        None => {}
    }
    let spec = spec.clone();
    let path = req.path.split('?').next().unwrap_or_default();
    let found = if let Some(rest) = path.strip_prefix("/latest/meta-data") {
        meta_data(state, &spec, rest.trim_start_matches('/'))
    } else if path == "/latest/user-data" || path == "/latest/user-data/" {
        spec.user_data
            .as_ref()
            .map(|u| String::from_utf8_lossy(u).into_owned())
    } else if path == "/latest/dynamic/instance-identity/document" {
        Some(identity_document(&spec))
    } else if path == "/latest/dynamic/" || path == "/latest/dynamic" {
        Some("instance-identity/".into())
    } else if path == "/latest/dynamic/instance-identity/" {
        Some("document".into())
    } else if path == "/latest/" || path == "/latest" {
        Some("dynamic\nmeta-data\nuser-data".into())
    } else if path == "/" {
        Some("latest".into())
    } else {
        None
    };
    match found {
        Some(body) => (200, text, body),
        None => (404, "text/html", not_found_page()),
    }
}

fn not_found_page() -> String {
    "<?xml version=\"1.0\" encoding=\"iso-8859-1\"?>\n<!DOCTYPE html PUBLIC \"-//W3C//DTD XHTML 1.0 Transitional//EN\"\n\t\"http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd\">\n<html xmlns=\"http://www.w3.org/1999/xhtml\" xml:lang=\"en\" lang=\"en\">\n <head>\n  <title>404 - Not Found</title>\n </head>\n <body>\n  <h1>404 - Not Found</h1>\n </body>\n</html>\n".into()
}

fn iso(ms: i64) -> String {
    gureum_core::timestamp::format_iso8601_seconds(ms)
}

/// The signed-by-AWS identity document (unsigned here: its fields).
fn identity_document(spec: &BootSpec) -> String {
    let doc = serde_json::json!({
        "accountId": spec.account,
        "architecture": spec.architecture,
        "availabilityZone": spec.az,
        "billingProducts": null,
        "devpayProductCodes": null,
        "marketplaceProductCodes": null,
        "imageId": spec.image_id,
        "instanceId": spec.instance_id,
        "instanceType": spec.instance_type,
        "kernelId": null,
        "pendingTime": iso(spec.launch_time_ms),
        "privateIp": spec.private_ip,
        "ramdiskId": null,
        "region": spec.region,
        "version": "2017-09-30",
    });
    serde_json::to_string_pretty(&doc).unwrap_or_default()
}

/// The role the instance profile holds: its name and the profile.
fn role(state: &State, spec: &BootSpec) -> Option<(String, ProfileRole)> {
    let profile = spec.iam_profile.as_deref()?;
    let found = (state.sources.profiles)(&spec.account, profile)?;
    let name = found
        .role_arn
        .rsplit('/')
        .next()
        .unwrap_or_default()
        .to_string();
    Some((name, found))
}

/// The role's credentials, reused until five minutes before they expire.
fn credentials(state: &State, spec: &BootSpec, arn: &str) -> Option<TemporaryCredentials> {
    let now = state.sources.clock.now_millis();
    let mut cache = state.creds.lock();
    if let Some((cached_arn, c)) = cache.get(&spec.instance_id) {
        if cached_arn == arn && c.expires_at_ms - now > 300_000 {
            return Some(c.clone());
        }
    }
    let source_arn = format!(
        "arn:aws:ec2:{}:{}:instance/{}",
        spec.region, spec.account, spec.instance_id
    );
    let c = state
        .sources
        .sessions
        .assume_role_for_service(&ServiceAssumption {
            role_arn: arn,
            session_name: &spec.instance_id,
            service: "ec2.amazonaws.com",
            source_arn: &source_arn,
            source_account: &spec.account,
            duration_secs: 3600,
            now_ms: now,
        })
        .ok()?;
    cache.insert(spec.instance_id.clone(), (arn.to_string(), c.clone()));
    Some(c)
}

fn meta_data(state: &State, spec: &BootSpec, path: &str) -> Option<String> {
    let path = path.trim_end_matches('/');
    let mac = spec.mac.as_str();
    let public = spec.public_ip.clone().unwrap_or_default();
    let keys = spec.key.as_ref();
    Some(match path {
        "" => {
            let mut items = vec![
                "ami-id",
                "ami-launch-index",
                "ami-manifest-path",
                "block-device-mapping/",
                "hostname",
                "instance-action",
                "instance-id",
                "instance-life-cycle",
                "instance-type",
                "local-hostname",
                "local-ipv4",
                "mac",
                "network/",
                "placement/",
                "reservation-id",
                "security-groups",
            ];
            if spec.public_ip.is_some() {
                items.extend(["public-hostname", "public-ipv4"]);
            }
            if keys.is_some() {
                items.push("public-keys/");
            }
            if spec.iam_profile.is_some() {
                items.push("iam/");
            }
            items.sort_unstable();
            items.join("\n")
        }
        "ami-id" => spec.image_id.clone(),
        "ami-launch-index" => "0".into(),
        "ami-manifest-path" => "(unknown)".into(),
        "block-device-mapping" => "ami\nroot".into(),
        "block-device-mapping/ami" | "block-device-mapping/root" => "/dev/xvda".into(),
        "hostname" | "local-hostname" => spec.hostname.clone(),
        "instance-action" => "none".into(),
        "instance-id" => spec.instance_id.clone(),
        "instance-life-cycle" => "on-demand".into(),
        "instance-type" => spec.instance_type.clone(),
        "local-ipv4" => spec.private_ip.clone(),
        "mac" => mac.to_string(),
        "reservation-id" => spec.reservation_id.clone(),
        "security-groups" => spec.security_groups.join("\n"),
        "public-ipv4" if spec.public_ip.is_some() => public,
        "public-hostname" if spec.public_ip.is_some() => spec.public_hostname.clone(),
        "placement" => "availability-zone\nregion".into(),
        "placement/availability-zone" => spec.az.clone(),
        "placement/region" => spec.region.clone(),
        "network" => "interfaces/".into(),
        "network/interfaces" => "macs/".into(),
        "network/interfaces/macs" => format!("{mac}/"),
        p if p.starts_with("network/interfaces/macs/") => {
            let rest = p.trim_start_matches("network/interfaces/macs/");
            let (m, item) = rest.split_once('/').unwrap_or((rest, ""));
            if m != mac {
                return None;
            }
            match item {
                "" => "device-number\nlocal-hostname\nlocal-ipv4s\nmac\nsecurity-groups\nsubnet-ipv4-cidr-block\nvpc-id\nvpc-ipv4-cidr-block".into(),
                "device-number" => "0".into(),
                "local-hostname" => spec.hostname.clone(),
                "local-ipv4s" => spec.private_ip.clone(),
                "mac" => mac.to_string(),
                "security-groups" => spec.security_groups.join("\n"),
                "subnet-ipv4-cidr-block" => spec.subnet_cidr.clone(),
                "vpc-id" => spec.vpc_id.clone(),
                "vpc-ipv4-cidr-block" => spec.vpc_cidr.clone(),
                "public-ipv4s" if spec.public_ip.is_some() => public,
                _ => return None,
            }
        }
        "public-keys" => keys.map(|(name, _)| format!("0={name}"))?,
        "public-keys/0" => keys.map(|_| "openssh-key".to_string())?,
        "public-keys/0/openssh-key" => keys.map(|(name, k)| format!("{} {name}", k.trim()))?,
        "iam" => {
            role(state, spec)?;
            "info\nsecurity-credentials/".into()
        }
        "iam/info" => {
            let (_, p) = role(state, spec)?;
            serde_json::to_string_pretty(&serde_json::json!({
                "Code": "Success",
                "LastUpdated": iso(state.sources.clock.now_millis()),
                "InstanceProfileArn": p.profile_arn,
                "InstanceProfileId": p.profile_id,
            }))
            .ok()?
        }
        "iam/security-credentials" => role(state, spec)?.0,
        p if p.starts_with("iam/security-credentials/") => {
            let (name, found) = role(state, spec)?;
            if p.trim_start_matches("iam/security-credentials/") != name {
                return None;
            }
            let c = credentials(state, spec, &found.role_arn)?;
            serde_json::to_string_pretty(&serde_json::json!({
                "Code": "Success",
                "LastUpdated": iso(state.sources.clock.now_millis()),
                "Type": "AWS-HMAC",
                "AccessKeyId": c.access_key_id,
                "SecretAccessKey": c.secret_access_key,
                "Token": c.session_token,
                "Expiration": iso(c.expires_at_ms),
            }))
            .ok()?
        }
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use gureum_kit::role_sessions::NoRoleSessions;

    fn spec(tokens: &str) -> BootSpec {
        BootSpec {
            instance_id: "i-0123456789abcdef0".into(),
            http_tokens: tokens.into(),
            private_ip: "10.0.1.5".into(),
            key: Some(("web".into(), "ssh-ed25519 AAAA".into())),
            ..Default::default()
        }
    }

    fn state() -> State {
        State {
            lookup: Arc::new(|_| None),
            sources: Sources {
                sessions: Arc::new(NoRoleSessions),
                profiles: Arc::new(|_, _| None),
                clock: Clock::system(),
            },
            tokens: Mutex::new(HashMap::new()),
            creds: Mutex::new(HashMap::new()),
        }
    }

    fn req(method: &str, path: &str, headers: &[(&str, &str)]) -> Request {
        Request {
            method: method.into(),
            path: path.into(),
            headers: headers
                .iter()
                .map(|(k, v)| (k.to_ascii_lowercase(), v.to_string()))
                .collect(),
        }
    }

    #[test]
    fn required_tokens_refuse_imdsv1_with_401_and_accept_a_put_token() {
        let (s, sp) = (state(), spec("required"));
        assert_eq!(
            answer(&s, &sp, &req("GET", "/latest/meta-data/instance-id", &[])).0,
            401
        );
        let (status, _, token) = answer(
            &s,
            &sp,
            &req(
                "PUT",
                "/latest/api/token",
                &[("X-aws-ec2-metadata-token-ttl-seconds", "60")],
            ),
        );
        assert_eq!(status, 200);
        let (status, _, body) = answer(
            &s,
            &sp,
            &req(
                "GET",
                "/latest/meta-data/instance-id",
                &[("X-aws-ec2-metadata-token", &token)],
            ),
        );
        assert_eq!((status, body.as_str()), (200, "i-0123456789abcdef0"));
        let bad = [("X-aws-ec2-metadata-token", "forged")];
        // A token works only for the instance it was issued to.
        let other = BootSpec {
            instance_id: "i-0fedcba9876543210".into(),
            ..spec("required")
        };
        let theirs = [("X-aws-ec2-metadata-token", token.as_str())];
        assert_eq!(
            answer(&s, &other, &req("GET", "/latest/meta-data/", &theirs)).0,
            401
        );
        assert_eq!(
            answer(&s, &sp, &req("GET", "/latest/meta-data/", &bad)).0,
            401
        );
    }

    #[test]
    fn a_token_needs_a_ttl_between_1_and_21600_seconds() {
        let (s, sp) = (state(), spec("optional"));
        assert_eq!(
            answer(&s, &sp, &req("PUT", "/latest/api/token", &[])).0,
            400
        );
        let long = [("X-aws-ec2-metadata-token-ttl-seconds", "21601")];
        assert_eq!(
            answer(&s, &sp, &req("PUT", "/latest/api/token", &long)).0,
            400
        );
    }

    #[test]
    fn optional_tokens_answer_imdsv1_and_unknown_paths_are_404() {
        let (s, sp) = (state(), spec("optional"));
        let (status, _, body) = answer(
            &s,
            &sp,
            &req("GET", "/latest/meta-data/public-keys/0/openssh-key", &[]),
        );
        assert_eq!((status, body.as_str()), (200, "ssh-ed25519 AAAA web"));
        assert_eq!(
            answer(&s, &sp, &req("GET", "/latest/meta-data/nope", &[])).0,
            404
        );
        // No profile: no credentials.
        assert_eq!(
            answer(
                &s,
                &sp,
                &req("GET", "/latest/meta-data/iam/security-credentials/", &[])
            )
            .0,
            404
        );
    }
}
