//! HTTP/HTTPS deliveries: real POSTs from one background thread, so a
//! publish or subscribe never waits on an endpoint. A delivery that fails
//! (a connection error, a timeout, a 5xx or 429) is tried again after the
//! delay its delivery policy gives (`minDelayTarget` seconds, up to
//! `numRetries` more times; AWS's default is 3 retries 20 s apart);
//! when it is given up, it goes to the subscription's dead-letter queue
//! (`RedrivePolicy`) when it has one, else it is kept in `sns.captured`
//! with the reason.
//!
//! The client speaks plain HTTP/1.1 (`Connection: close`). An `https://`
//! endpoint cannot be reached without TLS, which Gureum's client does
//! not speak: such deliveries are recorded as failed, not pretended.
//! Retries in flight live in memory: a restart forgets them (the
//! subscriptions, pending confirmations and their tokens are stored).

use crate::Captured;
use gureum_store::Table;
use parking_lot::Mutex;
use std::collections::BinaryHeap;
use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// How long one attempt may take to connect, and then to answer.
const TIMEOUT: Duration = Duration::from_secs(15);

/// What a given-up delivery becomes instead: `true` when it was sent to
/// a dead-letter queue.
pub type Fallback = Box<dyn FnOnce() -> bool + Send>;

/// One POST to make.
pub struct Job {
    /// The endpoint URL.
    pub url: String,
    /// Extra headers (`x-amz-sns-message-type`, …).
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: String,
    /// How many more times to try after a failure.
    pub retries_left: u32,
    /// The delay before each retry.
    pub retry_delay: Duration,
    /// What to record when it is given up.
    pub record: Captured,
    /// Tried when it is given up, before recording it.
    pub fallback: Option<Fallback>,
}

/// The outcome of one attempt.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Attempt {
    /// 2xx (or a 4xx other than 429: the endpoint refused for good).
    Done(u16),
    /// Worth trying again: the reason.
    Retry(String),
    /// Never worth trying again: the reason.
    Fail(String),
}

/// Queues jobs for the delivery thread, started on first use.
pub struct Dispatcher {
    captured: Table<Captured>,
    tx: Mutex<Option<mpsc::Sender<Job>>>,
}

impl Dispatcher {
    /// A dispatcher recording given-up deliveries in `captured`.
    pub fn new(captured: Table<Captured>) -> Self {
        Dispatcher {
            captured,
            tx: Mutex::new(None),
        }
    }

    /// Queues `job` (returns at once).
    pub fn send(&self, job: Job) {
        let mut tx = self.tx.lock();
        if tx.is_none() {
            let (sender, receiver) = mpsc::channel();
            let captured = self.captured.clone();
            let spawned = std::thread::Builder::new()
                .name("sns-http".into())
                .spawn(move || run(receiver, captured));
            if spawned.is_err() {
                record(&self.captured, job, "failed: no delivery thread".into());
                return;
            }
            *tx = Some(sender);
        }
        if let Some(t) = tx.as_ref() {
            let _ = t.send(job);
        }
    }
}

/// A job waiting for its time.
struct Due(Instant, u64, Job);

impl PartialEq for Due {
    fn eq(&self, other: &Self) -> bool {
        (self.0, self.1) == (other.0, other.1)
    }
}
impl Eq for Due {}
impl PartialOrd for Due {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Due {
    // Earliest first in a max-heap.
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        (other.0, other.1).cmp(&(self.0, self.1))
    }
}

fn run(rx: mpsc::Receiver<Job>, captured: Table<Captured>) {
    let mut waiting: BinaryHeap<Due> = BinaryHeap::new();
    let mut seq = 0u64;
    loop {
        let next = match waiting.peek() {
            Some(d) => rx.recv_timeout(d.0.saturating_duration_since(Instant::now())),
            None => rx.recv().map_err(|_| mpsc::RecvTimeoutError::Disconnected),
        };
        match next {
            Ok(job) => {
                seq += 1;
                waiting.push(Due(Instant::now(), seq, job));
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {}
            Err(mpsc::RecvTimeoutError::Disconnected) if waiting.is_empty() => return,
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                std::thread::sleep(Duration::from_millis(50));
            }
        }
        while waiting.peek().is_some_and(|d| d.0 <= Instant::now()) {
            let Some(Due(_, _, mut job)) = waiting.pop() else {
                break;
            };
            match post(&job.url, &job.headers, &job.body) {
                Attempt::Done(_) => {}
                Attempt::Retry(why) if job.retries_left > 0 => {
                    let _ = why;
                    job.retries_left -= 1;
                    seq += 1;
                    waiting.push(Due(Instant::now() + job.retry_delay, seq, job));
                }
                Attempt::Retry(why) | Attempt::Fail(why) => {
                    record(&captured, job, format!("failed: {why}"));
                }
            }
        }
    }
}

