//! `RestoreObject`: a temporary readable copy of an archived object.
//!
//! Only GLACIER (Flexible Retrieval) and DEEP_ARCHIVE objects are restored.
//! The copy becomes readable after the retrieval tier's delay on Gureum's
//! clock, the upper bound of what AWS documents for each (so a test that
//! advances the clock past it always finds the object restored):
//!
//! | class        | Expedited     | Standard | Bulk |
//! |--------------|---------------|----------|------|
//! | GLACIER      | 5 minutes     | 5 hours  | 12 hours |
//! | DEEP_ARCHIVE | not available | 12 hours | 48 hours |
//!
//! Expedited is not available for DEEP_ARCHIVE: refused with
//! `InvalidArgument` (400). A request with a faster tier while a restore
//! is in progress upgrades it (it finishes sooner; AWS's "restore speed
//! upgrade"). The copy lives `Days` days after it is ready,
//! the expiry rounded up to the next midnight UTC as S3 reports it in
//! `x-amz-restore`. Answers: 202 for a new restore, 409
//! `RestoreAlreadyInProgress` while one runs, 200 for an object already
//! restored (the expiry moves to `Days` from now).

use crate::object::{object_key, ObjectVersion, Restore};
use crate::{str_member, S3Error, S3Service};
use gureum_core::{AwsError, Reply, RequestBody, RequestContext, Value};
use serde_json::json;

const MINUTE_MS: i64 = 60_000;
const HOUR_MS: i64 = 60 * MINUTE_MS;
const DAY_MS: i64 = 24 * HOUR_MS;

/// Whether `v` is in an archive storage class (reads need a restore).
pub(crate) fn is_archived(v: &ObjectVersion) -> bool {
    matches!(v.storage_class.as_str(), "GLACIER" | "DEEP_ARCHIVE")
}

/// Whether a restored copy of `v` is readable at `now_ms`.
pub(crate) fn is_restored(v: &ObjectVersion, now_ms: i64) -> bool {
    v.restore
        .as_ref()
        .is_some_and(|r| r.ready_at_ms <= now_ms && now_ms < r.expires_at_ms)
}

/// The retrieval delay of `tier` for `storage_class`.
pub(crate) fn retrieval_delay_ms(storage_class: &str, tier: &str) -> Result<i64, AwsError> {
    match (storage_class, tier) {
        ("GLACIER", "Expedited") => Ok(5 * MINUTE_MS),
        ("GLACIER", "Standard") => Ok(5 * HOUR_MS),
        ("GLACIER", "Bulk") => Ok(12 * HOUR_MS),
        ("DEEP_ARCHIVE", "Standard") => Ok(12 * HOUR_MS),
        ("DEEP_ARCHIVE", "Bulk") => Ok(48 * HOUR_MS),
        ("DEEP_ARCHIVE", "Expedited") => Err(S3Error::InvalidArgument {
            message: "Expedited retrieval is not available for the DEEP_ARCHIVE storage class"
                .into(),
            name: "Tier".into(),
            value: "Expedited".into(),
        }
        .into()),
        _ => Err(malformed_xml()),
    }
}

/// `at` rounded up to the next midnight UTC.
pub(crate) fn next_midnight(at_ms: i64) -> i64 {
    let days = at_ms.div_euclid(DAY_MS);
    if at_ms.rem_euclid(DAY_MS) == 0 {
        at_ms
    } else {
        (days + 1).saturating_mul(DAY_MS)
    }
}

fn malformed_xml() -> AwsError {
    S3Error::MalformedXml.into()
}

/// What a restore request does to a version's restore state.
#[derive(Debug)]
pub(crate) enum Outcome {
    /// A new restore: 202.
    Started(Restore),
    /// Already restored: the expiry moves (200).
    Extended(Restore),
}

