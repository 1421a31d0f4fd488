//! Any aws-chunked body, in any of the three modes: decoding returns the
//! data or an error, and feeding the body in two pieces (as it arrives off
//! the socket) gives exactly what decoding it whole gives.
#![no_main]

use arbitrary::Arbitrary;
use gureum_auth::{
    decode_aws_chunked, ChunkSigningContext, ChunkedDecoder, ChunkedMode, SigV4Request,
};
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

#[derive(Arbitrary, Debug)]
struct Input<'a> {
    mode: u8,
    split: usize,
    decoded_length: Option<u64>,
    body: &'a [u8],
}

/// A signing context from a well-formed header (the seed signature is the
/// header's).
fn signing() -> &'static ChunkSigningContext {
    static CTX: OnceLock<ChunkSigningContext> = OnceLock::new();
    CTX.get_or_init(|| {
        let mut h = http::HeaderMap::new();
        h.insert(
            "authorization",
            "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, SignedHeaders=host;x-amz-date, Signature=4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9"
                .parse()
                .expect("header"),
        );
        h.insert("x-amz-date", "20130524T000000Z".parse().expect("date"));
        h.insert(
            "x-amz-content-sha256",
            "STREAMING-AWS4-HMAC-SHA256-PAYLOAD".parse().expect("mode"),
        );
        let parsed = SigV4Request::parse(&h, "")
            .expect("parses")
            .expect("signed");
        ChunkSigningContext::new(&parsed, "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
    })
}

fuzz_target!(|input: Input<'_>| {
    let mode = match input.mode % 3 {
        0 => ChunkedMode::SignedPayload,
        1 => ChunkedMode::SignedPayloadTrailer,
        _ => ChunkedMode::UnsignedPayloadTrailer,
    };
    let ctx = mode.is_signed().then(signing);
    let whole = decode_aws_chunked(input.body, mode, ctx, input.decoded_length);

    let Ok(mut decoder) = ChunkedDecoder::new(mode, ctx.cloned(), input.decoded_length) else {
        assert!(whole.is_err());
        return;
    };
    let cut = if input.body.is_empty() {
        0
    } else {
        input.split % (input.body.len() + 1)
    };
    let mut data = Vec::new();
    let pieces = decoder
        .feed(&input.body[..cut], &mut data)
        .and_then(|()| decoder.feed(&input.body[cut..], &mut data))
        .and_then(|()| decoder.finish());
    match (whole, pieces) {
        (Ok(w), Ok(trailers)) => {
            assert_eq!(w.data, data, "same data whole or in pieces");
            assert_eq!(w.trailers, trailers, "same trailers whole or in pieces");
        }
        (Err(_), Err(_)) => {}
        (w, p) => panic!(
            "whole {:?} vs pieces {:?}",
            w.map(|d| d.data.len()),
            p.map(|_| data.len())
        ),
    }
});
