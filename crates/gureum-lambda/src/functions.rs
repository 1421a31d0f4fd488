//! Functions: `CreateFunction`, `GetFunction`, `GetFunctionConfiguration`,
//! `ListFunctions`, `UpdateFunctionCode`, `UpdateFunctionConfiguration`,
//! `DeleteFunction`, and tags.

use crate::errors::LambdaError;
use crate::{code, invalid, str_member, Function, LambdaService};
use gureum_core::{AwsError, CommonError, OpResult, RequestContext, Scope, Value};
use serde_json::json;

/// Runtimes AWS no longer accepts for new functions.
const DEPRECATED: &[&str] = &[
    "python2.7",
    "python3.6",
    "python3.7",
    "nodejs",
    "nodejs4.3",
    "nodejs4.3-edge",
    "nodejs6.10",
    "nodejs8.10",
    "nodejs10.x",
    "nodejs12.x",
    "dotnetcore1.0",
    "dotnetcore2.0",
    "dotnetcore2.1",
    "dotnetcore3.1",
    "ruby2.5",
    "ruby2.7",
    "java8",
    "go1.x",
    "provided",
];

/// The function name and qualifier in a name, partial or full ARN.
pub fn parse_name(name: &str) -> (&str, Option<&str>) {
    let rest = match name.find(":function:") {
        Some(i) => &name[i + ":function:".len()..],
        None => name,
    };
    match rest.split_once(':') {
        Some((n, q)) => (n, Some(q)),
        None => (rest, None),
    }
}

/// The function ARN for `name` in the caller's scope.
pub fn arn_for(ctx: &RequestContext, name: &str) -> String {
    format!(
        "arn:aws:lambda:{}:{}:function:{name}",
        ctx.region, ctx.account_id
    )
}

/// AWS's `ResourceNotFoundException` for a function.
pub fn not_found(ctx: &RequestContext, name: &str) -> AwsError {
    LambdaError::ResourceNotFound {
        message: format!("Function not found: {}", arn_for(ctx, name)),
    }
    .into()
}

pub(crate) fn last_modified(ms: i64) -> String {
    gureum_core::timestamp::format_iso8601(ms).replace('Z', "+0000")
}

fn check_runtime(runtime: &str) -> Result<(), AwsError> {
    if DEPRECATED.contains(&runtime) {
        return Err(invalid(format!(
            "The runtime parameter of {runtime} is no longer supported for creating or updating AWS Lambda functions. We recommend you use a supported runtime while creating or updating functions."
        )));
    }
    Ok(())
}

fn check_timeout(input: &Value) -> Result<(), AwsError> {
    if let Some(t) = input.get("Timeout").and_then(Value::as_i64) {
        if t > 900 {
            return Err(CommonError::ValidationException {
                message: format!("1 validation error detected: Value '{t}' at 'timeout' failed to satisfy constraint: Member must have value less than or equal to 900"),
            }
            .into());
        }
    }
    Ok(())
}

/// The configuration as read at `now`: a create or update settles on
/// the first read after it.
pub fn settled(f: &Function, now: i64) -> Value {
    let mut c = f.config.clone();
    if now >= f.settles_at {
        c["State"] = json!("Active");
        c["LastUpdateStatus"] = json!("Successful");
        if let Some(o) = c.as_object_mut() {
            o.remove("StateReason");
            o.remove("StateReasonCode");
            o.remove("LastUpdateStatusReason");
            o.remove("LastUpdateStatusReasonCode");
        }
    }
    c
}

/// The `Layers` member of an input (none when absent).
fn layer_arns(input: &Value) -> &[Value] {
    input
        .get("Layers")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default()
}

/// Points `f` at `layers` (their zips already copied under its key).
fn set_layers(f: &mut Function, layers: &crate::layers::Resolved) {
    f.layers = layers.zips.iter().map(|(sha, _)| sha.clone()).collect();
    f.layers_unzipped = layers.unzipped;
    match f.config.as_object_mut() {
        Some(c) if layers.config.is_empty() => {
            c.remove("Layers");
        }
        _ => f.config["Layers"] = json!(layers.config),
    }
}

