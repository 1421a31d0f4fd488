//! The writes: `PutParameter` (versions, tiers, patterns, data types),
//! deletes, and version labels.

use crate::names::{self, valid_label};
use crate::{Parameter, ParameterVersion, SsmError, SsmService};
use base64::Engine as _;
use gureum_core::member::str_member;
use gureum_core::{AwsError, CommonError, OpResult, RequestContext, Scope, Value};
use serde_json::json;

/// The most versions a parameter keeps (the oldest is dropped).
pub const MAX_VERSIONS: usize = 100;
/// The most labels one version carries.
pub const MAX_LABELS: usize = 10;
/// The longest value of a `Standard` parameter.
pub const STANDARD_MAX: usize = 4096;
/// The longest value of an `Advanced` parameter.
pub const ADVANCED_MAX: usize = 8192;

const NO_TYPE: &str = "A parameter type is required when you create a parameter.";
const KEY_NOT_SECURE: &str = "KeyId is required for SecureString type parameter only.";
const TAGS_AND_OVERWRITE: &str = "Invalid request: tags and overwrite can't be used together. To create a parameter with tags, please remove overwrite flag. To update tags for an existing parameter, please use AddTagsToResource or RemoveTagsFromResource.";
const STANDARD_TOO_LONG: &str = "Standard tier parameters support a maximum parameter value of 4096 characters. To create a larger parameter value, upgrade the parameter to use the advanced-parameter tier. For more information, see https://docs.aws.amazon.com/systems-manager/latest/userguide/parameter-store-advanced-parameters.html";
const ADVANCED_TOO_LONG: &str =
    "Advanced tier parameters support a maximum parameter value of 8192 characters.";
const NO_DOWNGRADE: &str = "This parameter uses the advanced-parameter tier. You can't downgrade a parameter from the advanced-parameter tier to the standard-parameter tier. If necessary, you can delete the advanced parameter and recreate it as a standard parameter.";
const BAD_AMI: &str = "Parameter value must be a valid AMI ID (ami-xxxxxxxx or ami-xxxxxxxxxxxxxxxxx) when the data type is aws:ec2:image.";

pub(crate) fn validation(message: impl Into<String>) -> AwsError {
    CommonError::ValidationException {
        message: message.into(),
    }
    .into()
}

/// `AllowedPattern` compiled, anchored to the whole value.
fn check_pattern(pattern: &str, value: &str) -> Result<(), AwsError> {
    let re = regex_automata::meta::Regex::new(&format!("^(?:{pattern})$"))
        .map_err(|_| SsmError::BadPattern)?;
    if re.is_match(value) {
        Ok(())
    } else {
        Err(SsmError::PatternMismatch {
            pattern: pattern.to_string(),
        }
        .into())
    }
}

/// Whether `value` has the shape of an AMI id.
fn ami_id(value: &str) -> bool {
    value.strip_prefix("ami-").is_some_and(|hex| {
        (hex.len() == 8 || hex.len() == 17)
            && hex
                .chars()
                .all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c))
    })
}

/// The data type rules: `text` takes anything, `aws:ec2:image` an AMI id.
fn check_data_type(data_type: &str, value: &str) -> Result<(), AwsError> {
    match data_type {
        "text" | "aws:ssm:integration" => Ok(()),
        "aws:ec2:image" if ami_id(value) => Ok(()),
        "aws:ec2:image" => Err(validation(BAD_AMI)),
        other => Err(validation(format!(
            "The following data type is not supported: {other} (Data type names are all lowercase.)"
        ))),
    }
}

/// The tier a value is stored in: `requested` (or the current tier, or
/// `Standard`), `Intelligent-Tiering` choosing the smallest that fits.
fn tier_for(
    requested: Option<&str>,
    current: Option<&str>,
    value: &str,
    has_policies: bool,
) -> Result<String, AwsError> {
    let len = value.chars().count();
    let tier = match requested {
        Some("Intelligent-Tiering") if len > STANDARD_MAX || has_policies => "Advanced",
        Some("Intelligent-Tiering") => current.unwrap_or("Standard"),
        Some(t) => t,
        None => current.unwrap_or("Standard"),
    };
    if tier == "Standard" && current == Some("Advanced") {
        return Err(validation(NO_DOWNGRADE));
    }
    match tier {
        "Standard" if len > STANDARD_MAX => Err(validation(STANDARD_TOO_LONG)),
        "Advanced" if len > ADVANCED_MAX => Err(validation(ADVANCED_TOO_LONG)),
        t => Ok(t.to_string()),
    }
}

/// `Tags` of an input as pairs.
pub(crate) fn tag_pairs(input: &Value) -> Vec<(String, String)> {
    input
        .get("Tags")
        .and_then(Value::as_array)
        .map(|tags| {
            tags.iter()
                .map(|t| {
                    let k = str_member(t, "Key").unwrap_or_default().to_string();
                    let v = str_member(t, "Value").unwrap_or_default().to_string();
                    (k, v)
                })
                .collect()
        })
        .unwrap_or_default()
}

