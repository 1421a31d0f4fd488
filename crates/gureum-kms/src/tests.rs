//! KMS's rules, by name, through the service.

use crate::KmsService;
use base64::Engine as _;
use gureum_core::{AwsError, Clock, RequestContext, Scope, Service, Value};
use gureum_store::Store;
use serde_json::json;

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

fn ctx_with(clock: &Clock) -> RequestContext {
    RequestContext::root("000000000000", "us-east-1", clock.clone())
}

fn ctx() -> RequestContext {
    ctx_with(&Clock::system())
}

/// The table's futures are ready at once; poll one without a runtime.
fn call(s: &KmsService, c: &RequestContext, op: &str, input: Value) -> Result<Value, AwsError> {
    use std::task::{Context, Poll, Waker};
    let mut cx = Context::from_waker(Waker::noop());
    let mut f = s.call(c, op, input);
    match f.as_mut().poll(&mut cx) {
        Poll::Ready(v) => v,
        Poll::Pending => panic!("service future was not ready"),
    }
}

fn ok(s: &KmsService, c: &RequestContext, op: &str, input: Value) -> Value {
    call(s, c, op, input).unwrap_or_else(|e| panic!("{op}: {e:?}"))
}

fn err(s: &KmsService, c: &RequestContext, op: &str, input: Value) -> AwsError {
    call(s, c, op, input).expect_err(op)
}

fn svc() -> KmsService {
    KmsService::new(Store::in_memory().expect("store"))
}

fn new_key(s: &KmsService, c: &RequestContext) -> String {
    let out = ok(s, c, "CreateKey", json!({"Description": "test"}));
    out["KeyMetadata"]["KeyId"]
        .as_str()
        .expect("id")
        .to_string()
}

fn encrypt(s: &KmsService, c: &RequestContext, key: &str, context: Value) -> String {
    let out = ok(
        s,
        c,
        "Encrypt",
        json!({"KeyId": key, "Plaintext": B64.encode(b"secret"), "EncryptionContext": context}),
    );
    out["CiphertextBlob"].as_str().expect("blob").to_string()
}

fn arn(id: &str) -> String {
    format!("arn:aws:kms:us-east-1:000000000000:key/{id}")
}

#[test]
fn a_new_key_has_aws_metadata() {
    let s = svc();
    let c = ctx();
    let m = ok(&s, &c, "CreateKey", json!({}))["KeyMetadata"].clone();
    let id = m["KeyId"].as_str().expect("id");
    assert_eq!(id.len(), 36);
    assert_eq!(m["Arn"], arn(id));
    assert_eq!(m["AWSAccountId"], "000000000000");
    assert_eq!(m["KeyState"], "Enabled");
    assert_eq!(m["Enabled"], true);
    assert_eq!(m["KeyUsage"], "ENCRYPT_DECRYPT");
    assert_eq!(m["KeySpec"], "SYMMETRIC_DEFAULT");
    assert_eq!(m["KeyManager"], "CUSTOMER");
    assert_eq!(m["Origin"], "AWS_KMS");
    assert_eq!(m["EncryptionAlgorithms"], json!(["SYMMETRIC_DEFAULT"]));
    assert_eq!(m["MultiRegion"], false);
}

#[test]
fn decrypt_needs_no_key_id_and_returns_the_plaintext() {
    let s = svc();
    let c = ctx();
    let key = new_key(&s, &c);
    let blob = encrypt(&s, &c, &key, json!({"purpose": "test"}));
    let out = ok(
        &s,
        &c,
        "Decrypt",
        json!({"CiphertextBlob": blob, "EncryptionContext": {"purpose": "test"}}),
    );
    assert_eq!(out["Plaintext"], B64.encode(b"secret"));
    assert_eq!(out["KeyId"], arn(&key));
}

#[test]
fn a_wrong_encryption_context_is_an_invalid_ciphertext() {
    let s = svc();
    let c = ctx();
    let key = new_key(&s, &c);
    let blob = encrypt(&s, &c, &key, json!({"purpose": "test"}));
    for context in [json!({"purpose": "other"}), json!({})] {
        let e = err(
            &s,
            &c,
            "Decrypt",
            json!({"CiphertextBlob": blob, "EncryptionContext": context}),
        );
        assert_eq!(
            (e.code.as_str(), e.status),
            ("InvalidCiphertextException", 400)
        );
    }
    let e = err(
        &s,
        &c,
        "Decrypt",
        json!({"CiphertextBlob": B64.encode(b"not ours")}),
    );
    assert_eq!(e.code, "InvalidCiphertextException");
}

#[test]
fn decrypt_with_another_key_id_is_an_incorrect_key() {
    let s = svc();
    let c = ctx();
    let key = new_key(&s, &c);
    let other = new_key(&s, &c);
    let blob = encrypt(&s, &c, &key, json!({}));
    let e = err(
        &s,
        &c,
        "Decrypt",
        json!({"CiphertextBlob": blob, "KeyId": other}),
    );
    assert_eq!(e.code, "IncorrectKeyException");
    // The right key, by ARN, is accepted.
    ok(
        &s,
        &c,
        "Decrypt",
        json!({"CiphertextBlob": blob, "KeyId": arn(&key)}),
    );
}

#[test]
fn a_disabled_key_refuses_with_aws_message_until_enabled() {
    let s = svc();
    let c = ctx();
    let key = new_key(&s, &c);
    let blob = encrypt(&s, &c, &key, json!({}));
    ok(&s, &c, "DisableKey", json!({"KeyId": key}));
    let e = err(&s, &c, "Decrypt", json!({"CiphertextBlob": blob}));
    assert_eq!(e.code, "DisabledException");
    assert_eq!(e.message, format!("{} is disabled.", arn(&key)));
    let m = ok(&s, &c, "DescribeKey", json!({"KeyId": key}));
    assert_eq!(m["KeyMetadata"]["KeyState"], "Disabled");
    ok(&s, &c, "EnableKey", json!({"KeyId": key}));
    ok(&s, &c, "Decrypt", json!({"CiphertextBlob": blob}));
}

#[test]
fn scheduled_deletion_refuses_use_then_the_key_is_gone_on_the_clock() {
    let s = svc();
    let clock = Clock::system();
    let c = ctx_with(&clock);
    let key = new_key(&s, &c);
    let out = ok(
        &s,
        &c,
        "ScheduleKeyDeletion",
        json!({"KeyId": key, "PendingWindowInDays": 7}),
    );
    assert_eq!(out["KeyState"], "PendingDeletion");
    assert_eq!(out["PendingWindowInDays"], 7);
    let e = err(
        &s,
        &c,
        "Encrypt",
        json!({"KeyId": key, "Plaintext": "AA=="}),
    );
    assert_eq!(e.code, "KMSInvalidStateException");
    assert_eq!(e.message, format!("{} is pending deletion.", arn(&key)));
    clock.advance_millis(7 * 86_400_000 + 1);
    let e = err(&s, &c, "DescribeKey", json!({"KeyId": key}));
    assert_eq!(e.code, "NotFoundException");
    assert_eq!(e.message, format!("Key '{}' does not exist", arn(&key)));
    let keys = ok(&s, &c, "ListKeys", json!({}));
    assert_eq!(keys["Keys"], json!([]));
}

