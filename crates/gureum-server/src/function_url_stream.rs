//! Function URLs with `InvokeMode` `RESPONSE_STREAM`: the body goes to the
//! client as the function's runtime streams it (chunked). A runtime that
//! marks its stream `application/vnd.awslambda.http-integration-response`
//! (Node's `awslambda.HttpResponseStream.from`) starts it with a JSON
//! prelude (`statusCode`, `headers`, `cookies`) and eight NUL bytes; any
//! other stream is a 200 body of its content type. A runtime that answers
//! without streaming is answered as a buffered URL.

use bytes::Bytes;
use gureum_core::{AwsError, ByteSource, ResponseBody, Value};
use gureum_lambda::invoke::Outcome;
use gureum_lambda::runtime_api::{Piece, StreamSink};
use gureum_lambda::urls::UrlConfig;
use gureum_lambda::LambdaService;
use gureum_protocol::Response as WireResponse;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use tokio::sync::mpsc;

/// The content type that announces a prelude.
const HTTP_INTEGRATION: &str = "application/vnd.awslambda.http-integration-response";
/// What separates the prelude from the body.
const DELIMITER: [u8; 8] = [0; 8];

enum Event {
    Start(String),
    Data(Bytes),
    End(Result<Outcome, AwsError>),
}

/// The rest of the body, as the runtime sends it.
struct Rest(mpsc::UnboundedReceiver<Event>);

impl ByteSource for Rest {
    fn poll_chunk(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Bytes, AwsError>>> {
        loop {
            return match self.0.poll_recv(cx) {
                Poll::Pending => Poll::Pending,
                Poll::Ready(Some(Event::Data(b))) => Poll::Ready(Some(Ok(b))),
                Poll::Ready(Some(Event::Start(_))) => continue,
                Poll::Ready(Some(Event::End(_)) | None) => Poll::Ready(None),
            };
        }
    }
}

/// Invokes `url`'s function with `event` and answers with its stream: the
/// head here, the body through `stream_out`.
pub(crate) async fn respond(
    lambda: Arc<LambdaService>,
    url: UrlConfig,
    event: Vec<u8>,
    stream_out: &mut Option<ResponseBody>,
) -> WireResponse {
    let (tx, mut rx) = mpsc::unbounded_channel();
    let pieces = tx.clone();
    let sink: StreamSink = Arc::new(move |p: Piece<'_>| {
        let _ = pieces.send(match p {
            Piece::Start(t) => Event::Start(t.to_string()),
            Piece::Data(d) => Event::Data(Bytes::copy_from_slice(d)),
        });
    });
    tokio::task::spawn_blocking(move || {
        let _ = tx.send(Event::End(lambda.invoke_url_streaming(
            &url,
            event,
            Some(sink),
        )));
    });
    let content_type = match rx.recv().await {
        Some(Event::Start(t)) => t,
        // Not streamed: the whole answer, as a buffered URL gives it.
        Some(Event::End(Ok(o))) if o.function_error.is_none() => {
            return crate::function_urls::response(&o.payload)
        }
        _ => return bad_gateway(),
    };
    let mut head = WireResponse {
        status: 200,
        headers: vec![("Content-Type".into(), content_type.clone())],
        body: Bytes::new(),
    };
    let mut first = Bytes::new();
    if content_type == HTTP_INTEGRATION {
        let mut seen = Vec::new();
        loop {
            match rx.recv().await {
                Some(Event::Data(d)) => seen.extend_from_slice(&d),
                Some(Event::Start(_)) => continue,
                _ => return bad_gateway(),
            }
            if let Some(at) = seen.windows(DELIMITER.len()).position(|w| w == DELIMITER) {
                head = prelude(&seen[..at]);
                first = Bytes::copy_from_slice(&seen[at + DELIMITER.len()..]);
                break;
            }
        }
    }
    let (rest_tx, rest_rx) = mpsc::unbounded_channel();
    if !first.is_empty() {
        let _ = rest_tx.send(Event::Data(first));
    }
    // Forward what is still to come behind what was already read.
    tokio::spawn(async move {
        while let Some(e) = rx.recv().await {
            if rest_tx.send(e).is_err() {
                break;
            }
        }
    });
    *stream_out = Some(ResponseBody::chunked(Box::pin(Rest(rest_rx))));
    head
}

/// The status and headers a prelude gives.
fn prelude(bytes: &[u8]) -> WireResponse {
    let doc: Value = serde_json::from_slice(bytes).unwrap_or_default();
    let status = doc["statusCode"]
        .as_u64()
        .filter(|s| (100..600).contains(s))
        .unwrap_or(200) as u16;
    let mut headers: Vec<(String, String)> = Vec::new();
    if let Some(h) = doc["headers"].as_object() {
        for (k, v) in h {
            headers.push((
                k.clone(),
                v.as_str().map_or_else(|| v.to_string(), str::to_string),
            ));
        }
    }
    if !headers
        .iter()
        .any(|(k, _)| k.eq_ignore_ascii_case("content-type"))
    {
        headers.push(("Content-Type".into(), "application/octet-stream".into()));
    }
    for cookie in doc["cookies"].as_array().into_iter().flatten() {
        if let Some(c) = cookie.as_str() {
            headers.push(("Set-Cookie".into(), c.to_string()));
        }
    }
    WireResponse {
        status,
        headers,
        body: Bytes::new(),
    }
}

/// The answer to a function that failed (as a buffered URL's).
fn bad_gateway() -> WireResponse {
    crate::function_urls::message(502, "Internal Server Error")
}

#[cfg(test)]
mod tests {
    use super::prelude;

    #[test]
    fn a_prelude_gives_the_status_headers_and_cookies() {
        let r = prelude(br#"{"statusCode": 201, "headers": {"X-A": "b"}, "cookies": ["c=d"]}"#);
        assert_eq!(r.status, 201);
        assert!(r.headers.contains(&("X-A".into(), "b".into())));
        assert!(r.headers.contains(&("Set-Cookie".into(), "c=d".into())));
        assert!(r
            .headers
            .iter()
            .any(|(k, v)| k == "Content-Type" && v == "application/octet-stream"));
    }
}