/// `DeadLetterConfig`: an SQS queue or SNS topic (`""` removes it).
fn dead_letter(input: &Value) -> Result<Option<Value>, AwsError> {
    let Some(arn) = input
        .pointer("/DeadLetterConfig/TargetArn")
        .and_then(Value::as_str)
    else {
        return Ok(None);
    };
    let service = arn.split(':').nth(2).unwrap_or_default();
    let valid = arn.starts_with("arn:") && matches!(service, "sqs" | "sns");
    if !arn.is_empty() && !valid {
        return Err(invalid(format!(
            "The target ARN {arn} is invalid: a dead-letter queue must be an SQS queue or SNS topic."
        )));
    }
    Ok(Some(json!({"TargetArn": arn})))
}

impl LambdaService {
    /// `CreateFunction`, its code from S3 when `Code` names an object.
    pub(crate) async fn create_function(
        &self,
        ctx: &RequestContext,
        input: Value,
        body: gureum_core::RequestBody,
    ) -> Result<gureum_core::Reply, AwsError> {
        drop(body);
        let code = input.get("Code").cloned().unwrap_or(Value::Null);
        let fetched = code::fetch(self.code_objects.get().map(|o| o.as_ref()), ctx, &code).await?;
        self.create_function_with(ctx, input, fetched)
            .map(gureum_core::Reply::value)
    }

    /// `UpdateFunctionCode`, from S3 when the input names an object.
    pub(crate) async fn update_function_code(
        &self,
        ctx: &RequestContext,
        input: Value,
        body: gureum_core::RequestBody,
    ) -> Result<gureum_core::Reply, AwsError> {
        drop(body);
        let fetched = code::fetch(self.code_objects.get().map(|o| o.as_ref()), ctx, &input).await?;
        self.update_function_code_with(ctx, input, fetched)
            .map(gureum_core::Reply::value)
    }