#[test]
fn the_pending_window_is_seven_to_thirty_days() {
    let s = svc();
    let c = ctx();
    let key = new_key(&s, &c);
    for days in [6, 31] {
        let e = err(
            &s,
            &c,
            "ScheduleKeyDeletion",
            json!({"KeyId": key, "PendingWindowInDays": days}),
        );
        assert_eq!(e.code, "ValidationException");
    }
    let out = ok(&s, &c, "ScheduleKeyDeletion", json!({"KeyId": key}));
    assert_eq!(out["PendingWindowInDays"], 30);
}

#[test]
fn cancelling_deletion_leaves_the_key_disabled() {
    let s = svc();
    let c = ctx();
    let key = new_key(&s, &c);
    let e = err(&s, &c, "CancelKeyDeletion", json!({"KeyId": key}));
    assert_eq!(e.code, "KMSInvalidStateException");
    ok(&s, &c, "ScheduleKeyDeletion", json!({"KeyId": key}));
    let out = ok(&s, &c, "CancelKeyDeletion", json!({"KeyId": key}));
    assert_eq!(out["KeyId"], arn(&key));
    let m = ok(&s, &c, "DescribeKey", json!({"KeyId": key}));
    assert_eq!(m["KeyMetadata"]["KeyState"], "Disabled");
    assert!(m["KeyMetadata"].get("DeletionDate").is_none());
}

#[test]
fn aliases_name_keys_everywhere_a_key_id_is_accepted() {
    let s = svc();
    let c = ctx();
    let key = new_key(&s, &c);
    ok(
        &s,
        &c,
        "CreateAlias",
        json!({"AliasName": "alias/app", "TargetKeyId": key}),
    );
    let blob = encrypt(&s, &c, "alias/app", json!({}));
    let alias_arn = "arn:aws:kms:us-east-1:000000000000:alias/app";
    let m = ok(&s, &c, "DescribeKey", json!({"KeyId": alias_arn}));
    assert_eq!(m["KeyMetadata"]["KeyId"], key);
    ok(
        &s,
        &c,
        "Decrypt",
        json!({"CiphertextBlob": blob, "KeyId": "alias/app"}),
    );
    let e = err(
        &s,
        &c,
        "CreateAlias",
        json!({"AliasName": "alias/app", "TargetKeyId": key}),
    );
    assert_eq!(e.code, "AlreadyExistsException");
    assert_eq!(
        e.message,
        format!("An alias with the name {alias_arn} already exists")
    );
    let listed = ok(&s, &c, "ListAliases", json!({"KeyId": key}));
    assert_eq!(listed["Aliases"][0]["AliasArn"], alias_arn);
    assert_eq!(listed["Aliases"][0]["TargetKeyId"], key);
    let other = new_key(&s, &c);
    ok(
        &s,
        &c,
        "UpdateAlias",
        json!({"AliasName": "alias/app", "TargetKeyId": other}),
    );
    let m = ok(&s, &c, "DescribeKey", json!({"KeyId": "alias/app"}));
    assert_eq!(m["KeyMetadata"]["KeyId"], other);
    ok(&s, &c, "DeleteAlias", json!({"AliasName": "alias/app"}));
    let e = err(&s, &c, "DescribeKey", json!({"KeyId": "alias/app"}));
    assert_eq!(e.code, "NotFoundException");
    assert_eq!(e.message, format!("Alias {alias_arn} is not found."));
}

#[test]
fn alias_names_need_the_prefix_and_aws_is_reserved() {
    let s = svc();
    let c = ctx();
    let key = new_key(&s, &c);
    let e = err(
        &s,
        &c,
        "CreateAlias",
        json!({"AliasName": "app", "TargetKeyId": key}),
    );
    assert_eq!(e.code, "ValidationException");
    assert!(
        e.message
            .starts_with("Alias must start with the prefix \"alias/\"."),
        "{}",
        e.message
    );
    let e = err(
        &s,
        &c,
        "CreateAlias",
        json!({"AliasName": "alias/aws/mine", "TargetKeyId": key}),
    );
    assert_eq!(e.code, "NotAuthorizedException");
}

#[test]
fn aws_managed_keys_are_made_on_first_use_once() {
    let s = svc();
    let c = ctx();
    let m = ok(&s, &c, "DescribeKey", json!({"KeyId": "alias/aws/s3"}))["KeyMetadata"].clone();
    assert_eq!(m["KeyManager"], "AWS");
    let id = m["KeyId"].as_str().expect("id").to_string();
    let again = s
        .aws_managed_key(Scope::regional(&c), 0, "s3")
        .expect("managed");
    assert_eq!(again, id);
    let e = err(&s, &c, "DisableKey", json!({"KeyId": id}));
    assert_eq!(e.code, "UnsupportedOperationException");
    let e = err(&s, &c, "DescribeKey", json!({"KeyId": "alias/aws/nothing"}));
    assert_eq!(e.code, "NotFoundException");
}

#[test]
fn data_keys_decrypt_to_their_plaintext_and_sizes_are_exclusive() {
    let s = svc();
    let c = ctx();
    let key = new_key(&s, &c);
    let out = ok(
        &s,
        &c,
        "GenerateDataKey",
        json!({"KeyId": key, "KeySpec": "AES_128"}),
    );
    let plain = B64
        .decode(out["Plaintext"].as_str().expect("p"))
        .expect("b64");
    assert_eq!(plain.len(), 16);
    let back = ok(
        &s,
        &c,
        "Decrypt",
        json!({"CiphertextBlob": out["CiphertextBlob"]}),
    );
    assert_eq!(back["Plaintext"], out["Plaintext"]);
    let out = ok(
        &s,
        &c,
        "GenerateDataKeyWithoutPlaintext",
        json!({"KeyId": key, "NumberOfBytes": 64}),
    );
    assert!(out.get("Plaintext").is_none());
    let back = ok(
        &s,
        &c,
        "Decrypt",
        json!({"CiphertextBlob": out["CiphertextBlob"]}),
    );
    assert_eq!(
        B64.decode(back["Plaintext"].as_str().expect("p"))
            .expect("b64")
            .len(),
        64
    );
    for input in [
        json!({"KeyId": key}),
        json!({"KeyId": key, "KeySpec": "AES_256", "NumberOfBytes": 32}),
    ] {
        let e = err(&s, &c, "GenerateDataKey", input);
        assert_eq!(e.code, "ValidationException");
    }
}

