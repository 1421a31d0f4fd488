//! `Invoke`: runs the function's code in an execution environment and
//! answers as Lambda does: the payload, `X-Amz-Function-Error: Unhandled`
//! for errors, `X-Amz-Log-Result` (the last 4 KB of the invocation's log,
//! base64) for `LogType=Tail`, 202 for `Event` (run later, retried twice
//! on error as AWS does), 204 for `DryRun`; and
//! [`LambdaService::invoke_from_service`] for other services, checked
//! against the function's resource policy.

use crate::destinations::Condition;
use crate::environment::{Environment, Spec};
use crate::errors::LambdaError;
use crate::logs::LogBatch;
use crate::policy::{self, ServiceSender};
use crate::runtime_api::{Answer, Event};
use crate::{Function, LambdaService};
use base64::Engine;
use gureum_core::{AwsError, Reply, RequestBody, RequestContext, Value};
use serde_json::json;
use sha2::Digest;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How long a runtime may take to initialise (AWS's 10 s init phase).
const INIT_LIMIT: Duration = Duration::from_secs(10);
/// The delays before AWS's two retries of a failed asynchronous invocation.
pub const ASYNC_RETRY_DELAYS: [Duration; 2] = [Duration::from_secs(60), Duration::from_secs(120)];
/// The largest synchronous request and response payload (6 MB).
pub const MAX_SYNC_PAYLOAD: usize = 6 * 1024 * 1024;
/// The largest asynchronous request payload (1 MB).
pub const MAX_ASYNC_PAYLOAD: usize = 1024 * 1024;
/// The most of the log `LogType=Tail` returns.
const TAIL_BYTES: usize = 4096;

/// What one invocation produced.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// The response payload (the result, or the error document).
    pub payload: Vec<u8>,
    /// `Unhandled` when the function failed.
    pub function_error: Option<&'static str>,
    /// The invocation's log lines, START to REPORT.
    pub log: Vec<String>,
    /// The version that ran (`$LATEST`, `1`).
    pub version: String,
    /// Whether the runtime streamed the response to the caller's sink
    /// (`payload` then holds what was streamed).
    pub streamed: bool,
}

impl LambdaService {
    /// `Invoke` (`RequestResponse`, `Event`, `DryRun`).
    pub(crate) async fn invoke(
        &self,
        ctx: &RequestContext,
        input: Value,
        body: RequestBody,
    ) -> Result<Reply, AwsError> {
        drop(body);
        crate::refuse_unsupported(&input, &["DurableExecutionName", "TenantId"])?;
        let (key, function) = self.resolve(ctx, &input)?;
        let asynchronous = input.get("InvocationType").and_then(Value::as_str) == Some("Event");
        let limit = if asynchronous {
            MAX_ASYNC_PAYLOAD
        } else {
            MAX_SYNC_PAYLOAD
        };
        let payload = event_payload(&input, limit)?;
        let client_context = input
            .get("ClientContext")
            .and_then(Value::as_str)
            .and_then(|c| base64::engine::general_purpose::STANDARD.decode(c).ok())
            .map(|b| String::from_utf8_lossy(&b).to_string());
        let kind = input
            .get("InvocationType")
            .and_then(Value::as_str)
            .unwrap_or("RequestResponse");
        let reply = |status: u16, out: Value| {
            let mut r = Reply::value(out);
            r.status = Some(status);
            Ok(r)
        };
        match kind {
            "DryRun" => reply(204, json!({"StatusCode": 204})),
            "Event" => {
                self.invoke_later(
                    ctx.account_id.clone(),
                    ctx.region.clone(),
                    function,
                    payload,
                );
                reply(202, json!({"StatusCode": 202}))
            }
            _ => {
                self.check_reserved(ctx, &key, &function)?;
                let tail = input.get("LogType").and_then(Value::as_str) == Some("Tail");
                let runner = self.runner(&ctx.account_id, &ctx.region);
                let outcome = tokio::task::spawn_blocking(move || {
                    runner.run(&function, payload, client_context)
                })
                .await
                .map_err(|e| LambdaError::Service {
                    message: format!("The invocation failed: {e}"),
                })??;
                let mut out = json!({
                    "StatusCode": 200,
                    "Payload": base64::engine::general_purpose::STANDARD.encode(&outcome.payload),
                    "ExecutedVersion": outcome.version,
                });
                if let Some(e) = outcome.function_error {
                    out["FunctionError"] = json!(e);
                }
                if tail {
                    out["LogResult"] = json!(tail_of(&outcome.log));
                }
                reply(200, out)
            }
        }
    }

