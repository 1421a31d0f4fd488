//! Exports to S3: `CreateExportTask`, `DescribeExportTasks`,
//! `CancelExportTask`, and the job that runs them on Gureum's clock.
//!
//! Creating a task checks what AWS checks before answering: the group
//! exists, the account has no other active (`PENDING` or `RUNNING`) task,
//! the bucket exists in the region, its policy lets CloudWatch Logs'
//! service principal (`logs.amazonaws.com` or `logs.<region>.amazonaws.com`)
//! `s3:GetBucketAcl` on the bucket and `s3:PutObject` under it, and the
//! `aws-logs-write-test` object AWS writes first can be written. The task
//! is then `PENDING`; the next tick makes it `RUNNING`, the one after
//! writes one gzipped object per stream at
//! `<prefix>/<taskId>/<stream>/000000.gz` (lines `<ISO-8601 time> <message>`,
//! as AWS's exports read) and marks it `COMPLETED`.
//!
//! S3 is reached through the [`ExportBuckets`] seam the server wires to
//! S3's own operations; tasks are kept in `logs.export_tasks` keyed
//! `account/region/taskId`.

use crate::errors::{invalid, LogsError};
use crate::LogsService;
use gureum_core::member::str_member;
use gureum_core::{AwsError, Clock, OpResult, RequestContext, Scope, Value};
use gureum_policy::ServiceCaller;
use serde_json::json;
use std::io::Write;
use std::ops::ControlFlow;

/// S3, as exports see it (the server's wiring reaches S3's operations).
pub trait ExportBuckets: Send + Sync {
    /// The region of `bucket`, `None` when it does not exist.
    fn region(&self, ctx: &RequestContext, bucket: &str) -> Result<Option<String>, AwsError>;
    /// The bucket policy document, `None` when it has none.
    fn policy(&self, ctx: &RequestContext, bucket: &str) -> Result<Option<String>, AwsError>;
    /// Writes `body` at `bucket`/`key` as the bucket's owner.
    fn put(
        &self,
        ctx: &RequestContext,
        bucket: &str,
        key: &str,
        body: Vec<u8>,
    ) -> Result<(), AwsError>;
}

/// A stored export task.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct ExportTask {
    /// The id.
    pub id: String,
    /// The name, when given.
    pub name: Option<String>,
    /// The group exported.
    pub group: String,
    /// Only streams whose names start with this.
    pub stream_prefix: Option<String>,
    /// First timestamp exported, epoch milliseconds.
    pub from: i64,
    /// Last timestamp exported, epoch milliseconds.
    pub to: i64,
    /// The bucket.
    pub destination: String,
    /// The key prefix.
    pub prefix: String,
    /// `PENDING`, `RUNNING`, `COMPLETED`, `CANCELLED` or `FAILED`.
    pub status: String,
    /// The status's message.
    pub message: String,
    /// When it was created, epoch milliseconds.
    pub created: i64,
    /// When it finished, epoch milliseconds.
    pub completed: Option<i64>,
}

impl ExportTask {
    fn active(&self) -> bool {
        matches!(self.status.as_str(), "PENDING" | "RUNNING")
    }

    fn describe(&self) -> Value {
        let mut v = json!({
            "taskId": self.id,
            "logGroupName": self.group,
            "from": self.from,
            "to": self.to,
            "destination": self.destination,
            "destinationPrefix": self.prefix,
            "status": {"code": self.status, "message": self.message},
            "executionInfo": {"creationTime": self.created},
        });
        if let Some(n) = &self.name {
            v["taskName"] = json!(n);
        }
        if let Some(c) = self.completed {
            v["executionInfo"]["completionTime"] = json!(c);
        }
        v
    }
}

/// The prefix AWS uses when none is given.
const DEFAULT_PREFIX: &str = "exportedlogs";
/// The object AWS writes first, to check it may write.
const WRITE_TEST: &str = "aws-logs-write-test";

fn bucket_refused(action: &str) -> AwsError {
    invalid(format!(
        "{action} call on the given bucket failed. Please check if CloudWatch Logs has been granted permission to perform this operation."
    ))
}

/// Whether the bucket policy lets CloudWatch Logs do `action` on `resource`
/// for `group_arn`.
fn logs_may(
    ctx: &RequestContext,
    policy: &str,
    action: &str,
    resource: &str,
    group_arn: &str,
) -> bool {
    let regional = format!("logs.{}.amazonaws.com", ctx.region);
    ["logs.amazonaws.com", regional.as_str()]
        .iter()
        .any(|service| {
            ServiceCaller {
                service,
                source_arn: group_arn,
                source_account: &ctx.account_id,
            }
            .allowed_by_text(
                policy,
                action,
                resource,
                &[("s3:x-amz-acl", "bucket-owner-full-control")],
            )
        })
}

