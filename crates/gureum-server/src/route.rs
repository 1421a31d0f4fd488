//! Picking the service and protocol a request speaks.
//!
//! The order, first match wins:
//!
//! 1. `smithy-protocol: rpc-v2-cbor` with a `/service/<Name>/operation/<Op>`
//!    path → the service whose Smithy name is `<Name>`;
//! 2. `X-Amz-Target: <prefix>.<Op>` → the json service with that prefix;
//! 3. the SigV4 credential scope's service name (`s3`, `ec2`, `monitoring`)
//!    → that service's models; when one signing name covers two models
//!    (`elasticloadbalancing`: elb/elbv2, `apigateway`: v1/v2, `ses`: v1/v2,
//!    `s3`: s3/s3control) the query `Version=` or the path prefix decides;
//! 4. unsigned query requests (`Action=`) → STS, whose web-identity and
//!    SAML operations are the unsigned ones AWS has;
//! 5. everything else → S3, which serves anonymous requests (also for
//!    virtual-hosted `bucket.s3.localhost` names).
//!
//! Within a service, the protocol is rpc-v2-cbor for rule 1, json for rule
//! 2, query/ec2 for form posts and `Action=` GETs, and otherwise the
//! service's rest protocol.

use gureum_model::{index, Protocol, ServiceIndexEntry};
use http::HeaderMap;

/// Where a request goes.
#[derive(Clone, Copy, Debug)]
pub struct Route {
    /// The service's routing metadata.
    pub service: &'static ServiceIndexEntry,
    /// The protocol the request speaks.
    pub protocol: Protocol,
}

/// What routing looks at.
#[derive(Clone, Copy, Debug)]
pub struct RequestView<'a> {
    /// HTTP method.
    pub method: &'a str,
    /// Raw path.
    pub path: &'a str,
    /// Raw query string.
    pub query: &'a str,
    /// Headers.
    pub headers: &'a HeaderMap,
    /// The body (form posts carry `Action` and `Version` in it).
    pub body: &'a [u8],
    /// The SigV4 scope's service name, when the request is signed.
    pub signing_service: Option<&'a str>,
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

fn by_name(name: &str) -> Option<&'static ServiceIndexEntry> {
    index().iter().find(|e| e.name == name)
}

fn speaks(e: &ServiceIndexEntry, p: Protocol) -> bool {
    e.protocols().contains(&p)
}

/// Looks up one `key=value` field of a form-encoded string without decoding
/// the whole thing (routing only needs `Action` and `Version`).
pub fn form_field<'a>(form: &'a str, key: &str) -> Option<&'a str> {
    form.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        (k == key).then_some(v)
    })
}

fn is_form(view: &RequestView<'_>) -> bool {
    view.method == "POST"
        && header(view.headers, "content-type")
            .is_some_and(|c| c.starts_with("application/x-www-form-urlencoded"))
}

/// The `Action`/`Version` source of a query-protocol request, if it is one.
fn query_params<'a>(view: &RequestView<'a>) -> Option<&'a str> {
    if is_form(view) {
        let body = std::str::from_utf8(view.body).ok()?;
        return form_field(body, "Action").map(|_| body);
    }
    if view.method == "GET" && form_field(view.query, "Action").is_some() {
        return Some(view.query);
    }
    None
}

fn query_protocol(e: &ServiceIndexEntry) -> Option<Protocol> {
    e.protocols()
        .into_iter()
        .find(|p| matches!(p, Protocol::Query | Protocol::Ec2))
}

/// Whether a json model declares `awsQueryCompatible` (it moved from
/// query and its older clients still speak query).
fn query_compatible(e: &ServiceIndexEntry) -> bool {
    gureum_model::load(&e.name).is_ok_and(|m| m.metadata.aws_query_compatible.is_some())
}

fn json_protocol(e: &ServiceIndexEntry) -> Option<Protocol> {
    e.protocols()
        .into_iter()
        .find(|p| matches!(p, Protocol::Json10 | Protocol::Json11))
}

fn rest_protocol(e: &ServiceIndexEntry) -> Option<Protocol> {
    e.protocols()
        .into_iter()
        .find(|p| matches!(p, Protocol::RestJson | Protocol::RestXml))
}

