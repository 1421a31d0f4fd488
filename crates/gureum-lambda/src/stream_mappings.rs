//! DynamoDB stream event source mappings: the configuration AWS keeps for
//! a stream source (`StartingPosition`, `BisectBatchOnFunctionError`,
//! `MaximumRetryAttempts`, `FilterCriteria`, `ReportBatchItemFailures`)
//! and the poller's round for one mapping
//! ([`LambdaService::poll_stream`]): read from the mapping's position
//! through the [`StreamSource`] seam, drop records no filter matches,
//! invoke with AWS's DynamoDB event, then move the position on.
//!
//! A failed batch is retried from the same position on the next tick
//! (halved first with `BisectBatchOnFunctionError`); with
//! `ReportBatchItemFailures` the position moves to the lowest failed
//! sequence number. Past `MaximumRetryAttempts` (default -1: until the
//! records expire) the batch is skipped, as AWS does without an
//! `OnFailure` destination.

use crate::mappings::Mapping;
use crate::{invalid, LambdaService};
use gureum_core::{AwsError, RequestContext, Value};
use gureum_events::pattern::Pattern;
use serde_json::json;

/// Reads DynamoDB streams, for the poller (the server wires DynamoDB
/// Streams in).
pub trait StreamSource: Send + Sync {
    /// The sequence number after the stream's last record (`LATEST`);
    /// an error when the stream does not exist.
    fn latest(&self, account: &str, region: &str, stream_arn: &str) -> Result<u64, AwsError>;
    /// Up to `max` records from sequence number `from` on, with their
    /// sequence numbers, in `GetRecords`' shape.
    fn read(
        &self,
        account: &str,
        region: &str,
        stream_arn: &str,
        from: u64,
        max: usize,
    ) -> Result<Vec<(u64, Value)>, AwsError>;
}

/// Members Gureum does not honour for stream sources yet.
pub(crate) const UNSUPPORTED: &[&str] = &[
    "StartingPositionTimestamp",
    "DestinationConfig",
    "MaximumRecordAgeInSeconds",
    "TumblingWindowInSeconds",
];

/// Checks a stream mapping's members as Lambda does.
pub(crate) fn check(input: &Value, creating: bool) -> Result<(), AwsError> {
    crate::refuse_unsupported(input, UNSUPPORTED)?;
    if input
        .get("ParallelizationFactor")
        .and_then(Value::as_i64)
        .is_some_and(|p| p != 1)
    {
        return Err(invalid(
            "Gureum does not support ParallelizationFactor above 1 yet.",
        ));
    }
    match input.get("StartingPosition").and_then(Value::as_str) {
        Some("TRIM_HORIZON" | "LATEST") => {}
        Some("AT_TIMESTAMP") => {
            return Err(invalid(
                "Unsupported starting position for DynamoDB streams: AT_TIMESTAMP",
            ))
        }
        Some(other) => return Err(invalid(format!("Unsupported starting position: {other}"))),
        None if creating => {
            return Err(invalid(
                "1 validation error detected: Value null at 'startingPosition' failed to satisfy constraint: Member must not be null",
            ))
        }
        None => {}
    }
    if let Some(b) = input.get("BatchSize").and_then(Value::as_i64) {
        if !(1..=10_000).contains(&b) {
            return Err(invalid(format!(
                "BatchSize must be between 1 and 10000 for DynamoDB stream event sources: {b}"
            )));
        }
    }
    if let Some(r) = input.get("MaximumRetryAttempts").and_then(Value::as_i64) {
        if !(-1..=10_000).contains(&r) {
            return Err(invalid(format!(
                "1 validation error detected: Value '{r}' at 'maximumRetryAttempts' failed to satisfy constraint: Member must have value between -1 and 10000"
            )));
        }
    }
    if let Some(t) = input.get("FunctionResponseTypes").and_then(Value::as_array) {
        if t.iter().any(|v| v != "ReportBatchItemFailures") {
            return Err(invalid("Unsupported FunctionResponseType"));
        }
    }
    if let Some(f) = input.get("FilterCriteria") {
        filters(f)?;
    }
    Ok(())
}

/// The patterns of `FilterCriteria` (none: every record passes).
fn filters(criteria: &Value) -> Result<Vec<Pattern>, AwsError> {
    criteria["Filters"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|f| f.get("Pattern").and_then(Value::as_str))
        .map(|p| Pattern::parse(p).map_err(|_| invalid("Invalid filter pattern definition.")))
        .collect()
}