pub(crate) fn create(svc: &LogsService, ctx: &RequestContext, input: &Value) -> OpResult {
    let group = str_member(input, "logGroupName").unwrap_or_default();
    let from = input.get("from").and_then(Value::as_i64).unwrap_or(0);
    let to = input.get("to").and_then(Value::as_i64).unwrap_or(0);
    let bucket = str_member(input, "destination").unwrap_or_default();
    let prefix = str_member(input, "destinationPrefix")
        .filter(|p| !p.is_empty())
        .unwrap_or(DEFAULT_PREFIX)
        .trim_end_matches('/')
        .to_string();
    if from < 0 || to < 0 {
        return Err(invalid(
            "The from and to times must be non-negative (Gureum's wording).",
        ));
    }
    if to < from {
        return Err(invalid(
            "The to time must be later than the from time (Gureum's wording).",
        ));
    }
    crate::load_group(svc, ctx, group)?;
    if active_in_account(svc, ctx)? {
        return Err(LogsError::LimitExceeded {
            message: "Resource limit exceeded.".into(),
        }
        .into());
    }
    let buckets = svc
        .export_buckets
        .get()
        .ok_or_else(|| AwsError::internal("S3 is not wired to CloudWatch Logs"))?;
    match buckets.region(ctx, bucket)? {
        None => {
            return Err(invalid(
                "The given bucket does not exist. Please make sure the bucket is valid.",
            ))
        }
        Some(r) if r != ctx.region => {
            return Err(invalid(
                "The given bucket is not in the same region as the log group (Gureum's wording).",
            ))
        }
        Some(_) => {}
    }
    let group_arn = crate::group_arn(ctx, group);
    let policy = buckets.policy(ctx, bucket)?.unwrap_or_default();
    if !logs_may(
        ctx,
        &policy,
        "s3:GetBucketAcl",
        &format!("arn:aws:s3:::{bucket}"),
        &group_arn,
    ) {
        return Err(bucket_refused("GetBucketAcl"));
    }
    let test_key = format!("{prefix}/{WRITE_TEST}");
    if !logs_may(
        ctx,
        &policy,
        "s3:PutObject",
        &format!("arn:aws:s3:::{bucket}/{test_key}"),
        &group_arn,
    ) {
        return Err(bucket_refused("PutObject"));
    }
    buckets.put(
        ctx,
        bucket,
        &test_key,
        b"Permission Check Successful".to_vec(),
    )?;
    let task = ExportTask {
        id: gureum_core::id::uuid_v4(),
        name: str_member(input, "taskName").map(str::to_string),
        group: group.to_string(),
        stream_prefix: str_member(input, "logStreamNamePrefix").map(str::to_string),
        from,
        to,
        destination: bucket.to_string(),
        prefix,
        status: "PENDING".into(),
        message: "Pending".into(),
        created: ctx.clock.now_millis(),
        completed: None,
    };
    let key = Scope::regional(ctx).key(&task.id);
    svc.store.write(|txn| {
        txn.put(&svc.export_tasks, &key, &task)?;
        Ok::<_, AwsError>(())
    })?;
    Ok(json!({ "taskId": task.id }))
}

fn active_in_account(svc: &LogsService, ctx: &RequestContext) -> Result<bool, AwsError> {
    let mut active = false;
    svc.export_tasks
        .visit_prefix(&Scope::global(ctx).prefix(), None, |_, t: ExportTask| {
            active = t.active();
            if active {
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            }
        })?;
    Ok(active)
}

pub(crate) fn describe(svc: &LogsService, ctx: &RequestContext, input: &Value) -> OpResult {
    let limit = input.get("limit").and_then(Value::as_i64).unwrap_or(50);
    if !(1..=50).contains(&limit) {
        return Err(AwsError::validation(format!(
            "1 validation error detected: Value '{limit}' at 'limit' failed to satisfy constraint: Member must have value less than or equal to 50"
        )));
    }
    let id = str_member(input, "taskId");
    let status = str_member(input, "statusCode");
    let after = str_member(input, "nextToken").unwrap_or_default();
    let scope = Scope::regional(ctx);
    let mut tasks = Vec::new();
    svc.export_tasks
        .visit_prefix(&scope.prefix(), None, |_, t: ExportTask| {
            if id.is_none_or(|i| i == t.id) && status.is_none_or(|s| s == t.status) {
                tasks.push(t);
            }
            ControlFlow::Continue(())
        })?;
    // Newest first, as the console lists them; the token is the last id.
    tasks.sort_by(|a, b| b.created.cmp(&a.created).then(a.id.cmp(&b.id)));
    let start = if after.is_empty() {
        0
    } else {
        tasks
            .iter()
            .position(|t| t.id == after)
            .map(|i| i + 1)
            .ok_or_else(|| invalid("The specified nextToken is invalid."))?
    };
    let page: Vec<&ExportTask> = tasks.iter().skip(start).take(limit as usize).collect();
    let mut out = json!({
        "exportTasks": page.iter().map(|t| t.describe()).collect::<Vec<_>>(),
    });
    if start + page.len() < tasks.len() {
        if let Some(last) = page.last() {
            out["nextToken"] = json!(last.id);
        }
    }
    Ok(out)
}

