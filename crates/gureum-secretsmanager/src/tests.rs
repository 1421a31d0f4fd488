//! Secrets Manager's rules, by name, through the service.

use crate::SecretsManagerService;
use gureum_core::{AwsError, Clock, RequestContext, Service, Value};
use gureum_store::Store;
use serde_json::json;

struct Env {
    svc: SecretsManagerService,
    ctx: RequestContext,
}

fn env() -> Env {
    let store = Store::in_memory().expect("store");
    let kms = std::sync::Arc::new(gureum_kms::KmsService::new(store.clone()));
    let encryptor = gureum_kms::KmsEncryptor::new(kms, Clock::with_offset(0), "secretsmanager");
    Env {
        svc: SecretsManagerService::with_encryptor(store, std::sync::Arc::new(encryptor)),
        ctx: RequestContext::root("000000000000", "us-east-1", Clock::with_offset(0)),
    }
}

impl Env {
    /// The table's futures are ready at once; poll one without a runtime.
    fn call(&self, op: &str, input: Value) -> Result<Value, AwsError> {
        use std::task::{Context, Poll, Waker};
        let mut cx = Context::from_waker(Waker::noop());
        let mut f = self.svc.call(&self.ctx, op, input);
        match f.as_mut().poll(&mut cx) {
            Poll::Ready(v) => v,
            Poll::Pending => panic!("service future was not ready"),
        }
    }

    fn ok(&self, op: &str, input: Value) -> Value {
        self.call(op, input).expect(op)
    }
}

#[test]
fn a_new_secret_has_an_arn_with_a_random_suffix_and_a_current_version() {
    let e = env();
    let out = e.ok("CreateSecret", json!({"Name": "db", "SecretString": "pw"}));
    let arn = out["ARN"].as_str().unwrap_or_default();
    assert!(arn.starts_with("arn:aws:secretsmanager:us-east-1:000000000000:secret:db-"));
    assert_eq!(arn.len() - arn.rfind('-').unwrap_or_default(), 7);
    let v = e.ok("GetSecretValue", json!({"SecretId": arn}));
    assert_eq!(v["SecretString"], "pw");
    assert_eq!(v["VersionStages"], json!(["AWSCURRENT"]));
    let by_name = e.ok("GetSecretValue", json!({"SecretId": "db"}));
    assert_eq!(by_name["VersionId"], out["VersionId"]);
}

#[test]
fn a_taken_name_answers_resource_exists() {
    let e = env();
    e.ok("CreateSecret", json!({"Name": "db", "SecretString": "a"}));
    let err = e
        .call("CreateSecret", json!({"Name": "db", "SecretString": "b"}))
        .expect_err("exists");
    assert_eq!(err.code, "ResourceExistsException");
    assert_eq!(
        err.message,
        "The operation failed because the secret db already exists."
    );
}

#[test]
fn a_retried_create_with_the_same_token_answers_the_same() {
    let e = env();
    let token = "11111111-2222-3333-4444-555555555555";
    let req = json!({"Name": "db", "SecretString": "a", "ClientRequestToken": token});
    let first = e.ok("CreateSecret", req.clone());
    let again = e.ok("CreateSecret", req);
    assert_eq!(first, again);
    let other = json!({"Name": "db", "SecretString": "b", "ClientRequestToken": token});
    assert_eq!(
        e.call("CreateSecret", other).expect_err("changed").code,
        "ResourceExistsException"
    );
}

