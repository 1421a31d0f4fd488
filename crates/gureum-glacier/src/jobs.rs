//! Retrieval and inventory jobs: initiated in progress, completed after
//! their tier's delay on Gureum's clock (by the ticker or the first read
//! after it), then their output served with ranges and their completion
//! announced to SNS.

use crate::archives::{archive_key, new_id};
use crate::vaults::{self, children, name_of, page_request};
use crate::{GlacierError, GlacierService, Job};
use gureum_core::timestamp::{format_iso8601, format_iso8601_seconds, parse_iso8601};
use gureum_core::{AwsError, OpResult, Reply, RequestContext, ResponseBody, Scope, Value};
use gureum_kit::paging;
use serde_json::json;

const MIB: u64 = 1024 * 1024;

/// The table of jobs not yet completed: job key → due time, so the
/// ticker reads only those.
const PENDING: &str = "glacier.pending_jobs";

/// How long a tier takes, in ms of Gureum's clock: the upper end of the
/// ranges AWS documents (Expedited 1–5 minutes, Standard 3–5 hours, Bulk
/// 5–12 hours), so a job is never ready sooner than AWS promises.
/// Inventory jobs take the Standard time.
pub fn tier_delay_ms(tier: &str) -> i64 {
    match tier {
        "Expedited" => 5 * 60_000,
        "Bulk" => 12 * 3_600_000,
        _ => 5 * 3_600_000,
    }
}

fn invalid(message: String) -> AwsError {
    GlacierError::InvalidParameter { message }.into()
}

fn job_key(scope: &Scope<'_>, vault: &str, id: &str) -> String {
    scope.key(&format!("{vault}/{id}"))
}

/// `FIRST-LAST` of a retrieval, checked against the archive's size: both
/// ends megabyte-aligned (the last may end the archive).
fn retrieval_range(given: Option<&str>, size: u64) -> Result<Option<(u64, u64)>, AwsError> {
    let Some(given) = given else { return Ok(None) };
    let bad = || invalid(format!("Invalid retrieval byte range: {given}"));
    let (a, b) = given.split_once('-').ok_or_else(bad)?;
    let (a, b): (u64, u64) = (a.parse().map_err(|_| bad())?, b.parse().map_err(|_| bad())?);
    if a > b || b >= size || a % MIB != 0 || ((b + 1) % MIB != 0 && b + 1 != size) {
        return Err(bad());
    }
    Ok(Some((a, b)))
}

/// `InitiateJob`: `archive-retrieval` or `inventory-retrieval`.
pub(crate) fn initiate_job(svc: &GlacierService, ctx: &RequestContext, input: &Value) -> OpResult {
    let scope = Scope::regional(ctx);
    let name = name_of(input);
    vaults::load(svc, &scope, name)?;
    let params = &input["jobParameters"];
    let kind = params["Type"].as_str().unwrap_or_default();
    let tier = params["Tier"].as_str().unwrap_or("Standard");
    if !matches!(tier, "Expedited" | "Standard" | "Bulk") {
        return Err(invalid(format!("Invalid tier: {tier}")));
    }
    let now = ctx.clock.now_millis();
    let mut job = Job {
        id: new_id(92),
        action: String::new(),
        archive: None,
        description: params["Description"].as_str().map(String::from),
        sns_topic: params["SNSTopic"].as_str().map(String::from),
        tier: tier.to_string(),
        format: "JSON".into(),
        range: None,
        created_ms: now,
        due_ms: now + tier_delay_ms(tier),
        completed_ms: None,
        inventory: None,
    };
    match kind {
        "archive-retrieval" => {
            let id = params["ArchiveId"].as_str().unwrap_or_default();
            let archive = svc
                .archives
                .get(&archive_key(&scope, name, id))?
                .ok_or_else(|| GlacierError::ArchiveNotFound { id: id.to_string() })?;
            job.range = retrieval_range(params["RetrievalByteRange"].as_str(), archive.size)?;
            job.action = "ArchiveRetrieval".into();
            svc.blobs.hold_for_job(&archive.id, &job.id)?;
            job.archive = Some(archive);
        }
        "inventory-retrieval" => {
            let format = params["Format"].as_str().unwrap_or("JSON");
            if !matches!(format, "JSON" | "CSV") {
                return Err(invalid(format!("Invalid format: {format}")));
            }
            job.format = format.into();
            job.action = "InventoryRetrieval".into();
            job.due_ms = now + tier_delay_ms("Standard");
            // The inventory's date filters, kept for completion.
            job.inventory = Some(params["InventoryRetrievalParameters"].to_string());
        }
        "select" => return Err(AwsError::not_implemented("glacier", "InitiateJob (select)")),
        other => return Err(invalid(format!("Invalid job type: {other}"))),
    }
    let key = job_key(&scope, name, &job.id);
    let pending = svc.store.table::<i64>(PENDING);
    svc.store.write(|txn| -> Result<(), AwsError> {
        txn.put(&svc.jobs, &key, &job)?;
        txn.put(&pending, &key, &job.due_ms)?;
        Ok(())
    })?;
    Ok(json!({
        "location": format!("/{}/vaults/{name}/jobs/{}", scope.account(), job.id),
        "jobId": job.id,
    }))
}

