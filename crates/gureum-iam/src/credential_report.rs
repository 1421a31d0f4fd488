//! `GenerateCredentialReport`, `GetCredentialReport`.
//!
//! The credential report is a CSV with one row per user (and a first row for
//! the root user, `<root_account>`) saying which credentials each has and
//! when they were last changed and used — what auditors check for unused
//! passwords, unrotated keys and missing MFA. AWS builds it asynchronously:
//! the first `GenerateCredentialReport` answers `STARTED`, later ones
//! `COMPLETE` while the report is under 4 hours old. Gureum builds it at
//! once and keeps the same answers. `GetCredentialReport` before any
//! generation answers `ReportNotPresent` (410), after 4 hours
//! `ReportExpired` (410). Dates are ISO 8601 with `+00:00`; missing values
//! are `N/A`, `no_information` or `not_supported` as in AWS's reports.

use crate::access_keys::key_status;
use crate::errors::IamError;
use crate::users::user_arn;
use crate::util::scope;
use crate::IamService;
use base64::Engine;
use gureum_core::{AwsError, OpResult, RequestContext, Value};
use serde_json::json;

/// The report's header line, exactly as AWS writes it.
pub const HEADER: &str = "user,arn,user_creation_time,password_enabled,password_last_used,password_last_changed,password_next_rotation,mfa_active,access_key_1_active,access_key_1_last_rotated,access_key_1_last_used_date,access_key_1_last_used_region,access_key_1_last_used_service,access_key_2_active,access_key_2_last_rotated,access_key_2_last_used_date,access_key_2_last_used_region,access_key_2_last_used_service,cert_1_active,cert_1_last_rotated,cert_2_active,cert_2_last_rotated";

/// How long a report stays valid, seconds.
const REPORT_LIFETIME_SECS: i64 = 4 * 3600;

fn date(secs: i64) -> String {
    let s = gureum_core::timestamp::format_iso8601_seconds(secs * 1000);
    format!("{}+00:00", s.trim_end_matches('Z'))
}

impl IamService {
    fn build_report(&self, account: &str, now: i64) -> Result<String, AwsError> {
        let mut lines = vec![HEADER.to_string()];
        lines.push(format!(
            "<root_account>,arn:aws:iam::{account}:root,{},not_supported,no_information,not_supported,not_supported,false,false,N/A,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A",
            date(now)
        ));
        let policy = self.password_policy(account)?;
        for (_, u) in self.users.scan_prefix(&scope(account).prefix())? {
            let mut row = vec![u.name.clone(), user_arn(account, &u), date(u.create_date)];
            match &u.login_profile {
                Some(p) => {
                    row.push("true".into());
                    row.push(u.password_last_used.map_or("no_information".into(), date));
                    row.push(date(p.password_last_changed));
                    row.push(
                        policy
                            .as_ref()
                            .and_then(|pp| pp.max_password_age)
                            .map_or("N/A".into(), |days| {
                                date(p.password_last_changed + days * 86_400)
                            }),
                    );
                }
                None => row.extend(["false", "N/A", "N/A", "N/A"].map(String::from)),
            }
            let mfa = !self.user_mfa_devices(account, &u.name)?.is_empty();
            row.push(mfa.to_string());
            let mut keys = Vec::new();
            for id in &u.access_keys {
                if let Some(k) = self.access_keys.get(id)? {
                    keys.push(k);
                }
            }
            keys.sort_by_key(|k| k.create_date);
            for i in 0..2 {
                match keys.get(i) {
                    Some(k) => {
                        row.push((key_status(k) == "Active").to_string());
                        row.push(date(k.create_date));
                        match self.key_last_used(k) {
                            Some(used) => {
                                row.push(date(used.at_ms.div_euclid(1000)));
                                row.push(used.region);
                                row.push(used.service);
                            }
                            None => row.extend(["N/A", "N/A", "N/A"].map(String::from)),
                        }
                    }
                    None => row.extend(["false", "N/A", "N/A", "N/A", "N/A"].map(String::from)),
                }
            }
            row.extend(["false", "N/A", "false", "N/A"].map(String::from));
            lines.push(row.join(","));
        }
        Ok(lines.join("\n"))
    }

    /// `GenerateCredentialReport`: `STARTED` when a new report is made,
    /// `COMPLETE` while the last one is fresh.
    pub(crate) fn generate_credential_report(
        &self,
        ctx: &RequestContext,
        _input: Value,
    ) -> OpResult {
        let now = ctx.clock.now_secs();
        let fresh = self
            .accounts
            .get(&ctx.account_id)?
            .and_then(|a| a.credential_report)
            .is_some_and(|(at, _)| now - at < REPORT_LIFETIME_SECS);
        if fresh {
            return Ok(json!({"State": "COMPLETE"}));
        }
        let csv = self.build_report(&ctx.account_id, now)?;
        self.update_account(&ctx.account_id, |a| {
            a.credential_report = Some((now, csv));
            Ok(())
        })?;
        Ok(json!({
            "State": "STARTED",
            "Description": "No report exists. Starting a new report generation task",
        }))
    }

    /// `GetCredentialReport`: the CSV, base64 as the API's blob.
    pub(crate) fn get_credential_report(&self, ctx: &RequestContext, _input: Value) -> OpResult {
        let Some((at, csv)) = self
            .accounts
            .get(&ctx.account_id)?
            .and_then(|a| a.credential_report)
        else {
            return Err(IamError::ReportNotPresent.into());
        };
        if ctx.clock.now_secs() - at >= REPORT_LIFETIME_SECS {
            return Err(IamError::ReportExpired.into());
        }
        Ok(json!({
            "Content": base64::engine::general_purpose::STANDARD.encode(csv.as_bytes()),
            "ReportFormat": "text/csv",
            "GeneratedTime": at,
        }))
    }
}