    /// Refuses a synchronous invocation over the function's reserved
    /// concurrency (the function's, whatever version runs).
    pub(crate) fn check_reserved(
        &self,
        ctx: &RequestContext,
        key: &str,
        function: &Function,
    ) -> Result<(), AwsError> {
        // `$LATEST` carries it; a version's copy may be stale.
        let reserved = match function.config["Version"].as_str() {
            Some("$LATEST") | None => function.reserved,
            Some(_) => self
                .functions
                .get(key)
                .map_err(AwsError::from)?
                .and_then(|f| f.reserved),
        };
        let Some(limit) = reserved else {
            return Ok(());
        };
        let arn = function.config["FunctionArn"].as_str().unwrap_or_default();
        let base = crate::functions::parse_name(arn).0;
        let prefix = format!("{}:", crate::functions::arn_for(ctx, base));
        if self.pool.busy_for(&prefix) as u64 >= limit {
            return Err(LambdaError::TooManyRequests {
                kind: "User".into(),
                reason: "ReservedFunctionConcurrentInvocationLimitExceeded".into(),
            }
            .into());
        }
        Ok(())
    }

    /// `InvokeAsync` (deprecated): the body is the event, queued as an
    /// `Event` invocation.
    pub(crate) async fn invoke_async(
        &self,
        ctx: &RequestContext,
        input: Value,
        body: RequestBody,
    ) -> Result<Reply, AwsError> {
        let (_, function) = self.resolve(ctx, &input)?;
        let payload = body.collect(MAX_ASYNC_PAYLOAD).await.map_err(|_| {
            LambdaError::RequestTooLarge {
                message: format!(
                    "Request must be smaller than {MAX_ASYNC_PAYLOAD} bytes for the InvokeFunction operation"
                ),
            }
        })?;
        let payload = if payload.is_empty() {
            b"{}".to_vec()
        } else {
            payload.to_vec()
        };
        if serde_json::from_slice::<Value>(&payload).is_err() {
            return Err(LambdaError::InvalidRequestContent {
                message: "Could not parse request body into json: Could not parse payload into json: Unexpected character: was expecting a JSON value".into(),
            }
            .into());
        }
        // `InvokeArgs` is the streamed body read above.
        let _ = input.get("InvokeArgs");
        self.invoke_later(
            ctx.account_id.clone(),
            ctx.region.clone(),
            function,
            payload,
        );
        let mut r = Reply::value(json!({"Status": 202}));
        r.status = Some(202);
        Ok(r)
    }

    /// Whether `sender` may invoke `function_arn`: the function exists
    /// and its resource policy allows the service.
    pub fn may_invoke(
        &self,
        sender: &ServiceSender<'_>,
        function_arn: &str,
    ) -> Result<(), AwsError> {
        self.authorized_function(sender, function_arn).map(|_| ())
    }

    /// The function `sender` may invoke, with its account and region.
    fn authorized_function(
        &self,
        sender: &ServiceSender<'_>,
        function_arn: &str,
    ) -> Result<(Function, String, String), AwsError> {
        let parts: Vec<&str> = function_arn.split(':').collect();
        let (region, account) = match parts.as_slice() {
            ["arn", _, "lambda", region, account, "function", ..] => (*region, *account),
            _ => {
                return Err(crate::invalid(format!(
                    "1 validation error detected: Value '{function_arn}' at 'functionName' failed to satisfy constraint: Member must satisfy regular expression pattern"
                )))
            }
        };
        let ctx = RequestContext::root(account, region, gureum_core::Clock::system());
        let (_, function) = self.find(&ctx, function_arn)?;
        if !policy::allows(&function, sender) {
            return Err(gureum_core::CommonError::AccessDeniedException {
                message: format!(
                    "{} is not authorized to perform: lambda:InvokeFunction on resource: {function_arn}",
                    sender.service
                ),
            }
            .into());
        }
        Ok((function, account.to_string(), region.to_string()))
    }

    /// Invokes `function_arn` for another service (`sender`), as AWS does
    /// for EventBridge, S3 and SNS: the function's resource policy must
    /// allow `sender.service` with its source ARN and account. `run_async`
    /// queues the event and returns at once; otherwise the outcome is
    /// returned.
    pub fn invoke_from_service(
        &self,
        sender: &ServiceSender<'_>,
        function_arn: &str,
        payload: &[u8],
        run_async: bool,
    ) -> Result<Option<Outcome>, AwsError> {
        let (function, account, region) = self.authorized_function(sender, function_arn)?;
        let (account, region) = (account.as_str(), region.as_str());
        if run_async {
            self.invoke_later(account.into(), region.into(), function, payload.to_vec());
            return Ok(None);
        }
        self.runner(account, region)
            .run(&function, payload.to_vec(), None)
            .map(Some)
    }

