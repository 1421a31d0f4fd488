use super::*;
use serde_json::json;

fn full() -> ObjectVersion {
    ObjectVersion {
        version_id: Some("3HL4kqtJlcpXroDTDmJ+rmSpXd3dIbrHY".into()),
        seq: 1 << 40,
        delete_marker: false,
        last_modified_ms: 1_795_000_000_123,
        owner: "000000000000".into(),
        size: 5 * 1024 * 1024 * 1024,
        etag: "\"9b2cf535f27731c974343645a3985328-3\"".into(),
        storage_class: "GLACIER".into(),
        content: BTreeMap::from([
            (
                "ContentType".to_string(),
                json!("text/plain; charset=utf-8"),
            ),
            ("Expires".to_string(), json!(1_795_000_000.5)),
            ("Odd".to_string(), json!({"a": [1, null, "ü"]})),
        ]),
        metadata: BTreeMap::from([("ünïcode".into(), "../x\0y".into())]),
        tags: vec![("k".into(), "".into()), ("k2".into(), "v2".into())],
        checksum: Some(("CRC64NVME".into(), "AAAAAAAAAAA=".into())),
        checksum_type: Some("COMPOSITE".into()),
        parts: vec![5 << 20, 5 << 20, 1],
        restore: Some(Restore {
            ready_at_ms: -1,
            expires_at_ms: i64::MAX,
        }),
        acl: Some(Acl::Canned {
            name: "public-read".into(),
        }),
        data: DataRef::Files {
            segments: vec![
                Segment {
                    blob: "b1".into(),
                    len: 5 << 20,
                },
                Segment {
                    blob: "b2".into(),
                    len: u64::MAX,
                },
            ],
        },
        sse: None,
        sse_s3: None,
    }
}

/// [`full`] encrypted with SSE-KMS.
fn full_kms() -> ObjectVersion {
    ObjectVersion {
        sse: Some(crate::sse::SseKms {
            key_arn: "arn:aws:kms:us-east-1:000000000000:key/k".into(),
            wrapped_key: "R0sBAA==".into(),
            context: Some("eyJhIjoiYiJ9".into()),
            bucket_key: true,
        }),
        ..full()
    }
}

fn same(a: &ObjectVersion, b: &ObjectVersion) {
    assert_eq!(
        serde_json::to_value(a).expect("a"),
        serde_json::to_value(b).expect("b")
    );
}

#[test]
fn every_field_round_trips() {
    let v = full();
    let bytes = VersionCodec::encode(&v).expect("encode");
    assert_eq!(bytes[0], FORMAT_1);
    same(&VersionCodec::decode(&bytes).expect("decode"), &v);
}

#[test]
fn an_sse_kms_object_is_format_2_and_round_trips() {
    let v = full_kms();
    let bytes = VersionCodec::encode(&v).expect("encode");
    assert_eq!(bytes[0], FORMAT_2);
    same(&VersionCodec::decode(&bytes).expect("decode"), &v);
    // Format 1 is format 2 without the trailer: the plain record is a
    // prefix, so an SSE-KMS record never reads as a plain one.
    let plain = VersionCodec::encode(&full()).expect("encode");
    assert_eq!(&bytes[1..plain.len()], &plain[1..]);
    let mut cut = plain.clone();
    cut[0] = FORMAT_2;
    assert!(VersionCodec::decode(&cut).is_err());
}

#[test]
fn an_sse_s3_object_is_format_3_and_round_trips() {
    let v = ObjectVersion {
        sse_s3: Some(crate::sse_s3::SseS3 {
            sealed_key: "c2VhbGVk".into(),
        }),
        ..full()
    };
    let bytes = VersionCodec::encode(&v).expect("encode");
    assert_eq!(bytes[0], FORMAT_3);
    same(&VersionCodec::decode(&bytes).expect("decode"), &v);
    for n in 0..bytes.len() {
        assert!(VersionCodec::decode(&bytes[..n]).is_err(), "prefix {n}");
    }
    // A plain record relabelled as SSE-S3 lacks the key: refused.
    let mut plain = VersionCodec::encode(&full()).expect("encode");
    plain[0] = FORMAT_3;
    assert!(VersionCodec::decode(&plain).is_err());
}

#[test]
fn defaults_and_each_data_kind_round_trip() {
    for data in [
        DataRef::Empty,
        DataRef::Inline { id: "i-1".into() },
        DataRef::Files { segments: vec![] },
    ] {
        let v = ObjectVersion {
            data,
            ..ObjectVersion::default()
        };
        let bytes = VersionCodec::encode(&v).expect("encode");
        same(&VersionCodec::decode(&bytes).expect("decode"), &v);
    }
    let grants = ObjectVersion {
        delete_marker: true,
        acl: Some(Acl::Grants {
            grants: vec![json!({"Permission": "READ"})],
        }),
        ..ObjectVersion::default()
    };
    let bytes = VersionCodec::encode(&grants).expect("encode");
    same(&VersionCodec::decode(&bytes).expect("decode"), &grants);
}

#[test]
fn records_written_as_json_still_decode() {
    // What the table held before the binary format: data directories
    // written by older builds keep working.
    let v = full();
    let json = serde_json::to_vec(&v).expect("json");
    same(&VersionCodec::decode(&json).expect("decode"), &v);
}

#[test]
fn every_truncation_is_an_error() {
    let bytes = VersionCodec::encode(&full()).expect("encode");
    for n in 0..bytes.len() {
        assert!(VersionCodec::decode(&bytes[..n]).is_err(), "prefix {n}");
    }
    let kms = VersionCodec::encode(&full_kms()).expect("encode");
    for n in 0..kms.len() {
        assert!(VersionCodec::decode(&kms[..n]).is_err(), "kms prefix {n}");
    }
    let mut longer = bytes.clone();
    longer.push(0);
    assert!(VersionCodec::decode(&longer).is_err(), "a trailing byte");
}

#[test]
fn damaged_records_give_errors_not_panics() {
    // Every single-byte corruption of a full record, at every position,
    // with a spread of values: decode returns, whatever it returns.
    let bytes = VersionCodec::encode(&full()).expect("encode");
    for i in 0..bytes.len() {
        for x in [0x00, 0x01, 0x02, 0x7f, 0x80, 0xff] {
            let mut b = bytes.clone();
            b[i] = x;
            let _ = VersionCodec::decode(&b);
        }
    }
    assert!(VersionCodec::decode(&[9, 1, 2]).is_err(), "unknown format");
}
