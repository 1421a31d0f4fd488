//! S3 browser uploads: `POST /bucket` with a `multipart/form-data` body
//! carrying a signed policy (AWS's "Browser-based uploads using POST").
//!
//! This is an authentication layer, not a new operation: the form's
//! signature (SigV4 `x-amz-signature` or SigV2 `signature`) is checked
//! against the base64 policy, the policy's expiration and conditions against
//! the form, and then the file goes to S3 as a `PutObject` by the signer,
//! through the same authorization as any other request. The response is
//! 204, or 200/201 (`success_action_status`, 201 with a `PostResponse`
//! document), or a 303 to `success_action_redirect`.

use crate::accounts::KeyLookup;
use crate::pipeline::AppState;
use base64::Engine;
use bytes::Bytes;
use gureum_core::{AwsError, Principal, RequestBody, RequestContext, Value};
use gureum_model::{ServiceIndexEntry, ServiceModel};
use serde_json::{json, Map};

/// One form field (the file field carries its filename).
#[derive(Debug)]
pub struct Field {
    /// The field name as sent.
    pub name: String,
    /// `filename=` of the file field.
    pub filename: Option<String>,
    /// The part's own `Content-Type`.
    pub content_type: Option<String>,
    /// The value.
    pub value: Bytes,
}

fn malformed(message: &str) -> AwsError {
    AwsError::new("MalformedPOSTRequest", 400, message)
}

fn policy_denied(message: impl Into<String>) -> AwsError {
    AwsError::new(
        "AccessDenied",
        403,
        format!("Invalid according to Policy: {}", message.into()),
    )
}

/// The boundary of a `multipart/form-data` content type.
pub fn boundary(content_type: &str) -> Option<&str> {
    let (kind, params) = content_type.split_once(';')?;
    if !kind.trim().eq_ignore_ascii_case("multipart/form-data") {
        return None;
    }
    params.split(';').find_map(|p| {
        let (k, v) = p.trim().split_once('=')?;
        k.eq_ignore_ascii_case("boundary")
            .then(|| v.trim().trim_matches('"'))
    })
}

fn find(haystack: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    if needle.is_empty() || haystack.len() < needle.len() {
        return None;
    }
    (from..=haystack.len() - needle.len()).find(|&i| &haystack[i..i + needle.len()] == needle)
}

fn disposition_param(disposition: &str, name: &str) -> Option<String> {
    disposition.split(';').find_map(|p| {
        let (k, v) = p.trim().split_once('=')?;
        k.trim()
            .eq_ignore_ascii_case(name)
            .then(|| v.trim().trim_matches('"').to_string())
    })
}

/// Splits a form body into fields; fields after the file are ignored, as
/// S3 does.
pub fn parse_form(body: &Bytes, boundary: &str) -> Result<Vec<Field>, AwsError> {
    let delimiter = format!("--{boundary}");
    let delim = delimiter.as_bytes();
    let mut fields = Vec::new();
    let mut pos = find(body, delim, 0).ok_or_else(|| {
        malformed("The body of your POST request is not well-formed multipart/form-data.")
    })? + delim.len();
    loop {
        if body[pos..].starts_with(b"--") {
            break; // the closing delimiter
        }
        let header_start = pos + 2; // CRLF after the delimiter
        let header_end = find(body, b"\r\n\r\n", header_start).ok_or_else(|| {
            malformed("The body of your POST request is not well-formed multipart/form-data.")
        })?;
        let headers = std::str::from_utf8(body.get(header_start..header_end).unwrap_or_default())
            .map_err(|_| malformed("Form field headers must be UTF-8."))?;
        let value_start = header_end + 4;
        let next = find(body, &[b"\r\n", delim].concat(), value_start).ok_or_else(|| {
            malformed("The body of your POST request is not well-formed multipart/form-data.")
        })?;
        let mut name = None;
        let mut filename = None;
        let mut content_type = None;
        for line in headers.split("\r\n") {
            let Some((h, v)) = line.split_once(':') else {
                continue;
            };
            if h.trim().eq_ignore_ascii_case("content-disposition") {
                name = disposition_param(v, "name");
                filename = disposition_param(v, "filename");
            } else if h.trim().eq_ignore_ascii_case("content-type") {
                content_type = Some(v.trim().to_string());
            }
        }
        let name = name.ok_or_else(|| malformed("A form field has no name."))?;
        let is_file = name.eq_ignore_ascii_case("file");
        fields.push(Field {
            name,
            filename,
            content_type,
            value: body.slice(value_start..next),
        });
        if is_file {
            break;
        }
        pos = next + 2 + delim.len();
        if pos > body.len() {
            break;
        }
    }
    Ok(fields)
}

