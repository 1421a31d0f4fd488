//! Bodies that stream between hyper and a service.
//!
//! [`IncomingSource`] turns a hyper request body into the
//! [`ByteSource`] a streaming operation reads: aws-chunked framing is
//! decoded (and each chunk's signature checked) on the way, and a payload
//! whose SHA-256 was signed is hashed as it passes, so a body that does not
//! match its signature ends in an error before the service can commit it.
//! [`ResponseStream`] is the response side: a body in memory or a
//! service's stream of known length.

use bytes::Bytes;
use gureum_auth::chunked::ChunkedDecoder;
use gureum_core::{AwsError, ByteSource, ResponseBody};
use http_body_util::BodyExt;
use hyper::body::{Body, Frame, Incoming, SizeHint};
use sha2::{Digest, Sha256};
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

/// How long a request body may stall between two pieces before the
/// request fails with `RequestTimeout` (S3's figure: about 20 s).
pub const BODY_STALL_TIMEOUT: Duration = Duration::from_secs(20);

/// Why reading a request body failed.
#[derive(Debug)]
pub enum BodyError {
    /// The connection failed or closed early.
    Transport(hyper::Error),
    /// No byte arrived for [`BODY_STALL_TIMEOUT`].
    Stalled,
}

impl std::fmt::Display for BodyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BodyError::Transport(e) => write!(f, "{e}"),
            BodyError::Stalled => write!(f, "the request body stalled"),
        }
    }
}

impl std::error::Error for BodyError {}

impl BodyError {
    /// The error the client reads.
    pub fn to_aws_error(&self) -> AwsError {
        match self {
            BodyError::Transport(_) => incomplete(),
            BodyError::Stalled => AwsError::new(
                "RequestTimeout",
                400,
                "Your socket connection to the server was not read from or written to within \
                 the timeout period. Idle connections will be closed.",
            ),
        }
    }
}

/// A request body that records whether it was read to its end, and fails
/// when it stalls. A body left unread (a streaming PUT refused before its
/// bytes were taken) would otherwise be parsed as the connection's next
/// request, so the server closes such connections after the response; a
/// body that stops arriving would otherwise hold its request (and the
/// connection, which is never idle while a request is in flight) forever.
pub struct Tracked {
    body: Incoming,
    done: Arc<AtomicBool>,
    /// Armed at the first wait for a piece (a bodiless request never
    /// touches the timer).
    stall: Option<Pin<Box<tokio::time::Sleep>>>,
}

impl Tracked {
    /// Tracks `body`; the returned flag turns true at its end.
    pub fn new(body: Incoming) -> (Tracked, Arc<AtomicBool>) {
        let done = Arc::new(AtomicBool::new(body.is_end_stream()));
        (
            Tracked {
                body,
                done: done.clone(),
                stall: None,
            },
            done,
        )
    }

    /// The length the client declared, when it did.
    pub fn declared_len(&self) -> Option<u64> {
        self.body.size_hint().exact()
    }
}

