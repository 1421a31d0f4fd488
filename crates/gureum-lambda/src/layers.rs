//! Layers: `PublishLayerVersion` (a zip upload or an S3 object),
//! `GetLayerVersion(ByArn)`, `ListLayers`, `ListLayerVersions`,
//! `DeleteLayerVersion`; and what a function's `Layers` resolve to.
//!
//! Version numbers count up per layer name and are never reused, even
//! after a delete (`lambda.layer_heads`). A function takes a copy of each
//! layer's zip when it is configured (as AWS does: deleting a layer
//! version does not break the functions that use it).

use crate::errors::LambdaError;
use crate::{code, LambdaService};
use gureum_core::{AwsError, OpResult, Reply, RequestBody, RequestContext, Value};
use serde::{Deserialize, Serialize};
use serde_json::json;

/// At most this many layers per function.
pub const MAX_LAYERS: usize = 5;

/// One published layer version, as stored.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct LayerVersion {
    /// Its `GetLayerVersion` answer.
    pub info: Value,
    /// Hex SHA-256 of its zip.
    pub sha_hex: String,
    /// The bytes of its files unzipped (counted against a function's
    /// 250 MB).
    pub unzipped: u64,
    /// Its resource policy's statements.
    #[serde(default)]
    pub policy: Vec<Value>,
    /// Changes with every policy change (`RevisionId`).
    #[serde(default)]
    pub revision: String,
}

/// A layer named by a caller: its account, region and name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct LayerId {
    pub account: String,
    pub region: String,
    pub name: String,
}

impl LayerId {
    /// `LayerName` as a name (the caller's) or a layer ARN.
    pub(crate) fn parse(ctx: &RequestContext, name: &str) -> LayerId {
        let parts: Vec<&str> = name.split(':').collect();
        match parts.as_slice() {
            ["arn", _, "lambda", region, account, "layer", name, ..] => LayerId {
                account: account.to_string(),
                region: region.to_string(),
                name: name.to_string(),
            },
            _ => LayerId {
                account: ctx.account_id.clone(),
                region: ctx.region.clone(),
                name: name.to_string(),
            },
        }
    }

    /// The layer's ARN.
    pub(crate) fn arn(&self) -> String {
        format!(
            "arn:aws:lambda:{}:{}:layer:{}",
            self.region, self.account, self.name
        )
    }

    /// The key of its head (last number used) and the prefix of its versions.
    fn key(&self) -> String {
        format!("{}/{}/{}", self.account, self.region, self.name)
    }

    /// The key of version `n`.
    pub(crate) fn version_key(&self, n: u64) -> String {
        format!("{}/{n:010}", self.key())
    }
}

/// A layer version ARN split into its layer and number.
pub(crate) fn parse_version_arn(arn: &str) -> Option<(LayerId, u64)> {
    let parts: Vec<&str> = arn.split(':').collect();
    match parts.as_slice() {
        ["arn", _, "lambda", region, account, "layer", name, n] => Some((
            LayerId {
                account: account.to_string(),
                region: region.to_string(),
                name: name.to_string(),
            },
            n.parse().ok()?,
        )),
        _ => None,
    }
}

/// AWS's answer for a layer (version) that does not exist.
pub(crate) fn not_found() -> AwsError {
    LambdaError::ResourceNotFound {
        message: "The resource you requested does not exist.".into(),
    }
    .into()
}

/// What a function's `Layers` resolve to.
pub(crate) struct Resolved {
    /// The configuration's `Layers` (`Arn`, `CodeSize`).
    pub config: Vec<Value>,
    /// The layers' zips, in order, with their hex SHA-256s.
    pub zips: Vec<(String, Vec<u8>)>,
    /// Their unzipped bytes together.
    pub unzipped: u64,
}

