//! `HTTP_PROXY` integrations: the request goes to the integration's URL,
//! as parameter mapping edits it, and the answer comes back as it is.

use super::{http_client, integration_timeout, service_unavailable};
use gureum_apigatewayv2::events::{HttpRequest, HttpResponse, Served};
use gureum_apigatewayv2::mapping;
use gureum_core::Value;

/// An HTTP proxy integration: the request goes to the integration's URL
/// (`{proxy}` and other path parameters filled in, the query appended),
/// and its answer comes back as it is.
pub async fn forward(
    integration: &Value,
    request: &HttpRequest,
    served: &Served,
    path: &str,
) -> HttpResponse {
    let mut url = integration["IntegrationUri"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    for (name, value) in &served.path_parameters {
        url = url
            .replace(&format!("{{{name}+}}"), value)
            .replace(&format!("{{{name}}}"), value);
    }
    let mut query = request.query.clone();
    let mut headers = request.headers.clone();
    if let Some(parameters) = integration.get("RequestParameters") {
        let mut forwarded = mapping::Forwarded {
            path: None,
            query: decoded_pairs(&request.query),
            headers,
        };
        mapping::apply(Some(parameters), &mut forwarded, request, served, path);
        if let Some(new_path) = forwarded.path {
            url = format!("{}{new_path}", origin_of(&url));
        }
        query = encoded_query(&forwarded.query);
        headers = forwarded.headers;
    }
    if !query.is_empty() {
        url.push(if url.contains('?') { '&' } else { '?' });
        url.push_str(&query);
    }
    let method = match integration["IntegrationMethod"].as_str() {
        Some("ANY") | None => request.method.clone(),
        Some(m) => m.to_string(),
    };
    let body = request.body.clone();
    let limit = integration_timeout(integration);
    let answer = tokio::task::spawn_blocking(move || {
        http_client::send(&method, &url, &headers, &body, limit)
    });
    let answer = match tokio::time::timeout(limit, answer).await {
        Ok(a) => a,
        Err(_) => return service_unavailable(),
    };
    match answer {
        Ok(Ok(reply)) => HttpResponse {
            status: reply.status,
            headers: reply
                .headers
                .into_iter()
                .filter(|(k, _)| {
                    !matches!(
                        k.to_ascii_lowercase().as_str(),
                        "connection" | "transfer-encoding" | "content-length" | "keep-alive"
                    )
                })
                .collect(),
            body: reply.body,
        },
        Ok(Err(e)) => {
            tracing::info!(target: "gureum", "execute-api: HTTP_PROXY failed: {e}");
            HttpResponse::internal()
        }
        Err(_) => HttpResponse::internal(),
    }
}

/// `scheme://authority` of a URL.
fn origin_of(url: &str) -> &str {
    let after_scheme = url.find("://").map_or(0, |i| i + 3);
    match url[after_scheme..].find(['/', '?']) {
        Some(i) => &url[..after_scheme + i],
        None => url,
    }
}

/// A query string's pairs, decoded.
fn decoded_pairs(query: &str) -> Vec<(String, String)> {
    let dec = |s: &str| {
        percent_encoding::percent_decode_str(&s.replace('+', " "))
            .decode_utf8_lossy()
            .into_owned()
    };
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (dec(k), dec(v))
        })
        .collect()
}

/// Pairs as a query string, percent-encoded.
fn encoded_query(pairs: &[(String, String)]) -> String {
    const SET: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'_')
        .remove(b'.')
        .remove(b'~');
    pairs
        .iter()
        .map(|(k, v)| {
            format!(
                "{}={}",
                percent_encoding::utf8_percent_encode(k, SET),
                percent_encoding::utf8_percent_encode(v, SET)
            )
        })
        .collect::<Vec<_>>()
        .join("&")
}