/// `PutParameter`: a new parameter, or (with `Overwrite`) a new version.
pub(crate) fn put_parameter(svc: &SsmService, ctx: &RequestContext, input: &Value) -> OpResult {
    let name = str_member(input, "Name").unwrap_or_default();
    let value = str_member(input, "Value").unwrap_or_default();
    names::check_writable(name)?;
    let overwrite = input.get("Overwrite").and_then(Value::as_bool) == Some(true);
    let tags = tag_pairs(input);
    if overwrite && !tags.is_empty() {
        return Err(validation(TAGS_AND_OVERWRITE));
    }
    let scope = Scope::regional(ctx);
    let key = scope.key(name);
    let now = ctx.clock.now_millis();
    let user = ctx.principal.arn();
    // Encrypt before the transaction: KMS may write (an AWS managed key
    // is made on first use), and a write inside this one would wait on it.
    let sealed = sealed_in_advance(svc, ctx, name, input, now)?;
    svc.store.write(|txn| -> OpResult {
        // A parameter its Expiration policy removed is gone: a put
        // starts it again at version 1.
        let existing = txn.get(&svc.parameters, &key)?.filter(|p| !p.expired(now));
        if existing.is_some() && !overwrite {
            return Err(SsmError::AlreadyExists.into());
        }
        let previous = existing.as_ref().map(Parameter::latest);
        let kind = match (str_member(input, "Type"), previous) {
            (Some(t), _) => t.to_string(),
            (None, Some(p)) => p.kind.clone(),
            (None, None) => return Err(validation(NO_TYPE)),
        };
        let key_id = str_member(input, "KeyId").map(str::to_string);
        if key_id.is_some() && kind != "SecureString" {
            return Err(validation(KEY_NOT_SECURE));
        }
        let allowed_pattern = str_member(input, "AllowedPattern")
            .map(str::to_string)
            .or_else(|| previous.and_then(|p| p.allowed_pattern.clone()));
        if let Some(p) = &allowed_pattern {
            check_pattern(p, value)?;
        }
        let data_type = str_member(input, "DataType")
            .map(str::to_string)
            .or_else(|| previous.map(|p| p.data_type.clone()))
            .unwrap_or_else(|| "text".into());
        check_data_type(&data_type, value)?;
        let policies = str_member(input, "Policies").map(str::to_string);
        if let Some(p) = &policies {
            crate::policies::check(p)?;
        }
        let tier = tier_for(
            str_member(input, "Tier"),
            previous.map(|p| p.tier.as_str()),
            value,
            policies.is_some(),
        )?;
        let stored_value = match (kind == "SecureString", &sealed) {
            (true, Some(blob)) => blob.clone(),
            // The type changed under this request (a racing put).
            (true, None) => return Err(SsmError::TooManyUpdates.into()),
            (false, _) => value.to_string(),
        };
        let mut param = existing.unwrap_or_else(|| Parameter {
            name: name.to_string(),
            versions: vec![],
            tags,
        });
        let version = param.versions.last().map_or(1, |v| v.version + 1);
        if param.versions.len() >= MAX_VERSIONS {
            let oldest = &param.versions[0];
            if !oldest.labels.is_empty() {
                return Err(SsmError::MaxVersions {
                    name: name.to_string(),
                    version: oldest.version,
                }
                .into());
            }
            param.versions.remove(0);
        }
        let key_id =
            (kind == "SecureString").then(|| key_id.unwrap_or_else(|| "alias/aws/ssm".into()));
        let description = str_member(input, "Description")
            .map(str::to_string)
            .or_else(|| previous_description(&param));
        param.versions.push(ParameterVersion {
            version,
            value: stored_value,
            kind,
            description,
            allowed_pattern,
            key_id,
            tier: tier.clone(),
            data_type,
            labels: vec![],
            modified_ms: now,
            user: user.clone(),
            policies,
        });
        txn.put(&svc.parameters, &key, &param)?;
        Ok(json!({ "Version": version, "Tier": tier }))
    })
}

/// The ciphertext (base64) of a `SecureString` put, made before the
/// write transaction; `None` for other types. The type is the request's,
/// or the stored parameter's when an overwrite gives none.
fn sealed_in_advance(
    svc: &SsmService,
    ctx: &RequestContext,
    name: &str,
    input: &Value,
    now: i64,
) -> Result<Option<String>, AwsError> {
    let scope = Scope::regional(ctx);
    let kind = match str_member(input, "Type") {
        Some(t) => t.to_string(),
        None => match svc.parameters.get(&scope.key(name))? {
            Some(p) if !p.expired(now) => p.latest().kind.clone(),
            _ => return Ok(None),
        },
    };
    if kind != "SecureString" {
        return Ok(None);
    }
    let key_id = str_member(input, "KeyId");
    let context = vec![("PARAMETER_ARN".to_string(), names::arn(ctx, name))];
    let value = str_member(input, "Value").unwrap_or_default();
    let blob = svc
        .encryptor
        .encrypt(scope, key_id, value.as_bytes(), &context)?;
    Ok(Some(
        base64::engine::general_purpose::STANDARD.encode(&blob),
    ))
}