    /// Runs `payload` on a thread, retrying on error with AWS's delays
    /// (twice unless the function's `MaximumRetryAttempts` says fewer, and
    /// not past its `MaximumEventAgeInSeconds`; unless Gureum stops first).
    fn invoke_later(&self, account: String, region: String, function: Function, payload: Vec<u8>) {
        let runner = self.runner(&account, &region);
        let ctx = RequestContext::root(&account, &region, gureum_core::Clock::system());
        let name = function.config["FunctionName"].as_str().unwrap_or_default();
        let settings = self.find(&ctx, name).ok().and_then(|(_, f)| f.event_invoke);
        let retries = settings
            .as_ref()
            .and_then(|s| s["MaximumRetryAttempts"].as_u64())
            .unwrap_or(2) as usize;
        let max_age = Duration::from_secs(
            settings
                .as_ref()
                .and_then(|s| s["MaximumEventAgeInSeconds"].as_u64())
                .unwrap_or(21_600),
        );
        let queued = Instant::now();
        let destination = |side: &str| {
            settings
                .as_ref()
                .and_then(|s| s["DestinationConfig"][side]["Destination"].as_str())
                .map(str::to_string)
        };
        let report = Report {
            destinations: self.destinations.get().cloned(),
            on_success: destination("OnSuccess"),
            on_failure: destination("OnFailure"),
            dead_letter: function.config["DeadLetterConfig"]["TargetArn"]
                .as_str()
                .map(str::to_string),
            request_id: crate::new_request_id(),
            account,
        };
        let _ = std::thread::Builder::new()
            .name("lambda-async".into())
            .spawn(move || {
                let mut last = None;
                let mut attempts = 0;
                let mut condition = Condition::RetriesExhausted;
                for attempt in 0..=retries.min(ASYNC_RETRY_DELAYS.len()) {
                    if attempt > 0 {
                        let until = Instant::now() + ASYNC_RETRY_DELAYS[attempt - 1];
                        while Instant::now() < until {
                            if runner.pool.is_shut_down() {
                                return;
                            }
                            std::thread::sleep(Duration::from_millis(200));
                        }
                        if queued.elapsed() > max_age {
                            condition = Condition::EventAgeExceeded;
                            break;
                        }
                    }
                    attempts += 1;
                    match runner.run(&function, payload.clone(), None) {
                        Ok(o) if o.function_error.is_none() => {
                            report.send(
                                &runner,
                                &function,
                                Condition::Success,
                                attempts,
                                &payload,
                                Some(&o),
                            );
                            return;
                        }
                        _ if runner.pool.is_shut_down() => return,
                        Ok(o) => last = Some(o),
                        Err(_) => last = None,
                    }
                }
                report.send(
                    &runner,
                    &function,
                    condition,
                    attempts,
                    &payload,
                    last.as_ref(),
                );
            });
    }

    pub(crate) fn runner(&self, account: &str, region: &str) -> Runner {
        Runner {
            pool: self.pool.clone(),
            logs: self.logs.clone(),
            account: account.to_string(),
            region: region.to_string(),
            endpoint: self.endpoint.get().cloned(),
            service: self.task_roots(),
            roles: self.roles.get().cloned(),
            clock: self
                .roles
                .get()
                .map(|r| r.clock().clone())
                .unwrap_or_else(gureum_core::Clock::system),
        }
    }

    pub(crate) fn task_roots(&self) -> TaskRoots {
        TaskRoots {
            code: self.code.clone(),
            work: self.pool.work_dir.clone(),
        }
    }
}

/// Finds or extracts a function's code, off the service.
pub(crate) struct TaskRoots {
    code: gureum_store::RawTable,
    work: std::path::PathBuf,
}

impl TaskRoots {
    pub(crate) fn get(
        &self,
        account: &str,
        region: &str,
        f: &Function,
    ) -> Result<std::path::PathBuf, AwsError> {
        if let Some(dir) = &f.host_dir {
            return Ok(std::path::PathBuf::from(dir));
        }
        let dir = self.work.join("code").join(&f.code_sha);
        if dir.join(".complete").exists() {
            return Ok(dir);
        }
        let name = f.config["FunctionName"].as_str().unwrap_or_default();
        let bytes = self
            .code
            .get(&format!("{account}/{region}/{name}/{}", f.code_sha))
            .map_err(AwsError::from)?
            .ok_or_else(|| LambdaError::Service {
                message: "The function's code is missing from the store.".into(),
            })?;
        crate::code::extract(&bytes, &dir, &self.work)?;
        Ok(dir)
    }
}