/// The inventory of the vault at `vault_prefix`, in the job's format,
/// filtered by the job's `StartDate`/`EndDate`.
fn inventory(
    txn: &gureum_store::WriteTxn,
    svc: &GlacierService,
    vault_prefix: &str,
    vault_arn: &str,
    job: &Job,
    now: i64,
) -> Result<String, AwsError> {
    let filters: Value = job
        .inventory
        .as_deref()
        .and_then(|s| serde_json::from_str(s).ok())
        .unwrap_or(Value::Null);
    let start = filters["StartDate"].as_str().and_then(parse_iso8601);
    let end = filters["EndDate"].as_str().and_then(parse_iso8601);
    let archives: Vec<_> = txn
        .scan_prefix(&svc.archives, vault_prefix)?
        .into_iter()
        .map(|(_, a)| a)
        .filter(|a| start.is_none_or(|s| a.created_ms >= s) && end.is_none_or(|e| a.created_ms < e))
        .collect();
    if job.format == "CSV" {
        let mut out =
            String::from("ArchiveId,ArchiveDescription,CreationDate,Size,SHA256TreeHash\n");
        for a in &archives {
            out.push_str(&format!(
                "{},\"{}\",{},{},{}\n",
                a.id,
                a.description.replace('"', "\"\""),
                format_iso8601(a.created_ms),
                a.size,
                a.tree_hash
            ));
        }
        return Ok(out);
    }
    let list: Vec<Value> = archives
        .iter()
        .map(|a| {
            json!({
                "ArchiveId": a.id,
                "ArchiveDescription": a.description,
                "CreationDate": format_iso8601(a.created_ms),
                "Size": a.size,
                "SHA256TreeHash": a.tree_hash,
            })
        })
        .collect();
    Ok(json!({
        "VaultARN": vault_arn,
        "InventoryDate": format_iso8601_seconds(now),
        "ArchiveList": list,
    })
    .to_string())
}

/// Completes the job at `key` if it is due; answers the job and whether
/// this call completed it (and so must announce it).
fn settle(svc: &GlacierService, key: &str, now: i64) -> Result<Option<(Job, bool)>, AwsError> {
    let pending = svc.store.table::<i64>(PENDING);
    svc.store.write(|txn| {
        let Some(mut job) = txn.get(&svc.jobs, key)? else {
            txn.delete(&pending, key)?;
            return Ok(None);
        };
        if job.completed_ms.is_some() || now < job.due_ms {
            return Ok(Some((job, false)));
        }
        // key = account/region/vault/job
        let mut parts = key.splitn(4, '/');
        let (account, region, vault) = (
            parts.next().unwrap_or_default(),
            parts.next().unwrap_or_default(),
            parts.next().unwrap_or_default(),
        );
        let vault_key = format!("{account}/{region}/{vault}");
        let vault_arn = format!("arn:aws:glacier:{region}:{account}:vaults/{vault}");
        if job.action == "InventoryRetrieval" {
            job.inventory = Some(inventory(
                txn,
                svc,
                &format!("{vault_key}/"),
                &vault_arn,
                &job,
                now,
            )?);
            if let Some(mut v) = txn.get(&svc.vaults, &vault_key)? {
                v.last_inventory_ms = Some(now);
                txn.put(&svc.vaults, &vault_key, &v)?;
            }
        }
        job.completed_ms = Some(job.due_ms);
        txn.put(&svc.jobs, key, &job)?;
        txn.delete(&pending, key)?;
        Ok(Some((job, true)))
    })
}