impl LambdaService {
    /// `PublishLayerVersion`, its content from S3 when `Content` names an
    /// object.
    pub(crate) async fn publish_layer_version(
        &self,
        ctx: &RequestContext,
        input: Value,
        body: RequestBody,
    ) -> Result<Reply, AwsError> {
        drop(body);
        let content = input.get("Content").cloned().unwrap_or(Value::Null);
        if content.get("S3Bucket").and_then(Value::as_str) == Some(code::HOT_RELOAD_BUCKET) {
            return Err(crate::invalid(
                "The hot-reload bucket names function code only: publish a layer as a zip.",
            ));
        }
        let fetched =
            code::fetch(self.code_objects.get().map(|o| o.as_ref()), ctx, &content).await?;
        let upload = code::upload_from(&content, fetched)?;
        // Extract now: a bad or oversized zip is refused here, as AWS does.
        let dir = self.pool.work_dir.join("layers").join(&upload.sha_hex);
        if !dir.join(".complete").exists() {
            code::extract(&upload.bytes, &dir, &self.pool.work_dir)?;
        }
        let unzipped = code::size_of(&dir);
        let id = LayerId::parse(ctx, crate::str_member(&input, "LayerName"));
        if id.account != ctx.account_id || id.region != ctx.region {
            return Err(crate::invalid(format!(
                "Layers can only be published to the caller's account and region: {}",
                id.arn()
            )));
        }
        let now = ctx.clock.now_millis();
        let (heads, layers, raw) = (
            self.layer_heads.clone(),
            self.layers.clone(),
            self.layer_code.clone(),
        );
        let info = self.store.write(|txn| {
            let n = txn
                .get(&heads, &id.key())
                .map_err(AwsError::from)?
                .unwrap_or(0)
                + 1;
            let mut info = json!({
                "Content": {"CodeSha256": upload.sha_base64, "CodeSize": upload.bytes.len()},
                "LayerArn": id.arn(),
                "LayerVersionArn": format!("{}:{n}", id.arn()),
                "Description": input.get("Description").and_then(Value::as_str).unwrap_or(""),
                "CreatedDate": crate::functions::last_modified(now),
                "Version": n,
            });
            for member in [
                "CompatibleRuntimes",
                "CompatibleArchitectures",
                "LicenseInfo",
            ] {
                if let Some(v) = input.get(member) {
                    info[member] = v.clone();
                }
            }
            let version = LayerVersion {
                info: info.clone(),
                sha_hex: upload.sha_hex.clone(),
                unzipped,
                policy: Vec::new(),
                revision: crate::new_request_id(),
            };
            txn.put(&heads, &id.key(), &n).map_err(AwsError::from)?;
            txn.put(&layers, &id.version_key(n), &version)
                .map_err(AwsError::from)?;
            txn.put_raw(&raw, &id.version_key(n), &upload.bytes)
                .map_err(AwsError::from)?;
            Ok::<_, AwsError>(info)
        })?;
        Ok(Reply::value(info))
    }

    /// The stored version `n` of `id`, or AWS's not-found answer.
    pub(crate) fn layer_version(&self, id: &LayerId, n: u64) -> Result<LayerVersion, AwsError> {
        self.layers
            .get(&id.version_key(n))
            .map_err(AwsError::from)?
            .ok_or_else(not_found)
    }

    /// Refuses a caller of another account that the layer version's
    /// policy does not name.
    pub(crate) fn check_layer_access(
        &self,
        ctx: &RequestContext,
        id: &LayerId,
        version: &LayerVersion,
    ) -> Result<(), AwsError> {
        if id.account == ctx.account_id
            || crate::layer_policy::grants(&version.policy, &ctx.account_id)
        {
            return Ok(());
        }
        Err(gureum_core::CommonError::AccessDeniedException {
            message: format!(
                "User: {} is not authorized to perform: lambda:GetLayerVersion on resource: {}",
                ctx.principal.arn(),
                version.info["LayerVersionArn"].as_str().unwrap_or_default()
            ),
        }
        .into())
    }

