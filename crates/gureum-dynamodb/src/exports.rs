//! `ExportTableToPointInTime`, `DescribeExport`, `ListExports`: a full
//! export in `DYNAMODB_JSON`, laid out as AWS lays it out under
//! `<S3Prefix>/AWSDynamoDB/<export id>/`: `data/<name>.json.gz` (one
//! `{"Item": …}` per line, gzip), `manifest-files.json` (one line per data
//! file: item count, MD5, ETag, key), `manifest-summary.json`, and an
//! `.md5` beside each manifest. The items are the table's as they were at
//! `ExportTime` (point-in-time recovery's log undoes later changes), so
//! the export needs recovery on, as on AWS.

use crate::errors::{validation, DynamoError};
use crate::transfers::{job_id, public, secs};
use crate::DynamoDbService;
use base64::Engine;
use gureum_core::{AwsError, OpResult, RequestContext, Scope, Value};
use md5::{Digest, Md5};
use serde_json::json;
use std::io::Write;

fn s<'a>(v: &'a Value, k: &str) -> Option<&'a str> {
    v.get(k).and_then(Value::as_str)
}

/// gzip of `bytes`.
pub(crate) fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    // Writing into a Vec cannot fail.
    let _ = e.write_all(bytes);
    e.finish().unwrap_or_default()
}

/// MD5 of `bytes`: base64 (manifests) and hex (ETags).
fn md5s(bytes: &[u8]) -> (String, String) {
    let d = Md5::digest(bytes);
    (
        base64::engine::general_purpose::STANDARD.encode(d),
        gureum_core::hex::encode(&d),
    )
}

impl DynamoDbService {
    /// `ExportTableToPointInTime`.
    pub(crate) fn export_table_to_point_in_time(
        &self,
        ctx: &RequestContext,
        input: Value,
    ) -> OpResult {
        if let Some(d) = self.job_for_token(ctx, "export", &input)? {
            return Ok(json!({ "ExportDescription": d }));
        }
        let arn = s(&input, "TableArn").unwrap_or_default();
        let (tkey, meta) = self.backup_table(ctx, arn)?;
        if s(&input, "ExportFormat").is_some_and(|f| f != "DYNAMODB_JSON") {
            return Err(validation(
                "Only the DYNAMODB_JSON export format is supported by Gureum",
            ));
        }
        if s(&input, "ExportType") == Some("INCREMENTAL_EXPORT") {
            return Err(validation(
                "Incremental exports are not supported by Gureum",
            ));
        }
        let Some(p) = &meta.pitr else {
            return Err(DynamoError::PitrUnavailable {
                name: meta.name.clone(),
            }
            .into());
        };
        let now = ctx.clock.now_millis();
        let at = match input.get("ExportTime").and_then(Value::as_f64) {
            Some(t) => (t * 1000.0).round() as i64,
            None => now,
        };
        let earliest = p.enabled_ms.max(now - p.days * 24 * 60 * 60 * 1000);
        if at < earliest || at > now {
            return Err(DynamoError::InvalidExportTime.into());
        }
        let id = job_id(now);
        let bucket = s(&input, "S3Bucket").unwrap_or_default();
        let mut record = json!({
            "ExportArn": format!("{}/export/{id}", meta.arn),
            "ExportStatus": "IN_PROGRESS",
            "StartTime": secs(now),
            "TableArn": meta.arn,
            "TableId": meta.id,
            "ExportTime": secs(at),
            "S3Bucket": bucket,
            "S3SseAlgorithm": s(&input, "S3SseAlgorithm").unwrap_or("AES256"),
            "ExportFormat": "DYNAMODB_JSON",
            "ExportType": "FULL_EXPORT",
            "_tkey": tkey,
            "_at": at,
            "_id": id,
        });
        for m in ["ClientToken", "S3BucketOwner", "S3Prefix", "S3SseKmsKeyId"] {
            if let Some(v) = s(&input, m) {
                record[m] = json!(v);
            }
        }
        self.queue_job(ctx, "export", &id, &record)?;
        self.remember_token(ctx, "export", &input, &id)?;
        Ok(json!({"ExportDescription": public(&record)}))
    }