#[test]
fn re_encrypt_moves_a_ciphertext_to_another_key_and_context() {
    let s = svc();
    let c = ctx();
    let a = new_key(&s, &c);
    let b = new_key(&s, &c);
    let blob = encrypt(&s, &c, &a, json!({"k": "1"}));
    let out = ok(
        &s,
        &c,
        "ReEncrypt",
        json!({"CiphertextBlob": blob, "SourceEncryptionContext": {"k": "1"},
               "DestinationKeyId": b, "DestinationEncryptionContext": {"k": "2"}}),
    );
    assert_eq!(out["SourceKeyId"], arn(&a));
    assert_eq!(out["KeyId"], arn(&b));
    let back = ok(
        &s,
        &c,
        "Decrypt",
        json!({"CiphertextBlob": out["CiphertextBlob"], "EncryptionContext": {"k": "2"}}),
    );
    assert_eq!(back["KeyId"], arn(&b));
    assert_eq!(back["Plaintext"], B64.encode(b"secret"));
}

#[test]
fn rotation_keeps_old_ciphertexts_decrypting() {
    let s = svc();
    let c = ctx();
    let key = new_key(&s, &c);
    let old = encrypt(&s, &c, &key, json!({}));
    ok(&s, &c, "RotateKeyOnDemand", json!({"KeyId": key}));
    let new = encrypt(&s, &c, &key, json!({}));
    let header = |b: &str| crate::ciphertext::header(&B64.decode(b).expect("b64")).expect("hdr");
    assert_ne!(header(&old).material_id, header(&new).material_id);
    for blob in [old, new] {
        ok(&s, &c, "Decrypt", json!({"CiphertextBlob": blob}));
    }
    let r = ok(&s, &c, "ListKeyRotations", json!({"KeyId": key}));
    assert_eq!(r["Rotations"].as_array().expect("list").len(), 1);
    assert_eq!(r["Rotations"][0]["RotationType"], "ON_DEMAND");
}

#[test]
fn automatic_rotation_happens_on_the_clock() {
    let s = svc();
    let clock = Clock::system();
    let c = ctx_with(&clock);
    let key = new_key(&s, &c);
    let old = encrypt(&s, &c, &key, json!({}));
    ok(
        &s,
        &c,
        "EnableKeyRotation",
        json!({"KeyId": key, "RotationPeriodInDays": 90}),
    );
    let st = ok(&s, &c, "GetKeyRotationStatus", json!({"KeyId": key}));
    assert_eq!(st["KeyRotationEnabled"], true);
    assert_eq!(st["RotationPeriodInDays"], 90);
    clock.advance_millis(91 * 86_400_000);
    let r = ok(&s, &c, "ListKeyRotations", json!({"KeyId": key}));
    assert_eq!(r["Rotations"][0]["RotationType"], "AUTOMATIC");
    ok(&s, &c, "Decrypt", json!({"CiphertextBlob": old}));
    let e = err(
        &s,
        &c,
        "EnableKeyRotation",
        json!({"KeyId": key, "RotationPeriodInDays": 30}),
    );
    assert_eq!(e.code, "ValidationException");
}

#[test]
fn key_material_is_stored_sealed_not_in_the_clear() {
    let s = svc();
    let c = ctx();
    let key = new_key(&s, &c);
    let rec = s
        .keys
        .get(&Scope::regional(&c).key(&key))
        .expect("read")
        .expect("key");
    let sealed = B64.decode(&rec.materials[0].sealed).expect("b64");
    // Nonce, 32 bytes of material, tag: and the master key opens it.
    assert_eq!(sealed.len(), 12 + 32 + 16);
    let owner = crate::keys::material_owner(Scope::regional(&c), &key, &rec.materials[0].id);
    let opened = crate::master::open(&s, &owner, &rec.materials[0].sealed).expect("open");
    assert_eq!(opened.len(), 32);
    assert!(!sealed.windows(32).any(|w| w == opened.as_slice()));
    // Sealed for one key, it does not open as another's.
    let other = crate::keys::material_owner(Scope::regional(&c), "x", &rec.materials[0].id);
    assert!(crate::master::open(&s, &other, &rec.materials[0].sealed).is_err());
}

#[test]
fn tags_policies_and_descriptions_are_kept() {
    let s = svc();
    let c = ctx();
    let out = ok(
        &s,
        &c,
        "CreateKey",
        json!({"Tags": [{"TagKey": "team", "TagValue": "a"}]}),
    );
    let key = out["KeyMetadata"]["KeyId"]
        .as_str()
        .expect("id")
        .to_string();
    ok(
        &s,
        &c,
        "TagResource",
        json!({"KeyId": key, "Tags": [{"TagKey": "env", "TagValue": "dev"}, {"TagKey": "team", "TagValue": "b"}]}),
    );
    ok(
        &s,
        &c,
        "UntagResource",
        json!({"KeyId": key, "TagKeys": ["env"]}),
    );
    let tags = ok(&s, &c, "ListResourceTags", json!({"KeyId": key}));
    assert_eq!(tags["Tags"], json!([{"TagKey": "team", "TagValue": "b"}]));
    let e = err(
        &s,
        &c,
        "TagResource",
        json!({"KeyId": key, "Tags": [{"TagKey": "aws:x", "TagValue": "1"}]}),
    );
    assert_eq!(e.code, "TagException");
    let p = ok(&s, &c, "GetKeyPolicy", json!({"KeyId": key}));
    let doc: Value = serde_json::from_str(p["Policy"].as_str().expect("policy")).expect("json");
    assert_eq!(
        doc["Statement"][0]["Principal"]["AWS"],
        "arn:aws:iam::000000000000:root"
    );
    assert_eq!(doc["Statement"][0]["Action"], "kms:*");
    let e = err(
        &s,
        &c,
        "PutKeyPolicy",
        json!({"KeyId": key, "Policy": "not json"}),
    );
    assert_eq!(e.code, "MalformedPolicyDocumentException");
    let doc = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::000000000000:root"},"Action":"kms:*","Resource":"*"}]}"#;
    ok(&s, &c, "PutKeyPolicy", json!({"KeyId": key, "Policy": doc}));
    let p = ok(
        &s,
        &c,
        "GetKeyPolicy",
        json!({"KeyId": key, "PolicyName": "default"}),
    );
    assert_eq!(p["Policy"], doc);
    ok(
        &s,
        &c,
        "UpdateKeyDescription",
        json!({"KeyId": key, "Description": "new"}),
    );
    let m = ok(&s, &c, "DescribeKey", json!({"KeyId": key}));
    assert_eq!(m["KeyMetadata"]["Description"], "new");
}

#[test]
fn list_keys_pages_with_markers() {
    let s = svc();
    let c = ctx();
    for _ in 0..5 {
        new_key(&s, &c);
    }
    let mut seen = Vec::new();
    let mut marker: Option<String> = None;
    loop {
        let mut input = json!({"Limit": 2});
        if let Some(m) = &marker {
            input["Marker"] = json!(m);
        }
        let page = ok(&s, &c, "ListKeys", input);
        for k in page["Keys"].as_array().expect("keys") {
            seen.push(k["KeyId"].as_str().expect("id").to_string());
        }
        match page["NextMarker"].as_str() {
            Some(m) => {
                assert_eq!(page["Truncated"], true);
                marker = Some(m.to_string());
            }
            None => break,
        }
    }
    seen.dedup();
    assert_eq!(seen.len(), 5);
    let e = err(&s, &c, "ListKeys", json!({"Marker": "!!"}));
    assert_eq!(e.code, "InvalidMarkerException");
}