    /// `GetLayerVersion`.
    pub(crate) fn get_layer_version(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let id = LayerId::parse(ctx, crate::str_member(&input, "LayerName"));
        let n = input
            .get("VersionNumber")
            .and_then(Value::as_u64)
            .unwrap_or(0);
        let version = self.layer_version(&id, n)?;
        self.check_layer_access(ctx, &id, &version)?;
        Ok(version.info)
    }

    /// `GetLayerVersionByArn`.
    pub(crate) fn get_layer_version_by_arn(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let arn = crate::str_member(&input, "Arn");
        let (id, n) = parse_version_arn(arn).ok_or_else(not_found)?;
        let version = self.layer_version(&id, n)?;
        self.check_layer_access(ctx, &id, &version)?;
        Ok(version.info)
    }

    /// The caller's layer versions matching `CompatibleRuntime` and
    /// `CompatibleArchitecture`, by layer name, oldest first.
    fn matching_versions(&self, input: &Value, prefix: &str) -> Result<Vec<Value>, AwsError> {
        let runtime = input.get("CompatibleRuntime").and_then(Value::as_str);
        let arch = input.get("CompatibleArchitecture").and_then(Value::as_str);
        let lists = |info: &Value, member: &str, want: Option<&str>| match want {
            None => true,
            Some(w) => info[member]
                .as_array()
                .is_some_and(|a| a.iter().any(|v| v == w)),
        };
        Ok(self
            .layers
            .scan_prefix(prefix)
            .map_err(AwsError::from)?
            .into_iter()
            .map(|(_, v)| v.info)
            .filter(|i| lists(i, "CompatibleRuntimes", runtime))
            .filter(|i| lists(i, "CompatibleArchitectures", arch))
            .collect())
    }

    /// `ListLayers`: each of the caller's layers with its latest matching
    /// version, by name.
    pub(crate) fn list_layers(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let prefix = format!("{}/{}/", ctx.account_id, ctx.region);
        let mut latest: std::collections::BTreeMap<String, Value> = Default::default();
        for info in self.matching_versions(&input, &prefix)? {
            let arn = info["LayerArn"].as_str().unwrap_or_default().to_string();
            latest.insert(arn, info);
        }
        let items: Vec<Value> = latest
            .into_iter()
            .map(|(arn, info)| {
                json!({
                    "LayerName": arn.rsplit(':').next().unwrap_or_default(),
                    "LayerArn": arn,
                    "LatestMatchingVersion": list_item(&info),
                })
            })
            .collect();
        crate::page_by_marker(items, &input, "Layers")
    }

    /// `ListLayerVersions`: newest first.
    pub(crate) fn list_layer_versions(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let id = LayerId::parse(ctx, crate::str_member(&input, "LayerName"));
        let mut items: Vec<Value> = self
            .matching_versions(&input, &format!("{}/", id.key()))?
            .iter()
            .map(list_item)
            .collect();
        items.reverse();
        crate::page_by_marker(items, &input, "LayerVersions")
    }

    /// `DeleteLayerVersion`: the version and its zip go (functions keep
    /// their copies); deleting one that is gone succeeds, as AWS does.
    pub(crate) fn delete_layer_version(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let id = LayerId::parse(ctx, crate::str_member(&input, "LayerName"));
        if id.account != ctx.account_id {
            return Err(gureum_core::CommonError::AccessDeniedException {
                message: format!(
                    "User: {} is not authorized to perform: lambda:DeleteLayerVersion on resource: {}",
                    ctx.principal.arn(),
                    id.arn()
                ),
            }
            .into());
        }
        let n = input
            .get("VersionNumber")
            .and_then(Value::as_u64)
            .unwrap_or(0);
        let (layers, raw) = (self.layers.clone(), self.layer_code.clone());
        self.store.write(|txn| {
            txn.delete(&layers, &id.version_key(n))
                .map_err(AwsError::from)?;
            txn.delete_raw(&raw, &id.version_key(n))
                .map_err(AwsError::from)?;
            Ok::<_, AwsError>(())
        })?;
        Ok(json!({}))
    }