    /// `CreateFunction` with its code in hand.
    pub(crate) fn create_function_with(
        &self,
        ctx: &RequestContext,
        input: Value,
        fetched: Option<Vec<u8>>,
    ) -> OpResult {
        crate::refuse_unsupported(
            &input,
            &[
                "VpcConfig",
                "KMSKeyArn",
                "FileSystemConfigs",
                "ImageConfig",
                "CodeSigningConfigArn",
                "CapacityProviderConfig",
                "PublishTo",
                "DurableConfig",
                "TenancyConfig",
            ],
        )?;
        if input
            .get("SnapStart")
            .and_then(|s| s.get("ApplyOn"))
            .and_then(Value::as_str)
            .is_some_and(|a| a != "None")
        {
            return Err(invalid("Gureum does not support SnapStart yet."));
        }
        if input
            .get("LoggingConfig")
            .and_then(|l| l.get("LogFormat"))
            .and_then(Value::as_str)
            .is_some_and(|f| f != "Text")
        {
            return Err(invalid(
                "Gureum does not support LoggingConfig with JSON logs yet.",
            ));
        }
        let name = str_member(&input, "FunctionName");
        let (name, _) = parse_name(name);
        if input.get("PackageType").and_then(Value::as_str) == Some("Image") {
            return Err(invalid(
                "Gureum runs zip functions only: container images need a container runtime.",
            ));
        }
        let Some(runtime) = input.get("Runtime").and_then(Value::as_str) else {
            return Err(invalid(
                "Runtime is required for .zip file based functions.",
            ));
        };
        check_runtime(runtime)?;
        let Some(handler) = input.get("Handler").and_then(Value::as_str) else {
            return Err(invalid(
                "Handler is required for .zip file based functions.",
            ));
        };
        check_timeout(&input)?;
        self.check_role(ctx, name, str_member(&input, "Role"))?;
        let upload = code::upload_from(input.get("Code").unwrap_or(&Value::Null), fetched)?;
        let layers = self.resolve_layers(ctx, layer_arns(&input))?;
        let now = ctx.clock.now_millis();
        let key = Scope::regional(ctx).key(name);
        let mut config = json!({
            "FunctionName": name,
            "FunctionArn": arn_for(ctx, name),
            "Runtime": runtime,
            "Role": str_member(&input, "Role"),
            "Handler": handler,
            "CodeSize": upload.bytes.len(),
            "Description": input.get("Description").and_then(Value::as_str).unwrap_or(""),
            "Timeout": input.get("Timeout").and_then(Value::as_i64).unwrap_or(3),
            "MemorySize": input.get("MemorySize").and_then(Value::as_i64).unwrap_or(128),
            "LastModified": last_modified(now),
            "CodeSha256": upload.sha_base64,
            "Version": "$LATEST",
            "TracingConfig": {"Mode": input.pointer("/TracingConfig/Mode").and_then(Value::as_str).unwrap_or("PassThrough")},
            "RevisionId": crate::new_request_id(),
            "State": "Pending",
            "StateReason": "The function is being created.",
            "StateReasonCode": "Creating",
            "PackageType": "Zip",
            "Architectures": input.get("Architectures").cloned().unwrap_or(json!(["x86_64"])),
            "EphemeralStorage": input.get("EphemeralStorage").cloned().unwrap_or(json!({"Size": 512})),
            "SnapStart": {"ApplyOn": "None", "OptimizationStatus": "Off"},
            "LoggingConfig": {"LogFormat": "Text", "LogGroup": format!("/aws/lambda/{name}")},
        });
        if let Some(vars) = input.pointer("/Environment/Variables") {
            config["Environment"] = json!({"Variables": vars});
        }
        if let Some(dlq) = dead_letter(&input)? {
            config["DeadLetterConfig"] = dlq;
        }
        if !layers.config.is_empty() {
            config["Layers"] = json!(layers.config);
        }
        let tags = input
            .get("Tags")
            .and_then(Value::as_object)
            .map(|m| {
                m.iter()
                    .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
                    .collect()
            })
            .unwrap_or_default();
        let function = Function {
            config: config.clone(),
            code_sha: upload.sha_hex.clone(),
            tags,
            policy: Vec::new(),
            settles_at: now + 1,
            last_version: 0,
            published_revision: String::new(),
            code_shas: Default::default(),
            reserved: None,
            event_invoke: None,
            host_dir: upload.host_dir.clone(),
            layers: layers.zips.iter().map(|(sha, _)| sha.clone()).collect(),
            layers_unzipped: layers.unzipped,
        };
        // Extract now: a zip `unzip` refuses is refused here, as AWS does.
        let dir = self.pool.work_dir.join("code").join(&upload.sha_hex);
        if upload.host_dir.is_none() && !dir.join(".complete").exists() {
            code::extract(&upload.bytes, &dir, &self.pool.work_dir)?;
        }
        let code_size = match &upload.host_dir {
            Some(host) => code::size_of(std::path::Path::new(host)),
            None => code::size_of(&dir),
        };
        Self::check_total_size(code_size, &layers)?;
        let (table, raw) = (self.functions.clone(), self.code.clone());
        self.store.write(|txn| {
            for (sha, zip) in &layers.zips {
                txn.put_raw(&raw, &format!("{key}/layer-{sha}"), zip)
                    .map_err(AwsError::from)?;
            }
            if txn.get(&table, &key).map_err(AwsError::from)?.is_some() {
                return Err(AwsError::from(LambdaError::ResourceConflict {
                    message: format!("Function already exist: {name}"),
                }));
            }
            txn.put(&table, &key, &function).map_err(AwsError::from)?;
            txn.put_raw(&raw, &format!("{key}/{}", upload.sha_hex), &upload.bytes)
                .map_err(AwsError::from)?;
            Ok(())
        })?;
        if input.get("Publish").and_then(Value::as_bool) == Some(true) {
            let v = self.publish_version(ctx, json!({"FunctionName": name}))?;
            let mut out = config;
            out["Version"] = v["Version"].clone();
            out["FunctionArn"] = v["FunctionArn"].clone();
            return Ok(out);
        }
        Ok(config)
    }