impl TaskRoots {
    /// The function's `/opt`: its layers' zips extracted in order into one
    /// directory shared by the functions with the same layers (none
    /// without layers).
    pub(crate) fn opt(
        &self,
        account: &str,
        region: &str,
        f: &Function,
    ) -> Result<Option<std::path::PathBuf>, AwsError> {
        if f.layers.is_empty() {
            return Ok(None);
        }
        let joined = f.layers.join(",");
        let id: String = sha2::Sha256::digest(joined.as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        let dir = self.work.join("opt").join(id);
        if dir.join(".complete").exists() {
            return Ok(Some(dir));
        }
        let name = f.config["FunctionName"].as_str().unwrap_or_default();
        let mut zips = Vec::new();
        for sha in &f.layers {
            let zip = self
                .code
                .get(&format!("{account}/{region}/{name}/layer-{sha}"))
                .map_err(AwsError::from)?
                .ok_or_else(|| LambdaError::Service {
                    message: "The function's layer is missing from the store.".into(),
                })?;
            zips.push(zip);
        }
        let refs: Vec<&[u8]> = zips.iter().map(Vec::as_slice).collect();
        crate::code::extract_all(&refs, &dir, &self.work)?;
        Ok(Some(dir))
    }
}

/// Everything one invocation needs, movable to a blocking thread.
pub(crate) struct Runner {
    pool: Arc<crate::environment::Pool>,
    logs: Arc<dyn crate::logs::FunctionLogs>,
    account: String,
    region: String,
    endpoint: Option<String>,
    service: TaskRoots,
    roles: Option<Arc<crate::credentials::ExecutionRoles>>,
    clock: gureum_core::Clock,
}

/// Where an asynchronous invocation reports its end.
struct Report {
    destinations: Option<Arc<dyn crate::destinations::AsyncDestinations>>,
    on_success: Option<String>,
    on_failure: Option<String>,
    dead_letter: Option<String>,
    request_id: String,
    account: String,
}

impl Report {
    /// Sends the invocation record to the destination for `condition`,
    /// and a failed event to the dead-letter target; a destination that
    /// refuses is logged to the function's log group's place (stderr), as
    /// AWS only counts it in metrics.
    fn send(
        &self,
        runner: &Runner,
        f: &Function,
        condition: Condition,
        attempts: usize,
        payload: &[u8],
        outcome: Option<&Outcome>,
    ) {
        let Some(destinations) = &self.destinations else {
            return;
        };
        let success = condition == Condition::Success;
        let arn = f.config["FunctionArn"].as_str().unwrap_or_default();
        let qualified = match f.config["Version"].as_str() {
            Some("$LATEST") | None => format!("{arn}:$LATEST"),
            Some(_) => arn.to_string(),
        };
        let key = runner.role_key(f);
        let base = crate::destinations::Delivery {
            destination: "",
            body: "",
            detail_type: if success {
                "Lambda Function Invocation Result - Success"
            } else {
                "Lambda Function Invocation Result - Failure"
            },
            function_arn: arn,
            access_key_id: key.as_deref(),
            account: &self.account,
            dlq_attributes: None,
        };
        let target = if success {
            &self.on_success
        } else {
            &self.on_failure
        };
        if let Some(destination) = target {
            let record = crate::destinations::invocation_record(
                &self.request_id,
                &qualified,
                condition,
                attempts,
                payload,
                outcome,
                runner.clock.now_millis(),
            )
            .to_string();
            let sent = destinations.send(&crate::destinations::Delivery {
                destination,
                body: &record,
                ..base
            });
            if let Err(e) = sent {
                eprintln!("lambda: destination {destination} refused: {}", e.message);
            }
        }
        if let (false, Some(dlq)) = (success, &self.dead_letter) {
            let message = outcome
                .and_then(|o| serde_json::from_slice::<Value>(&o.payload).ok())
                .and_then(|v| v["errorMessage"].as_str().map(str::to_string))
                .unwrap_or_default();
            let body = String::from_utf8_lossy(payload);
            let sent = destinations.send(&crate::destinations::Delivery {
                destination: dlq,
                body: &body,
                dlq_attributes: Some((&self.request_id, &message)),
                ..base
            });
            if let Err(e) = sent {
                eprintln!("lambda: dead-letter target {dlq} refused: {}", e.message);
            }
        }
    }
}

fn log_stream(version: &str) -> String {
    let now = gureum_core::timestamp::format_iso8601(gureum_core::Clock::system().now_millis());
    format!(
        "{}/[{version}]{}",
        now[..10].replace('-', "/"),
        gureum_core::id::hex(32)
    )
}

impl Runner {
    /// The access key of the execution role session the function's
    /// environments run with (none without STS).
    pub(crate) fn role_key(&self, f: &Function) -> Option<String> {
        let roles = self.roles.as_ref()?;
        let arn = f.config["FunctionArn"].as_str().unwrap_or_default();
        let unqualified = arn.split(':').take(7).collect::<Vec<_>>().join(":");
        let role = f.config["Role"].as_str().unwrap_or_default();
        roles
            .credentials(role, &unqualified)
            .ok()
            .map(|c| c.access_key_id)
    }

