//! Damaged stored bytes: an object-version record or a write-ahead log
//! decodes to a value or an error, never a panic; a record that decodes
//! encodes back to bytes that decode to the same value.
#![no_main]

use gureum_s3::version_codec::VersionCodec;
use gureum_store::Codec;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(v) = VersionCodec::decode(data) {
        let again = VersionCodec::encode(&v).expect("a decoded record encodes");
        let back = VersionCodec::decode(&again).expect("what was encoded decodes");
        assert_eq!(
            serde_json::to_value(&v).expect("json"),
            serde_json::to_value(&back).expect("json")
        );
    }
    let _ = gureum_store::wal::decode(data);
});