pub(crate) fn cancel(svc: &LogsService, ctx: &RequestContext, input: &Value) -> OpResult {
    let id = str_member(input, "taskId").unwrap_or_default();
    let key = Scope::regional(ctx).key(id);
    let now = ctx.clock.now_millis();
    svc.store.write(|txn| {
        let mut t = txn.get(&svc.export_tasks, &key)?.ok_or_else(|| {
            AwsError::from(LogsError::ExportTaskNotFound)
        })?;
        if !t.active() {
            return Err(LogsError::InvalidOperation {
                message: format!(
                    "The specified export task has already finished with status {} (Gureum's wording).",
                    t.status
                ),
            }
            .into());
        }
        t.status = "CANCELLED".into();
        t.message = "Cancelled by user".into();
        t.completed = Some(now);
        txn.put(&svc.export_tasks, &key, &t)?;
        Ok::<_, AwsError>(())
    })?;
    Ok(json!({}))
}

/// The gzipped export of one stream's events in `[from, to]`, `None` when
/// it has none.
fn stream_object(
    svc: &LogsService,
    ctx: &RequestContext,
    task: &ExportTask,
    stream: &str,
) -> Result<Option<Vec<u8>>, AwsError> {
    let prefix = format!("{}:", crate::streams::stream_key(ctx, &task.group, stream));
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    let mut any = false;
    let mut failed = None;
    crate::events::scan_stream(svc, &prefix, &format!("{:016}", task.from), |_, e| {
        if e.timestamp > task.to {
            return ControlFlow::Break(());
        }
        any = true;
        let line = format!(
            "{} {}\n",
            gureum_core::timestamp::format_iso8601(e.timestamp),
            e.shown(false)
        );
        if let Err(err) = gz.write_all(line.as_bytes()) {
            failed = Some(err);
            return ControlFlow::Break(());
        }
        ControlFlow::Continue(())
    })?;
    if let Some(e) = failed {
        return Err(AwsError::internal(format!("gzip: {e}")));
    }
    if !any {
        return Ok(None);
    }
    let bytes = gz
        .finish()
        .map_err(|e| AwsError::internal(format!("gzip: {e}")))?;
    Ok(Some(bytes))
}

/// Writes `task`'s objects.
fn export(svc: &LogsService, ctx: &RequestContext, task: &ExportTask) -> Result<(), AwsError> {
    let buckets = svc
        .export_buckets
        .get()
        .ok_or_else(|| AwsError::internal("S3 is not wired to CloudWatch Logs"))?;
    let mut streams = Vec::new();
    let scan = crate::streams::stream_key(
        ctx,
        &task.group,
        task.stream_prefix.as_deref().unwrap_or(""),
    );
    svc.streams
        .visit_prefix(&scan, None, |_, s: crate::LogStream| {
            streams.push(s.name);
            ControlFlow::Continue(())
        })?;
    for stream in streams {
        if let Some(body) = stream_object(svc, ctx, task, &stream)? {
            let key = format!("{}/{}/{stream}/000000.gz", task.prefix, task.id);
            buckets.put(ctx, &task.destination, &key, body)?;
        }
    }
    Ok(())
}

impl LogsService {
    /// Wires S3 for exports (the server does, once S3 is built).
    pub fn set_export_buckets(&self, buckets: std::sync::Arc<dyn ExportBuckets>) {
        let _ = self.export_buckets.set(buckets);
    }

    /// Advances export tasks on the ticker: `PENDING` ones start, `RUNNING`
    /// ones write their objects and complete (or fail with S3's reason).
    pub fn run_exports(&self, clock: &Clock) -> Result<(), AwsError> {
        let mut due = Vec::new();
        self.export_tasks
            .visit_prefix("", None, |k, t: ExportTask| {
                if t.active() {
                    due.push((k.to_string(), t));
                }
                ControlFlow::Continue(())
            })?;
        for (key, mut task) in due {
            let mut parts = key.splitn(3, '/');
            let (Some(account), Some(region)) = (parts.next(), parts.next()) else {
                continue;
            };
            let ctx = RequestContext::root(account, region, clock.clone());
            if task.status == "PENDING" {
                task.status = "RUNNING".into();
                task.message = "Started".into();
            } else {
                match export(self, &ctx, &task) {
                    Ok(()) => {
                        task.status = "COMPLETED".into();
                        task.message = "Completed successfully".into();
                    }
                    Err(e) => {
                        task.status = "FAILED".into();
                        task.message = e.message;
                    }
                }
                task.completed = Some(clock.now_millis());
            }
            // A cancel that landed meanwhile wins.
            self.store.write(|txn| {
                if txn
                    .get(&self.export_tasks, &key)?
                    .is_some_and(|t| t.active())
                {
                    txn.put(&self.export_tasks, &key, &task)?;
                }
                Ok::<_, AwsError>(())
            })?;
        }
        Ok(())
    }
}