    fn spec(&self, f: &Function) -> Result<Spec, AwsError> {
        let c = &f.config;
        let name = c["FunctionName"].as_str().unwrap_or_default();
        let version = c["Version"].as_str().unwrap_or("$LATEST");
        let runtime = c["Runtime"].as_str().unwrap_or_default().to_string();
        if !(runtime.starts_with("python3")
            || runtime.starts_with("nodejs")
            || runtime.starts_with("provided"))
        {
            return Err(LambdaError::Service {
                message: format!("Gureum cannot run the {runtime} runtime yet (python3.x, nodejs and provided run)."),
            }
            .into());
        }
        let task_root = self.service.get(&self.account, &self.region, f)?;
        let opt = self.service.opt(&self.account, &self.region, f)?;
        let mut env: Vec<(String, String)> = Vec::new();
        if let Some(vars) = c
            .pointer("/Environment/Variables")
            .and_then(Value::as_object)
        {
            for (k, v) in vars {
                env.push((k.clone(), v.as_str().unwrap_or_default().to_string()));
            }
        }
        let s = |v: &str| v.to_string();
        let root = task_root.display().to_string();
        env.extend([
            (s("AWS_LAMBDA_FUNCTION_NAME"), s(name)),
            (s("AWS_LAMBDA_FUNCTION_VERSION"), s(version)),
            (
                s("AWS_LAMBDA_FUNCTION_MEMORY_SIZE"),
                c["MemorySize"].to_string(),
            ),
            (
                s("AWS_LAMBDA_LOG_GROUP_NAME"),
                format!("/aws/lambda/{name}"),
            ),
            (s("AWS_LAMBDA_LOG_STREAM_NAME"), log_stream(version)),
            (s("AWS_LAMBDA_INITIALIZATION_TYPE"), s("on-demand")),
            (s("AWS_EXECUTION_ENV"), format!("AWS_Lambda_{runtime}")),
            (s("_HANDLER"), s(c["Handler"].as_str().unwrap_or_default())),
            (s("LAMBDA_TASK_ROOT"), root.clone()),
            (s("AWS_REGION"), self.region.clone()),
            (s("AWS_DEFAULT_REGION"), self.region.clone()),
            (s("TZ"), s(":UTC")),
            (s("LANG"), s("en_US.UTF-8")),
        ]);
        env.extend(search_paths(&runtime, &root, opt.as_deref()));
        if let Some(url) = &self.endpoint {
            env.push((s("AWS_ENDPOINT_URL"), url.clone()));
        }
        let credentials = match &self.roles {
            Some(roles) => {
                let arn = c["FunctionArn"].as_str().unwrap_or_default();
                let unqualified = arn.split(':').take(7).collect::<Vec<_>>().join(":");
                let role = c["Role"].as_str().unwrap_or_default();
                let creds = roles.credentials(role, &unqualified)?;
                (
                    creds.access_key_id,
                    creds.secret_access_key,
                    creds.session_token,
                )
            }
            // Without STS (unit tests), Gureum takes a 12-digit key id as
            // that account's root (its non-strict convention).
            None => (self.account.clone(), s("gureum-lambda"), s("gureum-lambda")),
        };
        // New credentials start new environments; older ones keep theirs.
        let key_id = credentials.0.clone();
        env.extend([
            (s("AWS_ACCESS_KEY_ID"), credentials.0),
            (s("AWS_SECRET_ACCESS_KEY"), credentials.1),
            (s("AWS_SESSION_TOKEN"), credentials.2),
        ]);
        // Code read in place starts a fresh environment when it changes.
        let changed = match &f.host_dir {
            Some(dir) => format!(":{}", crate::code::fingerprint(std::path::Path::new(dir))),
            None => String::new(),
        };
        Ok(Spec {
            key: format!(
                "{}:{}{changed}:{key_id}",
                c["FunctionArn"].as_str().unwrap_or_default(),
                c["RevisionId"].as_str().unwrap_or_default()
            ),
            runtime,
            task_root,
            opt,
            memory_mb: c["MemorySize"].as_u64().unwrap_or(128),
            env,
        })
    }