/// Announces a completed job to its own topic and to the vault's, when
/// the vault's configuration names the job's event.
fn announce(svc: &GlacierService, key: &str, job: &Job) {
    let Some(notifier) = svc.notifier.get() else {
        return;
    };
    let mut parts = key.splitn(4, '/');
    let (account, region, vault) = (
        parts.next().unwrap_or_default(),
        parts.next().unwrap_or_default(),
        parts.next().unwrap_or_default(),
    );
    let vault_arn = format!("arn:aws:glacier:{region}:{account}:vaults/{vault}");
    let event = format!("{}Completed", job.action);
    let mut topics: Vec<String> = job.sns_topic.iter().cloned().collect();
    if let Ok(Some(v)) = svc.vaults.get(&format!("{account}/{region}/{vault}")) {
        if let Some((topic, events)) = v.notifications {
            if events.contains(&event) && !topics.contains(&topic) {
                topics.push(topic);
            }
        }
    }
    let message = describe(&vault_arn, job).to_string();
    for topic in topics {
        if let Err(e) = notifier.notify(account, &vault_arn, &topic, &message) {
            tracing::warn!(target: "gureum", "glacier job notification to {topic}: {e}");
        }
    }
}

/// Completes every job due at `now` (the ticker's pass).
pub(crate) fn complete_due(svc: &GlacierService, now: i64) {
    let pending = svc.store.table::<i64>(PENDING);
    let Ok(due) = pending.scan_prefix("") else {
        return;
    };
    for (key, due_ms) in due {
        if due_ms > now {
            continue;
        }
        match settle(svc, &key, now) {
            Ok(Some((job, true))) => announce(svc, &key, &job),
            Ok(_) => {}
            Err(e) => tracing::warn!(target: "gureum", "glacier job {key}: {}", e.message),
        }
    }
}

/// The job named in `input`, settled at the request's time.
fn load(
    svc: &GlacierService,
    ctx: &RequestContext,
    input: &Value,
) -> Result<(Job, String), AwsError> {
    let scope = Scope::regional(ctx);
    let name = name_of(input);
    vaults::load(svc, &scope, name)?;
    let id = input["jobId"].as_str().unwrap_or_default();
    let key = job_key(&scope, name, id);
    match settle(svc, &key, ctx.clock.now_millis())? {
        Some((job, fresh)) => {
            if fresh {
                announce(svc, &key, &job);
            }
            Ok((job, vaults::arn(&scope, name)))
        }
        None => Err(GlacierError::JobNotFound { id: id.to_string() }.into()),
    }
}

/// The tree hash of a retrieved range, when AWS gives one: the whole
/// archive, or a range aligned to a tree hash subtree.
fn range_hash(job: &Job) -> Option<String> {
    let archive = job.archive.as_ref()?;
    match job.range {
        None => Some(archive.tree_hash.clone()),
        Some((0, b)) if b + 1 == archive.size => Some(archive.tree_hash.clone()),
        Some(_) => None,
    }
}

/// A job as `DescribeJob`, `ListJobs` and the SNS notice show it.
fn describe(vault_arn: &str, job: &Job) -> Value {
    let completed = job.completed_ms.is_some();
    let mut out = json!({
        "JobId": job.id,
        "Action": job.action,
        "VaultARN": vault_arn,
        "CreationDate": format_iso8601(job.created_ms),
        "Completed": completed,
        "StatusCode": if completed { "Succeeded" } else { "InProgress" },
    });
    if let Some(d) = &job.description {
        out["JobDescription"] = json!(d);
    }
    if let Some(t) = &job.sns_topic {
        out["SNSTopic"] = json!(t);
    }
    if let Some(ms) = job.completed_ms {
        out["CompletionDate"] = json!(format_iso8601(ms));
        out["StatusMessage"] = json!("Succeeded");
    }
    match &job.archive {
        Some(a) => {
            let (first, last) = job.range.unwrap_or((0, a.size.saturating_sub(1)));
            out["ArchiveId"] = json!(a.id);
            out["ArchiveSizeInBytes"] = json!(a.size);
            out["ArchiveSHA256TreeHash"] = json!(a.tree_hash);
            out["RetrievalByteRange"] = json!(format!("{first}-{last}"));
            out["Tier"] = json!(job.tier);
            if let Some(h) = range_hash(job) {
                out["SHA256TreeHash"] = json!(h);
            }
        }
        None => {
            if completed {
                let size = job.inventory.as_ref().map_or(0, String::len);
                out["InventorySizeInBytes"] = json!(size);
            }
            out["InventoryRetrievalParameters"] = json!({ "Format": job.format });
        }
    }
    out
}

/// `DescribeJob`.
pub(crate) fn describe_job(svc: &GlacierService, ctx: &RequestContext, input: &Value) -> OpResult {
    let (job, arn) = load(svc, ctx, input)?;
    Ok(describe(&arn, &job))
}