    /// Writes an export's files (the ticker's pass); `Err` is AWS's
    /// failure code and message.
    pub(crate) fn run_export(
        &self,
        ctx: &RequestContext,
        record: &mut Value,
    ) -> Result<(), (String, String)> {
        let internal = |e: AwsError| ("UNKNOWN".to_string(), e.message);
        let Some(objects) = self.objects.get() else {
            return Err(("UNKNOWN".into(), "S3 is not available".into()));
        };
        let tkey = s(record, "_tkey").unwrap_or_default().to_string();
        let at = record.get("_at").and_then(Value::as_i64).unwrap_or(0);
        let id = s(record, "_id").unwrap_or_default().to_string();
        let bucket = s(record, "S3Bucket").unwrap_or_default().to_string();
        let items = self
            .s
            .store
            .write(|txn| self.items_at(txn, &tkey, at))
            .map_err(internal)?;
        let mut lines = Vec::new();
        for v in items.values() {
            lines.extend_from_slice(json!({"Item": v}).to_string().as_bytes());
            lines.push(b'\n');
        }
        let base = match s(record, "S3Prefix") {
            Some(p) if !p.is_empty() => format!("{}/AWSDynamoDB/{id}", p.trim_end_matches('/')),
            _ => format!("AWSDynamoDB/{id}"),
        };
        let data = gzip(&lines);
        let (data_b64, data_hex) = md5s(&data);
        let data_key = format!("{base}/data/{}.json.gz", gureum_core::id::hex(26));
        let put = |key: &str, body: Vec<u8>| {
            objects.put(ctx, &bucket, key, body).map_err(|e| {
                let code = if e.code == "NoSuchBucket" {
                    "S3NoSuchBucket"
                } else {
                    "S3AccessDenied"
                };
                (code.to_string(), e.message)
            })
        };
        put(&data_key, data)?;
        let files = format!(
            "{}\n",
            json!({"itemCount": items.len(), "md5Checksum": data_b64, "etag": data_hex, "dataFileS3Key": data_key})
        );
        let files_key = format!("{base}/manifest-files.json");
        let (files_md5, _) = md5s(files.as_bytes());
        put(&files_key, files.into_bytes())?;
        put(
            &format!("{base}/manifest-files.md5"),
            files_md5.into_bytes(),
        )?;
        let now = ctx.clock.now_millis();
        let iso = |ms: i64| gureum_core::timestamp::format_iso8601(ms);
        let summary = json!({
            "version": "2020-06-30",
            "exportArn": record["ExportArn"],
            "startTime": iso((record["StartTime"].as_f64().unwrap_or(0.0) * 1000.0) as i64),
            "endTime": iso(now),
            "tableArn": record["TableArn"],
            "tableId": record["TableId"],
            "exportTime": iso(at),
            "s3Bucket": bucket,
            "s3Prefix": record.get("S3Prefix").cloned().unwrap_or(Value::Null),
            "s3SseAlgorithm": record["S3SseAlgorithm"],
            "s3SseKmsKeyId": record.get("S3SseKmsKeyId").cloned().unwrap_or(Value::Null),
            "manifestFilesS3Key": files_key,
            "billedSizeBytes": lines.len(),
            "itemCount": items.len(),
            "outputFormat": "DYNAMODB_JSON",
            "exportType": "FULL_EXPORT",
        })
        .to_string();
        let summary_key = format!("{base}/manifest-summary.json");
        let (summary_md5, _) = md5s(summary.as_bytes());
        put(&summary_key, summary.into_bytes())?;
        put(
            &format!("{base}/manifest-summary.md5"),
            summary_md5.into_bytes(),
        )?;
        record["ExportManifest"] = json!(summary_key);
        record["ItemCount"] = json!(items.len());
        record["BilledSizeBytes"] = json!(lines.len());
        Ok(())
    }

    /// `DescribeExport`.
    pub(crate) fn describe_export(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let arn = s(&input, "ExportArn").unwrap_or_default();
        let not_found = || DynamoError::ExportNotFound {
            arn: arn.to_string(),
        };
        let id = arn
            .rsplit_once("/export/")
            .map(|(_, id)| id)
            .ok_or_else(not_found)?;
        match self.s.exports.get(&Scope::regional(ctx).key(id))? {
            Some(r) if r["ExportArn"] == json!(arn) => Ok(json!({"ExportDescription": public(&r)})),
            _ => Err(not_found().into()),
        }
    }

    /// `ListExports`: oldest first, by table, `MaxResults` (1–25).
    pub(crate) fn list_exports(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let table = s(&input, "TableArn").map(str::to_string);
        let size = input
            .get("MaxResults")
            .and_then(Value::as_u64)
            .unwrap_or(25) as usize;
        let (page, next) = self.job_page(ctx, true, size.max(1), s(&input, "NextToken"), |r| {
            table.as_ref().is_none_or(|t| r["TableArn"] == json!(t))
        })?;
        let summaries: Vec<Value> = page
            .iter()
            .map(|r| {
                json!({"ExportArn": r["ExportArn"], "ExportStatus": r["ExportStatus"], "ExportType": r["ExportType"]})
            })
            .collect();
        let mut out = json!({"ExportSummaries": summaries});
        if let Some(n) = next {
            out["NextToken"] = json!(n);
        }
        Ok(out)
    }
}
