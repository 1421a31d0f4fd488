//! The reads: `GetParameter(s)` with selectors, `GetParametersByPath`,
//! `GetParameterHistory` and `DescribeParameters`, over the stored
//! parameters and AWS's public ones.

use crate::filters::{self, ParamFilter, Target};
use crate::names::{self, split_selector, Selector};
use crate::public::{self, PublicParameter};
use crate::read_paths::under;
use crate::{Parameter, ParameterVersion, SsmError, SsmService};
use base64::Engine as _;
use gureum_core::member::str_member;
use gureum_core::{AwsError, OpResult, RequestContext, Scope, Value};
use gureum_kit::paging::{page, page_sorted, PageRequest};
use serde_json::{json, Map};

/// Epoch milliseconds as the json protocol's seconds.
fn secs(ms: i64) -> f64 {
    ms as f64 / 1000.0
}

/// The page an input asks for, sizes within `bounds`.
fn page_request(input: &Value, bounds: (usize, usize)) -> Result<PageRequest, AwsError> {
    PageRequest::new(
        input.get("MaxResults").and_then(Value::as_i64),
        str_member(input, "NextToken"),
        bounds,
        bounds.1,
    )
    .map_err(|e| SsmError::from(e).into())
}

/// The value a reader sees: a `SecureString`'s ciphertext unless it asked
/// for decryption.
fn visible_value(
    svc: &SsmService,
    ctx: &RequestContext,
    name: &str,
    v: &ParameterVersion,
    decrypt: bool,
) -> Result<String, AwsError> {
    if v.kind != "SecureString" || !decrypt {
        return Ok(v.value.clone());
    }
    let blob = base64::engine::general_purpose::STANDARD
        .decode(&v.value)
        .unwrap_or_default();
    let context = vec![("PARAMETER_ARN".to_string(), names::arn(ctx, name))];
    let plain = svc
        .encryptor
        .decrypt(Scope::regional(ctx), &blob, &context)?;
    Ok(String::from_utf8_lossy(&plain).into_owned())
}

/// A `Parameter` structure for a stored version.
fn stored_view(
    svc: &SsmService,
    ctx: &RequestContext,
    p: &Parameter,
    v: &ParameterVersion,
    selector: Option<&str>,
    decrypt: bool,
) -> Result<Value, AwsError> {
    let mut out = Map::new();
    out.insert("Name".into(), json!(p.name));
    out.insert("Type".into(), json!(v.kind));
    out.insert(
        "Value".into(),
        json!(visible_value(svc, ctx, &p.name, v, decrypt)?),
    );
    out.insert("Version".into(), json!(v.version));
    if let Some(s) = selector {
        out.insert("Selector".into(), json!(s));
    }
    out.insert("LastModifiedDate".into(), json!(secs(v.modified_ms)));
    out.insert("ARN".into(), json!(names::arn(ctx, &p.name)));
    out.insert("DataType".into(), json!(v.data_type));
    Ok(Value::Object(out))
}

/// A `Parameter` structure for a public parameter.
fn public_view(ctx: &RequestContext, p: &PublicParameter, selector: Option<&str>) -> Value {
    let mut out = Map::new();
    out.insert("Name".into(), json!(p.name));
    out.insert("Type".into(), json!("String"));
    out.insert("Value".into(), json!(p.value));
    out.insert("Version".into(), json!(1));
    if let Some(s) = selector {
        out.insert("Selector".into(), json!(s));
    }
    out.insert("LastModifiedDate".into(), json!(secs(p.modified_ms)));
    out.insert("ARN".into(), json!(names::arn_in(&ctx.region, "", &p.name)));
    out.insert("DataType".into(), json!(p.data_type));
    Value::Object(out)
}

/// The version a selector picks.
fn select<'p>(p: &'p Parameter, sel: &Selector) -> Result<&'p ParameterVersion, AwsError> {
    match sel {
        Selector::Latest => Ok(p.latest()),
        Selector::Version(n) => p.versions.iter().find(|v| v.version == *n).ok_or_else(|| {
            SsmError::VersionNotFound {
                name: p.name.clone(),
                version: *n,
            }
            .into()
        }),
        Selector::Label(l) => p
            .versions
            .iter()
            .find(|v| v.labels.contains(l))
            .ok_or_else(|| {
                SsmError::LabelNotFound {
                    name: p.name.clone(),
                    label: l.clone(),
                }
                .into()
            }),
    }
}

