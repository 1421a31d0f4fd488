//! Streaming bodies: what S3 object bytes travel in.
//!
//! Most operations carry their whole input in a [`Value`](crate::Value),
//! read by the protocol layer from a body held in memory. Operations whose
//! model marks the payload member `streaming` (S3's `PutObject`,
//! `UploadPart`, `GetObject`) move bytes that may be gigabytes, so the
//! server hands the service a [`RequestBody`] to read chunk by chunk (already
//! aws-chunked-decoded and checked against the signed payload hash), and the
//! service may answer with a [`ResponseBody`] that the server writes as it is
//! produced.

use crate::AwsError;
use bytes::Bytes;
use std::fmt;
use std::future::poll_fn;
use std::pin::Pin;
use std::task::{Context, Poll};

/// A source of body chunks, polled like a stream.
pub trait ByteSource: Send {
    /// The next chunk; `None` at the end, an error when the body cannot be
    /// read in full (the client went away, a chunk signature is wrong).
    fn poll_chunk(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Bytes, AwsError>>>;

    /// Trailing headers (aws-chunked trailers such as
    /// `x-amz-checksum-crc32`), known once the source has ended.
    fn trailers(&self) -> Vec<(String, String)> {
        Vec::new()
    }
}

/// The body of a request whose operation streams its payload.
pub struct RequestBody {
    source: Option<Pin<Box<dyn ByteSource>>>,
    buffered: Option<Bytes>,
    /// The decoded length the client declared (`Content-Length`, or
    /// `x-amz-decoded-content-length` for aws-chunked bodies).
    pub declared_length: Option<u64>,
}

impl fmt::Debug for RequestBody {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RequestBody")
            .field("streaming", &self.source.is_some())
            .field("declared_length", &self.declared_length)
            .finish()
    }
}

impl RequestBody {
    /// A body already in memory.
    pub fn from_bytes(bytes: Bytes) -> Self {
        RequestBody {
            declared_length: Some(bytes.len() as u64),
            buffered: (!bytes.is_empty()).then_some(bytes),
            source: None,
        }
    }

    /// A body read from `source`.
    pub fn from_source(source: Pin<Box<dyn ByteSource>>, declared_length: Option<u64>) -> Self {
        RequestBody {
            source: Some(source),
            buffered: None,
            declared_length,
        }
    }

    /// An empty body.
    pub fn empty() -> Self {
        Self::from_bytes(Bytes::new())
    }

    /// The next chunk, `None` at the end.
    pub async fn chunk(&mut self) -> Option<Result<Bytes, AwsError>> {
        if let Some(b) = self.buffered.take() {
            return Some(Ok(b));
        }
        let source = self.source.as_mut()?;
        poll_fn(|cx| source.as_mut().poll_chunk(cx)).await
    }

    /// The trailing headers, once the body has been read to its end.
    pub fn trailers(&self) -> Vec<(String, String)> {
        self.source
            .as_ref()
            .map(|s| s.trailers())
            .unwrap_or_default()
    }

    /// Reads the whole body into memory, refusing more than `limit` bytes.
    pub async fn collect(mut self, limit: usize) -> Result<Bytes, AwsError> {
        let mut out = Vec::new();
        while let Some(chunk) = self.chunk().await {
            let chunk = chunk?;
            if out.len() + chunk.len() > limit {
                return Err(AwsError::new(
                    "EntityTooLarge",
                    400,
                    "Your proposed upload exceeds the maximum allowed size",
                ));
            }
            if out.is_empty() && self.source.is_none() {
                return Ok(chunk);
            }
            out.extend_from_slice(&chunk);
        }
        Ok(out.into())
    }
}

