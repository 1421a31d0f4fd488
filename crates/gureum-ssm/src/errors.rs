//! Parameter Store's errors, declared once (checked against
//! `models/ssm.json` by the test below). Every error of this json-1.1
//! service is a 400 with its message in `message`.
//!
//! Messages are AWS's as its API answers them; `ParameterNotFound` carries
//! no message on AWS's wire, so it has none here either.
//!
//! Unsure wording (codes are the model's; the texts below were written
//! from AWS's documentation of the condition, not captured from the
//! wire, and should be checked against AWS): `LabelNotFound` (and
//! whether AWS answers `ParameterVersionNotFound` or `ParameterNotFound`
//! for an unknown label), `HierarchyTooDeep`, `BadPattern`, the three
//! filter errors, `BadResourceType`, `BadResourceId`, `TooManyTags`,
//! `BadPolicyAttribute`; in `write.rs`, the `aws:ec2:image` and
//! 8 KB-advanced `ValidationException` texts.

gureum_core::aws_errors! {
    /// Parameter Store's errors.
    pub enum SsmError {
        /// A name no parameter has (AWS sends no message).
        ParameterNotFound = ("ParameterNotFound", 400, ""),
        /// `PutParameter` on an existing name without `Overwrite`.
        AlreadyExists = ("ParameterAlreadyExists", 400,
            "The parameter already exists. To overwrite this value, set the overwrite option in the request to true."),
        /// A version the parameter does not have.
        VersionNotFound { name: String, version: i64 } = ("ParameterVersionNotFound", 400,
            "Systems Manager could not find version {version} of {name}. Verify the version and try again."),
        /// A label no version carries (a `name:label` selector).
        LabelNotFound { name: String, label: String } = ("ParameterVersionNotFound", 400,
            "Systems Manager could not find label {label} of {name}. Verify the label and try again."),
        /// The 100th version would be dropped but carries a label.
        MaxVersions { name: String, version: i64 } = ("ParameterMaxVersionLimitExceeded", 400,
            "You attempted to create a new version of {name} by calling the PutParameter API with the overwrite flag. Version {version}, the oldest version, can't be deleted because it has a label associated with it. Move the label to another version of the parameter, and try again."),
        /// More than 15 levels in a name.
        HierarchyTooDeep = ("HierarchyLevelLimitExceededException", 400,
            "A hierarchy can have a maximum of 15 levels. For more information, see Requirements and constraints for parameter names in the Amazon Web Services Systems Manager User Guide."),
        /// A value that does not match the parameter's `AllowedPattern`.
        PatternMismatch { pattern: String } = ("ParameterPatternMismatchException", 400,
            "Parameter value, cannot be validated against allowedPattern: {pattern}"),
        /// An `AllowedPattern` that is not a regular expression.
        BadPattern = ("InvalidAllowedPatternException", 400,
            "The request does not meet the regular expression requirement."),
        /// A version that would carry more than 10 labels.
        TooManyLabels = ("ParameterVersionLabelLimitExceeded", 400,
            "A parameter version can have maximum 10 labels.Move one or more labels to another version and try again."),
        /// A `ParameterFilters` key that is not one of the operation's.
        BadFilterKey = ("InvalidFilterKey", 400, "The specified key is not valid."),
        /// A filter option its key does not take.
        BadFilterOption { option: String, key: String } = ("InvalidFilterOption", 400,
            "The filter option '{option}' is not valid for key '{key}'. Valid options are: Equals, BeginsWith."),
        /// A filter value that key does not take.
        BadFilterValue { value: String, key: String } = ("InvalidFilterValue", 400,
            "The filter value '{value}' is not valid for key '{key}'."),
        /// A policy of a type Parameter Store does not know (or not JSON).
        BadPolicyType = ("InvalidPolicyTypeException", 400,
            "The policy type isn't supported. Parameter Store supports the following policy types: Expiration, ExpirationNotification, and NoChangeNotification."),
        /// A policy whose attributes are missing or malformed.
        BadPolicyAttribute = ("InvalidPolicyAttributeException", 400,
            "A policy attribute or its value is invalid."),
        /// A concurrent write changed the parameter under this request.
        TooManyUpdates = ("TooManyUpdates", 400,
            "There are concurrent updates for a resource that supports one update at a time."),
        /// A `NextToken` this server did not hand out.
        BadToken = ("InvalidNextToken", 400, "The specified token isn't valid."),
        /// A tag operation on a type other than `Parameter`.
        BadResourceType = ("InvalidResourceType", 400,
            "The resource type is not valid."),
        /// A tag operation on a parameter that does not exist.
        BadResourceId = ("InvalidResourceId", 400,
            "The resource ID is not valid. Verify that you entered the correct ID and try again."),
        /// More than 50 tags on a parameter.
        TooManyTags = ("TooManyTagsError", 400,
            "The Targets parameter includes too many tags. Remove one or more tags and try again."),
    }
}

impl From<gureum_kit::paging::PagingError> for SsmError {
    fn from(_: gureum_kit::paging::PagingError) -> Self {
        // Sizes are checked by the model before a handler runs, so only a
        // token can be refused here.
        SsmError::BadToken
    }
}

#[cfg(test)]
mod tests {
    use super::SsmError;

    #[test]
    fn declared_errors_match_the_model() {
        let model = gureum_model::load("ssm").expect("model");
        let problems = gureum_protocol::check_declared_errors(&model, SsmError::DECLARED, &[]);
        assert!(problems.is_empty(), "{problems:#?}");
    }
}