/// The stream-only members of a new mapping's configuration.
pub(crate) fn extend_config(config: &mut Value, input: &Value) {
    let get = |k: &str, default: Value| input.get(k).cloned().unwrap_or(default);
    config["BatchSize"] = get("BatchSize", json!(100));
    config["StartingPosition"] = get("StartingPosition", json!("LATEST"));
    config["ParallelizationFactor"] = json!(1);
    config["BisectBatchOnFunctionError"] = get("BisectBatchOnFunctionError", json!(false));
    config["MaximumRetryAttempts"] = get("MaximumRetryAttempts", json!(-1));
    config["MaximumRecordAgeInSeconds"] = json!(-1);
    config["TumblingWindowInSeconds"] = json!(0);
    config["DestinationConfig"] = json!({"OnFailure": {}});
    config["LastProcessingResult"] = json!("No records processed");
    if let Some(f) = input.get("FilterCriteria") {
        config["FilterCriteria"] = f.clone();
    }
}

/// The members `UpdateEventSourceMapping` changes on a stream mapping.
pub(crate) const UPDATABLE: &[&str] = &[
    "BisectBatchOnFunctionError",
    "MaximumRetryAttempts",
    "FilterCriteria",
];

impl LambdaService {
    /// Reads DynamoDB streams through `streams` (set once, by the server,
    /// after DynamoDB Streams is built).
    pub fn set_streams(&self, streams: std::sync::Arc<dyn StreamSource>) {
        let _ = self.streams.set(streams);
    }

    /// Where a new mapping of `stream_arn` starts reading, checking the
    /// stream exists (AWS: "Stream not found").
    pub(crate) fn stream_start(
        &self,
        ctx: &RequestContext,
        stream_arn: &str,
        starting: &str,
    ) -> Result<u64, AwsError> {
        let not_found = || invalid(format!("Stream not found: {stream_arn}"));
        let streams = self.streams.get().ok_or_else(not_found)?;
        let latest = streams
            .latest(&ctx.account_id, &ctx.region, stream_arn)
            .map_err(|_| not_found())?;
        Ok(if starting == "TRIM_HORIZON" {
            1
        } else {
            latest
        })
    }