/// Picks the route for a request, or `None` when the request names a
/// service Gureum has no model for.
pub fn route(view: &RequestView<'_>) -> Option<Route> {
    // 1. Smithy RPC v2 CBOR.
    if header(view.headers, "smithy-protocol") == Some("rpc-v2-cbor") {
        let name = view.path.strip_prefix("/service/")?.split('/').next()?;
        let service = index()
            .iter()
            .find(|e| e.target_prefix.as_deref() == Some(name) && speaks(e, Protocol::RpcV2Cbor))?;
        return Some(Route {
            service,
            protocol: Protocol::RpcV2Cbor,
        });
    }
    // 2. awsJson.
    if let Some(target) = header(view.headers, "x-amz-target") {
        let prefix = target.split('.').next().unwrap_or_default();
        let service = index()
            .iter()
            .find(|e| e.target_prefix.as_deref() == Some(prefix))?;
        return Some(Route {
            service,
            protocol: json_protocol(service)?,
        });
    }
    let query = query_params(view);
    // 3. The signing name.
    if let Some(signing) = view.signing_service {
        let candidates: Vec<&'static ServiceIndexEntry> = index()
            .iter()
            .filter(|e| e.signing_name == signing)
            .collect();
        if candidates.is_empty() {
            return None;
        }
        if let Some(params) = query {
            let version = form_field(params, "Version");
            let service = candidates
                .iter()
                .copied()
                .filter(|e| query_protocol(e).is_some())
                .find(|e| version.is_none_or(|v| v == e.api_version))
                .or_else(|| {
                    candidates
                        .iter()
                        .copied()
                        .find(|e| query_protocol(e).is_some())
                });
            if let Some(service) = service {
                return Some(Route {
                    service,
                    protocol: query_protocol(service)?,
                });
            }
            // A json model that kept query compatibility (SQS) still
            // answers the query requests its older clients send.
            let service = candidates.iter().copied().find(|e| query_compatible(e))?;
            return Some(Route {
                service,
                protocol: Protocol::Query,
            });
        }
        let rest: Vec<_> = candidates
            .iter()
            .copied()
            .filter(|e| rest_protocol(e).is_some())
            .collect();
        let service = match rest.as_slice() {
            [] => candidates[0],
            [one] => one,
            many => pick_by_path(many, view.path)?,
        };
        let protocol = rest_protocol(service).or_else(|| service.protocols().first().copied())?;
        return Some(Route { service, protocol });
    }
    // 4. Unsigned query requests.
    if query.is_some() {
        let service = by_name("sts")?;
        return Some(Route {
            service,
            protocol: Protocol::Query,
        });
    }
    // 5. Anonymous S3.
    Some(Route {
        service: by_name("s3")?,
        protocol: Protocol::RestXml,
    })
}

/// Chooses between two rest models that share a signing name by the path
/// prefix the newer API uses (`/v2/…` for API Gateway v2 and SES v2,
/// `/v20180820/…` for S3 Control).
fn pick_by_path(
    candidates: &[&'static ServiceIndexEntry],
    path: &str,
) -> Option<&'static ServiceIndexEntry> {
    let wants = |name: &str| candidates.iter().copied().find(|e| e.name == name);
    if path.starts_with("/v20180820/") {
        return wants("s3control");
    }
    if path.starts_with("/v2/") {
        return wants("apigatewayv2").or_else(|| wants("sesv2"));
    }
    candidates
        .iter()
        .copied()
        .find(|e| !matches!(e.name.as_str(), "s3control" | "apigatewayv2" | "sesv2"))
}

