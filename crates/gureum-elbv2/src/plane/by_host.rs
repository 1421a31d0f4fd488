//! Load balancers reached through Gureum's main port by `Host`
//! (`NAME-1234567890.REGION.elb.localhost:4566`): the request is passed to
//! the load balancer's HTTP listener (port 80 when it has one) on its
//! loopback address, so it takes the same rules and targets.

use super::Plane;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;
use std::net::SocketAddr;

/// A response read whole: status, headers, body.
pub type WholeResponse = (u16, Vec<(String, String)>, Bytes);

/// Whether `host` (with or without a port) is a load balancer's DNS name
/// under `.elb.localhost`.
pub fn is_load_balancer_host(host: &str) -> bool {
    let host = host
        .rsplit_once(':')
        .filter(|(_, p)| p.bytes().all(|b| b.is_ascii_digit()))
        .map_or(host, |(h, _)| h);
    host.ends_with(".elb.localhost")
}

impl Plane {
    /// The loopback address of the HTTP listener serving `host` (port 80
    /// first, else the lowest port).
    pub fn listener_for_host(&self, host: &str) -> Option<SocketAddr> {
        let name = host
            .rsplit_once(':')
            .filter(|(_, p)| p.bytes().all(|b| b.is_ascii_digit()))
            .map_or(host, |(h, _)| h);
        let mut http: Vec<_> = self
            .endpoints()
            .into_iter()
            .filter(|e| e.dns_name.eq_ignore_ascii_case(name) && e.protocol == "HTTP")
            .collect();
        http.sort_by_key(|e| (e.port != 80, e.port));
        http.first().map(|e| e.address)
    }
}

/// Passes one request to the listener at `addr`; `None` when it cannot
/// be reached.
pub async fn forward(
    addr: SocketAddr,
    method: &http::Method,
    path_and_query: &str,
    headers: &http::HeaderMap,
    body: Bytes,
) -> Option<WholeResponse> {
    let stream = tokio::net::TcpStream::connect(addr).await.ok()?;
    let (mut sender, conn) =
        hyper::client::conn::http1::handshake::<_, Full<Bytes>>(TokioIo::new(stream))
            .await
            .ok()?;
    tokio::spawn(async move {
        let _ = conn.await;
    });
    let mut request = http::Request::builder()
        .method(method.clone())
        .uri(path_and_query)
        .body(Full::new(body))
        .ok()?;
    for (name, value) in headers {
        if !matches!(
            name.as_str(),
            "connection" | "keep-alive" | "transfer-encoding" | "content-length"
        ) {
            request.headers_mut().append(name.clone(), value.clone());
        }
    }
    let response = sender.send_request(request).await.ok()?;
    let status = response.status().as_u16();
    let headers = response
        .headers()
        .iter()
        .filter(|(n, _)| {
            !matches!(
                n.as_str(),
                "connection" | "transfer-encoding" | "content-length"
            )
        })
        .map(|(n, v)| {
            (
                n.as_str().to_string(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect();
    let body = response.into_body().collect().await.ok()?.to_bytes();
    Some((status, headers, body))
}