    /// `GetFunctionConfiguration`.
    pub(crate) fn get_function_configuration(
        &self,
        ctx: &RequestContext,
        input: Value,
    ) -> OpResult {
        let (_, f) = self.resolve(ctx, &input)?;
        Ok(settled(&f, ctx.clock.now_millis()))
    }

    /// `GetFunction`: configuration, code location and tags.
    pub(crate) fn get_function(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let (_, f) = self.resolve(ctx, &input)?;
        let mut out = json!({
            "Configuration": settled(&f, ctx.clock.now_millis()),
            "Code": {"RepositoryType": "S3"},
        });
        if !f.tags.is_empty() {
            out["Tags"] = json!(f.tags);
        }
        if let Some(r) = f.reserved {
            out["Concurrency"] = json!({"ReservedConcurrentExecutions": r});
        }
        Ok(out)
    }

    /// `ListFunctions`: configurations in name order, `MaxItems` (1–10000,
    /// default 50), `Marker` / `NextMarker`; with `FunctionVersion=ALL`,
    /// each function's versions after it.
    pub(crate) fn list_functions(&self, ctx: &RequestContext, input: Value) -> OpResult {
        if input.get("FunctionVersion").and_then(Value::as_str) == Some("ALL") {
            // Every function's `$LATEST` followed by its versions.
            let now = ctx.clock.now_millis();
            let prefix = Scope::regional(ctx).prefix();
            let mut all = Vec::new();
            for (key, f) in self
                .functions
                .scan_prefix(&prefix)
                .map_err(AwsError::from)?
            {
                all.push(settled(&f, now));
                for (_, v) in self
                    .versions
                    .scan_prefix(&format!("{key}/"))
                    .map_err(AwsError::from)?
                {
                    all.push(settled(&v, now));
                }
            }
            return crate::page_by_marker(all, &input, "Functions");
        }
        if input.get("MasterRegion").is_some() {
            return Err(invalid("Gureum does not support MasterRegion yet."));
        }
        let prefix = Scope::regional(ctx).prefix();
        let limit = input.get("MaxItems").and_then(Value::as_u64).unwrap_or(50) as usize;
        let after = match input.get("Marker").and_then(Value::as_str) {
            Some(m) if m.starts_with(&prefix) => Some(m.to_string()),
            Some(_) => return Err(invalid("Invalid marker")),
            None => None,
        };
        let page = self
            .functions
            .scan_prefix_after(&prefix, after.as_deref(), limit + 1)
            .map_err(AwsError::from)?;
        let more = page.len() > limit;
        let now = ctx.clock.now_millis();
        let functions: Vec<Value> = page
            .iter()
            .take(limit)
            .map(|(_, f)| settled(f, now))
            .collect();
        let mut out = json!({ "Functions": functions });
        if more {
            if let Some((key, _)) = page.get(limit - 1) {
                out["NextMarker"] = json!(key);
            }
        }
        Ok(out)
    }