/// One parameter by `name[:selector]`, stored or public.
fn lookup(
    svc: &SsmService,
    ctx: &RequestContext,
    full: &str,
    decrypt: bool,
) -> Result<Value, AwsError> {
    let (name, sel) = split_selector(full);
    let selector = full.get(name.len()..).filter(|s| !s.is_empty());
    if let Some(p) = public::find(&ctx.region, name) {
        return match sel {
            Selector::Latest | Selector::Version(1) => Ok(public_view(ctx, &p, selector)),
            Selector::Version(n) => Err(SsmError::VersionNotFound {
                name: name.to_string(),
                version: n,
            }
            .into()),
            Selector::Label(label) => Err(SsmError::LabelNotFound {
                name: name.to_string(),
                label,
            }
            .into()),
        };
    }
    let p = svc
        .parameters
        .get(&Scope::regional(ctx).key(name))?
        .filter(|p| !p.expired(ctx.clock.now_millis()))
        .ok_or(SsmError::ParameterNotFound)?;
    let v = select(&p, &sel)?;
    stored_view(svc, ctx, &p, v, selector, decrypt)
}

fn with_decryption(input: &Value) -> bool {
    input.get("WithDecryption").and_then(Value::as_bool) == Some(true)
}

/// `GetParameter`.
pub(crate) fn get_parameter(svc: &SsmService, ctx: &RequestContext, input: &Value) -> OpResult {
    let name = str_member(input, "Name").unwrap_or_default();
    let p = lookup(svc, ctx, name, with_decryption(input))?;
    Ok(json!({ "Parameter": p }))
}

/// `GetParameters`: found ones in `Parameters`, the rest (unknown names,
/// versions or labels) in `InvalidParameters`.
pub(crate) fn get_parameters(svc: &SsmService, ctx: &RequestContext, input: &Value) -> OpResult {
    let decrypt = with_decryption(input);
    let mut found = vec![];
    let mut invalid: Vec<&str> = vec![];
    let names = input.get("Names").and_then(Value::as_array);
    for name in names.into_iter().flatten().filter_map(Value::as_str) {
        if invalid.contains(&name) || found.iter().any(|(n, _)| *n == name) {
            continue;
        }
        match lookup(svc, ctx, name, decrypt) {
            Ok(p) => found.push((name, p)),
            Err(e) if is_not_found(&e) => invalid.push(name),
            Err(e) => return Err(e),
        }
    }
    let found: Vec<Value> = found.into_iter().map(|(_, p)| p).collect();
    Ok(json!({ "Parameters": found, "InvalidParameters": invalid }))
}

/// Whether an error means "no such parameter, version or label".
fn is_not_found(e: &AwsError) -> bool {
    let codes = [
        SsmError::ParameterNotFound.code(),
        SsmError::VersionNotFound {
            name: String::new(),
            version: 0,
        }
        .code(),
    ];
    codes.contains(&e.code.as_str())
}

/// `GetParametersByPath`.
pub(crate) fn get_parameters_by_path(
    svc: &SsmService,
    ctx: &RequestContext,
    input: &Value,
) -> OpResult {
    let path = str_member(input, "Path").unwrap_or_default();
    if !path.starts_with('/') || names::levels(path) > names::MAX_LEVELS {
        return Err(crate::write::validation(
            "The parameter doesn't meet the parameter name requirements. The parameter name must begin with a forward slash \"/\".",
        ));
    }
    let recursive = input.get("Recursive").and_then(Value::as_bool) == Some(true);
    let decrypt = with_decryption(input);
    let filters = filters::parse(input, Target::ByPath)?;
    let request = page_request(input, (1, 10))?;
    let mut out = Map::new();
    if public::covers(path) {
        let all: Vec<PublicParameter> = public::parameters(&ctx.region)
            .into_iter()
            .filter(|p| under(path, &p.name, recursive))
            .collect();
        let pg = page_sorted(&all, |p| p.name.clone(), &request);
        let items: Vec<Value> = pg.items.iter().map(|p| public_view(ctx, p, None)).collect();
        out.insert("Parameters".into(), Value::Array(items));
        if let Some(t) = pg.next_token {
            out.insert("NextToken".into(), json!(t));
        }
        return Ok(Value::Object(out));
    }
    let scope = Scope::regional(ctx);
    let now = ctx.clock.now_millis();
    let mut failure = None;
    let pg = page(&svc.parameters, &scope.prefix(), &request, |_, p| {
        if p.expired(now)
            || !under(path, &p.name, recursive)
            || !filters.iter().all(|f| f.matches(&p))
        {
            return None;
        }
        match stored_view(svc, ctx, &p, p.latest(), None, decrypt) {
            Ok(v) => Some(v),
            Err(e) => {
                failure.get_or_insert(e);
                None
            }
        }
    })?;
    if let Some(e) = failure {
        return Err(e);
    }
    out.insert("Parameters".into(), Value::Array(pg.items));
    if let Some(t) = pg.next_token {
        out.insert("NextToken".into(), json!(t));
    }
    Ok(Value::Object(out))
}

