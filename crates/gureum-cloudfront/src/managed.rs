//! The AWS-managed policies every account sees, with AWS's ids and
//! settings (the CloudFront Developer Guide's "managed policies" pages).

use serde_json::{json, Value};

/// When the managed policies were last modified (a fixed instant).
pub const MANAGED_MODIFIED_MS: i64 = 1_601_510_400_000;

fn none_of(behavior_member: &str, behavior: &str) -> Value {
    json!({ behavior_member: behavior })
}

fn cache_policy(
    name: &str,
    comment: &str,
    ttl: (i64, i64, i64),
    compress: bool,
    headers: Value,
    cookies: &str,
    query: &str,
) -> Value {
    json!({
        "Name": name,
        "Comment": comment,
        "MinTTL": ttl.0,
        "DefaultTTL": ttl.1,
        "MaxTTL": ttl.2,
        "ParametersInCacheKeyAndForwardedToOrigin": {
            "EnableAcceptEncodingGzip": compress,
            "EnableAcceptEncodingBrotli": compress,
            "HeadersConfig": headers,
            "CookiesConfig": none_of("CookieBehavior", cookies),
            "QueryStringsConfig": none_of("QueryStringBehavior", query),
        },
    })
}

fn header_list(behavior: &str, names: &[&str]) -> Value {
    json!({
        "HeaderBehavior": behavior,
        "Headers": {"Quantity": names.len(), "Items": names},
    })
}

/// The managed cache policies: `(id, CachePolicyConfig)`.
pub fn cache_policies() -> Vec<(&'static str, Value)> {
    let origin_headers = header_list(
        "whitelist",
        &[
            "host",
            "origin",
            "x-http-method-override",
            "x-http-method",
            "x-method-override",
        ],
    );
    vec![
        (
            "658327ea-f89d-4fab-a63d-7e88639e58f6",
            cache_policy(
                "Managed-CachingOptimized",
                "Policy with caching enabled. Supports Gzip and Brotli compression.",
                (1, 86_400, 31_536_000),
                true,
                none_of("HeaderBehavior", "none"),
                "none",
                "none",
            ),
        ),
        (
            "4135ea2d-6df8-44a3-9df3-4b5a84be39ad",
            cache_policy(
                "Managed-CachingDisabled",
                "Policy with caching disabled",
                (0, 0, 0),
                false,
                none_of("HeaderBehavior", "none"),
                "none",
                "none",
            ),
        ),
        (
            "b2884449-e4de-46a7-ac36-70bc7f1ddd6d",
            cache_policy(
                "Managed-CachingOptimizedForUncompressedObjects",
                "Default policy when compression is disabled",
                (1, 86_400, 31_536_000),
                false,
                none_of("HeaderBehavior", "none"),
                "none",
                "none",
            ),
        ),
        (
            "83da9c7e-98b4-4e11-a168-04f0df8e2c65",
            cache_policy(
                "UseOriginCacheControlHeaders",
                "Policy for origins that return Cache-Control headers. Query strings are not included in the cache key.",
                (0, 0, 31_536_000),
                true,
                origin_headers.clone(),
                "all",
                "none",
            ),
        ),
        (
            "4cc15a8a-d715-48a4-82b8-cc0b614638fe",
            cache_policy(
                "UseOriginCacheControlHeaders-QueryStrings",
                "Policy for origins that return Cache-Control headers and serve different content based on values present in the query string.",
                (0, 0, 31_536_000),
                true,
                origin_headers,
                "all",
                "all",
            ),
        ),
    ]
}

fn origin_request_policy(
    name: &str,
    comment: &str,
    headers: Value,
    cookies: &str,
    query: &str,
) -> Value {
    json!({
        "Name": name,
        "Comment": comment,
        "HeadersConfig": headers,
        "CookiesConfig": none_of("CookieBehavior", cookies),
        "QueryStringsConfig": none_of("QueryStringBehavior", query),
    })
}

/// The managed origin request policies: `(id, OriginRequestPolicyConfig)`.
pub fn origin_request_policies() -> Vec<(&'static str, Value)> {
    vec![
        (
            "216adef6-5c7f-47e4-b989-5492eafa07d3",
            origin_request_policy(
                "Managed-AllViewer",
                "Policy to forward all parameters in viewer requests",
                none_of("HeaderBehavior", "allViewer"),
                "all",
                "all",
            ),
        ),
        (
            "b689b0a8-53d0-40ab-baf2-68738e2966ac",
            origin_request_policy(
                "Managed-AllViewerExceptHostHeader",
                "Policy to forward all parameters in viewer requests except for the Host header",
                header_list("allExcept", &["host"]),
                "all",
                "all",
            ),
        ),
        (
            "88a5eaf4-2fd4-4709-b370-b4c650ea3fcf",
            origin_request_policy(
                "Managed-CORS-S3Origin",
                "Policy for origin request to enable CORS with S3 origins",
                header_list(
                    "whitelist",
                    &[
                        "origin",
                        "access-control-request-headers",
                        "access-control-request-method",
                    ],
                ),
                "none",
                "none",
            ),
        ),
        (
            "59781a5b-3903-41f3-afcb-af62929ccde1",
            origin_request_policy(
                "Managed-CORS-CustomOrigin",
                "Policy for origin request to enable CORS with custom origins",
                header_list("whitelist", &["origin"]),
                "none",
                "none",
            ),
        ),
        (
            "acba4595-bd28-49b8-b9fe-13317c0390fa",
            origin_request_policy(
                "Managed-UserAgentRefererHeaders",
                "Policy for origin request to forward User-Agent and Referer headers",
                header_list("whitelist", &["user-agent", "referer"]),
                "none",
                "none",
            ),
        ),
    ]
}

fn cors(name: &str, comment: &str, methods: &[&str], max_age: Option<i64>) -> Value {
    let mut config = json!({
        "AccessControlAllowOrigins": {"Quantity": 1, "Items": ["*"]},
        "AccessControlAllowHeaders": {"Quantity": 1, "Items": ["*"]},
        "AccessControlAllowMethods": {"Quantity": methods.len(), "Items": methods},
        "AccessControlAllowCredentials": false,
        "AccessControlExposeHeaders": {"Quantity": 1, "Items": ["*"]},
        "OriginOverride": false,
    });
    if let Some(age) = max_age {
        config["AccessControlMaxAgeSec"] = json!(age);
    }
    json!({"Name": name, "Comment": comment, "CorsConfig": config})
}

/// The managed response headers policies: `(id, ResponseHeadersPolicyConfig)`.
pub fn response_headers_policies() -> Vec<(&'static str, Value)> {
    vec![
        (
            "60669652-455b-4ae9-85a4-c4c02393f86c",
            cors(
                "Managed-SimpleCORS",
                "Allows all origins for simple CORS requests",
                &["ALL"],
                None,
            ),
        ),
        (
            "5cc3b908-e619-4b99-88e5-2cf7f45965bd",
            cors(
                "Managed-CORS-With-Preflight",
                "Allows all origins for CORS requests, including preflight requests",
                &["DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT"],
                Some(600),
            ),
        ),
    ]
}