#[test]
fn keys_of_another_region_or_account_are_not_found() {
    let s = svc();
    let c = ctx();
    let key = new_key(&s, &c);
    let elsewhere = RequestContext::root("000000000000", "eu-west-1", Clock::system());
    let e = err(&s, &elsewhere, "DescribeKey", json!({"KeyId": key}));
    assert_eq!(e.code, "NotFoundException");
    let e = err(&s, &c, "DescribeKey", json!({"KeyId": "not-a-key"}));
    assert_eq!(e.code, "NotFoundException");
    let other_account = arn(&key).replace("000000000000", "111111111111");
    let e = err(&s, &c, "DescribeKey", json!({"KeyId": other_account}));
    assert_eq!(e.code, "NotFoundException");
}

#[test]
fn generate_random_returns_the_bytes_asked_for() {
    let s = svc();
    let c = ctx();
    let out = ok(&s, &c, "GenerateRandom", json!({"NumberOfBytes": 1024}));
    let bytes = B64
        .decode(out["Plaintext"].as_str().expect("p"))
        .expect("b64");
    assert_eq!(bytes.len(), 1024);
    let e = err(&s, &c, "GenerateRandom", json!({}));
    assert_eq!(e.code, "ValidationException");
}

#[test]
fn the_master_key_is_made_once_per_store() {
    let store = Store::in_memory().expect("store");
    let a = KmsService::new(store.clone());
    let c = ctx();
    let key = new_key(&a, &c);
    let blob = encrypt(&a, &c, &key, json!({}));
    // A second service over the same store (a restart) reads the same master key.
    let b = KmsService::new(store);
    ok(&b, &c, "Decrypt", json!({"CiphertextBlob": blob}));
}

fn key_of(s: &KmsService, c: &RequestContext, spec: &str, usage: &str) -> Value {
    ok(
        s,
        c,
        "CreateKey",
        json!({"KeySpec": spec, "KeyUsage": usage}),
    )["KeyMetadata"]
        .clone()
}

#[test]
fn asymmetric_keys_list_their_algorithms() {
    let s = svc();
    let c = ctx();
    let m = key_of(&s, &c, "ECC_NIST_P384", "SIGN_VERIFY");
    assert_eq!(m["SigningAlgorithms"], json!(["ECDSA_SHA_384"]));
    assert!(m.get("EncryptionAlgorithms").is_none());
    let m = key_of(&s, &c, "HMAC_256", "GENERATE_VERIFY_MAC");
    assert_eq!(m["MacAlgorithms"], json!(["HMAC_SHA_256"]));
    let e = err(
        &s,
        &c,
        "CreateKey",
        json!({"KeySpec": "ECC_NIST_P256", "KeyUsage": "ENCRYPT_DECRYPT"}),
    );
    assert_eq!(e.code, "ValidationException");
}

#[test]
fn signatures_verify_for_raw_messages_and_digests() {
    use sha2::Digest;
    let s = svc();
    let c = ctx();
    let key = key_of(&s, &c, "ECC_NIST_P256", "SIGN_VERIFY")["KeyId"].clone();
    let message = B64.encode(b"signed message");
    let sig = ok(
        &s,
        &c,
        "Sign",
        json!({"KeyId": key, "Message": message, "SigningAlgorithm": "ECDSA_SHA_256"}),
    )["Signature"]
        .clone();
    let digest = B64.encode(sha2::Sha256::digest(b"signed message"));
    let out = ok(
        &s,
        &c,
        "Verify",
        json!({"KeyId": key, "Message": digest, "MessageType": "DIGEST",
               "Signature": sig, "SigningAlgorithm": "ECDSA_SHA_256"}),
    );
    assert_eq!(out["SignatureValid"], true);
    let e = err(
        &s,
        &c,
        "Verify",
        json!({"KeyId": key, "Message": B64.encode(b"other"), "Signature": sig,
               "SigningAlgorithm": "ECDSA_SHA_256"}),
    );
    assert_eq!(e.code, "KMSInvalidSignatureException");
    let e = err(
        &s,
        &c,
        "Sign",
        json!({"KeyId": key, "Message": B64.encode(b"short"), "MessageType": "DIGEST",
               "SigningAlgorithm": "ECDSA_SHA_256"}),
    );
    assert_eq!(e.code, "ValidationException");
    let e = err(
        &s,
        &c,
        "Sign",
        json!({"KeyId": key, "Message": message, "SigningAlgorithm": "RSASSA_PSS_SHA_256"}),
    );
    assert_eq!(e.code, "InvalidKeyUsageException");
}

#[test]
fn rsa_keys_encrypt_with_oaep_and_decrypt_with_their_key_named() {
    let s = svc();
    let c = ctx();
    let key = key_of(&s, &c, "RSA_2048", "ENCRYPT_DECRYPT")["KeyId"].clone();
    let out = ok(
        &s,
        &c,
        "Encrypt",
        json!({"KeyId": key, "Plaintext": B64.encode(b"rsa"), "EncryptionAlgorithm": "RSAES_OAEP_SHA_256"}),
    );
    let blob = out["CiphertextBlob"].clone();
    assert_eq!(
        B64.decode(blob.as_str().expect("b")).expect("b64").len(),
        256
    );
    let back = ok(
        &s,
        &c,
        "Decrypt",
        json!({"KeyId": key, "CiphertextBlob": blob, "EncryptionAlgorithm": "RSAES_OAEP_SHA_256"}),
    );
    assert_eq!(back["Plaintext"], B64.encode(b"rsa"));
    let e = err(&s, &c, "Decrypt", json!({"CiphertextBlob": blob}));
    assert_eq!(e.code, "InvalidCiphertextException");
    let e = err(
        &s,
        &c,
        "Encrypt",
        json!({"KeyId": key, "Plaintext": B64.encode(b"x")}),
    );
    assert_eq!(e.code, "InvalidKeyUsageException");
    let e = err(
        &s,
        &c,
        "GenerateDataKey",
        json!({"KeyId": key, "KeySpec": "AES_256"}),
    );
    assert_eq!(e.code, "InvalidKeyUsageException");
    let pk = ok(&s, &c, "GetPublicKey", json!({"KeyId": key}));
    assert_eq!(
        pk["EncryptionAlgorithms"],
        json!(["RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256"])
    );
    let sym = new_key(&s, &c);
    let e = err(&s, &c, "GetPublicKey", json!({"KeyId": sym}));
    assert_eq!(e.code, "UnsupportedOperationException");
}

