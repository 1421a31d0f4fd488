//! Parameter Store's rules, by name, through the service.

use crate::SsmService;
use gureum_core::{AwsError, Clock, RequestContext, Service, Value};
use gureum_store::Store;
use serde_json::json;

fn ctx() -> RequestContext {
    RequestContext::root("000000000000", "us-east-1", Clock::system())
}

/// The table's futures are ready at once; poll one without a runtime.
fn call(s: &SsmService, op: &str, input: Value) -> Result<Value, AwsError> {
    use std::task::{Context, Poll, Waker};
    let mut cx = Context::from_waker(Waker::noop());
    let c = ctx();
    let mut f = s.call(&c, op, input);
    match f.as_mut().poll(&mut cx) {
        Poll::Ready(v) => v,
        Poll::Pending => panic!("service future was not ready"),
    }
}

fn svc() -> SsmService {
    SsmService::new(Store::in_memory().expect("store"))
}

fn put(s: &SsmService, name: &str, value: &str, overwrite: bool) -> Result<Value, AwsError> {
    call(
        s,
        "PutParameter",
        json!({"Name": name, "Value": value, "Type": "String", "Overwrite": overwrite}),
    )
}

fn get(s: &SsmService, name: &str) -> Result<Value, AwsError> {
    call(s, "GetParameter", json!({"Name": name}))
}

#[test]
fn an_existing_name_needs_overwrite_and_each_overwrite_adds_a_version() {
    let s = svc();
    assert_eq!(put(&s, "/a", "1", false).expect("put")["Version"], 1);
    let e = put(&s, "/a", "2", false).expect_err("exists");
    assert_eq!(e.code, "ParameterAlreadyExists");
    assert_eq!(put(&s, "/a", "2", true).expect("put")["Version"], 2);
    assert_eq!(get(&s, "/a").expect("get")["Parameter"]["Value"], "2");
    assert_eq!(get(&s, "/a:1").expect("get")["Parameter"]["Value"], "1");
    assert_eq!(get(&s, "/a:1").expect("get")["Parameter"]["Selector"], ":1");
}

#[test]
fn a_missing_parameter_answers_parameter_not_found() {
    let e = get(&svc(), "/nope").expect_err("missing");
    assert_eq!(
        (e.code.as_str(), e.message.as_str()),
        ("ParameterNotFound", "")
    );
}

#[test]
fn a_missing_version_answers_parameter_version_not_found() {
    let s = svc();
    put(&s, "/a", "1", false).expect("put");
    let e = get(&s, "/a:7").expect_err("no version");
    assert_eq!(e.code, "ParameterVersionNotFound");
    assert_eq!(
        e.message,
        "Systems Manager could not find version 7 of /a. Verify the version and try again."
    );
}

#[test]
fn the_hundred_and_first_version_drops_the_oldest_unless_it_is_labelled() {
    let s = svc();
    for i in 0..100 {
        put(&s, "/v", &i.to_string(), i > 0).expect("put");
    }
    put(&s, "/v", "x", true).expect("101st");
    let e = get(&s, "/v:1").expect_err("dropped");
    assert_eq!(e.code, "ParameterVersionNotFound");
    call(
        &s,
        "LabelParameterVersion",
        json!({"Name": "/v", "ParameterVersion": 2, "Labels": ["keep"]}),
    )
    .expect("label");
    let e = put(&s, "/v", "y", true).expect_err("labelled oldest");
    assert_eq!(e.code, "ParameterMaxVersionLimitExceeded");
}

#[test]
fn labels_move_between_versions_and_invalid_ones_are_returned() {
    let s = svc();
    put(&s, "/l", "1", false).expect("put");
    put(&s, "/l", "2", true).expect("put");
    let out = call(
        &s,
        "LabelParameterVersion",
        json!({"Name": "/l", "ParameterVersion": 1, "Labels": ["prod", "1bad"]}),
    )
    .expect("label");
    assert_eq!(out["InvalidLabels"], json!(["1bad"]));
    assert_eq!(get(&s, "/l:prod").expect("get")["Parameter"]["Value"], "1");
    call(
        &s,
        "LabelParameterVersion",
        json!({"Name": "/l", "Labels": ["prod"]}),
    )
    .expect("move");
    assert_eq!(get(&s, "/l:prod").expect("get")["Parameter"]["Value"], "2");
    let out = call(
        &s,
        "UnlabelParameterVersion",
        json!({"Name": "/l", "ParameterVersion": 2, "Labels": ["prod", "other"]}),
    )
    .expect("unlabel");
    assert_eq!(out["RemovedLabels"], json!(["prod"]));
    assert_eq!(out["InvalidLabels"], json!(["other"]));
}