impl Body for Tracked {
    type Data = Bytes;
    type Error = BodyError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BodyError>>> {
        let this = &mut *self;
        let r = Pin::new(&mut this.body).poll_frame(cx);
        if matches!(r, Poll::Ready(None)) || this.body.is_end_stream() {
            this.done.store(true, Ordering::Release);
        }
        match r {
            Poll::Pending => {
                let stall = this
                    .stall
                    .get_or_insert_with(|| Box::pin(tokio::time::sleep(BODY_STALL_TIMEOUT)));
                if stall.as_mut().poll(cx).is_ready() {
                    return Poll::Ready(Some(Err(BodyError::Stalled)));
                }
                Poll::Pending
            }
            Poll::Ready(r) => {
                if let Some(stall) = this.stall.as_mut() {
                    stall
                        .as_mut()
                        .reset(tokio::time::Instant::now() + BODY_STALL_TIMEOUT);
                }
                Poll::Ready(r.map(|f| f.map_err(BodyError::Transport)))
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}

/// How the request payload is checked as it streams.
pub enum PayloadCheck {
    /// Nothing to check (`UNSIGNED-PAYLOAD`, unsigned requests).
    None,
    /// The signed `x-amz-content-sha256` (hex) the body must hash to.
    Sha256(String),
    /// An aws-chunked body.
    Chunked(Box<ChunkedDecoder>),
}

/// A hyper request body as a service's [`ByteSource`].
pub struct IncomingSource {
    body: Tracked,
    check: PayloadCheck,
    hasher: Option<Sha256>,
    trailers: Vec<(String, String)>,
    done: bool,
}

impl IncomingSource {
    /// Reads `body`, checking it as `check` says.
    pub fn new(body: Tracked, check: PayloadCheck) -> Self {
        let hasher = matches!(check, PayloadCheck::Sha256(_)).then(Sha256::new);
        IncomingSource {
            body,
            check,
            hasher,
            trailers: Vec::new(),
            done: false,
        }
    }

    fn on_data(&mut self, data: Bytes) -> Result<Bytes, AwsError> {
        match &mut self.check {
            PayloadCheck::None => Ok(data),
            PayloadCheck::Sha256(_) => {
                if let Some(h) = self.hasher.as_mut() {
                    h.update(&data);
                }
                Ok(data)
            }
            PayloadCheck::Chunked(decoder) => {
                let mut out = Vec::with_capacity(data.len());
                decoder
                    .feed(&data, &mut out)
                    .map_err(|e| e.to_aws_error_for("s3"))?;
                Ok(out.into())
            }
        }
    }

    fn on_end(&mut self) -> Result<(), AwsError> {
        self.done = true;
        match std::mem::replace(&mut self.check, PayloadCheck::None) {
            PayloadCheck::None => Ok(()),
            PayloadCheck::Sha256(claimed) => {
                let actual =
                    gureum_core::hex::encode(&self.hasher.take().unwrap_or_default().finalize());
                if actual.eq_ignore_ascii_case(&claimed) {
                    Ok(())
                } else {
                    Err(gureum_auth::AuthError::XAmzContentSha256Mismatch {
                        client: claimed,
                        computed: actual,
                    }
                    .to_aws_error_for("s3"))
                }
            }
            PayloadCheck::Chunked(decoder) => {
                self.trailers = decoder.finish().map_err(|e| e.to_aws_error_for("s3"))?;
                Ok(())
            }
        }
    }
}

fn incomplete() -> AwsError {
    AwsError::new(
        "IncompleteBody",
        400,
        "The request body terminated unexpectedly",
    )
}

impl ByteSource for IncomingSource {
    fn poll_chunk(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Bytes, AwsError>>> {
        let this = &mut *self;
        loop {
            if this.done {
                return Poll::Ready(None);
            }
            match Pin::new(&mut this.body).poll_frame(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(None) => {
                    if let Err(e) = this.on_end() {
                        return Poll::Ready(Some(Err(e)));
                    }
                    return Poll::Ready(None);
                }
                Poll::Ready(Some(Err(e))) => {
                    this.done = true;
                    return Poll::Ready(Some(Err(e.to_aws_error())));
                }
                Poll::Ready(Some(Ok(frame))) => {
                    let Ok(data) = frame.into_data() else {
                        continue; // HTTP trailers: not how S3 clients send theirs.
                    };
                    match this.on_data(data) {
                        Ok(d) if d.is_empty() => continue,
                        Ok(d) => return Poll::Ready(Some(Ok(d))),
                        Err(e) => {
                            this.done = true;
                            return Poll::Ready(Some(Err(e)));
                        }
                    }
                }
            }
        }
    }

    fn trailers(&self) -> Vec<(String, String)> {
        self.trailers.clone()
    }
}

/// Reads a whole request body, refusing more than `limit` bytes (at once
/// when the declared length says so), inside the server's budget for
/// buffered bodies: the permit returned holds the body's share until the
/// request is done.
pub async fn collect(
    mut body: Tracked,
    limit: usize,
    budget: &crate::budget::BodyBudget,
) -> Result<(Bytes, crate::budget::Permit), AwsError> {
    let declared = body.declared_len();
    if declared.is_some_and(|n| n > limit as u64) {
        return Err(too_large());
    }
    if body.is_end_stream() {
        // No body (GETs, HEADs): nothing to hold a share of the budget for.
        return Ok((Bytes::new(), budget.acquire_none()));
    }
    // A body of unknown length reserves the most it may be: requests that
    // grew their shares piece by piece could each hold part of the budget
    // and wait forever for the rest.
    let mut permit = budget
        .acquire(declared.map_or(limit, |n| n as usize))
        .await?;
    let mut buf = bytes::BytesMut::with_capacity(declared.unwrap_or(0) as usize);
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| e.to_aws_error())?;
        let Ok(data) = frame.into_data() else {
            continue;
        };
        if buf.len() + data.len() > limit {
            return Err(too_large());
        }
        if buf.len() + data.len() > permit.bytes() {
            permit.grow(buf.len() + data.len()).await?;
        }
        buf.extend_from_slice(&data);
    }
    Ok((buf.freeze(), permit))
}

fn too_large() -> AwsError {
    AwsError::new("RequestEntityTooLarge", 413, "Request body is too large")
}

/// The response body hyper writes.
pub enum ResponseStream {
    /// In memory (taken when written).
    Full(Option<Bytes>),
    /// A stream with `remaining` bytes still to come.
    Stream {
        /// The service's source.
        source: Pin<Box<dyn ByteSource>>,
        /// Bytes not yet produced.
        remaining: u64,
    },
    /// A chunked stream ([`ResponseBody::UNKNOWN_LENGTH`]: event streams,
    /// streamed function URL answers): chunks until the source ends. When the client
    /// goes away hyper drops the body, and with it the source, which is
    /// how a producer learns its reader left.
    Open(Pin<Box<dyn ByteSource>>),
}

impl From<Bytes> for ResponseStream {
    fn from(b: Bytes) -> Self {
        ResponseStream::Full(Some(b))
    }
}

impl From<ResponseBody> for ResponseStream {
    fn from(b: ResponseBody) -> Self {
        match b {
            ResponseBody::Bytes(b) => ResponseStream::Full(Some(b)),
            ResponseBody::Stream { source, length } if length == ResponseBody::UNKNOWN_LENGTH => {
                ResponseStream::Open(source)
            }
            ResponseBody::Stream { source, length } => ResponseStream::Stream {
                source,
                remaining: length,
            },
        }
    }
}

impl Body for ResponseStream {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, std::io::Error>>> {
        match &mut *self {
            ResponseStream::Full(b) => Poll::Ready(b.take().map(|b| Ok(Frame::data(b)))),
            ResponseStream::Stream { source, remaining } => {
                if *remaining == 0 {
                    return Poll::Ready(None);
                }
                match source.as_mut().poll_chunk(cx) {
                    Poll::Pending => Poll::Pending,
                    Poll::Ready(Some(Ok(mut chunk))) => {
                        if chunk.len() as u64 > *remaining {
                            chunk.truncate(*remaining as usize);
                        }
                        *remaining -= chunk.len() as u64;
                        Poll::Ready(Some(Ok(Frame::data(chunk))))
                    }
                    // A source that ends early or fails: the connection is
                    // cut, so the client sees a short body, never a wrong one.
                    Poll::Ready(Some(Err(e))) => {
                        Poll::Ready(Some(Err(std::io::Error::other(e.message))))
                    }
                    Poll::Ready(None) => Poll::Ready(Some(Err(std::io::Error::new(
                        std::io::ErrorKind::UnexpectedEof,
                        "object stream ended early",
                    )))),
                }
            }
            ResponseStream::Open(source) => match source.as_mut().poll_chunk(cx) {
                Poll::Pending => Poll::Pending,
                Poll::Ready(Some(Ok(chunk))) => Poll::Ready(Some(Ok(Frame::data(chunk)))),
                Poll::Ready(Some(Err(e))) => {
                    Poll::Ready(Some(Err(std::io::Error::other(e.message))))
                }
                Poll::Ready(None) => Poll::Ready(None),
            },
        }
    }

    fn is_end_stream(&self) -> bool {
        match self {
            ResponseStream::Full(b) => b.as_ref().is_none_or(|b| b.is_empty()),
            ResponseStream::Stream { remaining, .. } => *remaining == 0,
            ResponseStream::Open(_) => false,
        }
    }

    fn size_hint(&self) -> SizeHint {
        match self {
            ResponseStream::Full(b) => {
                SizeHint::with_exact(b.as_ref().map_or(0, |b| b.len()) as u64)
            }
            ResponseStream::Stream { remaining, .. } => SizeHint::with_exact(*remaining),
            ResponseStream::Open(_) => SizeHint::default(),
        }
    }
}