#[test]
fn macs_verify_only_for_the_same_message() {
    let s = svc();
    let c = ctx();
    let key = key_of(&s, &c, "HMAC_384", "GENERATE_VERIFY_MAC")["KeyId"].clone();
    let msg = B64.encode(b"mac me");
    let mac = ok(
        &s,
        &c,
        "GenerateMac",
        json!({"KeyId": key, "Message": msg, "MacAlgorithm": "HMAC_SHA_384"}),
    )["Mac"]
        .clone();
    assert_eq!(B64.decode(mac.as_str().expect("m")).expect("b64").len(), 48);
    let out = ok(
        &s,
        &c,
        "VerifyMac",
        json!({"KeyId": key, "Message": msg, "MacAlgorithm": "HMAC_SHA_384", "Mac": mac}),
    );
    assert_eq!(out["MacValid"], true);
    let e = err(
        &s,
        &c,
        "VerifyMac",
        json!({"KeyId": key, "Message": B64.encode(b"other"), "MacAlgorithm": "HMAC_SHA_384", "Mac": mac}),
    );
    assert_eq!(e.code, "KMSInvalidMacException");
    let e = err(&s, &c, "Encrypt", json!({"KeyId": key, "Plaintext": msg}));
    assert_eq!(e.code, "InvalidKeyUsageException");
    let e = err(&s, &c, "EnableKeyRotation", json!({"KeyId": key}));
    assert_eq!(e.code, "UnsupportedOperationException");
}

fn svc_with_iam() -> KmsService {
    let store = Store::in_memory().expect("store");
    let iam = std::sync::Arc::new(gureum_iam::IamService::new(store.clone()));
    let authorizer = std::sync::Arc::new(gureum_authz::Authorizer::new(iam));
    KmsService::with_authorizer(store, authorizer)
}

#[test]
fn a_key_policy_that_locks_the_caller_out_is_refused_unless_bypassed() {
    let s = svc_with_iam();
    let c = ctx();
    let key = new_key(&s, &c);
    // Allows only another account: the caller could not put a policy again.
    let foreign = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:root"},"Action":"kms:*","Resource":"*"}]}"#;
    let e = err(
        &s,
        &c,
        "PutKeyPolicy",
        json!({"KeyId": key, "Policy": foreign}),
    );
    assert_eq!(e.code, "MalformedPolicyDocumentException");
    assert_eq!(
        e.message,
        "The new key policy will not allow you to update the key policy in the future."
    );
    ok(
        &s,
        &c,
        "Encrypt",
        json!({"KeyId": key, "Plaintext": "AA=="}),
    );
    ok(
        &s,
        &c,
        "PutKeyPolicy",
        json!({"KeyId": key, "Policy": foreign, "BypassPolicyLockoutSafetyCheck": true}),
    );
    // Now even the account's root user is refused by the key policy.
    let e = err(
        &s,
        &c,
        "Encrypt",
        json!({"KeyId": key, "Plaintext": "AA=="}),
    );
    assert_eq!(e.code, "AccessDeniedException");
    assert!(e.message.contains(&arn(&key)), "{}", e.message);
}

#[test]
fn create_key_applies_the_lockout_safety_check_to_its_policy() {
    let s = svc_with_iam();
    let c = ctx();
    let foreign = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:root"},"Action":"kms:*","Resource":"*"}]}"#;
    let e = err(&s, &c, "CreateKey", json!({"Policy": foreign}));
    assert_eq!(e.code, "MalformedPolicyDocumentException");
    let keys = ok(&s, &c, "ListKeys", json!({}));
    assert_eq!(keys["Keys"], json!([]), "nothing was created");
    ok(
        &s,
        &c,
        "CreateKey",
        json!({"Policy": foreign, "BypassPolicyLockoutSafetyCheck": true}),
    );
}

#[test]
fn grants_are_listed_retired_by_token_and_revoked() {
    let s = svc();
    let c = ctx();
    let key = new_key(&s, &c);
    let grantee = "arn:aws:iam::000000000000:user/app";
    let input = json!({"KeyId": key, "GranteePrincipal": grantee, "Name": "app",
                       "Operations": ["Encrypt", "Decrypt"],
                       "RetiringPrincipal": "arn:aws:iam::000000000000:root"});
    let first = ok(&s, &c, "CreateGrant", input.clone());
    let id = first["GrantId"].as_str().expect("id").to_string();
    assert_eq!(id.len(), 64);
    // The same name and parameters: the same grant, a new token.
    let again = ok(&s, &c, "CreateGrant", input);
    assert_eq!(again["GrantId"], first["GrantId"]);
    assert_ne!(again["GrantToken"], first["GrantToken"]);
    let listed = ok(&s, &c, "ListGrants", json!({"KeyId": key}));
    assert_eq!(listed["Grants"][0]["GranteePrincipal"], grantee);
    assert_eq!(
        listed["Grants"][0]["Operations"],
        json!(["Encrypt", "Decrypt"])
    );
    assert_eq!(listed["Grants"][0]["KeyId"], arn(&key));
    let retirable = ok(
        &s,
        &c,
        "ListRetirableGrants",
        json!({"RetiringPrincipal": "arn:aws:iam::000000000000:root"}),
    );
    assert_eq!(retirable["Grants"].as_array().expect("list").len(), 1);
    ok(
        &s,
        &c,
        "RetireGrant",
        json!({"GrantToken": first["GrantToken"]}),
    );
    let listed = ok(&s, &c, "ListGrants", json!({"KeyId": key}));
    assert_eq!(listed["Grants"], json!([]));
    let e = err(&s, &c, "RetireGrant", json!({"GrantToken": "garbage!"}));
    assert_eq!(e.code, "InvalidGrantTokenException");
    let other = ok(
        &s,
        &c,
        "CreateGrant",
        json!({"KeyId": key, "GranteePrincipal": grantee, "Operations": ["Encrypt"]}),
    );
    ok(
        &s,
        &c,
        "RevokeGrant",
        json!({"KeyId": key, "GrantId": other["GrantId"]}),
    );
    let e = err(
        &s,
        &c,
        "RevokeGrant",
        json!({"KeyId": key, "GrantId": other["GrantId"]}),
    );
    assert_eq!(e.code, "NotFoundException");
}

#[test]
fn data_key_pairs_come_with_their_private_key_encrypted() {
    let s = svc();
    let c = ctx();
    let key = new_key(&s, &c);
    let out = ok(
        &s,
        &c,
        "GenerateDataKeyPair",
        json!({"KeyId": key, "KeyPairSpec": "ECC_NIST_P256", "EncryptionContext": {"k": "v"}}),
    );
    let back = ok(
        &s,
        &c,
        "Decrypt",
        json!({"CiphertextBlob": out["PrivateKeyCiphertextBlob"], "EncryptionContext": {"k": "v"}}),
    );
    assert_eq!(back["Plaintext"], out["PrivateKeyPlaintext"]);
    let der = B64
        .decode(out["PublicKey"].as_str().expect("pk"))
        .expect("b64");
    assert_eq!(der.len(), 91, "a P-256 SubjectPublicKeyInfo");
    let out = ok(
        &s,
        &c,
        "GenerateDataKeyPairWithoutPlaintext",
        json!({"KeyId": key, "KeyPairSpec": "RSA_2048"}),
    );
    assert!(out.get("PrivateKeyPlaintext").is_none());
    assert_eq!(out["KeyPairSpec"], "RSA_2048");
}

