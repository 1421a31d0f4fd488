//! Health checks: every target of a group in use is probed at the group's
//! interval (HTTP `GET` of its path, matched against the matcher; or a TCP
//! connect), and turns healthy or unhealthy after the thresholds' count of
//! consecutive results, as AWS's checks do. Runs as one tokio task per
//! group; the records live in the group's runtime.

use super::{GroupRuntime, TargetKey};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Why a target failed its checks.
#[derive(Clone, Debug, PartialEq)]
pub enum Failure {
    /// An HTTP status the matcher does not accept.
    ResponseCodeMismatch(u16),
    /// No answer within the timeout.
    Timeout,
    /// Refused, reset, or an unreadable answer.
    Failed,
}

impl Failure {
    /// AWS's reason code and description.
    pub fn describe(&self) -> (&'static str, String) {
        match self {
            Failure::ResponseCodeMismatch(code) => (
                "Target.ResponseCodeMismatch",
                format!("Health checks failed with these codes: [{code}]"),
            ),
            Failure::Timeout => ("Target.Timeout", "Request timed out".into()),
            Failure::Failed => ("Target.FailedHealthChecks", "Health checks failed".into()),
        }
    }
}

/// A target's health as the probes left it.
#[derive(Clone, Debug, PartialEq)]
pub enum Health {
    /// Not yet through its first thresholds.
    Initial,
    /// Passing.
    Healthy,
    /// Failing, with the last failure.
    Unhealthy(Failure),
}

/// A target's health and its run of results.
#[derive(Clone, Debug)]
pub struct Record {
    /// The state.
    pub health: Health,
    /// Consecutive passes.
    passes: i64,
    /// Consecutive failures.
    fails: i64,
    /// When (Gureum's clock, ms) it turned healthy in slow start mode.
    pub slow_start_from: Option<i64>,
}

impl Default for Record {
    fn default() -> Self {
        Record {
            health: Health::Initial,
            passes: 0,
            fails: 0,
            slow_start_from: None,
        }
    }
}

impl Record {
    /// Counts one probe's result against the thresholds.
    pub fn observe(&mut self, result: Result<(), Failure>, healthy: i64, unhealthy: i64) {
        match result {
            Ok(()) => {
                self.passes += 1;
                self.fails = 0;
                if self.passes >= healthy {
                    self.health = Health::Healthy;
                }
            }
            Err(f) => {
                self.fails += 1;
                self.passes = 0;
                if self.fails >= unhealthy {
                    self.health = Health::Unhealthy(f);
                } else if let Health::Unhealthy(_) = self.health {
                    // Stays unhealthy, with the latest reason.
                    self.health = Health::Unhealthy(f);
                }
            }
        }
    }
}

/// Whether `code` is accepted by a matcher (`200`, `200,202`, `200-299`).
pub fn matcher_accepts(matcher: &str, code: u16) -> bool {
    matcher.split(',').any(|part| match part.split_once('-') {
        Some((a, b)) => match (a.trim().parse::<u16>(), b.trim().parse::<u16>()) {
            (Ok(a), Ok(b)) => (a..=b).contains(&code),
            _ => false,
        },
        None => part.trim().parse::<u16>() == Ok(code),
    })
}

/// What one probe does.
#[derive(Clone, Debug)]
pub struct Probe {
    /// Where.
    pub addr: SocketAddr,
    /// `Some(path, matcher)` for HTTP, `None` for a TCP connect.
    pub http: Option<(String, String)>,
    /// HTTP/2 (prior knowledge) rather than HTTP/1.1: the group's
    /// targets speak HTTP/2 (`ProtocolVersion` `HTTP2`, `GRPC`).
    pub http2: bool,
    /// The time allowed.
    pub timeout: Duration,
}

/// Runs one probe.
pub async fn probe(p: &Probe) -> Result<(), Failure> {
    match tokio::time::timeout(p.timeout, run(p)).await {
        Ok(r) => r,
        Err(_) => Err(Failure::Timeout),
    }
}