fn record(captured: &Table<Captured>, mut job: Job, status: String) {
    if let Some(fallback) = job.fallback.take() {
        if fallback() {
            return;
        }
    }
    let mut c = job.record;
    c.status = status;
    let key = format!("{:015}/{}", c.time_ms, gureum_core::id::uuid_v4());
    let _ = captured.put(&key, &c);
}

/// Host, port and path of an `http://` URL.
pub fn split_url(url: &str) -> Option<(String, u16, String)> {
    let rest = url.strip_prefix("http://")?;
    let (authority, path) = match rest.find(['/', '?']) {
        Some(i) if rest.as_bytes()[i] == b'?' => (&rest[..i], format!("/{}", &rest[i..])),
        Some(i) => (&rest[..i], rest[i..].to_string()),
        None => (rest, "/".to_string()),
    };
    let authority = authority.rsplit('@').next()?;
    let (host, port) = match authority.rsplit_once(':') {
        Some((h, p)) if !h.ends_with(']') || authority.starts_with('[') => {
            (h.to_string(), p.parse().ok()?)
        }
        _ => (authority.to_string(), 80),
    };
    (!host.is_empty()).then_some((host, port, path))
}

/// One POST; what it came to.
pub fn post(url: &str, headers: &[(String, String)], body: &str) -> Attempt {
    if url.starts_with("https://") {
        return Attempt::Fail(
            "https endpoints need TLS, which Gureum's HTTP client does not speak".into(),
        );
    }
    let Some((host, port, path)) = split_url(url) else {
        return Attempt::Fail(format!("not an http URL: {url}"));
    };
    let host_name = host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_string();
    let addr = match (host_name.as_str(), port)
        .to_socket_addrs()
        .ok()
        .and_then(|mut a| a.next())
    {
        Some(a) => a,
        None => return Attempt::Retry(format!("cannot resolve {host}")),
    };
    let mut stream = match TcpStream::connect_timeout(&addr, TIMEOUT) {
        Ok(s) => s,
        Err(e) => return Attempt::Retry(format!("connect {addr}: {e}")),
    };
    let _ = stream.set_read_timeout(Some(TIMEOUT));
    let _ = stream.set_write_timeout(Some(TIMEOUT));
    let host_header = if port == 80 {
        host.clone()
    } else {
        format!("{host}:{port}")
    };
    let mut request = format!(
        "POST {path} HTTP/1.1\r\nHost: {host_header}\r\nContent-Length: {}\r\nConnection: close\r\nUser-Agent: Amazon Simple Notification Service Agent\r\n",
        body.len()
    );
    for (k, v) in headers {
        request.push_str(k);
        request.push_str(": ");
        request.push_str(v);
        request.push_str("\r\n");
    }
    request.push_str("\r\n");
    if let Err(e) = stream
        .write_all(request.as_bytes())
        .and_then(|_| stream.write_all(body.as_bytes()))
    {
        return Attempt::Retry(format!("send: {e}"));
    }
    let mut head = [0u8; 64];
    let mut read = 0;
    while read < 12 {
        match stream.read(&mut head[read..]) {
            Ok(0) => break,
            Ok(n) => read += n,
            Err(e) => return Attempt::Retry(format!("read: {e}")),
        }
    }
    let line = String::from_utf8_lossy(&head[..read]).to_string();
    let status: Option<u16> = line.split_whitespace().nth(1).and_then(|s| s.parse().ok());
    match status {
        Some(s) if (200..300).contains(&s) => Attempt::Done(s),
        Some(s) if s == 429 || s >= 500 => Attempt::Retry(format!("HTTP {s}")),
        Some(s) => Attempt::Fail(format!("HTTP {s}")),
        None => Attempt::Retry("no HTTP status line".into()),
    }
}

