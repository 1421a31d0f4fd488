//! Lambda authorizers on `CUSTOM` methods: the identity from the request,
//! the function's policy for the method ARN (cached for the authorizer's
//! TTL per identity), and API Gateway's refusals (401 `Unauthorized`,
//! 403 for a deny, 500 when the authorizer fails).

use super::{header, proxy, query_pairs, Functions, Request, Response, Target};
use crate::integrations::lambda_function;
use crate::ApigatewayService;
use gureum_core::Value;
use serde_json::json;

/// A JSON answer with `member` (API Gateway spells some `Message`), as
/// gateway response `kind`.
fn answer(status: u16, kind: &'static str, error_type: &str, body: Value) -> Response {
    let message = body
        .as_object()
        .and_then(|m| m.values().next())
        .and_then(Value::as_str)
        .map(str::to_string);
    Response {
        status,
        headers: vec![
            ("Content-Type".into(), "application/json".into()),
            ("x-amzn-ErrorType".into(), error_type.into()),
        ],
        body: body.to_string().into_bytes(),
        error: Some(super::GatewayError {
            kind,
            message,
            validation: String::new(),
        }),
    }
}

fn unauthorized() -> Response {
    answer(
        401,
        "UNAUTHORIZED",
        "UnauthorizedException",
        json!({"message": "Unauthorized"}),
    )
}

fn failed() -> Response {
    answer(
        500,
        "AUTHORIZER_CONFIGURATION_ERROR",
        "AuthorizerConfigurationException",
        json!({"message": null}),
    )
}

/// The value of one identity source, if the request has it.
fn source_value(source: &str, target: &Target, request: &Request) -> Option<String> {
    let source = source.trim();
    if let Some(name) = source.strip_prefix("method.request.header.") {
        return header(request, name).map(str::to_string);
    }
    if let Some(name) = source.strip_prefix("method.request.querystring.") {
        return query_pairs(&request.query)
            .into_iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v);
    }
    if let Some(name) = source.strip_prefix("stageVariables.") {
        return target.stage_variables[name].as_str().map(str::to_string);
    }
    None
}

/// Whether `pattern` (with `*` and `?`) matches all of `text`.
fn glob(pattern: &str, text: &str) -> bool {
    let (p, t): (Vec<char>, Vec<char>) = (pattern.chars().collect(), text.chars().collect());
    let (mut pi, mut ti, mut star, mut mark) = (0, 0, None, 0);
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}

/// `Some(true)` when the policy allows invoking `arn`, `Some(false)` when
/// it denies it explicitly, `None` when it says nothing about it.
fn decide(policy: &Value, arn: &str) -> Option<bool> {
    let statements = match &policy["Statement"] {
        Value::Array(s) => s.clone(),
        s @ Value::Object(_) => vec![s.clone()],
        _ => Vec::new(),
    };
    let list = |v: &Value| match v {
        Value::String(s) => vec![s.clone()],
        Value::Array(a) => a
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_string)
            .collect(),
        _ => Vec::new(),
    };
    let mut allowed = None;
    for s in &statements {
        let action = list(&s["Action"])
            .iter()
            .any(|a| glob(&a.to_ascii_lowercase(), "execute-api:invoke"));
        let resource = list(&s["Resource"]).iter().any(|r| glob(r, arn));
        if !(action && resource) {
            continue;
        }
        match s["Effect"].as_str() {
            Some("Deny") => return Some(false),
            Some("Allow") => allowed = Some(true),
            _ => {}
        }
    }
    allowed
}