async fn run(p: &Probe) -> Result<(), Failure> {
    let mut stream = tokio::net::TcpStream::connect(p.addr)
        .await
        .map_err(|_| Failure::Failed)?;
    let Some((path, matcher)) = &p.http else {
        return Ok(());
    };
    if p.http2 {
        return run_h2(stream, p.addr, path, matcher).await;
    }
    let request = format!(
        "GET {path} HTTP/1.1\r\nHost: {}\r\nUser-Agent: ELB-HealthChecker/2.0\r\nAccept: */*\r\nConnection: close\r\n\r\n",
        p.addr
    );
    stream
        .write_all(request.as_bytes())
        .await
        .map_err(|_| Failure::Failed)?;
    // The status line is all a check reads.
    let mut buf = Vec::with_capacity(64);
    let mut chunk = [0u8; 256];
    while !buf.windows(2).any(|w| w == b"\r\n") && buf.len() < 1024 {
        let n = stream.read(&mut chunk).await.map_err(|_| Failure::Failed)?;
        if n == 0 {
            break;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    let line = String::from_utf8_lossy(&buf);
    let code = line
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse::<u16>().ok())
        .ok_or(Failure::Failed)?;
    if matcher_accepts(matcher, code) {
        Ok(())
    } else {
        Err(Failure::ResponseCodeMismatch(code))
    }
}

/// An HTTP/2 `GET` of `path` on a connected stream, its status matched.
async fn run_h2(
    stream: tokio::net::TcpStream,
    addr: SocketAddr,
    path: &str,
    matcher: &str,
) -> Result<(), Failure> {
    let (mut sender, conn) = hyper::client::conn::http2::handshake(
        hyper_util::rt::TokioExecutor::new(),
        hyper_util::rt::TokioIo::new(stream),
    )
    .await
    .map_err(|_| Failure::Failed)?;
    let driver = tokio::spawn(conn);
    let request = http::Request::get(format!("http://{addr}{path}"))
        .header("user-agent", "ELB-HealthChecker/2.0")
        .body(http_body_util::Empty::<bytes::Bytes>::new())
        .map_err(|_| Failure::Failed)?;
    let answered = sender.send_request(request).await;
    driver.abort();
    let code = answered.map_err(|_| Failure::Failed)?.status().as_u16();
    if matcher_accepts(matcher, code) {
        Ok(())
    } else {
        Err(Failure::ResponseCodeMismatch(code))
    }
}

/// Invokes a Lambda target with AWS's health check event; passes when
/// the answer's `statusCode` is one the matcher accepts.
async fn probe_function(
    functions: Arc<dyn crate::seams::Functions>,
    function_arn: String,
    group_arn: String,
    path: String,
    matcher: String,
    timeout: Duration,
) -> Result<(), Failure> {
    let event = serde_json::json!({
        "requestContext": {"elb": {"targetGroupArn": group_arn}},
        "httpMethod": "GET",
        "path": path,
        "queryStringParameters": {},
        "headers": {"user-agent": "ELB-HealthChecker/2.0"},
        "body": "",
        "isBase64Encoded": false,
    });
    let payload = serde_json::to_vec(&event).unwrap_or_default();
    let call =
        tokio::task::spawn_blocking(move || functions.invoke(&function_arn, &group_arn, &payload));
    let answer = match tokio::time::timeout(timeout, call).await {
        Err(_) => return Err(Failure::Timeout),
        Ok(Ok(Ok(payload))) => payload,
        Ok(_) => return Err(Failure::Failed),
    };
    let code = super::lambda::response(&answer)
        .ok_or(Failure::Failed)?
        .status;
    if matcher_accepts(&matcher, code) {
        Ok(())
    } else {
        Err(Failure::ResponseCodeMismatch(code))
    }
}

/// Probes the group's targets at its interval until aborted.
pub async fn check_loop(group: Arc<GroupRuntime>, functions: Arc<dyn crate::seams::Functions>) {
    loop {
        let view = group.view();
        let interval = Duration::from_secs(view.health.interval.max(1) as u64);
        let mut probes = tokio::task::JoinSet::new();
        for t in &view.targets {
            if view.target_type == "lambda" {
                let probe = probe_function(
                    functions.clone(),
                    t.key.0.clone(),
                    view.arn.clone(),
                    view.health.path.clone().unwrap_or_else(|| "/".into()),
                    view.health.matcher.clone().unwrap_or_else(|| "200".into()),
                    Duration::from_secs(view.health.timeout.max(1) as u64),
                );
                let key = t.key.clone();
                probes.spawn(async move { (key, probe.await) });
                continue;
            }
            let Some(addr) = t.health_addr else {
                // No address (an instance without one): it fails.
                let key = t.key.clone();
                probes.spawn(async move { (key, Err(Failure::Failed)) });
                continue;
            };
            let probe = Probe {
                addr,
                http: match view.health.protocol.as_deref() {
                    Some("HTTP" | "HTTPS") => Some((
                        view.health.path.clone().unwrap_or_else(|| "/".into()),
                        view.health.matcher.clone().unwrap_or_else(|| "200".into()),
                    )),
                    _ => None,
                },
                http2: view.http2_targets,
                timeout: Duration::from_secs(view.health.timeout.max(1) as u64),
            };
            let key: TargetKey = t.key.clone();
            probes.spawn(async move { (key, probe_result(&probe).await) });
        }
        while let Some(done) = probes.join_next().await {
            if let Ok((key, result)) = done {
                group.observe(&key, result);
            }
        }
        tokio::time::sleep(interval).await;
    }
}

async fn probe_result(p: &Probe) -> Result<(), Failure> {
    probe(p).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_target_turns_healthy_after_the_healthy_threshold_of_passes() {
        let mut r = Record::default();
        r.observe(Ok(()), 2, 2);
        assert_eq!(r.health, Health::Initial);
        r.observe(Ok(()), 2, 2);
        assert_eq!(r.health, Health::Healthy);
    }

    #[test]
    fn a_healthy_target_turns_unhealthy_after_the_unhealthy_threshold_of_failures() {
        let mut r = Record::default();
        r.observe(Ok(()), 1, 2);
        r.observe(Err(Failure::Timeout), 1, 2);
        assert_eq!(r.health, Health::Healthy);
        r.observe(Err(Failure::ResponseCodeMismatch(500)), 1, 2);
        assert_eq!(
            r.health,
            Health::Unhealthy(Failure::ResponseCodeMismatch(500))
        );
    }

    #[test]
    fn matchers_accept_codes_lists_and_ranges() {
        assert!(matcher_accepts("200", 200));
        assert!(!matcher_accepts("200", 201));
        assert!(matcher_accepts("200,202", 202));
        assert!(matcher_accepts("200-299", 250));
        assert!(!matcher_accepts("200-299", 302));
    }
}