    /// One round of a stream mapping: one batch from its position.
    pub(crate) fn poll_stream(&self, uuid: &str, m: Mapping, streams: &dyn StreamSource, now: i64) {
        let arn = m.config["EventSourceArn"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        let size = m
            .bisect
            .unwrap_or(m.config["BatchSize"].as_u64().unwrap_or(100) as usize)
            .max(1);
        let Ok(read) = streams.read(&m.account, &m.region, &arn, m.position.max(1), size) else {
            return;
        };
        let Some(last) = read.last().map(|(n, _)| *n) else {
            return;
        };
        let patterns = filters(&m.config["FilterCriteria"]).unwrap_or_default();
        let records: Vec<(u64, Value)> = read
            .into_iter()
            .map(|(n, mut r)| {
                r["eventSourceARN"] = json!(arn);
                (n, r)
            })
            .filter(|(_, r)| patterns.is_empty() || patterns.iter().any(|p| p.matches(r)))
            .collect();
        if records.is_empty() {
            // Filtered-out records are dropped, as AWS does.
            self.save_progress(uuid, |p| p.done(last, now));
            return;
        }
        let event = json!({"Records": records.iter().map(|(_, r)| r).collect::<Vec<_>>()});
        let function_arn = m.config["FunctionArn"].as_str().unwrap_or_default();
        let ctx = RequestContext::root(&m.account, &m.region, gureum_core::Clock::system());
        let Ok((_, f)) = self.resolve(&ctx, &json!({"FunctionName": function_arn})) else {
            return;
        };
        let outcome =
            self.runner(&m.account, &m.region)
                .run(&f, event.to_string().into_bytes(), None);
        let partial = m.config["FunctionResponseTypes"]
            .as_array()
            .is_some_and(|t| t.iter().any(|v| v == "ReportBatchItemFailures"));
        let failed_at = match &outcome {
            Ok(o) if o.function_error.is_none() && partial => first_failure(&o.payload, &records),
            Ok(o) if o.function_error.is_none() => Ok(None),
            _ => Err(()),
        };
        let bisect = m.config["BisectBatchOnFunctionError"] == true;
        let max_retries = m.config["MaximumRetryAttempts"].as_i64().unwrap_or(-1);
        self.save_progress(uuid, |p| match failed_at {
            Ok(None) => p.done(last, now),
            Ok(Some(seq)) => {
                p.attempts += 1;
                p.position = seq;
                p.last_poll_ms = now;
                if max_retries >= 0 && i64::from(p.attempts) > max_retries {
                    p.done(last, now);
                }
            }
            Err(()) => {
                p.attempts += 1;
                p.last_poll_ms = now;
                if bisect && records.len() > 1 {
                    p.bisect = Some(records.len().div_ceil(2));
                }
                if max_retries >= 0 && i64::from(p.attempts) > max_retries {
                    p.done(last, now);
                }
            }
        });
    }

    /// Changes a mapping's progress in one transaction (a mapping deleted
    /// meanwhile stays deleted; its configuration is not overwritten).
    fn save_progress(&self, uuid: &str, change: impl FnOnce(&mut Mapping)) {
        let table = self.mappings.clone();
        let _ = self.store.write(|txn| {
            if let Some(mut m) = txn.get(&table, uuid).map_err(AwsError::from)? {
                change(&mut m);
                txn.put(&table, uuid, &m).map_err(AwsError::from)?;
            }
            Ok::<_, AwsError>(())
        });
    }
}

impl Mapping {
    /// The records up to `last` are processed.
    fn done(&mut self, last: u64, now: i64) {
        self.position = last + 1;
        self.attempts = 0;
        self.bisect = None;
        self.last_poll_ms = now;
        self.config["LastProcessingResult"] = json!("OK");
    }
}

/// The lowest sequence number the function reported failed
/// (`batchItemFailures[].itemIdentifier`); an identifier that names no
/// record of the batch fails the whole batch, as on AWS.
fn first_failure(payload: &[u8], records: &[(u64, Value)]) -> Result<Option<u64>, ()> {
    let Ok(answer) = serde_json::from_slice::<Value>(payload) else {
        return Ok(None);
    };
    let Some(failures) = answer.get("batchItemFailures").and_then(Value::as_array) else {
        return Ok(None);
    };
    let mut lowest: Option<u64> = None;
    for f in failures {
        let id = f.get("itemIdentifier").and_then(Value::as_str);
        let seq = id
            .and_then(|s| s.parse::<u64>().ok())
            .filter(|n| records.iter().any(|(r, _)| r == n))
            .ok_or(())?;
        lowest = Some(lowest.map_or(seq, |l| l.min(seq)));
    }
    Ok(lowest)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn batch() -> Vec<(u64, Value)> {
        vec![(4, json!({})), (5, json!({})), (6, json!({}))]
    }

    #[test]
    fn reported_failures_move_the_position_to_the_lowest_failed_record() {
        let answer = json!({"batchItemFailures": [{"itemIdentifier": "000000000000000000006"}, {"itemIdentifier": "5"}]});
        assert_eq!(
            first_failure(answer.to_string().as_bytes(), &batch()),
            Ok(Some(5))
        );
        assert_eq!(
            first_failure(b"{\"batchItemFailures\": []}", &batch()),
            Ok(None)
        );
        assert_eq!(first_failure(b"null", &batch()), Ok(None));
    }

    #[test]
    fn a_failure_naming_no_record_of_the_batch_fails_it_all() {
        let answer = json!({"batchItemFailures": [{"itemIdentifier": "99"}]});
        assert_eq!(
            first_failure(answer.to_string().as_bytes(), &batch()),
            Err(())
        );
    }

    #[test]
    fn stream_mappings_need_a_starting_position_and_valid_filters() {
        let e = check(&json!({}), true).expect_err("no position");
        assert!(e.message.contains("startingPosition"), "{}", e.message);
        check(&json!({"StartingPosition": "TRIM_HORIZON"}), true).expect("valid");
        let bad = json!({"StartingPosition": "LATEST", "FilterCriteria": {"Filters": [{"Pattern": "{\"a\": 1}"}]}});
        assert_eq!(
            check(&bad, true).expect_err("filter").message,
            "Invalid filter pattern definition."
        );
    }
}