#[test]
fn put_secret_value_moves_current_and_keeps_previous() {
    let e = env();
    let v1 = e.ok("CreateSecret", json!({"Name": "s", "SecretString": "1"}))["VersionId"].clone();
    let v2 = e.ok(
        "PutSecretValue",
        json!({"SecretId": "s", "SecretString": "2"}),
    )["VersionId"]
        .clone();
    let v3 = e.ok(
        "PutSecretValue",
        json!({"SecretId": "s", "SecretString": "3"}),
    )["VersionId"]
        .clone();
    let d = e.ok("DescribeSecret", json!({"SecretId": "s"}));
    let stages = &d["VersionIdsToStages"];
    assert_eq!(
        stages[v3.as_str().unwrap_or_default()],
        json!(["AWSCURRENT"])
    );
    assert_eq!(
        stages[v2.as_str().unwrap_or_default()],
        json!(["AWSPREVIOUS"])
    );
    assert!(stages.get(v1.as_str().unwrap_or_default()).is_none());
    let prev = e.ok(
        "GetSecretValue",
        json!({"SecretId": "s", "VersionStage": "AWSPREVIOUS"}),
    );
    assert_eq!(prev["SecretString"], "2");
    let old = e.ok("GetSecretValue", json!({"SecretId": "s", "VersionId": v1}));
    assert_eq!(old["SecretString"], "1");
}

#[test]
fn a_staging_label_moves_only_from_the_version_that_holds_it() {
    let e = env();
    let v1 = e.ok("CreateSecret", json!({"Name": "s", "SecretString": "1"}))["VersionId"].clone();
    let v2 = e.ok(
        "PutSecretValue",
        json!({"SecretId": "s", "SecretString": "2", "VersionStages": ["AWSPENDING"]}),
    )["VersionId"]
        .clone();
    let err = e
        .call(
            "UpdateSecretVersionStage",
            json!({"SecretId": "s", "VersionStage": "AWSCURRENT", "MoveToVersionId": v2}),
        )
        .expect_err("must name the holder");
    assert_eq!(err.code, "InvalidParameterException");
    e.ok(
        "UpdateSecretVersionStage",
        json!({"SecretId": "s", "VersionStage": "AWSCURRENT", "MoveToVersionId": v2, "RemoveFromVersionId": v1}),
    );
    assert_eq!(
        e.ok("GetSecretValue", json!({"SecretId": "s"}))["SecretString"],
        "2"
    );
    let prev = e.ok(
        "GetSecretValue",
        json!({"SecretId": "s", "VersionStage": "AWSPREVIOUS"}),
    );
    assert_eq!(prev["SecretString"], "1");
}

#[test]
fn deletion_waits_for_the_recovery_window_on_the_clock() {
    let e = env();
    e.ok("CreateSecret", json!({"Name": "s", "SecretString": "1"}));
    let err = e
        .call(
            "DeleteSecret",
            json!({"SecretId": "s", "RecoveryWindowInDays": 6}),
        )
        .expect_err("too short");
    assert_eq!(err.code, "InvalidParameterException");
    e.ok(
        "DeleteSecret",
        json!({"SecretId": "s", "RecoveryWindowInDays": 7}),
    );
    let err = e
        .call("GetSecretValue", json!({"SecretId": "s"}))
        .expect_err("marked");
    assert_eq!(err.code, "InvalidRequestException");
    assert_eq!(
        err.message,
        "You can't perform this operation on the secret because it was marked for deletion."
    );
    assert!(e.ok("DescribeSecret", json!({"SecretId": "s"}))["DeletedDate"].is_number());
    e.ctx.clock.advance_millis(7 * 86_400_000 + 1000);
    let err = e
        .call("DescribeSecret", json!({"SecretId": "s"}))
        .expect_err("gone");
    assert_eq!(err.code, "ResourceNotFoundException");
    e.ok(
        "CreateSecret",
        json!({"Name": "s", "SecretString": "again"}),
    );
}

#[test]
fn restore_cancels_a_scheduled_deletion() {
    let e = env();
    e.ok("CreateSecret", json!({"Name": "s", "SecretString": "1"}));
    e.ok("DeleteSecret", json!({"SecretId": "s"}));
    e.ok("RestoreSecret", json!({"SecretId": "s"}));
    assert_eq!(
        e.ok("GetSecretValue", json!({"SecretId": "s"}))["SecretString"],
        "1"
    );
}

#[test]
fn forced_deletion_cannot_take_a_window() {
    let e = env();
    e.ok("CreateSecret", json!({"Name": "s"}));
    let err = e
        .call(
            "DeleteSecret",
            json!({"SecretId": "s", "RecoveryWindowInDays": 7, "ForceDeleteWithoutRecovery": true}),
        )
        .expect_err("both");
    assert_eq!(err.code, "InvalidParameterException");
    e.ok(
        "DeleteSecret",
        json!({"SecretId": "s", "ForceDeleteWithoutRecovery": true}),
    );
    assert_eq!(
        e.call("DescribeSecret", json!({"SecretId": "s"}))
            .expect_err("gone")
            .code,
        "ResourceNotFoundException"
    );
}