#[test]
fn dry_run_checks_everything_but_does_nothing() {
    let s = svc();
    let c = ctx();
    let key = new_key(&s, &c);
    let e = err(
        &s,
        &c,
        "Encrypt",
        json!({"KeyId": key, "Plaintext": "AA==", "DryRun": true}),
    );
    assert_eq!(
        (e.code.as_str(), e.status),
        ("DryRunOperationException", 412)
    );
    let e = err(
        &s,
        &c,
        "CreateGrant",
        json!({"KeyId": key, "GranteePrincipal": "arn:aws:iam::000000000000:user/a",
               "Operations": ["Encrypt"], "DryRun": true}),
    );
    assert_eq!(e.code, "DryRunOperationException");
    let grants = ok(&s, &c, "ListGrants", json!({"KeyId": key}));
    assert_eq!(grants["Grants"], json!([]));
    ok(&s, &c, "DisableKey", json!({"KeyId": key}));
    let e = err(
        &s,
        &c,
        "Encrypt",
        json!({"KeyId": key, "Plaintext": "AA==", "DryRun": true}),
    );
    assert_eq!(
        e.code, "DisabledException",
        "the key state is checked first"
    );
}

#[test]
fn a_blob_naming_no_valid_key_id_is_an_invalid_ciphertext() {
    let s = svc();
    let c = ctx();
    let mut blob = b"GK\x01\x24".to_vec();
    blob.extend_from_slice(&[b'a'; 36]);
    blob.extend_from_slice(&[0; 60]);
    let e = err(
        &s,
        &c,
        "Decrypt",
        json!({"CiphertextBlob": B64.encode(&blob)}),
    );
    assert_eq!(e.code, "InvalidCiphertextException");
}

#[test]
fn a_ciphertext_of_a_key_not_in_this_region_is_access_denied() {
    let s = svc();
    let c = ctx();
    let key = new_key(&s, &c);
    let blob = encrypt(&s, &c, &key, json!({}));
    let elsewhere = RequestContext::root("000000000000", "eu-west-1", Clock::system());
    let e = err(&s, &elsewhere, "Decrypt", json!({"CiphertextBlob": blob}));
    assert_eq!(e.code, "AccessDeniedException");
    assert!(e
        .message
        .starts_with("The ciphertext refers to a customer master key"));
}

#[test]
fn an_alias_goes_with_its_deleted_key() {
    let s = svc();
    let clock = Clock::system();
    let c = ctx_with(&clock);
    let key = new_key(&s, &c);
    ok(
        &s,
        &c,
        "CreateAlias",
        json!({"AliasName": "alias/gone", "TargetKeyId": key}),
    );
    ok(
        &s,
        &c,
        "ScheduleKeyDeletion",
        json!({"KeyId": key, "PendingWindowInDays": 7}),
    );
    clock.advance_millis(8 * 86_400_000);
    let e = err(&s, &c, "DescribeKey", json!({"KeyId": "alias/gone"}));
    assert_eq!(
        e.message,
        "Alias arn:aws:kms:us-east-1:000000000000:alias/gone is not found."
    );
    let listed = ok(&s, &c, "ListAliases", json!({}));
    let names: Vec<&str> = listed["Aliases"]
        .as_array()
        .expect("list")
        .iter()
        .filter_map(|a| a["AliasName"].as_str())
        .collect();
    assert!(!names.contains(&"alias/gone"), "{names:?}");
    // The name is free again.
    let other = new_key(&s, &c);
    ok(
        &s,
        &c,
        "CreateAlias",
        json!({"AliasName": "alias/gone", "TargetKeyId": other}),
    );
}

#[test]
fn predefined_aws_aliases_are_listed_without_a_key_until_used() {
    let s = svc();
    let c = ctx();
    let entry = |s: &KmsService| {
        let listed = ok(s, &c, "ListAliases", json!({}));
        listed["Aliases"]
            .as_array()
            .expect("list")
            .iter()
            .find(|a| a["AliasName"] == "alias/aws/ebs")
            .cloned()
            .expect("alias/aws/ebs listed")
    };
    assert!(entry(&s).get("TargetKeyId").is_none());
    let key = ok(&s, &c, "DescribeKey", json!({"KeyId": "alias/aws/ebs"}));
    assert_eq!(entry(&s)["TargetKeyId"], key["KeyMetadata"]["KeyId"]);
    // Paging by name covers every alias once.
    let mut seen = Vec::new();
    let mut marker: Option<String> = None;
    loop {
        let mut input = json!({"Limit": 3});
        if let Some(m) = &marker {
            input["Marker"] = json!(m);
        }
        let page = ok(&s, &c, "ListAliases", input);
        for a in page["Aliases"].as_array().expect("list") {
            seen.push(a["AliasName"].as_str().expect("name").to_string());
        }
        match page["NextMarker"].as_str() {
            Some(m) => marker = Some(m.to_string()),
            None => break,
        }
    }
    let mut sorted = seen.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(seen, sorted);
    assert!(seen.len() >= 10);
}

#[test]
fn a_reset_forgets_the_cached_master_key() {
    let store = Store::in_memory().expect("store");
    let s = KmsService::new(store.clone());
    let c = ctx();
    new_key(&s, &c);
    // What a reset does to the store: the KMS tables are emptied.
    store
        .write(|txn| -> Result<(), gureum_store::StoreError> {
            txn.delete(&s.master_table, "master")?;
            Ok(())
        })
        .expect("clear");
    s.reset();
    let key = new_key(&s, &c);
    // A fresh service (a restart) reads the master key the new key was sealed with.
    let restarted = KmsService::new(store);
    ok(
        &restarted,
        &c,
        "Encrypt",
        json!({"KeyId": key, "Plaintext": "AA=="}),
    );
}

/// Wraps `material` for import the way a client does: RSA-OAEP SHA-256
/// under the public key `GetParametersForImport` gave.
fn import(
    s: &KmsService,
    c: &RequestContext,
    key: &str,
    material: &[u8],
    extra: Value,
) -> Result<Value, AwsError> {
    use rsa::pkcs8::DecodePublicKey;
    let params = ok(
        s,
        c,
        "GetParametersForImport",
        json!({"KeyId": key, "WrappingAlgorithm": "RSAES_OAEP_SHA_256", "WrappingKeySpec": "RSA_2048"}),
    );
    let der = B64
        .decode(params["PublicKey"].as_str().expect("pk"))
        .expect("b64");
    let public = rsa::RsaPublicKey::from_public_key_der(&der).expect("spki");
    let wrapped = public
        .encrypt(
            &mut rand::rngs::OsRng,
            rsa::Oaep::new::<sha2::Sha256>(),
            material,
        )
        .expect("wrap");
    let mut input = json!({"KeyId": key, "ImportToken": params["ImportToken"],
                           "EncryptedKeyMaterial": B64.encode(wrapped)});
    for (k, v) in extra.as_object().into_iter().flatten() {
        input[k] = v.clone();
    }
    call(s, c, "ImportKeyMaterial", input)
}