/// For virtual-hosted S3 requests (`bucket.s3.localhost:4566`,
/// `bucket.s3.us-east-1.localhost`, `bucket.s3.amazonaws.com`), the bucket
/// named by the `Host` header.
pub fn virtual_host_bucket(host: &str) -> Option<&str> {
    let host = host.rsplit_once(':').map_or(host, |(h, port)| {
        if port.bytes().all(|b| b.is_ascii_digit()) {
            h
        } else {
            host
        }
    });
    let idx = host.find(".s3.").or_else(|| host.find(".s3-"))?;
    let bucket = &host[..idx];
    (!bucket.is_empty()).then_some(bucket)
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    fn view<'a>(
        headers: &'a HeaderMap,
        method: &'a str,
        path: &'a str,
        body: &'a [u8],
        signing: Option<&'a str>,
    ) -> RequestView<'a> {
        RequestView {
            method,
            path,
            query: "",
            headers,
            body,
            signing_service: signing,
        }
    }

    fn form_headers() -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(
            "content-type",
            HeaderValue::from_static("application/x-www-form-urlencoded; charset=utf-8"),
        );
        h
    }

    #[test]
    fn target_header_picks_the_json_service() {
        let mut h = HeaderMap::new();
        h.insert(
            "x-amz-target",
            HeaderValue::from_static("DynamoDB_20120810.ListTables"),
        );
        let r = route(&view(&h, "POST", "/", b"{}", Some("dynamodb"))).expect("routed");
        assert_eq!(r.service.name, "dynamodb");
        assert_eq!(r.protocol, Protocol::Json10);
        h.insert(
            "x-amz-target",
            HeaderValue::from_static("DynamoDBStreams_20120810.ListStreams"),
        );
        let r = route(&view(&h, "POST", "/", b"{}", Some("dynamodb"))).expect("routed");
        assert_eq!(r.service.name, "dynamodbstreams");
    }

    #[test]
    fn cloudwatch_accepts_cbor_json_and_query() {
        let mut h = HeaderMap::new();
        h.insert("smithy-protocol", HeaderValue::from_static("rpc-v2-cbor"));
        let r = route(&view(
            &h,
            "POST",
            "/service/GraniteServiceVersion20100801/operation/ListMetrics",
            b"",
            Some("monitoring"),
        ))
        .expect("cbor");
        assert_eq!(
            (r.service.name.as_str(), r.protocol),
            ("cloudwatch", Protocol::RpcV2Cbor)
        );
        let mut h = HeaderMap::new();
        h.insert(
            "x-amz-target",
            HeaderValue::from_static("GraniteServiceVersion20100801.ListMetrics"),
        );
        let r = route(&view(&h, "POST", "/", b"{}", Some("monitoring"))).expect("json");
        assert_eq!(
            (r.service.name.as_str(), r.protocol),
            ("cloudwatch", Protocol::Json10)
        );
        let h = form_headers();
        let r = route(&view(
            &h,
            "POST",
            "/",
            b"Action=ListMetrics&Version=2010-08-01",
            Some("monitoring"),
        ))
        .expect("query");
        assert_eq!(
            (r.service.name.as_str(), r.protocol),
            ("cloudwatch", Protocol::Query)
        );
    }

    #[test]
    fn query_version_splits_elb_from_elbv2() {
        let h = form_headers();
        let r = route(&view(
            &h,
            "POST",
            "/",
            b"Action=DescribeLoadBalancers&Version=2015-12-01",
            Some("elasticloadbalancing"),
        ))
        .expect("v2");
        assert_eq!(r.service.name, "elbv2");
        let r = route(&view(
            &h,
            "POST",
            "/",
            b"Action=DescribeLoadBalancers&Version=2012-06-01",
            Some("elasticloadbalancing"),
        ))
        .expect("v1");
        assert_eq!(r.service.name, "elb");
    }

    #[test]
    fn ec2_form_posts_speak_ec2() {
        let h = form_headers();
        let r = route(&view(
            &h,
            "POST",
            "/",
            b"Action=DescribeRegions&Version=2016-11-15",
            Some("ec2"),
        ))
        .expect("ec2");
        assert_eq!(
            (r.service.name.as_str(), r.protocol),
            ("ec2", Protocol::Ec2)
        );
    }

    #[test]
    fn rest_services_split_by_path_prefix() {
        let h = HeaderMap::new();
        let r = route(&view(&h, "GET", "/v2/apis", b"", Some("apigateway"))).expect("v2");
        assert_eq!(r.service.name, "apigatewayv2");
        let r = route(&view(&h, "GET", "/restapis", b"", Some("apigateway"))).expect("v1");
        assert_eq!(r.service.name, "apigateway");
        let r = route(&view(&h, "GET", "/", b"", Some("s3"))).expect("s3");
        assert_eq!(
            (r.service.name.as_str(), r.protocol),
            ("s3", Protocol::RestXml)
        );
        let r = route(&view(
            &h,
            "GET",
            "/2015-03-31/functions/",
            b"",
            Some("lambda"),
        ))
        .expect("lambda");
        assert_eq!(
            (r.service.name.as_str(), r.protocol),
            ("lambda", Protocol::RestJson)
        );
    }

    #[test]
    fn unsigned_requests_go_to_sts_or_s3() {
        let h = form_headers();
        let r = route(&view(
            &h,
            "POST",
            "/",
            b"Action=AssumeRoleWithWebIdentity&Version=2011-06-15",
            None,
        ))
        .expect("sts");
        assert_eq!(r.service.name, "sts");
        let h = HeaderMap::new();
        let r = route(&view(&h, "GET", "/bucket/key", b"", None)).expect("s3");
        assert_eq!(r.service.name, "s3");
    }

    #[test]
    fn unknown_signing_names_have_no_route() {
        let h = HeaderMap::new();
        assert!(route(&view(&h, "GET", "/", b"", Some("sagemaker"))).is_none());
    }

    #[test]
    fn virtual_host_names_carry_the_bucket() {
        assert_eq!(
            virtual_host_bucket("photos.s3.localhost:4566"),
            Some("photos")
        );
        assert_eq!(
            virtual_host_bucket("my.dotted.bucket.s3.us-east-1.localhost"),
            Some("my.dotted.bucket")
        );
        assert_eq!(virtual_host_bucket("s3.localhost:4566"), None);
        assert_eq!(virtual_host_bucket("127.0.0.1:4566"), None);
    }
}
