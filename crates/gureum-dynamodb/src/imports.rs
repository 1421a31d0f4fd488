//! `ImportTable`, `DescribeImport`, `ListImports`: a new table made from
//! every object under an S3 prefix, in `DYNAMODB_JSON` (one `{"Item": …}`
//! per line, what exports write) or `CSV` (a header row, or
//! `HeaderList`; key attributes typed by their definitions, the others
//! strings, as AWS reads CSV), uncompressed or gzip. The table is created
//! by the call itself (CreateTable's checks and errors); the ticker then
//! writes the items through the item write path. A line that is not an
//! item of the table is counted in `ErrorCount` and skipped, as AWS does.

use crate::errors::{validation, DynamoError};
use crate::storage::{self, item_key};
use crate::transfers::{job_id, public, secs};
use crate::value::{item_from_json, AttrValue, Item};
use crate::DynamoDbService;
use gureum_core::{AwsError, OpResult, RequestContext, Scope, Value};
use serde_json::json;
use std::io::Read;

fn s<'a>(v: &'a Value, k: &str) -> Option<&'a str> {
    v.get(k).and_then(Value::as_str)
}

/// Most bytes one imported object may inflate to here.
const MAX_OBJECT: u64 = 1 << 30;

/// Splits one CSV line on `delim`, with RFC 4180 quotes.
fn csv_fields(line: &str, delim: char) -> Vec<String> {
    let mut out = vec![];
    let mut cur = String::new();
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                cur.push('"');
                chars.next();
            }
            ('"', true) => quoted = false,
            ('"', false) if cur.is_empty() => quoted = true,
            (c, false) if c == delim => out.push(std::mem::take(&mut cur)),
            (c, _) => cur.push(c),
        }
    }
    out.push(cur);
    out
}

impl DynamoDbService {
    /// `ImportTable`.
    pub(crate) fn import_table(&self, ctx: &RequestContext, input: Value) -> OpResult {
        if let Some(d) = self.job_for_token(ctx, "import", &input)? {
            return Ok(json!({ "ImportTableDescription": d }));
        }
        let format = s(&input, "InputFormat").unwrap_or_default();
        if format == "ION" {
            return Err(validation(
                "The ION input format is not supported by Gureum",
            ));
        }
        if s(&input, "InputCompressionType") == Some("ZSTD") {
            return Err(validation(
                "ZSTD input compression is not supported by Gureum",
            ));
        }
        let params = input
            .get("TableCreationParameters")
            .cloned()
            .unwrap_or_default();
        let created = self.create_table(ctx, params.clone())?;
        let table = &created["TableDescription"];
        let now = ctx.clock.now_millis();
        let id = job_id(now);
        let table_arn = table["TableArn"].as_str().unwrap_or_default().to_string();
        let mut record = json!({
            "ImportArn": format!("{table_arn}/import/{id}"),
            "ImportStatus": "IN_PROGRESS",
            "TableArn": table_arn,
            "TableId": table["TableId"],
            "S3BucketSource": input.get("S3BucketSource").cloned().unwrap_or_default(),
            "ErrorCount": 0,
            "CloudWatchLogGroupArn": format!(
                "arn:aws:logs:{}:{}:log-group:/aws-dynamodb/imports:*",
                ctx.region, ctx.account_id
            ),
            "InputFormat": format,
            "InputCompressionType": s(&input, "InputCompressionType").unwrap_or("NONE"),
            "TableCreationParameters": params,
            "StartTime": secs(now),
            "ProcessedSizeBytes": 0,
            "ProcessedItemCount": 0,
            "ImportedItemCount": 0,
            "_id": id,
        });
        for m in ["ClientToken", "InputFormatOptions"] {
            if let Some(v) = input.get(m) {
                record[m] = v.clone();
            }
        }
        self.queue_job(ctx, "import", &id, &record)?;
        self.remember_token(ctx, "import", &input, &id)?;
        Ok(json!({"ImportTableDescription": public(&record)}))
    }

