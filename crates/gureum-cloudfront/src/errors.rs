//! CloudFront's errors, declared once and checked against the model.
//!
//! Codes and statuses are the model's; messages are the texts CloudFront
//! answers on the wire as far as they are known (its API reference gives
//! none for most errors, so these follow what the service returns).

gureum_core::aws_errors! {
    /// What a CloudFront operation answers when it refuses.
    pub enum CloudfrontError {
        /// No distribution has the id.
        NoSuchDistribution = ("NoSuchDistribution", 404,
            "The specified distribution does not exist."),
        /// A distribution must be disabled (and deployed) to be deleted.
        DistributionNotDisabled = ("DistributionNotDisabled", 409,
            "The distribution you are trying to delete has not been disabled."),
        /// `If-Match` is not the current ETag.
        PreconditionFailed = ("PreconditionFailed", 412,
            "The request failed because it didn't meet the preconditions in one or more request-header fields."),
        /// `If-Match` is missing.
        InvalidIfMatchVersion = ("InvalidIfMatchVersion", 400,
            "The If-Match version is missing or not valid for the resource."),
        /// An alias belongs to another distribution.
        CnameAlreadyExists = ("CNAMEAlreadyExists", 409,
            "One or more of the CNAMEs you provided are already associated with a different resource."),
        /// The caller reference was used with another configuration.
        DistributionAlreadyExists = ("DistributionAlreadyExists", 409,
            "The caller reference you attempted to create the distribution with is associated with another distribution."),
        /// No invalidation has the id.
        NoSuchInvalidation = ("NoSuchInvalidation", 404,
            "The specified invalidation does not exist."),
        /// A behaviour targets an origin the distribution does not have.
        NoSuchOrigin = ("NoSuchOrigin", 404,
            "One or more of your origins or origin groups do not exist."),
        /// The viewer certificate cannot serve the distribution; the
        /// message says why.
        InvalidViewerCertificate { message: String } = ("InvalidViewerCertificate", 400, "{message}"),
        /// An argument is not valid; the message says which.
        InvalidArgument { message: String } = ("InvalidArgument", 400, "{message}"),
        /// The `CallerReference` cannot change.
        IllegalUpdate { message: String } = ("IllegalUpdate", 400, "{message}"),
        /// A `Quantity` differs from its `Items`' count.
        InconsistentQuantities = ("InconsistentQuantities", 400,
            "The value of Quantity and the size of Items don't match."),
        /// `DefaultRootObject` is not a valid object name.
        InvalidDefaultRootObject = ("InvalidDefaultRootObject", 400,
            "The specified default root object is invalid."),
        /// `MinTTL <= DefaultTTL <= MaxTTL` does not hold.
        InvalidTtlOrder = ("InvalidTTLOrder", 400,
            "The TTL order specified is not valid."),
        /// A custom error response's code is not an error CloudFront caches.
        InvalidErrorCode = ("InvalidErrorCode", 400,
            "The specified error code is not valid."),
        /// A custom error response's page does not start with `/`.
        InvalidRelativePath = ("InvalidRelativePath", 400,
            "The relative path is too big, is not URL-encoded, or does not begin with a slash (/)."),
        /// Too many invalidations are in progress.
        TooManyInvalidationsInProgress = ("TooManyInvalidationsInProgress", 400,
            "Processing your request would cause the maximum number of in-progress wildcard invalidations to be exceeded."),
        /// An invalidation batch has too many paths.
        BatchTooLarge = ("BatchTooLarge", 413,
            "Invalidation batch specified is too large."),
        /// No cache policy has the id.
        NoSuchCachePolicy = ("NoSuchCachePolicy", 404, "The cache policy does not exist."),
        /// A cache policy of the name exists.
        CachePolicyAlreadyExists = ("CachePolicyAlreadyExists", 409,
            "A cache policy with this name already exists. You must provide a unique name. To modify an existing cache policy, use UpdateCachePolicy."),
        /// A distribution uses the cache policy.
        CachePolicyInUse = ("CachePolicyInUse", 409,
            "Cannot delete the cache policy because it is attached to one or more cache behaviors."),
        /// No origin request policy has the id.
        NoSuchOriginRequestPolicy = ("NoSuchOriginRequestPolicy", 404,
            "The origin request policy does not exist."),
        /// An origin request policy of the name exists.
        OriginRequestPolicyAlreadyExists = ("OriginRequestPolicyAlreadyExists", 409,
            "An origin request policy with this name already exists. You must provide a unique name. To modify an existing origin request policy, use UpdateOriginRequestPolicy."),
        /// A distribution uses the origin request policy.
        OriginRequestPolicyInUse = ("OriginRequestPolicyInUse", 409,
            "Cannot delete the origin request policy because it is attached to one or more cache behaviors."),
        /// No response headers policy has the id.
        NoSuchResponseHeadersPolicy = ("NoSuchResponseHeadersPolicy", 404,
            "The response headers policy does not exist."),
        /// A response headers policy of the name exists.
        ResponseHeadersPolicyAlreadyExists = ("ResponseHeadersPolicyAlreadyExists", 409,
            "A response headers policy with this name already exists. You must provide a unique name. To modify an existing response headers policy, use UpdateResponseHeadersPolicy."),
        /// A distribution uses the response headers policy.
        ResponseHeadersPolicyInUse = ("ResponseHeadersPolicyInUse", 409,
            "Cannot delete the response headers policy because it is attached to one or more cache behaviors."),
        /// Managed policies cannot be changed or deleted.
        IllegalDelete = ("IllegalDelete", 400, "You cannot delete or modify a managed policy."),
        /// No origin access control has the id.
        NoSuchOriginAccessControl = ("NoSuchOriginAccessControl", 404,
            "The origin access control does not exist."),
        /// An origin access control of the name exists.
        OriginAccessControlAlreadyExists = ("OriginAccessControlAlreadyExists", 409,
            "An origin access control with the same name already exists."),
        /// A distribution's origin uses the origin access control.
        OriginAccessControlInUse = ("OriginAccessControlInUse", 409,
            "The origin access control is in use."),
        /// No origin access identity has the id.
        NoSuchOai = ("NoSuchCloudFrontOriginAccessIdentity", 404,
            "The specified origin access identity does not exist."),
        /// The caller reference was used with another configuration.
        OaiAlreadyExists = ("CloudFrontOriginAccessIdentityAlreadyExists", 409,
            "The caller reference you attempted to create the origin access identity with is associated with another identity."),
        /// An origin uses the origin access identity.
        OaiInUse = ("CloudFrontOriginAccessIdentityInUse", 409,
            "The Origin Access Identity specified is already in use."),
        /// A tagged resource does not exist.
        NoSuchResource = ("NoSuchResource", 404, "The specified resource does not exist."),
        /// The tags are not valid.
        InvalidTagging { message: String } = ("InvalidTagging", 400, "{message}"),
    }
}

#[cfg(test)]
mod tests {
    use super::CloudfrontError;

    #[test]
    fn declared_errors_are_the_models() {
        let model = gureum_model::load("cloudfront").expect("the cloudfront model");
        let problems =
            gureum_protocol::check_declared_errors(&model, CloudfrontError::DECLARED, &[]);
        assert!(problems.is_empty(), "{problems:#?}");
    }
}
