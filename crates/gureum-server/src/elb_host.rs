//! Load balancers on the main port by `Host`: a request for
//! `NAME-1234567890.REGION.elb.localhost:PORT` goes to that load
//! balancer's HTTP listener (see `gureum_elbv2::plane::by_host`), read
//! whole both ways; AWS's 502 page when the listener cannot be reached.

use crate::pipeline::Body;
use bytes::Bytes;
use gureum_protocol::Response as WireResponse;
use http::request::Parts;
use http_body_util::BodyExt;
use std::net::SocketAddr;

/// Passes the request to the listener at `addr`.
pub(crate) async fn serve(addr: SocketAddr, parts: &Parts, body: Body) -> WireResponse {
    let bytes = match body {
        Body::Bytes(b) => Some(b),
        Body::Incoming(t) => t.collect().await.ok().map(|c| c.to_bytes()),
    };
    let path = parts.uri.path_and_query().map_or("/", |p| p.as_str());
    let answer = match bytes {
        Some(b) => {
            gureum_elbv2::plane::by_host::forward(addr, &parts.method, path, &parts.headers, b)
                .await
        }
        None => None,
    };
    match answer {
        Some((status, headers, body)) => WireResponse {
            status,
            headers,
            body,
        },
        None => WireResponse {
            status: 502,
            headers: vec![
                ("Server".into(), "awselb/2.0".into()),
                ("Content-Type".into(), "text/html".into()),
            ],
            body: Bytes::from(gureum_elbv2::plane::pages::error_page(502)),
        },
    }
}
