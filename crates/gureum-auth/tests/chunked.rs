//! aws-chunked decoding: all three modes, streaming in pieces, and no
//! panic on any malformed input.

use gureum_auth::chunked::{
    decode_aws_chunked, encode_aws_chunked, ChunkSigningContext, ChunkedDecoder, ChunkedMode,
};
use gureum_auth::keys::derive_signing_key;
use gureum_auth::AuthError;

fn ctx() -> ChunkSigningContext {
    let key = derive_signing_key("test", "20240501", "us-east-1", "s3");
    ChunkSigningContext::from_parts(
        key,
        "20240501T120000Z",
        "20240501/us-east-1/s3/aws4_request",
        "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9",
    )
}

fn data(n: usize) -> Vec<u8> {
    (0..n).map(|i| (i * 31 % 251) as u8).collect()
}

/// `haystack` with the last occurrence of `from` replaced by `to`.
fn replace(haystack: &[u8], from: &[u8], to: &[u8]) -> Vec<u8> {
    let pos = haystack
        .windows(from.len())
        .rposition(|w| w == from)
        .expect("pattern present");
    [&haystack[..pos], to, &haystack[pos + from.len()..]].concat()
}

fn crc_trailer() -> Vec<(String, String)> {
    vec![("x-amz-checksum-crc32".to_string(), "sOO8/Q==".to_string())]
}

#[test]
fn unsigned_trailer_body_decodes_with_its_trailers() {
    let d = data(70_000);
    let body = encode_aws_chunked(&d, 65_536, None, &crc_trailer());
    let out = decode_aws_chunked(
        &body,
        ChunkedMode::UnsignedPayloadTrailer,
        None,
        Some(70_000),
    )
    .expect("decodes");
    assert_eq!(out.data, d);
    assert_eq!(out.trailers, crc_trailer());
}

#[test]
fn unsigned_trailer_literal_body_decodes() {
    let body = b"5\r\nhello\r\n0\r\nx-amz-checksum-crc32:NhCmhg==\r\n\r\n";
    let out =
        decode_aws_chunked(body, ChunkedMode::UnsignedPayloadTrailer, None, Some(5)).expect("ok");
    assert_eq!(out.data, b"hello");
    assert_eq!(
        out.trailers,
        vec![("x-amz-checksum-crc32".into(), "NhCmhg==".into())]
    );
}

#[test]
fn signed_trailer_body_verifies_chunks_and_trailer_signature() {
    let c = ctx();
    let d = data(20_000);
    let body = encode_aws_chunked(&d, 8192, Some(&c), &crc_trailer());
    let out = decode_aws_chunked(
        &body,
        ChunkedMode::SignedPayloadTrailer,
        Some(&c),
        Some(20_000),
    )
    .expect("decodes");
    assert_eq!(out.data, d);
    assert_eq!(out.trailers, crc_trailer());
    // A changed trailer value breaks the trailer signature.
    let tampered = replace(&body, b"sOO8/Q==", b"AAAAAA==");
    assert_eq!(
        decode_aws_chunked(&tampered, ChunkedMode::SignedPayloadTrailer, Some(&c), None),
        Err(AuthError::ChunkSignatureDoesNotMatch)
    );
}

#[test]
fn signed_trailer_body_without_trailer_signature_is_rejected() {
    let c = ctx();
    let body = encode_aws_chunked(b"abc", 8192, Some(&c), &[]);
    // Append a trailer without a signature.
    let tampered = replace(
        &body,
        b"\r\n\r\n",
        b"\r\nx-amz-checksum-crc32:AAAAAA==\r\n\r\n",
    );
    assert_eq!(
        decode_aws_chunked(&tampered, ChunkedMode::SignedPayloadTrailer, Some(&c), None),
        Err(AuthError::ChunkSignatureDoesNotMatch)
    );
}

#[test]
fn decoded_content_length_must_match() {
    let body = encode_aws_chunked(&data(100), 64, None, &[]);
    for wrong in [99, 101] {
        let err = decode_aws_chunked(
            &body,
            ChunkedMode::UnsignedPayloadTrailer,
            None,
            Some(wrong),
        )
        .expect_err("length");
        assert_eq!(err.code(), "IncompleteBody");
    }
}

