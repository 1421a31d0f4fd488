//! One probe of an endpoint health check, as Route 53's checkers make it:
//! a TCP connection within 4 seconds, then for HTTP a `GET` whose status
//! must be 2xx or 3xx within 2 more seconds, and for `HTTP_STR_MATCH` the
//! search string in the first 5,120 bytes of the body.

use gureum_core::Value;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::time::Duration;

const CONNECT_TIMEOUT: Duration = Duration::from_secs(4);
const RESPONSE_TIMEOUT: Duration = Duration::from_secs(2);
/// How much of the body a string match reads.
const SEARCH_WINDOW: usize = 5120;

/// Probes once: success, and the status text `GetHealthCheckStatus`
/// reports.
pub fn run(config: &Value) -> (bool, String) {
    let kind = config["Type"].as_str().unwrap_or_default();
    let port = config["Port"].as_u64().unwrap_or(80) as u16;
    let host = config["FullyQualifiedDomainName"].as_str();
    let addr = match config["IPAddress"].as_str() {
        Some(ip) => ip.parse().map(|ip| SocketAddr::new(ip, port)).ok(),
        None => host.and_then(|h| (h, port).to_socket_addrs().ok()?.next()),
    };
    let Some(addr) = addr else {
        return (false, "Failure: DNS resolution failed.".to_string());
    };
    let mut stream = match TcpStream::connect_timeout(&addr, CONNECT_TIMEOUT) {
        Ok(s) => s,
        Err(e) => {
            return (
                false,
                format!(
                "Failure: Connection refused. The endpoint {addr} did not accept a connection: {e}"
            ),
            )
        }
    };
    if kind == "TCP" {
        return (true, "Success: TCP connection established.".to_string());
    }
    let path = config["ResourcePath"].as_str().unwrap_or("/");
    let path = if path.starts_with('/') {
        path.to_string()
    } else {
        format!("/{path}")
    };
    let host_header = host
        .map(str::to_string)
        .unwrap_or_else(|| addr.ip().to_string());
    let request = format!(
        "GET {path} HTTP/1.1\r\nHost: {host_header}\r\nUser-Agent: Amazon-Route53-Health-Check-Service (ref gureum; report http://amzn.to/1vsZADi)\r\nConnection: close\r\n\r\n"
    );
    let _ = stream.set_read_timeout(Some(RESPONSE_TIMEOUT));
    let _ = stream.set_write_timeout(Some(RESPONSE_TIMEOUT));
    if let Err(e) = stream.write_all(request.as_bytes()) {
        return (
            false,
            format!("Failure: The request could not be sent: {e}"),
        );
    }
    let mut buf = Vec::with_capacity(8192);
    let mut chunk = [0u8; 4096];
    let mut body_start = None;
    loop {
        match stream.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
            Err(_) if !buf.is_empty() => break,
            Err(e) => {
                return (
                    false,
                    format!("Failure: Timeout waiting for the response: {e}"),
                )
            }
        }
        if body_start.is_none() {
            body_start = buf.windows(4).position(|w| w == b"\r\n\r\n").map(|p| p + 4);
        }
        if body_start.is_some_and(|s| buf.len() >= s + SEARCH_WINDOW) || buf.len() > 65536 {
            break;
        }
    }
    let status = std::str::from_utf8(&buf[..buf.len().min(64)])
        .ok()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|c| c.parse::<u16>().ok());
    let Some(status) = status else {
        return (false, "Failure: The response was not HTTP.".to_string());
    };
    if !(200..400).contains(&status) {
        return (false, format!("Failure: HTTP Status Code {status}."));
    }
    if let Some(search) = config["SearchString"]
        .as_str()
        .filter(|_| kind.ends_with("STR_MATCH"))
    {
        let start = body_start.unwrap_or(buf.len()).min(buf.len());
        let body = &buf[start..buf.len().min(start + SEARCH_WINDOW)];
        if !body
            .windows(search.len().max(1))
            .any(|w| w == search.as_bytes())
        {
            return (
                false,
                format!("Failure: HTTP Status Code {status}. Failed to find the specified search string in the response body."),
            );
        }
    }
    (true, format!("Success: HTTP Status Code {status}, OK"))
}