    /// `DeleteFunction`: the function, its code, and its environments.
    pub(crate) fn delete_function(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let (key, f) = self.resolve(ctx, &input)?;
        let (table, raw) = (self.functions.clone(), self.code.clone());
        let (versions, aliases) = (self.versions.clone(), self.aliases.clone());
        let version = f.config["Version"]
            .as_str()
            .unwrap_or("$LATEST")
            .to_string();
        if version != "$LATEST" {
            // One version: its record goes; its code stays with the function.
            let n: u64 = version.parse().unwrap_or(0);
            versions
                .delete(&crate::versions::version_key(&key, n))
                .map_err(AwsError::from)?;
            return Ok(json!({}));
        }
        let all_versions = versions
            .scan_prefix(&format!("{key}/"))
            .map_err(AwsError::from)?;
        // Layer copies of every version go with the function.
        let layer_shas: std::collections::BTreeSet<String> = all_versions
            .iter()
            .flat_map(|(_, v)| v.layers.iter().cloned())
            .chain(f.layers.iter().cloned())
            .collect();
        let version_keys: Vec<String> = all_versions.into_iter().map(|(k, _)| k).collect();
        let alias_keys: Vec<String> = aliases
            .scan_prefix(&format!("{key}/"))
            .map_err(AwsError::from)?
            .into_iter()
            .map(|(k, _)| k)
            .collect();
        // Its URLs go with it (their ids are never reused).
        let name = f.config["FunctionName"].as_str().unwrap_or_default();
        let url_ids: Vec<String> = self
            .urls
            .scan_prefix("")
            .map_err(AwsError::from)?
            .into_iter()
            .filter(|(_, u)| {
                u.account == ctx.account_id && u.region == ctx.region && u.function == name
            })
            .map(|(id, _)| id)
            .collect();
        let urls = self.urls.clone();
        self.store.write(|txn| {
            txn.delete(&table, &key).map_err(AwsError::from)?;
            for id in &url_ids {
                txn.delete(&urls, id).map_err(AwsError::from)?;
            }
            for sha in f.code_shas.iter().chain(std::iter::once(&f.code_sha)) {
                txn.delete_raw(&raw, &format!("{key}/{sha}"))
                    .map_err(AwsError::from)?;
            }
            for sha in &layer_shas {
                txn.delete_raw(&raw, &format!("{key}/layer-{sha}"))
                    .map_err(AwsError::from)?;
            }
            for k in &version_keys {
                txn.delete(&versions, k).map_err(AwsError::from)?;
            }
            for k in &alias_keys {
                txn.delete(&aliases, k).map_err(AwsError::from)?;
            }
            Ok::<_, AwsError>(())
        })?;
        self.pool.retire(&format!(
            "{}:",
            f.config["FunctionArn"].as_str().unwrap_or_default()
        ));
        Ok(json!({}))
    }

    /// `UpdateFunctionCode` with its code in hand.
    pub(crate) fn update_function_code_with(
        &self,
        ctx: &RequestContext,
        input: Value,
        fetched: Option<Vec<u8>>,
    ) -> OpResult {
        crate::refuse_unsupported(&input, &["SourceKMSKeyArn", "PublishTo"])?;
        if input.get("DryRun").and_then(Value::as_bool) == Some(true) {
            let upload = code::upload_from(&input, fetched)?;
            let (_, f) = self.find(ctx, str_member(&input, "FunctionName"))?;
            let mut c = settled(&f, ctx.clock.now_millis());
            c["CodeSha256"] = json!(upload.sha_base64);
            c["CodeSize"] = json!(upload.bytes.len());
            return Ok(c);
        }
        let upload = code::upload_from(&input, fetched)?;
        let name = str_member(&input, "FunctionName");
        let dir = self.pool.work_dir.join("code").join(&upload.sha_hex);
        if upload.host_dir.is_none() && !dir.join(".complete").exists() {
            code::extract(&upload.bytes, &dir, &self.pool.work_dir)?;
        }
        let now = ctx.clock.now_millis();
        let (key, current) = self.find(ctx, name)?;
        if upload.host_dir.is_none() && !current.layers.is_empty() {
            let total = code::size_of(&dir) + current.layers_unzipped;
            if total > code::MAX_UNZIPPED {
                return Err(invalid(format!(
                    "Function code combined with layers exceeds the maximum allowed size of {} bytes. The actual size is {total} bytes.",
                    code::MAX_UNZIPPED
                )));
            }
        }
        let raw = self.code.clone();
        let revision = input
            .get("RevisionId")
            .and_then(Value::as_str)
            .map(str::to_string);
        let mut dropped = None;
        let config = self.update_function(ctx, name, |f| {
            check_revision(f, revision.as_deref())?;
            if f.code_sha != upload.sha_hex && !f.code_shas.contains(&f.code_sha) {
                dropped = Some(f.code_sha.clone());
            }
            f.code_sha = upload.sha_hex.clone();
            f.host_dir = upload.host_dir.clone();
            f.config["CodeSha256"] = json!(upload.sha_base64);
            f.config["CodeSize"] = json!(upload.bytes.len());
            mark_updated(f, now);
            Ok(f.config.clone())
        })?;
        // The new zip is stored; the old one goes unless a version keeps it.
        let sha = upload.sha_hex.clone();
        self.store.write(|txn| {
            txn.put_raw(&raw, &format!("{key}/{sha}"), &upload.bytes)
                .map_err(AwsError::from)?;
            if let Some(old) = &dropped {
                txn.delete_raw(&raw, &format!("{key}/{old}"))
                    .map_err(AwsError::from)?;
            }
            Ok::<_, AwsError>(())
        })?;
        self.retire_function(&config);
        if input.get("Publish").and_then(Value::as_bool) == Some(true) {
            return self.publish_version(ctx, json!({"FunctionName": name}));
        }
        Ok(config)
    }