#[test]
fn truncated_body_is_incomplete() {
    let c = ctx();
    let body = encode_aws_chunked(&data(1000), 256, Some(&c), &[]);
    for cut in [0, 1, 10, 100, 300, body.len() - 40] {
        let err = decode_aws_chunked(&body[..cut], ChunkedMode::SignedPayload, Some(&c), None)
            .expect_err("truncated");
        assert!(
            matches!(err, AuthError::IncompleteBody(_)),
            "cut {cut}: {err:?}"
        );
    }
}

#[test]
fn body_ending_without_final_empty_line_is_accepted() {
    let body = b"3\r\nabc\r\n0\r\n";
    let out =
        decode_aws_chunked(body, ChunkedMode::UnsignedPayloadTrailer, None, Some(3)).expect("ok");
    assert_eq!(out.data, b"abc");
}

#[test]
fn streaming_in_any_slice_size_gives_the_same_result() {
    let c = ctx();
    let d = data(30_000);
    let body = encode_aws_chunked(&d, 8192, Some(&c), &crc_trailer());
    for step in [1, 2, 3, 7, 64, 1000, 8193] {
        let mut dec = ChunkedDecoder::new(
            ChunkedMode::SignedPayloadTrailer,
            Some(c.clone()),
            Some(30_000),
        )
        .expect("decoder");
        let mut out = Vec::new();
        for piece in body.chunks(step) {
            dec.feed(piece, &mut out).expect("feed");
        }
        assert!(dec.is_done());
        assert_eq!(dec.finish().expect("finish"), crc_trailer());
        assert_eq!(out, d, "step {step}");
    }
}

#[test]
fn malformed_framing_is_an_error() {
    let cases: &[&[u8]] = &[
        b"zz\r\nabc\r\n0\r\n\r\n",
        b"3\nabc\r\n0\r\n\r\n",
        b"3\r\nabcd\r\n0\r\n\r\n",
        b"ffffffffffffffffff\r\n",
        b"\r\n",
        b"3\r\nabc\r\n0\r\n\r\nextra",
        b"0\r\nno-colon-trailer\r\n\r\n",
    ];
    for case in cases {
        let r = decode_aws_chunked(case, ChunkedMode::UnsignedPayloadTrailer, None, None);
        assert!(r.is_err(), "{:?}", String::from_utf8_lossy(case));
    }
    // Signed modes need a chunk-signature on every chunk.
    let c = ctx();
    let r = decode_aws_chunked(
        b"3\r\nabc\r\n0\r\n\r\n",
        ChunkedMode::SignedPayload,
        Some(&c),
        None,
    );
    assert!(matches!(r, Err(AuthError::InvalidChunkedBody(_))));
    // And a signing context.
    assert!(ChunkedDecoder::new(ChunkedMode::SignedPayload, None, None).is_err());
}

#[test]
fn huge_declared_chunk_allocates_nothing_and_fails_cleanly() {
    let body = b"fffffffffffffff\r\nabc";
    let err = decode_aws_chunked(body, ChunkedMode::UnsignedPayloadTrailer, None, None)
        .expect_err("short");
    assert!(matches!(err, AuthError::IncompleteBody(_)));
    let err = decode_aws_chunked(body, ChunkedMode::UnsignedPayloadTrailer, None, Some(10))
        .expect_err("too big");
    assert_eq!(err.code(), "IncompleteBody");
}

/// A tiny deterministic generator (xorshift) so the fuzz test needs no crate.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

#[test]
fn random_and_mutated_bodies_never_panic() {
    let c = ctx();
    let valid = encode_aws_chunked(&data(3000), 1024, Some(&c), &crc_trailer());
    let alphabet = b"0123456789abcdefXYZ;=:\r\n chunk-signature";
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    for round in 0..3000 {
        let body: Vec<u8> = if round % 2 == 0 {
            let len = (rng.next() % 200) as usize;
            (0..len)
                .map(|_| alphabet[(rng.next() % alphabet.len() as u64) as usize])
                .collect()
        } else {
            let mut b = valid.clone();
            for _ in 0..1 + rng.next() % 4 {
                let i = (rng.next() % b.len() as u64) as usize;
                b[i] = (rng.next() & 0xff) as u8;
            }
            let cut = (rng.next() % (b.len() as u64 + 1)) as usize;
            b.truncate(cut.max(b.len() / 2));
            b
        };
        for mode in [
            ChunkedMode::SignedPayload,
            ChunkedMode::SignedPayloadTrailer,
            ChunkedMode::UnsignedPayloadTrailer,
        ] {
            let _ = decode_aws_chunked(&body, mode, Some(&c), Some(3000));
            let _ = decode_aws_chunked(&body, mode, Some(&c), None);
        }
    }
}