    /// Reads the source objects and writes their items (the ticker's
    /// pass); `Err` is AWS's failure code and message.
    pub(crate) fn run_import(
        &self,
        ctx: &RequestContext,
        record: &mut Value,
    ) -> Result<(), (String, String)> {
        let Some(objects) = self.objects.get() else {
            return Err(("UNKNOWN".into(), "S3 is not available".into()));
        };
        let src = record["S3BucketSource"].clone();
        let bucket = s(&src, "S3Bucket").unwrap_or_default();
        let prefix = s(&src, "S3KeyPrefix").unwrap_or_default();
        let s3_error = |e: AwsError| {
            let code = if e.code == "NoSuchBucket" {
                "S3NoSuchBucket"
            } else {
                "S3AccessDenied"
            };
            (code.to_string(), e.message)
        };
        let keys = objects.list(ctx, bucket, prefix).map_err(s3_error)?;
        let name = record["TableCreationParameters"]["TableName"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        let (tkey, meta) = self
            .meta(ctx, &name, false)
            .map_err(|e| ("UNKNOWN".to_string(), e.message))?;
        let gzip = s(record, "InputCompressionType") == Some("GZIP");
        let csv = s(record, "InputFormat") == Some("CSV");
        let opts = record["InputFormatOptions"]["Csv"].clone();
        let delim = s(&opts, "Delimiter")
            .and_then(|d| d.chars().next())
            .unwrap_or(',');
        let (mut size, mut processed, mut imported, mut errors) = (0u64, 0u64, 0u64, 0u64);
        let now = ctx.clock.now_millis();
        for key in keys.iter().filter(|k| !k.ends_with('/')) {
            let raw = objects.get(ctx, bucket, key).map_err(s3_error)?;
            size += raw.len() as u64;
            let text = if gzip {
                let mut out = String::new();
                let read = flate2::read::MultiGzDecoder::new(raw.as_slice())
                    .take(MAX_OBJECT)
                    .read_to_string(&mut out);
                if read.is_err() {
                    return Err((
                        "InvalidInput".into(),
                        format!("The object {key} is not valid gzip"),
                    ));
                }
                out
            } else {
                String::from_utf8_lossy(&raw).into_owned()
            };
            let mut lines = text.lines().filter(|l| !l.trim().is_empty());
            let header: Vec<String> = if csv {
                match opts.get("HeaderList").and_then(Value::as_array) {
                    Some(h) => h
                        .iter()
                        .filter_map(|v| v.as_str().map(String::from))
                        .collect(),
                    None => lines
                        .next()
                        .map(|l| csv_fields(l, delim))
                        .unwrap_or_default(),
                }
            } else {
                vec![]
            };
            let mut batch: Vec<Item> = vec![];
            for line in lines {
                processed += 1;
                let item = if csv {
                    Ok(self.csv_item(&meta, &header, &csv_fields(line, delim)))
                } else {
                    serde_json::from_str::<Value>(line)
                        .ok()
                        .map(|v| item_from_json(v.get("Item")))
                        .unwrap_or_else(|| Err(validation("not an item")))
                };
                match item.and_then(|i| meta.check_item(&i).map(|_| i)) {
                    Ok(i) => batch.push(i),
                    Err(_) => errors += 1,
                }
            }
            imported += batch.len() as u64;
            self.s
                .store
                .write(|txn| -> Result<(), AwsError> {
                    for item in &batch {
                        let (h, r) = meta.check_item(item)?;
                        let ikey = item_key(&tkey, &h, r.as_ref());
                        let old = txn
                            .get(&self.s.items, &ikey)?
                            .map(|v| crate::value::item_from_stored(&v));
                        storage::write_item(
                            &self.s,
                            txn,
                            &tkey,
                            &meta,
                            &ikey,
                            old.as_ref(),
                            Some(item),
                            now,
                        )?;
                    }
                    Ok(())
                })
                .map_err(|e| ("UNKNOWN".to_string(), e.message))?;
        }
        record["ProcessedSizeBytes"] = json!(size);
        record["ProcessedItemCount"] = json!(processed);
        record["ImportedItemCount"] = json!(imported);
        record["ErrorCount"] = json!(errors);
        Ok(())
    }

    /// A CSV row as an item: key attributes of their defined types, every
    /// other non-empty field a string.
    fn csv_item(&self, meta: &crate::schema::TableMeta, header: &[String], row: &[String]) -> Item {
        let mut item = Item::new();
        for (name, v) in header.iter().zip(row) {
            if v.is_empty() {
                continue;
            }
            let value = match meta.attrs.get(name).map(String::as_str) {
                Some("N") => match crate::number::Decimal::parse(v) {
                    Ok(n) => AttrValue::N(n),
                    Err(_) => AttrValue::S(v.clone()),
                },
                _ => AttrValue::S(v.clone()),
            };
            item.insert(name.clone(), value);
        }
        item
    }

    /// `DescribeImport`.
    pub(crate) fn describe_import(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let arn = s(&input, "ImportArn").unwrap_or_default();
        let not_found = || DynamoError::ImportNotFound {
            arn: arn.to_string(),
        };
        let id = arn
            .rsplit_once("/import/")
            .map(|(_, id)| id)
            .ok_or_else(not_found)?;
        match self.s.imports.get(&Scope::regional(ctx).key(id))? {
            Some(r) if r["ImportArn"] == json!(arn) => {
                Ok(json!({"ImportTableDescription": public(&r)}))
            }
            _ => Err(not_found().into()),
        }
    }

    /// `ListImports`: oldest first, by table, `PageSize` (1–25).
    pub(crate) fn list_imports(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let table = s(&input, "TableArn").map(str::to_string);
        let size = input.get("PageSize").and_then(Value::as_u64).unwrap_or(25) as usize;
        let (page, next) = self.job_page(ctx, false, size.max(1), s(&input, "NextToken"), |r| {
            table.as_ref().is_none_or(|t| r["TableArn"] == json!(t))
        })?;
        let summaries: Vec<Value> = page
            .iter()
            .map(|r| {
                let mut v = json!({
                    "ImportArn": r["ImportArn"], "ImportStatus": r["ImportStatus"],
                    "TableArn": r["TableArn"], "S3BucketSource": r["S3BucketSource"],
                    "CloudWatchLogGroupArn": r["CloudWatchLogGroupArn"],
                    "InputFormat": r["InputFormat"], "StartTime": r["StartTime"],
                });
                if let Some(e) = r.get("EndTime") {
                    v["EndTime"] = e.clone();
                }
                v
            })
            .collect();
        let mut out = json!({"ImportSummaryList": summaries});
        if let Some(n) = next {
            out["NextToken"] = json!(n);
        }
        Ok(out)
    }
}