#[test]
fn a_version_carries_at_most_ten_labels() {
    let s = svc();
    put(&s, "/l", "1", false).expect("put");
    let labels: Vec<String> = (0..11).map(|i| format!("l{i}")).collect();
    let e = call(
        &s,
        "LabelParameterVersion",
        json!({"Name": "/l", "Labels": labels}),
    )
    .expect_err("eleven");
    assert_eq!(e.code, "ParameterVersionLabelLimitExceeded");
}

#[test]
fn by_path_is_one_level_unless_recursive() {
    let s = svc();
    for n in ["/app/a", "/app/b", "/app/db/host", "/other/x"] {
        put(&s, n, "v", false).expect("put");
    }
    let names = |recursive: bool| -> Vec<String> {
        let out = call(
            &s,
            "GetParametersByPath",
            json!({"Path": "/app", "Recursive": recursive}),
        )
        .expect("by path");
        out["Parameters"]
            .as_array()
            .expect("list")
            .iter()
            .map(|p| p["Name"].as_str().unwrap_or_default().to_string())
            .collect()
    };
    assert_eq!(names(false), ["/app/a", "/app/b"]);
    assert_eq!(names(true), ["/app/a", "/app/b", "/app/db/host"]);
}

#[test]
fn get_parameters_lists_unknown_names_as_invalid() {
    let s = svc();
    put(&s, "/a", "1", false).expect("put");
    let out = call(&s, "GetParameters", json!({"Names": ["/a", "/b", "/a:9"]})).expect("get");
    assert_eq!(out["Parameters"].as_array().map(Vec::len), Some(1));
    assert_eq!(out["InvalidParameters"], json!(["/b", "/a:9"]));
}

#[test]
fn values_must_match_the_allowed_pattern() {
    let s = svc();
    let e = call(
        &s,
        "PutParameter",
        json!({"Name": "n", "Value": "abc", "Type": "String", "AllowedPattern": "^\\d+$"}),
    )
    .expect_err("mismatch");
    assert_eq!(e.code, "ParameterPatternMismatchException");
    assert_eq!(
        e.message,
        "Parameter value, cannot be validated against allowedPattern: ^\\d+$"
    );
}

#[test]
fn standard_values_stop_at_4096_characters_and_intelligent_tiering_upgrades() {
    let s = svc();
    let big = "x".repeat(4097);
    let e = call(
        &s,
        "PutParameter",
        json!({"Name": "big", "Value": big, "Type": "String"}),
    )
    .expect_err("too long");
    assert_eq!(e.code, "ValidationException");
    let out = call(
        &s,
        "PutParameter",
        json!({"Name": "big", "Value": big, "Type": "String", "Tier": "Intelligent-Tiering"}),
    )
    .expect("advanced");
    assert_eq!(out["Tier"], "Advanced");
}

#[test]
fn ec2_image_data_type_needs_an_ami_id() {
    let s = svc();
    let bad =
        json!({"Name": "ami", "Value": "nope", "Type": "String", "DataType": "aws:ec2:image"});
    assert_eq!(
        call(&s, "PutParameter", bad).expect_err("bad").code,
        "ValidationException"
    );
    let good = json!({"Name": "ami", "Value": "ami-0123456789abcdef0", "Type": "String", "DataType": "aws:ec2:image"});
    call(&s, "PutParameter", good).expect("good");
}

#[test]
fn secure_strings_are_refused_while_kms_is_not_there() {
    let e = call(
        &svc(),
        "PutParameter",
        json!({"Name": "s", "Value": "x", "Type": "SecureString"}),
    )
    .expect_err("no kms");
    assert_eq!((e.code.as_str(), e.status), ("NotImplemented", 501));
    assert!(e.message.contains("kms"), "{}", e.message);
}

#[test]
fn tags_and_overwrite_cannot_be_combined() {
    let e = call(
        &svc(),
        "PutParameter",
        json!({"Name": "t", "Value": "x", "Type": "String", "Overwrite": true,
               "Tags": [{"Key": "k", "Value": "v"}]}),
    )
    .expect_err("both");
    assert_eq!(e.code, "ValidationException");
}

#[test]
fn public_parameters_are_readable_by_name_and_path() {
    let s = svc();
    let p = get(
        &s,
        "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64",
    )
    .expect("public")["Parameter"]
        .clone();
    assert!(p["Value"].as_str().unwrap_or_default().starts_with("ami-"));
    let out = call(
        &s,
        "GetParametersByPath",
        json!({"Path": "/aws/service/ami-amazon-linux-latest", "MaxResults": 10}),
    )
    .expect("path");
    assert_eq!(out["Parameters"].as_array().map(Vec::len), Some(6));
}