fn text(f: &Field) -> String {
    String::from_utf8_lossy(&f.value).into_owned()
}

/// The form's fields by lower-case name, the file apart.
struct Form {
    fields: Vec<(String, String)>,
    file: Field,
}

impl Form {
    fn get(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Checks the policy's expiration and every condition against the form;
/// every field must be covered by a condition.
fn check_policy(policy: &Value, form: &Form, bucket: &str, now_ms: i64) -> Result<(), AwsError> {
    let expiration = policy
        .get("expiration")
        .and_then(Value::as_str)
        .and_then(gureum_core::timestamp::parse_iso8601)
        .ok_or_else(|| policy_denied("Policy missing expiration."))?;
    if now_ms > expiration {
        return Err(policy_denied("Policy expired."));
    }
    let conditions = policy
        .get("conditions")
        .and_then(Value::as_array)
        .ok_or_else(|| policy_denied("Policy missing conditions."))?;
    let value_of = |field: &str| -> Option<String> {
        match field {
            "bucket" => Some(bucket.to_string()),
            f => form.get(f).map(str::to_string),
        }
    };
    let mut covered: Vec<String> = vec!["bucket".into()];
    let failed = |c: &Value| policy_denied(format!("Policy Condition failed: {c}"));
    for c in conditions {
        match c {
            Value::Object(o) => {
                for (k, v) in o {
                    let k = k.to_ascii_lowercase();
                    if value_of(&k).as_deref() != v.as_str() {
                        return Err(failed(c));
                    }
                    covered.push(k);
                }
            }
            Value::Array(a) => {
                let op = a
                    .first()
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_ascii_lowercase();
                if op == "content-length-range" {
                    let min = a.get(1).and_then(Value::as_u64).unwrap_or(0);
                    let max = a.get(2).and_then(Value::as_u64).unwrap_or(u64::MAX);
                    let len = form.file.value.len() as u64;
                    if len < min {
                        return Err(AwsError::new(
                            "EntityTooSmall",
                            400,
                            "Your proposed upload is smaller than the minimum allowed size",
                        ));
                    }
                    if len > max {
                        return Err(AwsError::new(
                            "EntityTooLarge",
                            400,
                            "Your proposed upload exceeds the maximum allowed size",
                        ));
                    }
                    continue;
                }
                let field = a
                    .get(1)
                    .and_then(Value::as_str)
                    .and_then(|f| f.strip_prefix('$'))
                    .map(str::to_ascii_lowercase)
                    .ok_or_else(|| failed(c))?;
                let expected = a.get(2).and_then(Value::as_str).unwrap_or("");
                let actual = value_of(&field).unwrap_or_default();
                let ok = match op.as_str() {
                    "eq" => actual == expected,
                    "starts-with" => actual.starts_with(expected),
                    _ => false,
                };
                if !ok {
                    return Err(failed(c));
                }
                covered.push(field);
            }
            _ => return Err(failed(c)),
        }
    }
    const EXEMPT: &[&str] = &[
        "policy",
        "signature",
        "awsaccesskeyid",
        "x-amz-signature",
        "file",
    ];
    for (name, _) in &form.fields {
        if !EXEMPT.contains(&name.as_str())
            && !name.starts_with("x-ignore-")
            && !covered.contains(name)
        {
            return Err(policy_denied(format!("Extra input fields: {name}")));
        }
    }
    Ok(())
}

/// Checks a form's signature given the signer's secret.
type SecretCheck = Box<dyn Fn(&str) -> bool>;

/// Who signed the form (anonymous when nobody did).
fn signer(
    state: &AppState,
    form: &Form,
    now_ms: i64,
) -> Result<(Principal, Option<String>), AwsError> {
    let policy_b64 = form.get("policy").unwrap_or("");
    let (key_id, check): (String, SecretCheck) = if let Some(credential) =
        form.get("x-amz-credential")
    {
        let sig = form
            .get("x-amz-signature")
            .unwrap_or("")
            .to_ascii_lowercase();
        let parts: Vec<&str> = credential.split('/').collect();
        let [key, date, region, service, "aws4_request"] = parts[..] else {
            return Err(AwsError::new(
                "InvalidArgument",
                400,
                "Invalid credential in the x-amz-credential field",
            ));
        };
        let (date, region, service) = (date.to_string(), region.to_string(), service.to_string());
        let policy = policy_b64.to_string();
        (
            key.to_string(),
            Box::new(move |secret: &str| {
                let k = gureum_auth::keys::signing_key(secret, &date, &region, &service);
                gureum_auth::keys::signature_hex(&k, &policy) == sig
            }),
        )
    } else if let Some(key) = form.get("awsaccesskeyid") {
        let sig = form.get("signature").unwrap_or("").to_string();
        let policy = policy_b64.to_string();
        (
            key.to_string(),
            Box::new(move |secret: &str| gureum_auth::sigv2::sign(secret, &policy) == sig),
        )
    } else {
        return Ok((Principal::Anonymous, None));
    };
    match state.accounts.lookup(&key_id) {
        KeyLookup::Known(cred) if cred.active => {
            if !check(&cred.secret_access_key) {
                return Err(AwsError::new(
                    "SignatureDoesNotMatch",
                    403,
                    "The request signature we calculated does not match the signature you provided. Check your key and signing method.",
                ));
            }
            if let Some(token) = &cred.session_token {
                if form.get("x-amz-security-token") != Some(token.as_str()) {
                    return Err(AwsError::new(
                        "InvalidToken",
                        400,
                        "The provided token is malformed or otherwise invalid.",
                    ));
                }
            }
            if cred.expires_at_ms.is_some_and(|e| now_ms >= e) {
                return Err(AwsError::new(
                    "ExpiredToken",
                    400,
                    "The provided token has expired.",
                ));
            }
            Ok((cred.principal, Some(key_id)))
        }
        KeyLookup::Unverified(p) => Ok((p, Some(key_id))),
        _ => Err(AwsError::new(
            "InvalidAccessKeyId",
            403,
            "The AWS Access Key Id you provided does not exist in our records.",
        )),
    }
}

/// The `PutObject` input a form describes.
fn put_input(form: &Form, bucket: &str, key: &str) -> Value {
    let mut input = Map::new();
    input.insert("Bucket".into(), json!(bucket));
    input.insert("Key".into(), json!(key));
    // So S3 notifies `s3:ObjectCreated:Post`, as for AWS's POST uploads.
    input.insert(gureum_s3::notifications::FORM_UPLOAD.into(), json!(true));
    let mut metadata = Map::new();
    for (name, value) in &form.fields {
        let member = match name.as_str() {
            "content-type" => "ContentType",
            "cache-control" => "CacheControl",
            "content-disposition" => "ContentDisposition",
            "content-encoding" => "ContentEncoding",
            "expires" => {
                if let Some(t) = gureum_core::timestamp::parse_http_date(value) {
                    input.insert("Expires".into(), json!(t / 1000));
                }
                continue;
            }
            "acl" => "ACL",
            "x-amz-storage-class" => "StorageClass",
            "x-amz-server-side-encryption" => "ServerSideEncryption",
            "x-amz-website-redirect-location" => "WebsiteRedirectLocation",
            "x-amz-checksum-algorithm" => "ChecksumAlgorithm",
            n => {
                if let Some(m) = n.strip_prefix("x-amz-meta-") {
                    metadata.insert(m.to_string(), json!(value));
                }
                continue;
            }
        };
        input.insert(member.into(), json!(value));
    }
    if !input.contains_key("ContentType") {
        if let Some(ct) = &form.file.content_type {
            input.insert("ContentType".into(), json!(ct));
        }
    }
    if !metadata.is_empty() {
        input.insert("Metadata".into(), Value::Object(metadata));
    }
    Value::Object(input)
}

/// What the handler answers: status, headers, body.
pub type PostResponse = (u16, Vec<(String, String)>, Bytes);

/// Handles a browser upload to `bucket`.
pub async fn handle(
    state: &AppState,
    service: &ServiceIndexEntry,
    model: &ServiceModel,
    ctx_template: RequestContext,
    bucket: &str,
    content_type: &str,
    body: Bytes,
) -> Result<PostResponse, AwsError> {
    let boundary = boundary(content_type).ok_or_else(|| {
        malformed("The body of your POST request is not well-formed multipart/form-data.")
    })?;
    let mut fields = parse_form(&body, boundary)?;
    let file_at = fields
        .iter()
        .position(|f| f.name.eq_ignore_ascii_case("file"))
        .ok_or_else(|| {
            AwsError::new(
                "InvalidArgument",
                400,
                "POST requires exactly one file upload per request.",
            )
        })?;
    let file = fields.remove(file_at);
    let form = Form {
        fields: fields
            .iter()
            .map(|f| (f.name.to_ascii_lowercase(), text(f)))
            .collect(),
        file,
    };
    let now = ctx_template.clock.now_millis();
    let (principal, key_id) = signer(state, &form, now)?;
    if principal != Principal::Anonymous {
        let policy_b64 = form.get("policy").ok_or_else(|| {
            AwsError::new("InvalidArgument", 400, "Bucket POST must contain a field named 'policy'.  If it is specified, please check the order of the fields.")
        })?;
        let policy: Value = base64::engine::general_purpose::STANDARD
            .decode(policy_b64.trim())
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .ok_or_else(|| {
                AwsError::new(
                    "InvalidPolicyDocument",
                    400,
                    "Invalid Policy: Invalid JSON.",
                )
            })?;
        check_policy(&policy, &form, bucket, now)?;
    }
    let key_template = form
        .get("key")
        .ok_or_else(|| AwsError::new("InvalidArgument", 400, "Bucket POST must contain a field named 'key'.  If it is specified, please check the order of the fields."))?;
    let filename = form.file.filename.clone().unwrap_or_default();
    let key = key_template.replace("${filename}", &filename);
    let input = put_input(&form, bucket, &key);
    let account_id = principal
        .account_id()
        .unwrap_or(gureum_core::DEFAULT_ACCOUNT_ID)
        .to_string();
    let ctx = RequestContext {
        account_id,
        principal,
        access_key_id: key_id,
        ..ctx_template
    };
    let Some(s3) = state.registry.get("s3") else {
        return Err(AwsError::not_implemented("s3", "PostObject"));
    };
    crate::authorize::authorize(
        state,
        &ctx,
        s3.as_ref(),
        service,
        "PutObject",
        &input,
        model,
    )?;
    let file = form.file.value.clone();
    let reply = s3
        .call_streaming(&ctx, "PutObject", input, RequestBody::from_bytes(file))
        .await?;
    let etag = reply
        .output
        .get("ETag")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    let location = format!(
        "/{bucket}/{}",
        percent_encoding::utf8_percent_encode(&key, percent_encoding::NON_ALPHANUMERIC)
    );
    let mut headers = vec![
        ("ETag".to_string(), etag.clone()),
        ("Location".to_string(), location.clone()),
    ];
    if let Some(redirect) = form.get("success_action_redirect").or(form.get("redirect")) {
        if redirect.starts_with("http://") || redirect.starts_with("https://") {
            let sep = if redirect.contains('?') { '&' } else { '?' };
            let enc = |s: &str| {
                percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC)
                    .to_string()
            };
            headers.push((
                "Location".to_string(),
                format!(
                    "{redirect}{sep}bucket={}&key={}&etag={}",
                    enc(bucket),
                    enc(&key),
                    enc(&etag)
                ),
            ));
            headers.retain(|(n, v)| n != "Location" || v.starts_with("http"));
            return Ok((303, headers, Bytes::new()));
        }
    }
    match form.get("success_action_status") {
        Some("200") => Ok((200, headers, Bytes::new())),
        Some("201") => {
            let esc = |s: &str| {
                s.replace('&', "&amp;")
                    .replace('<', "&lt;")
                    .replace('>', "&gt;")
            };
            let body = format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<PostResponse><Location>{}</Location><Bucket>{}</Bucket><Key>{}</Key><ETag>{}</ETag></PostResponse>",
                esc(&location), esc(bucket), esc(&key), esc(&etag)
            );
            headers.push(("Content-Type".into(), "application/xml".into()));
            Ok((201, headers, Bytes::from(body)))
        }
        _ => Ok((204, headers, Bytes::new())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(fields: &[(&str, &str)], file: &[u8]) -> Bytes {
        let mut b = Vec::new();
        for (k, v) in fields {
            b.extend_from_slice(
                format!("--XyZ\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n")
                    .as_bytes(),
            );
        }
        b.extend_from_slice(b"--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.txt\"\r\nContent-Type: text/plain\r\n\r\n");
        b.extend_from_slice(file);
        b.extend_from_slice(b"\r\n--XyZ--\r\n");
        Bytes::from(b)
    }

    #[test]
    fn boundary_is_read_from_the_content_type() {
        assert_eq!(boundary("multipart/form-data; boundary=XyZ"), Some("XyZ"));
        assert_eq!(
            boundary("multipart/form-data; boundary=\"q r\""),
            Some("q r")
        );
        assert_eq!(boundary("application/json"), None);
    }

    #[test]
    fn fields_and_the_file_are_split_and_binary_bytes_kept() {
        let body = form(
            &[("key", "k/${filename}"), ("policy", "p")],
            b"\r\n--not-a-boundary\x00\xff",
        );
        let fields = parse_form(&body, "XyZ").expect("parse");
        assert_eq!(fields.len(), 3);
        assert_eq!(text(&fields[0]), "k/${filename}");
        assert_eq!(fields[2].filename.as_deref(), Some("a.txt"));
        assert_eq!(&fields[2].value[..], b"\r\n--not-a-boundary\x00\xff");
    }

    #[test]
    fn mutated_forms_never_panic() {
        let body = form(&[("key", "k"), ("policy", "p")], b"file bytes");
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for _ in 0..3000 {
            let mut b = body.to_vec();
            for _ in 0..(next() % 5) {
                let i = (next() as usize) % b.len();
                b[i] = next() as u8;
            }
            b.truncate((next() as usize) % (b.len() + 1));
            let _ = parse_form(&Bytes::from(b), "XyZ");
        }
    }

    #[test]
    fn a_body_without_the_boundary_is_malformed() {
        let e = parse_form(&Bytes::from_static(b"garbage"), "XyZ").expect_err("malformed");
        assert_eq!(e.code, "MalformedPOSTRequest");
    }

    fn form_of(fields: &[(&str, &str)], file: &[u8]) -> Form {
        Form {
            fields: fields
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            file: Field {
                name: "file".into(),
                filename: None,
                content_type: None,
                value: Bytes::copy_from_slice(file),
            },
        }
    }

    #[test]
    fn policy_conditions_must_hold_and_cover_every_field() {
        let policy = json!({
            "expiration": "2030-01-01T00:00:00Z",
            "conditions": [{"bucket": "b"}, ["starts-with", "$key", "up/"], ["content-length-range", 1, 10]]
        });
        let ok = form_of(&[("key", "up/x")], b"12345");
        assert!(check_policy(&policy, &ok, "b", 0).is_ok());
        let wrong_key = form_of(&[("key", "down/x")], b"1");
        assert_eq!(
            check_policy(&policy, &wrong_key, "b", 0)
                .expect_err("key")
                .code,
            "AccessDenied"
        );
        let extra = form_of(&[("key", "up/x"), ("acl", "private")], b"1");
        let e = check_policy(&policy, &extra, "b", 0).expect_err("extra field");
        assert!(
            e.message.contains("Extra input fields: acl"),
            "{}",
            e.message
        );
        let big = form_of(&[("key", "up/x")], &[0u8; 11]);
        assert_eq!(
            check_policy(&policy, &big, "b", 0).expect_err("size").code,
            "EntityTooLarge"
        );
        assert_eq!(
            check_policy(&policy, &ok, "other", 0)
                .expect_err("bucket")
                .code,
            "AccessDenied"
        );
    }

    #[test]
    fn an_expired_policy_is_refused() {
        let policy = json!({"expiration": "2020-01-01T00:00:00Z", "conditions": []});
        let e =
            check_policy(&policy, &form_of(&[], b""), "b", 1_700_000_000_000).expect_err("expired");
        assert!(e.message.contains("Policy expired"));
    }
}