    /// Runs one invocation to its end.
    pub(crate) fn run(
        &self,
        f: &Function,
        payload: Vec<u8>,
        client_context: Option<String>,
    ) -> Result<Outcome, AwsError> {
        self.run_streaming(f, payload, client_context, None)
    }

    /// Runs one invocation to its end, a response the runtime streams
    /// going to `sink` as it arrives.
    pub(crate) fn run_streaming(
        &self,
        f: &Function,
        payload: Vec<u8>,
        client_context: Option<String>,
        sink: Option<crate::runtime_api::StreamSink>,
    ) -> Result<Outcome, AwsError> {
        let spec = self.spec(f)?;
        let c = &f.config;
        let timeout_s = c["Timeout"].as_u64().unwrap_or(3);
        let memory = c["MemorySize"].as_u64().unwrap_or(128);
        let request_id = crate::new_request_id();
        let (env, cold) = self.pool.acquire(&spec).map_err(|e| LambdaError::Service {
            message: format!("Gureum could not start the function's runtime: {e}"),
        })?;
        if cold && f.host_dir.is_some() {
            // Code read in place changed: environments of its old code go.
            let arn = c["FunctionArn"].as_str().unwrap_or_default();
            self.pool
                .retire_except(&format!("{arn}:"), Some(spec.key.as_str()));
        }
        let started = Instant::now();
        let version = c["Version"].as_str().unwrap_or("$LATEST");
        let mut log = vec![format!("START RequestId: {request_id} Version: {version}")];
        let mut init_ms = None;
        let mut keep = true;
        let answer = if cold {
            let ready = wait_ready(&env, INIT_LIMIT);
            init_ms = Some(env.started.elapsed().as_secs_f64() * 1000.0);
            if ready {
                None
            } else {
                keep = false;
                Some(init_failure(&env, &request_id))
            }
        } else {
            None
        };
        let answer = match answer {
            Some(a) => a,
            None => {
                let invoke_start = Instant::now();
                let marks = env.marks();
                let deadline_ms =
                    gureum_core::Clock::system().now_millis() + (timeout_s * 1000) as i64;
                env.api.channel.offer(
                    Event {
                        request_id: request_id.clone(),
                        payload,
                        deadline_ms,
                        function_arn: c["FunctionArn"].as_str().unwrap_or_default().to_string(),
                        client_context,
                    },
                    sink,
                );
                let limit = Duration::from_secs(timeout_s);
                let mut got = None;
                while invoke_start.elapsed() < limit {
                    let step = (limit - invoke_start.elapsed()).min(Duration::from_millis(50));
                    if let Some(a) = env.api.channel.wait_answer(step) {
                        got = Some(a);
                        break;
                    }
                    // A long invocation: follow its children's memory too.
                    env.sample_memory();
                    if !env.alive() {
                        got = env.api.channel.wait_answer(Duration::from_millis(20));
                        break;
                    }
                }
                match got {
                    Some(a) => {
                        // Gureum's runtime clients mark the end of their
                        // output before answering: wait for the lines to
                        // be read. Others get until they ask for the next
                        // event.
                        if builtin_client(&spec.runtime) {
                            env.wait_marks(marks, Duration::from_millis(500));
                        } else {
                            let _ = env.api.channel.wait_ready(Duration::from_millis(100));
                        }
                        a
                    }
                    None if !env.alive() => {
                        keep = false;
                        exit_error(&env, &request_id)
                    }
                    None => {
                        keep = false;
                        let text = format!(
                            "{} {request_id} Task timed out after {timeout_s}.00 seconds",
                            gureum_core::timestamp::format_iso8601(
                                gureum_core::Clock::system().now_millis()
                            )
                        );
                        log.extend(env.take_output());
                        log.push(text.clone());
                        Answer::Error(json!({"errorMessage": text}).to_string().into_bytes())
                    }
                }
            }
        };
        log.extend(env.take_output());
        let streamed = env.api.channel.streamed();
        let duration = started.elapsed().as_secs_f64() * 1000.0;
        // Over its memory, a function used all of it (as AWS reports).
        let max_mem = match &answer {
            Answer::InitError(doc) if is_out_of_memory(doc) => memory,
            _ => env.max_memory_mb(),
        };
        if matches!(answer, Answer::InitError(_)) {
            keep = false;
        }
        let stream = env.log_stream.clone();
        self.pool.release(&spec.key, env, keep);
        log.push(format!("END RequestId: {request_id}"));
        let mut report = format!(
            "REPORT RequestId: {request_id}\tDuration: {duration:.2} ms\tBilled Duration: {} ms\tMemory Size: {memory} MB\tMax Memory Used: {max_mem} MB\t",
            duration.ceil() as u64
        );
        if let Some(i) = init_ms {
            report.push_str(&format!("Init Duration: {i:.2} ms\t"));
        }
        log.push(report);
        self.write_logs(f, &log, &stream);
        let (payload, function_error) = match answer {
            Answer::Response(p) if !streamed && p.len() > MAX_SYNC_PAYLOAD => (
                json!({
                    "errorMessage": format!("Response payload size exceeded maximum allowed payload size ({MAX_SYNC_PAYLOAD} bytes)."),
                    "errorType": "Function.ResponseSizeTooLarge",
                })
                .to_string()
                .into_bytes(),
                Some("Unhandled"),
            ),
            Answer::Response(p) => (p, None),
            Answer::Error(p) | Answer::InitError(p) => (p, Some("Unhandled")),
        };
        Ok(Outcome {
            payload,
            function_error,
            log,
            version: version.to_string(),
            streamed,
        })
    }