impl ApigatewayService {
    /// Runs the method's authorizer: `Ok` with `$context.authorizer`.
    pub(crate) fn authorize_custom(
        &self,
        target: &Target,
        request: &Request,
        context: &Value,
        functions: &dyn Functions,
        now_ms: i64,
    ) -> Result<Value, Response> {
        let id = target.method["authorizerId"].as_str().unwrap_or_default();
        let Some(authorizer) = target.deployment.authorizers.get(id) else {
            return Err(failed());
        };
        let kind = authorizer["type"].as_str().unwrap_or("TOKEN");
        let sources: Vec<&str> = authorizer["identitySource"]
            .as_str()
            .unwrap_or_default()
            .split(',')
            .filter(|s| !s.trim().is_empty())
            .collect();
        let mut identity = Vec::new();
        for s in &sources {
            match source_value(s, target, request) {
                Some(v) if !v.is_empty() => identity.push(v),
                _ => return Err(unauthorized()),
            }
        }
        if kind == "TOKEN" {
            if let Some(expr) = authorizer["identityValidationExpression"].as_str() {
                let ok = crate::invoke::selection::compile(expr)
                    .is_some_and(|re| re.is_match(identity.first().map_or("", String::as_str)));
                if !ok {
                    return Err(unauthorized());
                }
            }
        }
        let method_arn = target.method_arn(request);
        let ttl = authorizer["authorizerResultTtlInSeconds"]
            .as_i64()
            .unwrap_or(300);
        let cache_key = format!("{}/{id}/{}", target.api_id, identity.join("\u{0}"));
        let cached = (ttl > 0 && !identity.is_empty())
            .then(|| {
                self.authorized
                    .lock()
                    .get(&cache_key)
                    .filter(|(until, _)| *until > now_ms)
                    .map(|(_, out)| out.clone())
            })
            .flatten();
        let output = match cached {
            Some(out) => out,
            None => {
                let event = if kind == "TOKEN" {
                    json!({"type": "TOKEN", "authorizationToken": identity.first(), "methodArn": method_arn})
                } else {
                    let mut e = proxy::event(target, request, context);
                    if let Some(m) = e.as_object_mut() {
                        m.remove("body");
                        m.remove("isBase64Encoded");
                    }
                    e["type"] = json!("REQUEST");
                    e["methodArn"] = json!(method_arn);
                    e
                };
                let Some(function) =
                    lambda_function(authorizer["authorizerUri"].as_str().unwrap_or_default())
                else {
                    return Err(failed());
                };
                let source = format!(
                    "arn:aws:execute-api:{}:{}:{}/authorizers/{id}",
                    target.region, target.account, target.api_id
                );
                let result = functions
                    .invoke(function, &source, event.to_string().as_bytes())
                    .map_err(|_| failed())?;
                let out: Value = serde_json::from_slice(&result.payload).map_err(|_| failed())?;
                if result.failed {
                    return Err(if out["errorMessage"] == "Unauthorized" {
                        unauthorized()
                    } else {
                        failed()
                    });
                }
                if !out["principalId"].is_string() || !out["policyDocument"].is_object() {
                    return Err(failed());
                }
                if ttl > 0 && !identity.is_empty() {
                    self.authorized
                        .lock()
                        .insert(cache_key, (now_ms + ttl * 1000, out.clone()));
                }
                out
            }
        };
        match decide(&output["policyDocument"], &method_arn) {
            Some(true) => {}
            Some(false) => {
                return Err(answer(
                    403,
                    "ACCESS_DENIED",
                    "AccessDeniedException",
                    json!({"Message": "User is not authorized to access this resource with an explicit deny"}),
                ))
            }
            None => {
                return Err(answer(
                    403,
                    "ACCESS_DENIED",
                    "AccessDeniedException",
                    json!({"Message": "User is not authorized to access this resource"}),
                ))
            }
        }
        let mut ctx = json!({"principalId": output["principalId"], "integrationLatency": 0});
        if let Some(extra) = output["context"].as_object() {
            for (k, v) in extra {
                ctx[k] = v.clone();
            }
        }
        Ok(ctx)
    }
}

#[cfg(test)]
mod tests {
    use super::{decide, glob};
    use serde_json::json;

    #[test]
    fn resource_globs_match_whole_arns() {
        assert!(glob(
            "arn:aws:execute-api:*:*:abc/*/GET/*",
            "arn:aws:execute-api:us-east-1:1:abc/prod/GET/x/y"
        ));
        assert!(!glob(
            "arn:aws:execute-api:*:*:abc/*/POST/*",
            "arn:aws:execute-api:us-east-1:1:abc/prod/GET/x"
        ));
        assert!(glob("a?c", "abc") && !glob("a?c", "abbc"));
    }

    #[test]
    fn an_explicit_deny_wins_over_an_allow() {
        let allow = json!({"Effect": "Allow", "Action": "execute-api:Invoke", "Resource": "*"});
        let deny =
            json!({"Effect": "Deny", "Action": ["execute-api:Invoke"], "Resource": ["arn:x/*"]});
        assert_eq!(
            decide(&json!({"Statement": [allow.clone()]}), "arn:x/1"),
            Some(true)
        );
        assert_eq!(
            decide(&json!({"Statement": [allow, deny]}), "arn:x/1"),
            Some(false)
        );
        assert_eq!(decide(&json!({"Statement": []}), "arn:x/1"), None);
    }
}