    /// Resolves a `CreateFunction`/`UpdateFunctionConfiguration` input's
    /// `Layers` for a function in `ctx`'s region: at most five, each an
    /// existing version in the same region that the caller may use.
    pub(crate) fn resolve_layers(
        &self,
        ctx: &RequestContext,
        arns: &[Value],
    ) -> Result<Resolved, AwsError> {
        if arns.len() > MAX_LAYERS {
            return Err(crate::invalid(format!(
                "Cannot reference more than {MAX_LAYERS} layers."
            )));
        }
        let mut out = Resolved {
            config: Vec::new(),
            zips: Vec::new(),
            unzipped: 0,
        };
        for arn in arns {
            let arn = arn.as_str().unwrap_or_default();
            let missing = || crate::invalid(format!("Layer version {arn} does not exist."));
            let (id, n) = parse_version_arn(arn).ok_or_else(missing)?;
            if id.region != ctx.region {
                return Err(crate::invalid(format!(
                    "Layers are not in the same region as function. Layers are expected to be in region {}.",
                    ctx.region
                )));
            }
            let version = self
                .layers
                .get(&id.version_key(n))
                .map_err(AwsError::from)?
                .ok_or_else(missing)?;
            self.check_layer_access(ctx, &id, &version)?;
            let zip = self
                .layer_code
                .get(&id.version_key(n))
                .map_err(AwsError::from)?
                .ok_or_else(missing)?;
            out.config.push(json!({
                "Arn": arn,
                "CodeSize": version.info["Content"]["CodeSize"],
            }));
            out.unzipped += version.unzipped;
            out.zips.push((version.sha_hex, zip));
        }
        Ok(out)
    }

    /// `UpdateFunctionConfiguration`'s new `Layers` for function `name`:
    /// resolved, checked against its code's size, and copied under its key.
    pub(crate) fn layers_for(
        &self,
        ctx: &RequestContext,
        name: &str,
        input: &Value,
    ) -> Result<Resolved, AwsError> {
        let arns = input
            .get("Layers")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let layers = self.resolve_layers(ctx, &arns)?;
        let (key, f) = self.find(ctx, name)?;
        let root = self.task_roots().get(&ctx.account_id, &ctx.region, &f)?;
        Self::check_total_size(code::size_of(&root), &layers)?;
        let raw = self.code.clone();
        self.store.write(|txn| {
            for (sha, zip) in &layers.zips {
                txn.put_raw(&raw, &format!("{key}/layer-{sha}"), zip)
                    .map_err(AwsError::from)?;
            }
            Ok::<_, AwsError>(())
        })?;
        Ok(layers)
    }

    /// Refuses a function whose code and layers unzipped exceed AWS's
    /// 250 MB.
    pub(crate) fn check_total_size(code_unzipped: u64, layers: &Resolved) -> Result<(), AwsError> {
        let total = code_unzipped + layers.unzipped;
        if !layers.zips.is_empty() && total > code::MAX_UNZIPPED {
            return Err(crate::invalid(format!(
                "Function code combined with layers exceeds the maximum allowed size of {} bytes. The actual size is {total} bytes.",
                code::MAX_UNZIPPED
            )));
        }
        Ok(())
    }
}

/// A `LayerVersionsListItem` of a version's `GetLayerVersion` answer.
fn list_item(info: &Value) -> Value {
    let mut item = json!({});
    for member in [
        "LayerVersionArn",
        "Version",
        "Description",
        "CreatedDate",
        "CompatibleRuntimes",
        "LicenseInfo",
        "CompatibleArchitectures",
    ] {
        if let Some(v) = info.get(member) {
            item[member] = v.clone();
        }
    }
    item
}