    fn write_logs(&self, f: &Function, log: &[String], stream: &str) {
        let name = f.config["FunctionName"].as_str().unwrap_or_default();
        let now = gureum_core::Clock::system().now_millis();
        let events: Vec<(i64, String)> = log.iter().map(|l| (now, l.clone())).collect();
        self.logs.put(&LogBatch {
            account: &self.account,
            region: &self.region,
            group: &format!("/aws/lambda/{name}"),
            stream,
            events: &events,
        });
    }
}

/// The runtime's search paths, as AWS sets them with `/opt` being `opt`
/// (the function's layers): Python's `/opt/python` and its
/// `site-packages`, Node's `/opt/nodejs/node_modules` (and the
/// version-specific `/opt/nodejs/nodeNN/node_modules`), `/opt/bin` on
/// `PATH` and `/opt/lib` on `LD_LIBRARY_PATH`, after the function's own.
fn search_paths(runtime: &str, root: &str, opt: Option<&std::path::Path>) -> Vec<(String, String)> {
    let mut python = vec![root.to_string()];
    let mut node = vec![format!("{root}/node_modules"), root.to_string()];
    let mut path = std::env::var("PATH").unwrap_or_default();
    let mut libs = vec![root.to_string(), format!("{root}/lib")];
    if let Some(opt) = opt {
        let opt = opt.display();
        let version = runtime.trim_end_matches(".x");
        python.push(format!("{opt}/python/lib/{version}/site-packages"));
        python.push(format!("{opt}/python"));
        if let Some(major) = version.strip_prefix("nodejs") {
            node.insert(0, format!("{opt}/nodejs/node{major}/node_modules"));
        }
        node.insert(1, format!("{opt}/nodejs/node_modules"));
        path = format!("{path}:{opt}/bin");
        libs.push(format!("{opt}/lib"));
    }
    let mut out = vec![
        ("PYTHONPATH".to_string(), python.join(":")),
        ("NODE_PATH".to_string(), node.join(":")),
        ("LD_LIBRARY_PATH".to_string(), libs.join(":")),
    ];
    if opt.is_some() {
        out.push(("PATH".to_string(), path));
    }
    out
}

/// Whether the runtime is one of Gureum's own runtime clients (which mark
/// the end of each invocation's output).
fn builtin_client(runtime: &str) -> bool {
    runtime.starts_with("python") || runtime.starts_with("nodejs")
}

/// Waits for a new environment's runtime to ask for its first event.
fn wait_ready(env: &Environment, limit: Duration) -> bool {
    let start = Instant::now();
    while start.elapsed() < limit {
        if env.api.channel.wait_ready(Duration::from_millis(50)) {
            return true;
        }
        if env.api.channel.has_init_error() || !env.alive() {
            return false;
        }
    }
    false
}

/// The answer for a runtime that failed to initialise.
fn init_failure(env: &Environment, request_id: &str) -> Answer {
    if let Some(Answer::InitError(doc)) = env.api.channel.wait_answer(Duration::from_millis(200)) {
        return Answer::InitError(doc);
    }
    if env.alive() {
        return Answer::InitError(
            json!({"errorType": "Runtime.Unknown", "errorMessage": format!("RequestId: {request_id} Error: Runtime failed to start within 10 seconds")})
                .to_string()
                .into_bytes(),
        );
    }
    exit_error(env, request_id)
}

/// AWS's document for a runtime that exited: `Runtime.OutOfMemory` when
/// killed under a memory limit (the kernel refused an allocation and the
/// runtime ended as Lambda's sandbox ends it), else `Runtime.ExitError`.
fn exit_error(env: &Environment, request_id: &str) -> Answer {
    use std::os::unix::process::ExitStatusExt;
    let status = env.exit_status();
    let killed = status.and_then(|s| s.signal()) == Some(9);
    let text = status
        .map(|s| match (s.code(), s.signal()) {
            (Some(c), _) => format!("exit status {c}"),
            (None, Some(9)) | (None, None) => "signal: killed".to_string(),
            (None, Some(n)) => format!("signal: {}", signal_name(n)),
        })
        .unwrap_or_else(|| "exit status 1".into());
    let kind = if killed && env.memory_limited {
        OUT_OF_MEMORY
    } else {
        "Runtime.ExitError"
    };
    Answer::InitError(
        json!({
            "errorType": kind,
            "errorMessage": format!("RequestId: {request_id} Error: Runtime exited with error: {text}"),
        })
        .to_string()
        .into_bytes(),
    )
}

/// AWS's `errorType` for a function over its memory.
const OUT_OF_MEMORY: &str = "Runtime.OutOfMemory";

fn is_out_of_memory(doc: &[u8]) -> bool {
    serde_json::from_slice::<Value>(doc).is_ok_and(|d| d["errorType"] == OUT_OF_MEMORY)
}

/// Go's names for the signals a runtime commonly dies of (AWS's messages
/// come from its Go init process).
fn signal_name(n: i32) -> String {
    match n {
        6 => "aborted".into(),
        11 => "segmentation fault".into(),
        15 => "terminated".into(),
        n => format!("signal {n}"),
    }
}

/// The event of an `Invoke`-like input (`Payload`, base64 in the value;
/// `{}` when empty): JSON, at most `limit` bytes.
pub(crate) fn event_payload(input: &Value, limit: usize) -> Result<Vec<u8>, AwsError> {
    let payload = match input.get("Payload").and_then(Value::as_str) {
        Some(b64) => base64::engine::general_purpose::STANDARD
            .decode(b64)
            .unwrap_or_default(),
        None => Vec::new(),
    };
    let payload = if payload.is_empty() {
        b"{}".to_vec()
    } else {
        payload
    };
    if payload.len() > limit {
        return Err(LambdaError::RequestTooLarge {
            message: format!(
                "Request must be smaller than {limit} bytes for the InvokeFunction operation"
            ),
        }
        .into());
    }
    if serde_json::from_slice::<Value>(&payload).is_err() {
        return Err(LambdaError::InvalidRequestContent {
            message: "Could not parse request body into json: Could not parse payload into json: Unexpected character: was expecting a JSON value".into(),
        }
        .into());
    }
    Ok(payload)
}

/// The last 4 KB of `log`, base64.
pub(crate) fn tail_of(log: &[String]) -> String {
    let mut text = log.join("\n");
    text.push('\n');
    let bytes = text.as_bytes();
    let start = bytes.len().saturating_sub(TAIL_BYTES);
    base64::engine::general_purpose::STANDARD.encode(&bytes[start..])
}

#[cfg(test)]
mod tests {
    use super::search_paths;
    use std::path::Path;