/// The retry count and delay a subscription's effective delivery policy
/// gives (`http.defaultHealthyRetryPolicy`, or the subscription's own
/// `healthyRetryPolicy`).
pub fn retry_policy(
    topic_policy: Option<&str>,
    subscription_policy: Option<&str>,
) -> (u32, Duration) {
    let read = |text: Option<&str>, path: &[&str]| -> Option<serde_json::Value> {
        let mut v: serde_json::Value = serde_json::from_str(text?).ok()?;
        for p in path {
            v = v.get(*p)?.clone();
        }
        Some(v)
    };
    let policy = read(subscription_policy, &["healthyRetryPolicy"])
        .or_else(|| read(topic_policy, &["http", "defaultHealthyRetryPolicy"]));
    let retries = policy
        .as_ref()
        .and_then(|p| p["numRetries"].as_u64())
        .unwrap_or(3)
        .min(100) as u32;
    let delay = policy
        .as_ref()
        .and_then(|p| p["minDelayTarget"].as_u64())
        .unwrap_or(20)
        .clamp(1, 3600);
    (retries, Duration::from_secs(delay))
}

/// The `Content-Type` of POSTs: the subscription's
/// `requestPolicy.headerContentType`, else the topic's
/// `http.defaultRequestPolicy.headerContentType`, else AWS's default.
pub fn content_type(topic_policy: Option<&str>, subscription_policy: Option<&str>) -> String {
    let read = |text: Option<&str>, path: &[&str]| -> Option<String> {
        let mut v: serde_json::Value = serde_json::from_str(text?).ok()?;
        for p in path {
            v = v.get(*p)?.clone();
        }
        v.as_str().map(str::to_string)
    };
    read(subscription_policy, &["requestPolicy", "headerContentType"])
        .or_else(|| {
            read(
                topic_policy,
                &["http", "defaultRequestPolicy", "headerContentType"],
            )
        })
        .unwrap_or_else(|| "text/plain; charset=UTF-8".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpListener;

    #[test]
    fn the_content_type_follows_the_delivery_policies() {
        assert_eq!(content_type(None, None), "text/plain; charset=UTF-8");
        let topic = r#"{"http":{"defaultRequestPolicy":{"headerContentType":"application/json"}}}"#;
        assert_eq!(content_type(Some(topic), None), "application/json");
        let sub = r#"{"requestPolicy":{"headerContentType":"text/xml"}}"#;
        assert_eq!(content_type(Some(topic), Some(sub)), "text/xml");
    }

    #[test]
    fn urls_split_into_host_port_and_path() {
        assert_eq!(
            split_url("http://127.0.0.1:8080/hook?x=1"),
            Some(("127.0.0.1".into(), 8080, "/hook?x=1".into()))
        );
        assert_eq!(
            split_url("http://example.com"),
            Some(("example.com".into(), 80, "/".into()))
        );
        assert_eq!(split_url("ftp://x"), None);
    }

    #[test]
    fn the_policy_gives_retries_and_delay() {
        assert_eq!(retry_policy(None, None), (3, Duration::from_secs(20)));
        let topic = r#"{"http":{"defaultHealthyRetryPolicy":{"numRetries":1,"minDelayTarget":2}}}"#;
        assert_eq!(retry_policy(Some(topic), None), (1, Duration::from_secs(2)));
        let sub = r#"{"healthyRetryPolicy":{"numRetries":0,"minDelayTarget":5}}"#;
        assert_eq!(
            retry_policy(Some(topic), Some(sub)),
            (0, Duration::from_secs(5))
        );
    }

    #[test]
    fn a_post_reaches_a_local_server_with_its_headers() {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let server = std::thread::spawn(move || {
            let (mut s, _) = listener.accept().expect("accept");
            // The head and the body may come in separate reads.
            let mut got = Vec::new();
            let mut buf = [0u8; 4096];
            while !got.ends_with(b"hello") {
                let n = s.read(&mut buf).expect("read");
                if n == 0 {
                    break;
                }
                got.extend_from_slice(&buf[..n]);
            }
            s.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
                .expect("write");
            String::from_utf8_lossy(&got).to_string()
        });
        let headers = vec![(
            "x-amz-sns-message-type".to_string(),
            "Notification".to_string(),
        )];
        let got = post(&format!("http://127.0.0.1:{port}/hook"), &headers, "hello");
        assert_eq!(got, Attempt::Done(200));
        let request = server.join().expect("server");
        assert!(request.starts_with("POST /hook HTTP/1.1\r\n"), "{request}");
        assert!(request.contains("x-amz-sns-message-type: Notification"));
        assert!(request.ends_with("hello"));
    }

    #[test]
    fn https_is_refused_honestly() {
        assert!(matches!(
            post("https://example.com/", &[], ""),
            Attempt::Fail(_)
        ));
    }
}