/// Applies a request for `days` days at `tier` to `v` at `now_ms`.
pub(crate) fn plan(
    v: &ObjectVersion,
    days: i64,
    tier: &str,
    now_ms: i64,
) -> Result<Outcome, AwsError> {
    if !is_archived(v) {
        return Err(S3Error::InvalidObjectState {
            message: "Restore is not allowed for the object's current storage class".into(),
            storage_class: v.storage_class.clone(),
        }
        .into());
    }
    let delay = retrieval_delay_ms(&v.storage_class, tier)?;
    if days < 1 {
        return Err(S3Error::InvalidArgument {
            message: "Days must be a positive integer".into(),
            name: "Days".into(),
            value: days.to_string(),
        }
        .into());
    }
    let span = days.saturating_mul(DAY_MS);
    match &v.restore {
        // In progress: only a faster tier (one that finishes sooner)
        // upgrades it, as AWS's restore speed upgrade does.
        Some(r) if now_ms < r.ready_at_ms => {
            let ready = now_ms.saturating_add(delay);
            if ready < r.ready_at_ms {
                return Ok(Outcome::Started(Restore {
                    ready_at_ms: ready,
                    expires_at_ms: next_midnight(ready.saturating_add(span)),
                }));
            }
            Err(S3Error::RestoreAlreadyInProgress.into())
        }
        Some(r) if now_ms < r.expires_at_ms => Ok(Outcome::Extended(Restore {
            ready_at_ms: r.ready_at_ms,
            expires_at_ms: next_midnight(now_ms.saturating_add(span)),
        })),
        _ => {
            let ready = now_ms.saturating_add(delay);
            Ok(Outcome::Started(Restore {
                ready_at_ms: ready,
                expires_at_ms: next_midnight(ready.saturating_add(span)),
            }))
        }
    }
}