    /// `UpdateFunctionConfiguration`: handler, runtime, role, description,
    /// timeout, memory, environment.
    pub(crate) fn update_function_configuration(
        &self,
        ctx: &RequestContext,
        input: Value,
    ) -> OpResult {
        crate::refuse_unsupported(
            &input,
            &[
                "VpcConfig",
                "KMSKeyArn",
                "FileSystemConfigs",
                "ImageConfig",
                "CapacityProviderConfig",
                "DurableConfig",
            ],
        )?;
        if input
            .get("SnapStart")
            .and_then(|s| s.get("ApplyOn"))
            .and_then(Value::as_str)
            .is_some_and(|a| a != "None")
        {
            return Err(invalid("Gureum does not support SnapStart yet."));
        }
        if input
            .get("LoggingConfig")
            .and_then(|l| l.get("LogFormat"))
            .and_then(Value::as_str)
            .is_some_and(|f| f != "Text")
        {
            return Err(invalid(
                "Gureum does not support LoggingConfig with JSON logs yet.",
            ));
        }
        if let Some(r) = input.get("Runtime").and_then(Value::as_str) {
            check_runtime(r)?;
        }
        check_timeout(&input)?;
        let name = str_member(&input, "FunctionName");
        if let Some(role) = input.get("Role").and_then(Value::as_str) {
            self.check_role(ctx, parse_name(name).0, role)?;
        }
        let now = ctx.clock.now_millis();
        let revision = input
            .get("RevisionId")
            .and_then(Value::as_str)
            .map(str::to_string);
        let layers = match input.get("Layers") {
            Some(_) => Some(self.layers_for(ctx, name, &input)?),
            None => None,
        };
        let config = self.update_function(ctx, name, |f| {
            check_revision(f, revision.as_deref())?;
            if let Some(layers) = &layers {
                set_layers(f, layers);
            }
            for member in [
                "Handler",
                "Runtime",
                "Role",
                "Description",
                "Timeout",
                "MemorySize",
            ] {
                if let Some(v) = input.get(member) {
                    f.config[member] = v.clone();
                }
            }
            if let Some(env) = input.get("Environment") {
                let vars = env.get("Variables").cloned().unwrap_or(json!({}));
                f.config["Environment"] = json!({"Variables": vars});
            }
            if let Some(mode) = input.pointer("/TracingConfig/Mode") {
                f.config["TracingConfig"] = json!({"Mode": mode});
            }
            if let Some(e) = input.get("EphemeralStorage") {
                f.config["EphemeralStorage"] = e.clone();
            }
            match dead_letter(&input)? {
                Some(d) if d["TargetArn"] == "" => {
                    if let Some(o) = f.config.as_object_mut() {
                        o.remove("DeadLetterConfig");
                    }
                }
                Some(d) => f.config["DeadLetterConfig"] = d,
                None => {}
            }
            mark_updated(f, now);
            Ok(f.config.clone())
        })?;
        self.retire_function(&config);
        Ok(config)
    }