#[test]
fn without_kms_every_value_is_refused() {
    let e = Env {
        svc: SecretsManagerService::new(Store::in_memory().expect("store")),
        ctx: RequestContext::root("000000000000", "us-east-1", Clock::with_offset(0)),
    };
    let err = e
        .call("CreateSecret", json!({"Name": "s", "SecretString": "x"}))
        .expect_err("no kms");
    assert_eq!((err.code.as_str(), err.status), ("NotImplemented", 501));
    assert!(err.message.contains("kms"), "{}", err.message);
}

#[test]
fn random_passwords_honour_length_exclusions_and_each_type() {
    let e = env();
    let p = e.ok("GetRandomPassword", json!({}))["RandomPassword"].clone();
    assert_eq!(p.as_str().map(str::len), Some(32));
    for _ in 0..20 {
        let p = e.ok(
            "GetRandomPassword",
            json!({"PasswordLength": 8, "ExcludePunctuation": true, "ExcludeCharacters": "abc"}),
        )["RandomPassword"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        assert_eq!(p.len(), 8);
        assert!(p
            .chars()
            .all(|c| c.is_ascii_alphanumeric() && !"abc".contains(c)));
        assert!(p.chars().any(|c| c.is_ascii_uppercase()));
        assert!(p.chars().any(|c| c.is_ascii_lowercase()));
        assert!(p.chars().any(|c| c.is_ascii_digit()));
    }
    let err = e
        .call(
            "GetRandomPassword",
            json!({"ExcludeNumbers": true, "ExcludePunctuation": true,
                   "ExcludeUppercase": true, "ExcludeLowercase": true}),
        )
        .expect_err("nothing left");
    assert_eq!(err.code, "InvalidParameterException");
}

#[test]
fn list_filters_by_name_prefix_and_hides_planned_deletions() {
    let e = env();
    for n in ["app/a", "app/b", "other"] {
        e.ok("CreateSecret", json!({"Name": n, "SecretString": "x"}));
    }
    e.ok("DeleteSecret", json!({"SecretId": "app/b"}));
    let names = |input: Value| -> Vec<String> {
        e.ok("ListSecrets", input)["SecretList"]
            .as_array()
            .expect("list")
            .iter()
            .map(|s| s["Name"].as_str().unwrap_or_default().to_string())
            .collect()
    };
    let filter = json!([{"Key": "name", "Values": ["app/"]}]);
    assert_eq!(names(json!({"Filters": filter})), ["app/a"]);
    assert_eq!(
        names(json!({"Filters": filter, "IncludePlannedDeletion": true})),
        ["app/a", "app/b"]
    );
}

#[test]
fn batch_get_reports_missing_ids_as_errors() {
    let e = env();
    e.ok("CreateSecret", json!({"Name": "a", "SecretString": "1"}));
    let out = e.ok(
        "BatchGetSecretValue",
        json!({"SecretIdList": ["a", "nope"]}),
    );
    assert_eq!(out["SecretValues"][0]["SecretString"], "1");
    assert_eq!(out["Errors"][0]["ErrorCode"], "ResourceNotFoundException");
    assert_eq!(out["Errors"][0]["SecretId"], "nope");
}

#[test]
fn rotation_answers_as_aws_does_without_an_invocable_function() {
    let e = env();
    e.ok("CreateSecret", json!({"Name": "a", "SecretString": "1"}));
    let err = e
        .call("RotateSecret", json!({"SecretId": "a"}))
        .expect_err("none");
    assert_eq!(err.code, "InvalidRequestException");
    let err = e
        .call(
            "RotateSecret",
            json!({"SecretId": "a", "RotationLambdaARN": "arn:aws:lambda:us-east-1:000000000000:function:rot"}),
        )
        .expect_err("cannot invoke");
    assert_eq!(err.code, "AccessDeniedException");
    let out = e.ok("CancelRotateSecret", json!({"SecretId": "a"}));
    assert_eq!(out["Name"], "a");
}

#[test]
fn values_are_not_stored_in_the_clear() {
    let e = env();
    e.ok(
        "CreateSecret",
        json!({"Name": "a", "SecretString": "hunter2-plaintext"}),
    );
    let stored = e.svc.secrets.scan_prefix("").expect("scan");
    let bytes = &stored[0].1.versions[0].sealed;
    assert!(!bytes.windows(7).any(|w| w == b"hunter2"));
}

/// A stand-in KMS for the seam's tests only: "encrypts" by reversing.
struct Reversing;

impl gureum_kit::encryption::Encryptor for Reversing {
    fn encrypt(
        &self,
        _scope: gureum_core::Scope<'_>,
        key_id: Option<&str>,
        plaintext: &[u8],
        context: &gureum_kit::encryption::EncryptionContext,
    ) -> Result<Vec<u8>, AwsError> {
        assert_eq!(key_id, Some("alias/mine"));
        assert_eq!(context[0].0, "SecretARN");
        assert_eq!(context[1].0, "SecretVersionId");
        Ok(plaintext.iter().rev().copied().collect())
    }

    fn decrypt(
        &self,
        _scope: gureum_core::Scope<'_>,
        ciphertext: &[u8],
        _context: &gureum_kit::encryption::EncryptionContext,
    ) -> Result<Vec<u8>, AwsError> {
        Ok(ciphertext.iter().rev().copied().collect())
    }
}

#[test]
fn customer_key_values_go_through_the_encryptor() {
    let e = Env {
        svc: SecretsManagerService::with_encryptor(
            Store::in_memory().expect("store"),
            std::sync::Arc::new(Reversing),
        ),
        ctx: RequestContext::root("000000000000", "us-east-1", Clock::with_offset(0)),
    };
    e.ok(
        "CreateSecret",
        json!({"Name": "k", "SecretString": "abc", "KmsKeyId": "alias/mine"}),
    );
    let stored = e.svc.secrets.scan_prefix("").expect("scan");
    assert_eq!(stored[0].1.versions[0].sealed, b"cba");
    assert_eq!(
        e.ok("GetSecretValue", json!({"SecretId": "k"}))["SecretString"],
        "abc"
    );
    assert_eq!(
        e.ok("DescribeSecret", json!({"SecretId": "k"}))["KmsKeyId"],
        "alias/mine"
    );
}

#[test]
fn values_sealed_locally_before_kms_still_open() {
    let e = env();
    e.ok(
        "CreateSecret",
        json!({"Name": "old", "SecretString": "new-way"}),
    );
    let key = "000000000000/us-east-1/old";
    let mut secret = e.svc.secrets.get(key).expect("get").expect("secret");
    assert!(secret.versions[0].kms_sealed);
    // Rewrite the version as the service stored it before KMS.
    e.svc.sealer.prepare().expect("local key");
    let v = &mut secret.versions[0];
    v.sealed = e
        .svc
        .sealer
        .seal(b"old-way", format!("{}|{}", secret.arn, v.id).as_bytes())
        .expect("seal");
    v.kms_sealed = false;
    e.svc.secrets.put(key, &secret).expect("put");
    assert_eq!(
        e.ok("GetSecretValue", json!({"SecretId": "old"}))["SecretString"],
        "old-way"
    );
}

#[test]
fn default_key_values_are_kms_ciphertexts_under_aws_secretsmanager() {
    let e = env();
    e.ok("CreateSecret", json!({"Name": "d", "SecretString": "v"}));
    let stored = e.svc.secrets.scan_prefix("").expect("scan");
    assert!(stored[0].1.versions[0].sealed.starts_with(b"GK\x01"));
    let err = e
        .call(
            "CreateSecret",
            json!({"Name": "c", "SecretString": "v", "KmsKeyId": "alias/none"}),
        )
        .expect_err("no such key");
    assert_eq!(err.code, "EncryptionFailure");
}
