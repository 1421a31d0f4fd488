//! `InvokeWithResponseStream`: the function's response as AWS's event
//! stream — `PayloadChunk` events as the runtime sends them (in the Runtime
//! API's streaming response mode; a buffered response is one chunk), then
//! `InvokeComplete` with any error and the `LogType=Tail` log.

use crate::invoke::{event_payload, tail_of, Outcome, MAX_SYNC_PAYLOAD};
use crate::runtime_api::{Piece, StreamSink};
use crate::LambdaService;
use gureum_core::{AwsError, ByteSource, Reply, RequestBody, RequestContext, ResponseBody, Value};
use gureum_protocol::eventstream::{Message, CONTENT_TYPE};
use serde_json::json;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use tokio::sync::mpsc;

/// The encoded messages of one response, as they are produced.
struct Frames(mpsc::UnboundedReceiver<bytes::Bytes>);

impl ByteSource for Frames {
    fn poll_chunk(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<bytes::Bytes, AwsError>>> {
        self.0.poll_recv(cx).map(|b| b.map(Ok))
    }
}

/// A `PayloadChunk` event of `bytes`.
pub fn payload_chunk(bytes: &[u8]) -> bytes::Bytes {
    Message::event("PayloadChunk", "application/octet-stream", bytes.to_vec())
        .encode()
        .into()
}

/// The `InvokeComplete` event ending an invocation: the function's
/// `errorType`/`errorMessage` when it failed, and its log's tail when asked.
pub fn invoke_complete(outcome: &Outcome, tail: bool) -> bytes::Bytes {
    let mut doc = json!({});
    if outcome.function_error.is_some() {
        let error: Value = serde_json::from_slice(&outcome.payload).unwrap_or_default();
        doc["ErrorCode"] = json!(error["errorType"].as_str().unwrap_or("Unhandled"));
        doc["ErrorDetails"] = json!(error["errorMessage"].as_str().unwrap_or_default());
    }
    if tail {
        doc["LogResult"] = json!(tail_of(&outcome.log));
    }
    Message::event(
        "InvokeComplete",
        "application/json",
        doc.to_string().into_bytes(),
    )
    .encode()
    .into()
}

impl LambdaService {
    /// `InvokeWithResponseStream` (`RequestResponse` or `DryRun`).
    pub(crate) async fn invoke_with_response_stream(
        &self,
        ctx: &RequestContext,
        input: Value,
        body: RequestBody,
    ) -> Result<Reply, AwsError> {
        drop(body);
        crate::refuse_unsupported(&input, &["TenantId"])?;
        let (key, function) = self.resolve(ctx, &input)?;
        let payload = event_payload(&input, MAX_SYNC_PAYLOAD)?;
        let version = function.config["Version"]
            .as_str()
            .unwrap_or("$LATEST")
            .to_string();
        if input.get("InvocationType").and_then(Value::as_str) == Some("DryRun") {
            let mut r = Reply::value(json!({"StatusCode": 204}));
            r.status = Some(204);
            return Ok(r);
        }
        self.check_reserved(ctx, &key, &function)?;
        let tail = input.get("LogType").and_then(Value::as_str) == Some("Tail");
        let client_context = input
            .get("ClientContext")
            .and_then(Value::as_str)
            .and_then(|c| {
                use base64::Engine;
                base64::engine::general_purpose::STANDARD.decode(c).ok()
            })
            .map(|b| String::from_utf8_lossy(&b).to_string());
        let (tx, rx) = mpsc::unbounded_channel();
        let runner = self.runner(&ctx.account_id, &ctx.region);
        let chunks = tx.clone();
        let sink: StreamSink = Arc::new(move |p: Piece<'_>| {
            if let Piece::Data(c) = p {
                let _ = chunks.send(payload_chunk(c));
            }
        });
        tokio::task::spawn_blocking(move || {
            match runner.run_streaming(&function, payload, client_context, Some(sink)) {
                Ok(outcome) => {
                    if !outcome.streamed && outcome.function_error.is_none() {
                        let _ = tx.send(payload_chunk(&outcome.payload));
                    }
                    let _ = tx.send(invoke_complete(&outcome, tail));
                }
                // The headers are sent: the failure ends the stream as an
                // error message the SDKs raise.
                Err(e) => {
                    let _ = tx.send(Message::error(&e.code, &e.message).encode().into());
                }
            }
        });
        let mut reply = Reply::value(json!({
            "StatusCode": 200,
            "ExecutedVersion": version,
            "ResponseStreamContentType": CONTENT_TYPE,
        }));
        reply.body = Some(ResponseBody::chunked(Box::pin(Frames(rx))));
        Ok(reply)
    }
}