/// `ListJobs`: filtered by `statuscode` and `completed`, 50 a page unless
/// `limit` says (up to 1,000).
pub(crate) fn list_jobs(svc: &GlacierService, ctx: &RequestContext, input: &Value) -> OpResult {
    let scope = Scope::regional(ctx);
    let name = name_of(input);
    vaults::load(svc, &scope, name)?;
    let prefix = children(&scope, name);
    let now = ctx.clock.now_millis();
    for (key, job) in svc.jobs.scan_prefix(&prefix)? {
        if job.completed_ms.is_none() && job.due_ms <= now {
            if let Some((job, true)) = settle(svc, &key, now)? {
                announce(svc, &key, &job);
            }
        }
    }
    let status = input["statuscode"].as_str();
    let completed = input["completed"].as_str();
    if let Some(s) = status.filter(|s| !matches!(*s, "InProgress" | "Succeeded" | "Failed")) {
        return Err(invalid(format!("Invalid status code: {s}")));
    }
    let request = page_request(input, 1000, 50)?;
    let arn = vaults::arn(&scope, name);
    let page = paging::page(&svc.jobs, &prefix, &request, |_, job| {
        let d = describe(&arn, &job);
        let keep = status.is_none_or(|s| d["StatusCode"] == s)
            && completed.is_none_or(|c| d["Completed"].as_bool() == Some(c == "true"));
        keep.then_some(d)
    })?;
    let mut out = json!({ "JobList": page.items });
    if let Some(token) = page.next_token {
        out["Marker"] = json!(token);
    }
    Ok(out)
}

/// `bytes=FIRST-LAST` (or `FIRST-`) within `len` bytes.
fn parse_range(header: &str, len: u64) -> Option<(u64, u64)> {
    let spec = header.trim().strip_prefix("bytes=")?;
    let (a, b) = spec.split_once('-')?;
    let a: u64 = a.trim().parse().ok()?;
    let b: u64 = if b.trim().is_empty() {
        len.checked_sub(1)?
    } else {
        b.trim().parse().ok()?
    };
    (a <= b && b < len).then_some((a, b.min(len - 1)))
}

/// `GetJobOutput`: the retrieved bytes or the inventory, whole or the
/// asked range (206 then).
pub(crate) fn get_job_output(
    svc: &GlacierService,
    ctx: &RequestContext,
    input: &Value,
) -> Result<Reply, AwsError> {
    let (job, _) = load(svc, ctx, input)?;
    if job.completed_ms.is_none() {
        return Err(GlacierError::JobNotReady { id: job.id }.into());
    }
    let (len, content_type) = match &job.archive {
        Some(a) => {
            let (first, last) = job.range.unwrap_or((0, a.size.saturating_sub(1)));
            (
                if a.size == 0 { 0 } else { last - first + 1 },
                "application/octet-stream",
            )
        }
        None => (
            job.inventory.as_ref().map_or(0, |s| s.len() as u64),
            if job.format == "CSV" {
                "text/csv"
            } else {
                "application/json"
            },
        ),
    };
    let asked = match input["range"].as_str() {
        Some(h) => Some(parse_range(h, len).ok_or_else(|| invalid(format!("Invalid range: {h}")))?),
        None => None,
    };
    let (from, to) = asked.unwrap_or((0, len.saturating_sub(1)));
    let base = job.range.map_or(0, |r| r.0);
    let body = match &job.archive {
        Some(_) if len == 0 => ResponseBody::Bytes(Default::default()),
        Some(_) => svc.blobs.stream_range(&job.id, base + from, base + to)?,
        None => ResponseBody::Bytes(
            job.inventory
                .as_deref()
                .unwrap_or_default()
                .as_bytes()
                .get(from as usize..(to + 1).min(len) as usize)
                .unwrap_or_default()
                .to_vec()
                .into(),
        ),
    };
    let mut output = json!({ "contentType": content_type, "acceptRanges": "bytes" });
    if let Some(a) = &job.archive {
        if !a.description.is_empty() {
            output["archiveDescription"] = json!(a.description);
        }
        let hash = if asked.is_none() {
            range_hash(&job)
        } else {
            None
        };
        // A partial read is hashed when it covers whole megabytes (the
        // client checks what it got).
        let aligned =
            asked.is_some() && len > 0 && from % MIB == 0 && ((to + 1) % MIB == 0 || to + 1 == len);
        let hash = match hash {
            Some(h) => Some(h),
            None if aligned => Some(svc.blobs.hash_range(&job.id, base + from, base + to)?),
            None => None,
        };
        if let Some(h) = hash {
            output["checksum"] = json!(h);
        }
    }
    let status = if asked.is_some() {
        output["contentRange"] = json!(format!("bytes {from}-{to}/{len}"));
        Some(206)
    } else {
        None
    };
    Ok(Reply {
        output,
        body: Some(body),
        status,
    })
}