#[test]
fn describe_filters_by_name_prefix_and_tag() {
    let s = svc();
    put(&s, "/app/a", "1", false).expect("put");
    call(
        &s,
        "PutParameter",
        json!({"Name": "/app/b", "Value": "x", "Type": "String", "Tags": [{"Key": "env", "Value": "prod"}]}),
    )
    .expect("tagged");
    let out = call(
        &s,
        "DescribeParameters",
        json!({"ParameterFilters": [{"Key": "tag:env", "Values": ["prod"]}]}),
    )
    .expect("describe");
    assert_eq!(out["Parameters"][0]["Name"], "/app/b");
    let out = call(
        &s,
        "DescribeParameters",
        json!({"ParameterFilters": [{"Key": "Name", "Option": "BeginsWith", "Values": ["/app"]}]}),
    )
    .expect("describe");
    assert_eq!(out["Parameters"].as_array().map(Vec::len), Some(2));
    let e = call(
        &s,
        "GetParametersByPath",
        json!({"Path": "/app", "ParameterFilters": [{"Key": "Name", "Values": ["x"]}]}),
    )
    .expect_err("bad key");
    assert_eq!(e.code, "InvalidFilterKey");
}

#[test]
fn a_path_that_only_shares_letters_with_aws_reads_stored_parameters() {
    let s = svc();
    put(&s, "/a/x", "v", false).expect("put");
    let out = call(&s, "GetParametersByPath", json!({"Path": "/a"})).expect("path");
    assert_eq!(out["Parameters"][0]["Name"], "/a/x");
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
        assert_eq!(context[0].0, "PARAMETER_ARN");
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
fn secure_strings_go_through_the_encryptor_and_decrypt_on_request() {
    let s = SsmService::with_encryptor(
        Store::in_memory().expect("store"),
        std::sync::Arc::new(Reversing),
    );
    call(
        &s,
        "PutParameter",
        json!({"Name": "/s", "Value": "abc", "Type": "SecureString", "KeyId": "alias/mine"}),
    )
    .expect("put");
    let hidden = get(&s, "/s").expect("get")["Parameter"]["Value"].clone();
    assert_ne!(hidden, "abc");
    let shown = call(
        &s,
        "GetParameter",
        json!({"Name": "/s", "WithDecryption": true}),
    )
    .expect("decrypt")["Parameter"]["Value"]
        .clone();
    assert_eq!(shown, "abc");
    // An overwrite without Type keeps SecureString, encrypted again.
    call(
        &s,
        "PutParameter",
        json!({"Name": "/s", "Value": "xyz", "Overwrite": true, "KeyId": "alias/mine"}),
    )
    .expect("overwrite");
    let shown = call(
        &s,
        "GetParameter",
        json!({"Name": "/s", "WithDecryption": true}),
    )
    .expect("decrypt")["Parameter"]["Value"]
        .clone();
    assert_eq!(shown, "xyz");
}

#[test]
fn the_resolver_reads_stored_and_public_parameters_with_selectors() {
    use gureum_kit::parameters::ParameterResolver;
    let s = svc();
    put(&s, "/golden", "ami-0123456789abcdef0", false).expect("put");
    put(&s, "/golden", "ami-0fedcba9876543210", true).expect("put");
    call(
        &s,
        "LabelParameterVersion",
        json!({"Name": "/golden", "ParameterVersion": 1, "Labels": ["old"]}),
    )
    .expect("label");
    let c = ctx();
    assert_eq!(
        s.resolve(&c, "/golden").expect("latest"),
        "ami-0fedcba9876543210"
    );
    assert_eq!(
        s.resolve(&c, "/golden:1").expect("v1"),
        "ami-0123456789abcdef0"
    );
    assert_eq!(
        s.resolve(&c, "/golden:old").expect("label"),
        "ami-0123456789abcdef0"
    );
    assert_eq!(
        s.resolve(&c, "/golden:9").expect_err("no version").code,
        "ParameterVersionNotFound"
    );
    assert_eq!(
        s.resolve(&c, "/nope").expect_err("missing").code,
        "ParameterNotFound"
    );
    let public = "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64";
    let want = get(&s, public).expect("public")["Parameter"]["Value"].clone();
    assert_eq!(s.resolve(&c, public).expect("public"), want);
}