    fn retire_function(&self, config: &Value) {
        self.pool.retire(&format!(
            "{}:",
            config["FunctionArn"].as_str().unwrap_or_default()
        ));
    }

    /// `PutFunctionConcurrency`.
    pub(crate) fn put_function_concurrency(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let n = input
            .get("ReservedConcurrentExecutions")
            .and_then(Value::as_u64)
            .unwrap_or(0);
        if n > 900 {
            // Lambda keeps 100 of the account's 1000 unreserved.
            return Err(invalid(
                "Specified ReservedConcurrentExecutions for function decreases account's UnreservedConcurrentExecution below its minimum value of [100].",
            ));
        }
        self.update_function(ctx, str_member(&input, "FunctionName"), |f| {
            f.reserved = Some(n);
            Ok(())
        })?;
        Ok(json!({"ReservedConcurrentExecutions": n}))
    }

    /// `GetFunctionConcurrency`.
    pub(crate) fn get_function_concurrency(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let (_, f) = self.find(ctx, str_member(&input, "FunctionName"))?;
        Ok(match f.reserved {
            Some(n) => json!({"ReservedConcurrentExecutions": n}),
            None => json!({}),
        })
    }

    /// `DeleteFunctionConcurrency`.
    pub(crate) fn delete_function_concurrency(
        &self,
        ctx: &RequestContext,
        input: Value,
    ) -> OpResult {
        self.update_function(ctx, str_member(&input, "FunctionName"), |f| {
            f.reserved = None;
            Ok(())
        })?;
        Ok(json!({}))
    }

    /// `ListTags` on a function ARN.
    pub(crate) fn list_tags(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let (_, f) = self.find(ctx, str_member(&input, "Resource"))?;
        Ok(json!({"Tags": f.tags}))
    }

    /// `TagResource`.
    pub(crate) fn tag_resource(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let tags = input
            .get("Tags")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default();
        self.update_function(ctx, str_member(&input, "Resource"), |f| {
            for (k, v) in tags {
                f.tags.insert(k, v.as_str().unwrap_or_default().to_string());
            }
            Ok(())
        })?;
        Ok(json!({}))
    }

    /// `UntagResource`.
    pub(crate) fn untag_resource(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let keys: Vec<String> = input
            .get("TagKeys")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|k| k.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default();
        self.update_function(ctx, str_member(&input, "Resource"), |f| {
            for k in &keys {
                f.tags.remove(k);
            }
            Ok(())
        })?;
        Ok(json!({}))
    }
}

fn check_revision(f: &Function, revision: Option<&str>) -> Result<(), AwsError> {
    if let Some(r) = revision {
        if f.config["RevisionId"] != r {
            return Err(LambdaError::PreconditionFailed {
                message: "The Revision Id provided does not match the latest Revision Id. Call the GetFunction/GetAlias API to retrieve the latest Revision Id".into(),
            }
            .into());
        }
    }
    Ok(())
}

fn mark_updated(f: &mut Function, now: i64) {
    f.config["LastModified"] = json!(last_modified(now));
    f.config["RevisionId"] = json!(crate::new_request_id());
    f.config["State"] = json!("Active");
    f.config["LastUpdateStatus"] = json!("InProgress");
    f.config["LastUpdateStatusReason"] = json!("The function is being created.");
    f.settles_at = now + 1;
}