/// `GetParameterHistory`: every version kept, oldest first.
pub(crate) fn get_parameter_history(
    svc: &SsmService,
    ctx: &RequestContext,
    input: &Value,
) -> OpResult {
    let name = str_member(input, "Name").unwrap_or_default();
    let decrypt = with_decryption(input);
    let request = page_request(input, (1, 50))?;
    let p = svc
        .parameters
        .get(&Scope::regional(ctx).key(name))?
        .filter(|p| !p.expired(ctx.clock.now_millis()))
        .ok_or(SsmError::ParameterNotFound)?;
    let pg = page_sorted(&p.versions, |v| format!("{:020}", v.version), &request);
    let mut items = vec![];
    for v in pg.items {
        let mut h = Map::new();
        h.insert("Name".into(), json!(p.name));
        h.insert("Type".into(), json!(v.kind));
        if let Some(k) = &v.key_id {
            h.insert("KeyId".into(), json!(k));
        }
        h.insert("LastModifiedDate".into(), json!(secs(v.modified_ms)));
        h.insert("LastModifiedUser".into(), json!(v.user));
        if let Some(d) = &v.description {
            h.insert("Description".into(), json!(d));
        }
        h.insert(
            "Value".into(),
            json!(visible_value(svc, ctx, &p.name, v, decrypt)?),
        );
        if let Some(a) = &v.allowed_pattern {
            h.insert("AllowedPattern".into(), json!(a));
        }
        h.insert("Version".into(), json!(v.version));
        h.insert("Labels".into(), json!(v.labels));
        h.insert("Tier".into(), json!(v.tier));
        h.insert("Policies".into(), json!(policies(v)));
        h.insert("DataType".into(), json!(v.data_type));
        items.push(Value::Object(h));
    }
    let mut out = Map::new();
    out.insert("Parameters".into(), Value::Array(items));
    if let Some(t) = pg.next_token {
        out.insert("NextToken".into(), json!(t));
    }
    Ok(Value::Object(out))
}

/// The `Policies` list of a version (`ParameterInlinePolicy` items).
fn policies(v: &ParameterVersion) -> Vec<Value> {
    let Some(text) = &v.policies else {
        return vec![];
    };
    let parsed: Vec<Value> = serde_json::from_str(text).unwrap_or_default();
    parsed
        .iter()
        .map(|p| {
            json!({
                "PolicyText": p.to_string(),
                "PolicyType": str_member(p, "Type").unwrap_or_default(),
                "PolicyStatus": "Pending",
            })
        })
        .collect()
}

/// A `ParameterMetadata` structure.
fn metadata(ctx: &RequestContext, p: &Parameter) -> Value {
    let v = p.latest();
    let mut m = Map::new();
    m.insert("Name".into(), json!(p.name));
    m.insert("ARN".into(), json!(names::arn(ctx, &p.name)));
    m.insert("Type".into(), json!(v.kind));
    if let Some(k) = &v.key_id {
        m.insert("KeyId".into(), json!(k));
    }
    m.insert("LastModifiedDate".into(), json!(secs(v.modified_ms)));
    m.insert("LastModifiedUser".into(), json!(v.user));
    if let Some(d) = &v.description {
        m.insert("Description".into(), json!(d));
    }
    if let Some(a) = &v.allowed_pattern {
        m.insert("AllowedPattern".into(), json!(a));
    }
    m.insert("Version".into(), json!(v.version));
    m.insert("Tier".into(), json!(v.tier));
    m.insert("Policies".into(), json!(policies(v)));
    m.insert("DataType".into(), json!(v.data_type));
    Value::Object(m)
}

/// `DescribeParameters`: metadata of the parameters every filter keeps.
pub(crate) fn describe_parameters(
    svc: &SsmService,
    ctx: &RequestContext,
    input: &Value,
) -> OpResult {
    let filters: Vec<ParamFilter> = filters::parse(input, Target::Describe)?;
    let request = page_request(input, (1, 50))?;
    let scope = Scope::regional(ctx);
    let now = ctx.clock.now_millis();
    let pg = page(&svc.parameters, &scope.prefix(), &request, |_, p| {
        (!p.expired(now) && filters.iter().all(|f| f.matches(&p))).then(|| metadata(ctx, &p))
    })?;
    let mut out = Map::new();
    out.insert("Parameters".into(), Value::Array(pg.items));
    if let Some(t) = pg.next_token {
        out.insert("NextToken".into(), json!(t));
    }
    Ok(Value::Object(out))
}

/// Parameter Store as the kit's resolver: what EC2's
/// `resolve:ssm:NAME[:VERSION|:LABEL]` image ids go through. Reads as
/// `GetParameter` does (public parameters included), without decryption.
impl gureum_kit::parameters::ParameterResolver for SsmService {
    fn resolve(&self, ctx: &RequestContext, reference: &str) -> Result<String, AwsError> {
        let found = lookup(self, ctx, reference, false)?;
        Ok(found["Value"].as_str().unwrap_or_default().to_string())
    }
}