impl S3Service {
    /// `RestoreObject`.
    pub(crate) async fn restore_object(
        &self,
        ctx: &RequestContext,
        input: Value,
        _body: RequestBody,
    ) -> Result<Reply, AwsError> {
        let (bucket, _) = self.own_bucket(ctx, "RestoreObject", &input)?;
        let key = str_member(&input, "Key").unwrap_or_default().to_string();
        let request = input.get("RestoreRequest").cloned().unwrap_or_default();
        if request.get("Type").is_some() || request.get("SelectParameters").is_some() {
            return Err(S3Error::NotImplementedFeature.into());
        }
        let tier = request
            .get("GlacierJobParameters")
            .and_then(|g| str_member(g, "Tier"))
            .or_else(|| str_member(&request, "Tier"))
            .unwrap_or("Standard")
            .to_string();
        let days = request.get("Days").and_then(Value::as_i64);
        let outcome = self.store.write(|txn| {
            let (row, mut v) = self.version_target(Some(txn), &bucket, &key, &input)?;
            let now = ctx.clock.now_millis();
            // Archived objects take `Days`; check the class first so that
            // a STANDARD object answers InvalidObjectState.
            let days = match days {
                Some(d) => d,
                None if is_archived(&v) => return Err(malformed_xml()),
                None => 1,
            };
            let outcome = plan(&v, days, &tier, now)?;
            v.restore = Some(match &outcome {
                Outcome::Started(r) | Outcome::Extended(r) => r.clone(),
            });
            let table = if row == object_key(&bucket, &key) {
                &self.objects.current
            } else {
                &self.objects.noncurrent
            };
            txn.put(table, &row, &v)?;
            Ok(outcome)
        })?;
        let status = match outcome {
            Outcome::Started(_) => 202,
            Outcome::Extended(_) => 200,
        };
        Ok(Reply {
            output: json!({}),
            body: None,
            status: Some(status),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn archived(class: &str) -> ObjectVersion {
        ObjectVersion {
            storage_class: class.into(),
            ..ObjectVersion::default()
        }
    }

    #[test]
    fn only_glacier_and_deep_archive_are_restored() {
        for class in [
            "STANDARD",
            "STANDARD_IA",
            "GLACIER_IR",
            "INTELLIGENT_TIERING",
        ] {
            let e = plan(&archived(class), 1, "Standard", 0).expect_err(class);
            assert_eq!((e.code.as_str(), e.status), ("InvalidObjectState", 403));
            assert_eq!(
                e.message,
                "Restore is not allowed for the object's current storage class"
            );
        }
    }

    #[test]
    fn tier_delays_are_the_documented_upper_bounds() {
        let cases = [
            ("GLACIER", "Expedited", 5 * MINUTE_MS),
            ("GLACIER", "Standard", 5 * HOUR_MS),
            ("GLACIER", "Bulk", 12 * HOUR_MS),
            ("DEEP_ARCHIVE", "Standard", 12 * HOUR_MS),
            ("DEEP_ARCHIVE", "Bulk", 48 * HOUR_MS),
        ];
        for (class, tier, want) in cases {
            assert_eq!(
                retrieval_delay_ms(class, tier).expect("ok"),
                want,
                "{class} {tier}"
            );
        }
    }

    #[test]
    fn expedited_is_not_available_for_deep_archive() {
        let e = plan(&archived("DEEP_ARCHIVE"), 1, "Expedited", 0).expect_err("refused");
        assert_eq!((e.code.as_str(), e.status), ("InvalidArgument", 400));
    }

    #[test]
    fn unknown_tiers_and_nonpositive_days_are_refused() {
        assert_eq!(
            plan(&archived("GLACIER"), 1, "Instant", 0)
                .expect_err("tier")
                .code,
            "MalformedXML"
        );
        assert_eq!(
            plan(&archived("GLACIER"), 0, "Standard", 0)
                .expect_err("days")
                .code,
            "InvalidArgument"
        );
    }

    #[test]
    fn a_new_restore_is_ready_after_the_delay_and_expires_at_midnight() {
        let now = 10 * DAY_MS + 3 * HOUR_MS;
        let Outcome::Started(r) = plan(&archived("GLACIER"), 2, "Bulk", now).expect("ok") else {
            panic!("a new restore")
        };
        assert_eq!(r.ready_at_ms, now + 12 * HOUR_MS);
        // Ready at day 10 15:00, plus two days: day 12 15:00 → day 13 00:00.
        assert_eq!(r.expires_at_ms, 13 * DAY_MS);
    }

    #[test]
    fn restore_in_progress_is_409_and_done_is_extended() {
        let mut v = archived("GLACIER");
        v.restore = Some(Restore {
            ready_at_ms: 100 * HOUR_MS,
            expires_at_ms: 10 * DAY_MS,
        });
        let e = plan(&v, 1, "Standard", 99 * HOUR_MS).expect_err("ongoing");
        assert_eq!(
            (e.code.as_str(), e.status),
            ("RestoreAlreadyInProgress", 409)
        );
        let now = 9 * DAY_MS + HOUR_MS;
        let Outcome::Extended(r) = plan(&v, 3, "Standard", now).expect("ok") else {
            panic!("extended")
        };
        assert_eq!(r.expires_at_ms, 13 * DAY_MS);
        assert_eq!(r.ready_at_ms, 100 * HOUR_MS);
    }

    #[test]
    fn a_faster_tier_upgrades_a_restore_in_progress() {
        let mut v = archived("GLACIER");
        let Outcome::Started(r) = plan(&v, 1, "Bulk", 0).expect("ok") else {
            panic!("a new restore")
        };
        v.restore = Some(r);
        // Slower or equal tiers do not.
        for tier in ["Bulk", "Standard"] {
            let e = plan(&v, 1, tier, 8 * HOUR_MS).expect_err(tier);
            assert_eq!(e.code, "RestoreAlreadyInProgress");
        }
        let Outcome::Started(r) = plan(&v, 1, "Expedited", HOUR_MS).expect("upgrade") else {
            panic!("an upgrade")
        };
        assert_eq!(r.ready_at_ms, HOUR_MS + 5 * MINUTE_MS);
    }

    #[test]
    fn an_expired_restore_starts_again() {
        let mut v = archived("DEEP_ARCHIVE");
        v.restore = Some(Restore {
            ready_at_ms: 0,
            expires_at_ms: DAY_MS,
        });
        assert!(matches!(
            plan(&v, 1, "Standard", DAY_MS).expect("ok"),
            Outcome::Started(_)
        ));
    }

    #[test]
    fn midnight_rounding_keeps_an_exact_midnight() {
        assert_eq!(next_midnight(DAY_MS), DAY_MS);
        assert_eq!(next_midnight(DAY_MS + 1), 2 * DAY_MS);
        // Absurd inputs saturate instead of overflowing.
        assert_eq!(next_midnight(i64::MAX), i64::MAX);
    }

    #[test]
    fn huge_days_do_not_overflow() {
        let Outcome::Started(r) = plan(&archived("GLACIER"), i64::MAX, "Bulk", 1).expect("ok")
        else {
            panic!("a new restore")
        };
        assert_eq!(r.expires_at_ms, i64::MAX);
    }
}