#[test]
fn imported_material_encrypts_and_only_the_same_material_comes_back() {
    let s = svc();
    let clock = Clock::system();
    let c = ctx_with(&clock);
    let m = ok(&s, &c, "CreateKey", json!({"Origin": "EXTERNAL"}))["KeyMetadata"].clone();
    assert_eq!(
        (m["KeyState"].as_str(), m["Origin"].as_str()),
        (Some("PendingImport"), Some("EXTERNAL"))
    );
    let key = m["KeyId"].as_str().expect("id").to_string();
    let e = err(
        &s,
        &c,
        "Encrypt",
        json!({"KeyId": key, "Plaintext": "AA=="}),
    );
    assert_eq!(e.message, format!("{} is pending import.", arn(&key)));
    let material = [7u8; 32];
    import(&s, &c, &key, &material, json!({})).expect("import");
    let blob = encrypt(&s, &c, &key, json!({}));
    let described = ok(&s, &c, "DescribeKey", json!({"KeyId": key}));
    assert_eq!(
        described["KeyMetadata"]["ExpirationModel"],
        "KEY_MATERIAL_DOES_NOT_EXPIRE"
    );
    ok(&s, &c, "DeleteImportedKeyMaterial", json!({"KeyId": key}));
    let e = err(&s, &c, "Decrypt", json!({"CiphertextBlob": blob}));
    assert_eq!(e.code, "KMSInvalidStateException");
    let e = import(&s, &c, &key, &[8u8; 32], json!({})).expect_err("other material");
    assert_eq!(e.code, "IncorrectKeyMaterialException");
    // The same material again: what it encrypted before decrypts.
    let valid_to = (clock.now_millis() / 1000 + 3600) as f64;
    import(&s, &c, &key, &material, json!({"ValidTo": valid_to})).expect("re-import");
    ok(&s, &c, "Decrypt", json!({"CiphertextBlob": blob}));
    // The material expires on Gureum's clock.
    clock.advance_millis(3_601_000);
    let m = ok(&s, &c, "DescribeKey", json!({"KeyId": key}))["KeyMetadata"].clone();
    assert_eq!(m["KeyState"], "PendingImport");
    let e = err(&s, &c, "Decrypt", json!({"CiphertextBlob": blob}));
    assert_eq!(e.code, "KMSInvalidStateException");
}

#[test]
fn import_tokens_are_bound_to_their_key_and_expire() {
    let s = svc();
    let clock = Clock::system();
    let c = ctx_with(&clock);
    let a = ok(&s, &c, "CreateKey", json!({"Origin": "EXTERNAL"}))["KeyMetadata"]["KeyId"].clone();
    let b = ok(&s, &c, "CreateKey", json!({"Origin": "EXTERNAL"}))["KeyMetadata"]["KeyId"].clone();
    let params = ok(
        &s,
        &c,
        "GetParametersForImport",
        json!({"KeyId": a, "WrappingAlgorithm": "RSAES_OAEP_SHA_1", "WrappingKeySpec": "RSA_2048"}),
    );
    let e = err(
        &s,
        &c,
        "ImportKeyMaterial",
        json!({"KeyId": b, "ImportToken": params["ImportToken"], "EncryptedKeyMaterial": "AAAA"}),
    );
    assert_eq!(e.code, "InvalidImportTokenException");
    clock.advance_millis(24 * 3_600_000 + 1);
    let e = err(
        &s,
        &c,
        "ImportKeyMaterial",
        json!({"KeyId": a, "ImportToken": params["ImportToken"], "EncryptedKeyMaterial": "AAAA"}),
    );
    assert_eq!(e.code, "ExpiredImportTokenException");
    let own = new_key(&s, &c);
    let e = err(
        &s,
        &c,
        "GetParametersForImport",
        json!({"KeyId": own, "WrappingAlgorithm": "RSAES_OAEP_SHA_1", "WrappingKeySpec": "RSA_2048"}),
    );
    assert_eq!(e.code, "UnsupportedOperationException");
}

#[test]
fn key_agreement_keys_derive_the_secret_the_peer_derives() {
    let s = svc();
    let c = ctx();
    let ours = key_of(&s, &c, "ECC_NIST_P256", "KEY_AGREEMENT");
    assert_eq!(ours["KeyAgreementAlgorithms"], json!(["ECDH"]));
    let theirs = key_of(&s, &c, "ECC_NIST_P256", "KEY_AGREEMENT")["KeyId"].clone();
    let public = |k: &Value| ok(&s, &c, "GetPublicKey", json!({"KeyId": k}))["PublicKey"].clone();
    let derive = |k: &Value, peer: Value| {
        ok(
            &s,
            &c,
            "DeriveSharedSecret",
            json!({"KeyId": k, "KeyAgreementAlgorithm": "ECDH", "PublicKey": peer}),
        )["SharedSecret"]
            .clone()
    };
    let a = derive(&ours["KeyId"], public(&theirs));
    let b = derive(&theirs, public(&ours["KeyId"]));
    assert_eq!(a, b);
    let p384 = key_of(&s, &c, "ECC_NIST_P384", "SIGN_VERIFY")["KeyId"].clone();
    let e = err(
        &s,
        &c,
        "DeriveSharedSecret",
        json!({"KeyId": ours["KeyId"], "KeyAgreementAlgorithm": "ECDH", "PublicKey": public(&p384)}),
    );
    assert_eq!(e.code, "ValidationException");
    let e = err(
        &s,
        &c,
        "DeriveSharedSecret",
        json!({"KeyId": p384, "KeyAgreementAlgorithm": "ECDH", "PublicKey": public(&theirs)}),
    );
    assert_eq!(e.code, "InvalidKeyUsageException");
}

#[test]
fn multi_region_replicas_decrypt_what_the_primary_encrypts_across_rotations() {
    let s = svc();
    let east = ctx();
    let west = RequestContext::root("000000000000", "eu-west-1", Clock::system());
    let m = ok(&s, &east, "CreateKey", json!({"MultiRegion": true}))["KeyMetadata"].clone();
    let id = m["KeyId"].as_str().expect("id").to_string();
    assert!(id.starts_with("mrk-") && id.len() == 36, "{id}");
    assert_eq!(m["MultiRegion"], true);
    assert_eq!(
        m["MultiRegionConfiguration"]["MultiRegionKeyType"],
        "PRIMARY"
    );
    let out = ok(
        &s,
        &east,
        "ReplicateKey",
        json!({"KeyId": id, "ReplicaRegion": "eu-west-1", "Description": "west"}),
    );
    let replica = &out["ReplicaKeyMetadata"];
    assert_eq!(
        replica["Arn"],
        format!("arn:aws:kms:eu-west-1:000000000000:key/{id}")
    );
    assert_eq!(
        replica["MultiRegionConfiguration"]["MultiRegionKeyType"],
        "REPLICA"
    );
    assert_eq!(
        replica["MultiRegionConfiguration"]["PrimaryKey"]["Region"],
        "us-east-1"
    );
    let primary = ok(&s, &east, "DescribeKey", json!({"KeyId": id}));
    assert_eq!(
        primary["KeyMetadata"]["MultiRegionConfiguration"]["ReplicaKeys"][0]["Region"],
        "eu-west-1"
    );
    let before = encrypt(&s, &east, &id, json!({"k": "v"}));
    ok(&s, &east, "RotateKeyOnDemand", json!({"KeyId": id}));
    let after = encrypt(&s, &east, &id, json!({"k": "v"}));
    for blob in [before, after] {
        let back = ok(
            &s,
            &west,
            "Decrypt",
            json!({"CiphertextBlob": blob, "EncryptionContext": {"k": "v"}}),
        );
        assert_eq!(
            back["KeyId"],
            format!("arn:aws:kms:eu-west-1:000000000000:key/{id}")
        );
    }
    let e = err(&s, &west, "RotateKeyOnDemand", json!({"KeyId": id}));
    assert_eq!(e.code, "UnsupportedOperationException");
    let e = err(
        &s,
        &east,
        "ReplicateKey",
        json!({"KeyId": id, "ReplicaRegion": "eu-west-1"}),
    );
    assert_eq!(e.code, "AlreadyExistsException");
    let single = new_key(&s, &east);
    let e = err(
        &s,
        &east,
        "ReplicateKey",
        json!({"KeyId": single, "ReplicaRegion": "eu-west-1"}),
    );
    assert_eq!(e.code, "UnsupportedOperationException");
}