/// A response body: bytes in memory, or a stream of known length.
pub enum ResponseBody {
    /// The whole body.
    Bytes(Bytes),
    /// `length` bytes produced by `source`.
    Stream {
        /// Where the bytes come from.
        source: Pin<Box<dyn ByteSource>>,
        /// The exact length (sent as `Content-Length`), or
        /// [`ResponseBody::UNKNOWN_LENGTH`]: sent chunked until the source
        /// ends (event streams, whose length is known only at the end).
        length: u64,
    },
}

impl ResponseBody {
    /// The `length` of a stream sent chunked, to its end: event streams
    /// (`application/vnd.amazon.eventstream`: Logs' `StartLiveTail`,
    /// Lambda's `InvokeWithResponseStream`) and streamed function URL
    /// answers. The server sends it until the source ends or the client
    /// goes away.
    pub const UNKNOWN_LENGTH: u64 = u64::MAX;

    /// A body of `source`'s chunks, however many there turn out to be.
    pub fn chunked(source: Pin<Box<dyn ByteSource>>) -> Self {
        ResponseBody::Stream {
            source,
            length: Self::UNKNOWN_LENGTH,
        }
    }

    /// Whether this body is sent chunked, to its end ([`Self::chunked`]).
    pub fn is_chunked(&self) -> bool {
        matches!(self, ResponseBody::Stream { length, .. } if *length == Self::UNKNOWN_LENGTH)
    }
}

impl fmt::Debug for ResponseBody {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ResponseBody::Bytes(b) => write!(f, "ResponseBody::Bytes({} bytes)", b.len()),
            ResponseBody::Stream { length, .. } => {
                write!(f, "ResponseBody::Stream({length} bytes)")
            }
        }
    }
}

/// What a streaming operation answers: the output value (headers and any
/// XML members) and, when the payload is streamed, its bytes.
#[derive(Debug)]
pub struct Reply {
    /// The output shape's members.
    pub output: crate::Value,
    /// The payload, when the operation has a blob payload.
    pub body: Option<ResponseBody>,
    /// A status other than the operation's usual one (206 for a range).
    pub status: Option<u16>,
}

impl Reply {
    /// A reply without a streamed body.
    pub fn value(output: crate::Value) -> Self {
        Reply {
            output,
            body: None,
            status: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Chunks(Vec<&'static [u8]>);

    impl ByteSource for Chunks {
        fn poll_chunk(
            mut self: Pin<&mut Self>,
            _: &mut Context<'_>,
        ) -> Poll<Option<Result<Bytes, AwsError>>> {
            if self.0.is_empty() {
                return Poll::Ready(None);
            }
            Poll::Ready(Some(Ok(Bytes::from_static(self.0.remove(0)))))
        }
    }

    fn block_on<F: std::future::Future>(f: F) -> F::Output {
        // The sources here never return Pending, so one poll finishes.
        let mut f = std::pin::pin!(f);
        let waker = std::task::Waker::noop();
        match f.as_mut().poll(&mut Context::from_waker(waker)) {
            Poll::Ready(v) => v,
            Poll::Pending => panic!("test source returned Pending"),
        }
    }

    #[test]
    fn collect_joins_chunks_in_order() {
        let body = RequestBody::from_source(Box::pin(Chunks(vec![b"ab", b"", b"cd"])), None);
        assert_eq!(
            block_on(body.collect(10)).expect("should succeed"),
            Bytes::from_static(b"abcd")
        );
    }

    #[test]
    fn collect_refuses_more_than_the_limit() {
        let body = RequestBody::from_source(Box::pin(Chunks(vec![b"abc", b"def"])), None);
        let err = block_on(body.collect(5)).expect_err("should fail");
        assert_eq!(err.code, "EntityTooLarge");
    }

    #[test]
    fn a_buffered_body_is_one_chunk_then_the_end() {
        let mut body = RequestBody::from_bytes(Bytes::from_static(b"xyz"));
        assert_eq!(
            block_on(body.chunk())
                .expect("should succeed")
                .expect("should succeed"),
            &b"xyz"[..]
        );
        assert!(block_on(body.chunk()).is_none());
    }
}