    fn get<'a>(paths: &'a [(String, String)], name: &str) -> &'a str {
        paths
            .iter()
            .find(|(k, _)| k == name)
            .map_or("", |(_, v)| v.as_str())
    }

    #[test]
    fn layer_search_paths_are_in_the_order_aws_gives_its_runtimes() {
        let paths = search_paths("python3.12", "/task", Some(Path::new("/o")));
        assert_eq!(
            get(&paths, "PYTHONPATH"),
            "/task:/o/python/lib/python3.12/site-packages:/o/python"
        );
        assert!(get(&paths, "PATH").ends_with(":/o/bin"));
        assert_eq!(get(&paths, "LD_LIBRARY_PATH"), "/task:/task/lib:/o/lib");
        let node = search_paths("nodejs20.x", "/task", Some(Path::new("/o")));
        assert_eq!(
            get(&node, "NODE_PATH"),
            "/o/nodejs/node20/node_modules:/o/nodejs/node_modules:/task/node_modules:/task"
        );
    }

    #[test]
    fn without_layers_path_is_left_alone() {
        let paths = search_paths("python3.12", "/task", None);
        assert_eq!(get(&paths, "PYTHONPATH"), "/task");
        assert!(paths.iter().all(|(k, _)| k != "PATH"));
    }
}