#[test]
fn updating_the_primary_region_swaps_primary_and_replica() {
    let s = svc();
    let east = ctx();
    let west = RequestContext::root("000000000000", "eu-west-1", Clock::system());
    let id =
        ok(&s, &east, "CreateKey", json!({"MultiRegion": true}))["KeyMetadata"]["KeyId"].clone();
    ok(
        &s,
        &east,
        "ReplicateKey",
        json!({"KeyId": id, "ReplicaRegion": "eu-west-1"}),
    );
    let e = err(
        &s,
        &east,
        "UpdatePrimaryRegion",
        json!({"KeyId": id, "PrimaryRegion": "ap-south-1"}),
    );
    assert_eq!(e.code, "UnsupportedOperationException");
    ok(
        &s,
        &east,
        "UpdatePrimaryRegion",
        json!({"KeyId": id, "PrimaryRegion": "eu-west-1"}),
    );
    let kind = |c: &RequestContext| {
        ok(&s, c, "DescribeKey", json!({"KeyId": id}))["KeyMetadata"]["MultiRegionConfiguration"]
            ["MultiRegionKeyType"]
            .clone()
    };
    assert_eq!(kind(&east), "REPLICA");
    assert_eq!(kind(&west), "PRIMARY");
    // Rotation now happens in the new primary's Region only.
    ok(&s, &west, "RotateKeyOnDemand", json!({"KeyId": id}));
    let e = err(&s, &east, "RotateKeyOnDemand", json!({"KeyId": id}));
    assert_eq!(e.code, "UnsupportedOperationException");
    let blob = encrypt(&s, &west, id.as_str().expect("id"), json!({}));
    ok(&s, &east, "Decrypt", json!({"CiphertextBlob": blob}));
}

mod encryptor {
    use super::*;
    use crate::KmsEncryptor;
    use gureum_kit::encryption::Encryptor;
    use std::sync::Arc;

    fn scope() -> Scope<'static> {
        Scope::Region {
            account: "000000000000",
            region: "us-east-1",
        }
    }

    fn pair(service: &'static str) -> (Arc<KmsService>, KmsEncryptor) {
        let kms = Arc::new(svc());
        let e = KmsEncryptor::new(kms.clone(), Clock::system(), service);
        (kms, e)
    }

    #[test]
    fn ssm_makes_its_managed_key_on_first_use_and_kms_decrypts_the_blob() {
        let (kms, e) = pair("ssm");
        let context = vec![("PARAMETER_ARN".to_string(), "arn:p".to_string())];
        let blob = e.encrypt(scope(), None, b"v", &context).expect("encrypt");
        let c = ctx();
        let alias = ok(&kms, &c, "DescribeKey", json!({"KeyId": "alias/aws/ssm"}));
        assert_eq!(alias["KeyMetadata"]["KeyManager"], "AWS");
        let out = ok(
            &kms,
            &c,
            "Decrypt",
            json!({"CiphertextBlob": B64.encode(&blob), "EncryptionContext": {"PARAMETER_ARN": "arn:p"}}),
        );
        assert_eq!(out["Plaintext"], B64.encode(b"v"));
        assert_eq!(e.decrypt(scope(), &blob, &context).expect("decrypt"), b"v");
        let wrong = vec![("PARAMETER_ARN".to_string(), "arn:q".to_string())];
        let err = e.decrypt(scope(), &blob, &wrong).expect_err("context");
        assert_eq!(err.code, "InvalidKeyId");
    }

    #[test]
    fn secrets_manager_needs_prepare_for_its_managed_key_and_answers_in_its_terms() {
        let (kms, e) = pair("secretsmanager");
        // Read-only: without prepare the managed key is not made here.
        let err = e.encrypt(scope(), None, b"v", &vec![]).expect_err("no key");
        assert_eq!(err.code, "EncryptionFailure");
        e.prepare(scope(), None).expect("prepare");
        let blob = e.encrypt(scope(), None, b"v", &vec![]).expect("encrypt");
        assert_eq!(e.decrypt(scope(), &blob, &vec![]).expect("decrypt"), b"v");
        let c = ctx();
        let id = new_key(&kms, &c);
        let blob = e
            .encrypt(scope(), Some(&id), b"w", &vec![])
            .expect("encrypt");
        ok(&kms, &c, "DisableKey", json!({"KeyId": id}));
        let err = e.decrypt(scope(), &blob, &vec![]).expect_err("disabled");
        assert_eq!(err.code, "DecryptionFailure");
        assert_eq!(err.message, format!("{} is disabled.", arn(&id)));
        let err = e
            .encrypt(scope(), Some(&id), b"w", &vec![])
            .expect_err("disabled");
        assert_eq!(err.code, "EncryptionFailure");
    }

    #[test]
    fn s3_reports_key_arns_and_relays_kmss_codes_with_the_kms_prefix() {
        let (kms, e) = pair("s3");
        // aws/s3 is made on first use (S3 encrypts outside transactions).
        let managed = e.key_arn(scope(), None).expect("managed");
        let c = ctx();
        let described = ok(&kms, &c, "DescribeKey", json!({"KeyId": "alias/aws/s3"}));
        assert_eq!(described["KeyMetadata"]["Arn"], json!(managed));
        let id = new_key(&kms, &c);
        assert_eq!(e.key_arn(scope(), Some(&id)).expect("arn"), arn(&id));
        let blob = e
            .encrypt(scope(), Some(&id), b"k", &vec![])
            .expect("encrypt");
        ok(&kms, &c, "DisableKey", json!({"KeyId": id}));
        let err = e.decrypt(scope(), &blob, &vec![]).expect_err("disabled");
        assert_eq!(
            (err.code.as_str(), err.status, err.message.clone()),
            (
                "KMS.DisabledException",
                400,
                format!("{} is disabled.", arn(&id))
            )
        );
        let err = e.key_arn(scope(), Some("alias/none")).expect_err("missing");
        assert_eq!(err.code, "KMS.NotFoundException");
    }
}
