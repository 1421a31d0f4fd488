//! CloudWatch's errors, declared once (checked against
//! `models/cloudwatch.json` by the test below). CloudWatch is
//! query-compatible: the codes are the model's query codes
//! (`InvalidParameterValue`, `ResourceNotFound`), which json and cbor
//! callers also read. Parameter errors whose message names the member
//! (`InvalidParameterValue`, `MissingParameter`,
//! `InvalidParameterCombination`) are [`gureum_core::CommonError`]s built
//! by the helpers below; messages follow what CloudWatch answers on the
//! wire.

use gureum_core::{AwsError, CommonError};

gureum_core::aws_errors! {
    /// CloudWatch's errors.
    pub enum CloudWatchError {
        /// `SetAlarmState` (and the alarm reads that must find one) of a
        /// name no alarm has.
        NoSuchAlarm { name: String } = ("ResourceNotFound", 404,
            "Alarm {name} not found"),
        /// `DeleteAlarms` naming an alarm that does not exist.
        AlarmsNotFound = ("ResourceNotFound", 404,
            "The named resource does not exist."),
        /// `GetDashboard` of a name no dashboard has.
        NoSuchDashboard { name: String } = ("DashboardNotFoundError", 404,
            "Dashboard {name} does not exist"),
        /// `DeleteDashboards` naming dashboards that do not exist.
        DashboardsNotFound = ("DashboardNotFoundError", 404,
            "The specified dashboard does not exist."),
        /// A dashboard body that fails validation (the messages ride in
        /// `DashboardValidationMessages`).
        BadDashboard { count: usize } = ("DashboardInvalidInputError", 400,
            "The dashboard body is invalid, there are {count} validation errors:"),
        /// Tagging a resource ARN that names nothing.
        NoSuchResource { arn: String } = ("ResourceNotFoundException", 404,
            "The specified resource does not exist: {arn}"),
        /// A `NextToken` this server did not hand out.
        BadToken = ("InvalidNextToken", 400, "The service returned an invalid NextToken."),
        /// `SetAlarmState` with `StateReasonData` that is not JSON.
        BadReasonData = ("InvalidFormat", 400,
            "The parameter StateReasonData must be valid JSON."),
    }
}

impl From<gureum_kit::paging::PagingError> for CloudWatchError {
    fn from(_: gureum_kit::paging::PagingError) -> Self {
        CloudWatchError::BadToken
    }
}

/// `InvalidParameterValue` with `message`.
pub fn invalid(message: impl Into<String>) -> AwsError {
    CommonError::InvalidParameterValue {
        message: message.into(),
    }
    .into()
}

/// `MissingParameter`: "The parameter {name} is required."
pub fn missing(name: &str) -> AwsError {
    CommonError::MissingParameter {
        message: format!("The parameter {name} is required."),
    }
    .into()
}

/// `InvalidParameterCombination` with `message`.
pub fn combination(message: impl Into<String>) -> AwsError {
    CommonError::InvalidParameterCombination {
        message: message.into(),
    }
    .into()
}

/// `ValidationError` with `message` (CloudWatch's word for a bad
/// enumeration value or query shape).
pub fn validation(message: impl Into<String>) -> AwsError {
    CommonError::ValidationError {
        message: message.into(),
    }
    .into()
}

#[cfg(test)]
mod tests {
    use super::CloudWatchError;

    #[test]
    fn declared_errors_match_the_model() {
        let model = gureum_model::load("cloudwatch").expect("model");
        let problems =
            gureum_protocol::check_declared_errors(&model, CloudWatchError::DECLARED, &[]);
        assert!(problems.is_empty(), "{problems:#?}");
    }

    #[test]
    fn messages_fill_in_the_values() {
        let e = gureum_core::AwsError::from(CloudWatchError::NoSuchAlarm { name: "a1".into() });
        assert_eq!(e.code, "ResourceNotFound");
        assert_eq!(e.message, "Alarm a1 not found");
    }
}