fn previous_description(param: &Parameter) -> Option<String> {
    param.versions.last().and_then(|v| v.description.clone())
}

/// `DeleteParameter`.
pub(crate) fn delete_parameter(svc: &SsmService, ctx: &RequestContext, input: &Value) -> OpResult {
    let name = str_member(input, "Name").unwrap_or_default();
    let key = Scope::regional(ctx).key(name);
    let now = ctx.clock.now_millis();
    svc.store.write(|txn| -> Result<(), AwsError> {
        let live = txn
            .get(&svc.parameters, &key)?
            .is_some_and(|p| !p.expired(now));
        if !live {
            return Err(SsmError::ParameterNotFound.into());
        }
        txn.delete(&svc.parameters, &key)?;
        Ok(())
    })?;
    Ok(json!({}))
}

/// `DeleteParameters`: the names deleted and those that did not exist.
pub(crate) fn delete_parameters(svc: &SsmService, ctx: &RequestContext, input: &Value) -> OpResult {
    let scope = Scope::regional(ctx);
    let names: Vec<&str> = input
        .get("Names")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let now = ctx.clock.now_millis();
    let (deleted, invalid) = svc.store.write(|txn| -> Result<_, AwsError> {
        let (mut deleted, mut invalid) = (vec![], vec![]);
        for name in names {
            let key = scope.key(name);
            let live = txn
                .get(&svc.parameters, &key)?
                .is_some_and(|p| !p.expired(now));
            if txn.delete(&svc.parameters, &key)? && live {
                deleted.push(name);
            } else {
                invalid.push(name);
            }
        }
        Ok((deleted, invalid))
    })?;
    Ok(json!({ "DeletedParameters": deleted, "InvalidParameters": invalid }))
}

/// The `Labels` of an input.
fn labels(input: &Value) -> Vec<String> {
    input
        .get("Labels")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

/// The index of `version` (the newest when `None`).
fn version_index(param: &Parameter, name: &str, version: Option<i64>) -> Result<usize, AwsError> {
    match version {
        None => Ok(param.versions.len() - 1),
        Some(v) => param
            .versions
            .iter()
            .position(|p| p.version == v)
            .ok_or_else(|| {
                SsmError::VersionNotFound {
                    name: name.to_string(),
                    version: v,
                }
                .into()
            }),
    }
}

/// `LabelParameterVersion`: moves each valid label onto the version.
pub(crate) fn label_parameter_version(
    svc: &SsmService,
    ctx: &RequestContext,
    input: &Value,
) -> OpResult {
    let name = str_member(input, "Name").unwrap_or_default();
    let key = Scope::regional(ctx).key(name);
    let asked = labels(input);
    let version = input.get("ParameterVersion").and_then(Value::as_i64);
    svc.store.write(|txn| -> OpResult {
        let mut param = txn
            .get(&svc.parameters, &key)?
            .filter(|p| !p.expired(ctx.clock.now_millis()))
            .ok_or(SsmError::ParameterNotFound)?;
        let at = version_index(&param, name, version)?;
        let (valid, invalid): (Vec<String>, Vec<String>) =
            asked.into_iter().partition(|l| valid_label(l));
        for v in param.versions.iter_mut() {
            v.labels.retain(|l| !valid.contains(l));
        }
        let target = &mut param.versions[at];
        for l in valid {
            if !target.labels.contains(&l) {
                target.labels.push(l);
            }
        }
        if target.labels.len() > MAX_LABELS {
            return Err(SsmError::TooManyLabels.into());
        }
        let version = target.version;
        txn.put(&svc.parameters, &key, &param)?;
        Ok(json!({ "InvalidLabels": invalid, "ParameterVersion": version }))
    })
}

/// `UnlabelParameterVersion`: removes the labels the version carries.
pub(crate) fn unlabel_parameter_version(
    svc: &SsmService,
    ctx: &RequestContext,
    input: &Value,
) -> OpResult {
    let name = str_member(input, "Name").unwrap_or_default();
    let key = Scope::regional(ctx).key(name);
    let asked = labels(input);
    let version = input.get("ParameterVersion").and_then(Value::as_i64);
    svc.store.write(|txn| -> OpResult {
        let mut param = txn
            .get(&svc.parameters, &key)?
            .filter(|p| !p.expired(ctx.clock.now_millis()))
            .ok_or(SsmError::ParameterNotFound)?;
        let at = version_index(&param, name, version)?;
        let target = &mut param.versions[at];
        let (removed, invalid): (Vec<String>, Vec<String>) =
            asked.into_iter().partition(|l| target.labels.contains(l));
        target.labels.retain(|l| !removed.contains(l));
        txn.put(&svc.parameters, &key, &param)?;
        Ok(json!({ "RemovedLabels": removed, "InvalidLabels": invalid }))
    })
}
