//! Writing a stage's deployment as OpenAPI 3.0 (`oas30`) or Swagger 2.0
//! (`swagger`), with API Gateway's extensions when asked:
//! `integrations` (`x-amazon-apigateway-integration`), `authorizers`
//! (`x-amazon-apigateway-authorizer`), `apigateway` (both, plus request
//! validators, gateway responses and binary media types).

use crate::models::MODEL_URL;
use crate::Deployment;
use gureum_core::Value;
use serde_json::json;

/// What to write.
pub(crate) struct Export<'a> {
    /// The API as `GetRestApi` answers it.
    pub api: &'a Value,
    /// The stage's deployment.
    pub deployment: &'a Deployment,
    /// The stage name.
    pub stage: &'a str,
    /// The API's region.
    pub region: &'a str,
    /// OpenAPI 3 (else Swagger 2).
    pub oas3: bool,
    /// With `x-amazon-apigateway-integration`.
    pub integrations: bool,
    /// With authorizers' extensions.
    pub authorizers: bool,
    /// With every API Gateway extension.
    pub apigateway: bool,
}

impl Export<'_> {
    /// The definition.
    pub fn document(&self) -> Value {
        let api_id = self.api["id"].as_str().unwrap_or_default();
        let mut info = json!({"title": self.api["name"]});
        if let Some(d) = self.api["description"].as_str() {
            info["description"] = json!(d);
        }
        info["version"] = match self.api["version"].as_str() {
            Some(v) => json!(v),
            None => json!(created(&self.deployment.info["createdDate"])),
        };
        let host = format!("{api_id}.execute-api.{}.amazonaws.com", self.region);
        let mut doc = if self.oas3 {
            json!({"openapi": "3.0.1", "info": info, "servers": [{
                "url": format!("https://{host}/{{basePath}}"),
                "variables": {"basePath": {"default": self.stage}}}]})
        } else {
            json!({"swagger": "2.0", "info": info, "host": host,
                "basePath": format!("/{}", self.stage), "schemes": ["https"]})
        };
        let mut schemes = serde_json::Map::new();
        let mut paths = serde_json::Map::new();
        let mut resources: Vec<_> = self.deployment.resources.values().collect();
        resources.sort_by(|a, b| a.path.cmp(&b.path));
        for r in resources {
            if r.methods.is_empty() {
                continue;
            }
            let mut item = serde_json::Map::new();
            for (verb, m) in &r.methods {
                let key = if verb == "ANY" {
                    "x-amazon-apigateway-any-method".to_string()
                } else {
                    verb.to_ascii_lowercase()
                };
                item.insert(key, self.operation(m, &mut schemes));
            }
            paths.insert(r.path.clone(), Value::Object(item));
        }
        doc["paths"] = Value::Object(paths);
        let models = self.models(api_id);
        if self.oas3 {
            let mut components = json!({});
            if !models.is_empty() {
                components["schemas"] = Value::Object(models);
            }
            if !schemes.is_empty() {
                components["securitySchemes"] = Value::Object(schemes);
            }
            doc["components"] = components;
        } else {
            if !schemes.is_empty() {
                doc["securityDefinitions"] = Value::Object(schemes);
            }
            if !models.is_empty() {
                doc["definitions"] = Value::Object(models);
            }
        }
        if self.apigateway {
            self.extensions(&mut doc);
        }
        doc
    }

    fn extensions(&self, doc: &mut Value) {
        let validators: serde_json::Map<String, Value> = self
            .deployment
            .validators
            .values()
            .map(|v| {
                (
                    v["name"].as_str().unwrap_or_default().to_string(),
                    json!({"validateRequestBody": v["validateRequestBody"],
                        "validateRequestParameters": v["validateRequestParameters"]}),
                )
            })
            .collect();
        if !validators.is_empty() {
            doc["x-amazon-apigateway-request-validators"] = Value::Object(validators);
        }
        let responses: serde_json::Map<String, Value> = self
            .deployment
            .gateway_responses
            .iter()
            .map(|(kind, r)| {
                let mut out = json!({});
                crate::copy_members(
                    r,
                    &mut out,
                    &["statusCode", "responseParameters", "responseTemplates"],
                );
                (kind.clone(), out)
            })
            .collect();
        if !responses.is_empty() {
            doc["x-amazon-apigateway-gateway-responses"] = Value::Object(responses);
        }
        if let Some(types) = self.api["binaryMediaTypes"]
            .as_array()
            .filter(|t| !t.is_empty())
        {
            doc["x-amazon-apigateway-binary-media-types"] = json!(types);
        }
        if let Some(source) = self.api["apiKeySource"].as_str().filter(|s| *s != "HEADER") {
            doc["x-amazon-apigateway-api-key-source"] = json!(source);
        }
    }

    fn models(&self, api_id: &str) -> serde_json::Map<String, Value> {
        let prefix = format!("{MODEL_URL}{api_id}/models/");
        let local = if self.oas3 {
            "#/components/schemas/"
        } else {
            "#/definitions/"
        };
        self.deployment
            .models
            .iter()
            .filter_map(|(name, m)| {
                let mut schema: Value = serde_json::from_str(m["schema"].as_str()?).ok()?;
                if let Some(o) = schema.as_object_mut() {
                    o.remove("$schema");
                }
                local_refs(&mut schema, &prefix, local);
                Some((name.clone(), schema))
            })
            .collect()
    }

    fn model_ref(&self, name: &str) -> Value {
        if self.oas3 {
            json!({"$ref": format!("#/components/schemas/{name}")})
        } else {
            json!({"$ref": format!("#/definitions/{name}")})
        }
    }

    fn operation(&self, m: &Value, schemes: &mut serde_json::Map<String, Value>) -> Value {
        let mut op = json!({});
        if let Some(id) = m["operationName"].as_str() {
            op["operationId"] = json!(id);
        }
        let mut parameters = Vec::new();
        for (key, required) in m["requestParameters"].as_object().into_iter().flatten() {
            let Some(rest) = key.strip_prefix("method.request.") else {
                continue;
            };
            let Some((place, name)) = rest.split_once('.') else {
                continue;
            };
            let place = match place {
                "path" => "path",
                "querystring" | "multivaluequerystring" => "query",
                "header" | "multivalueheader" => "header",
                _ => continue,
            };
            let mut p = json!({"name": name, "in": place, "required": required.as_bool().unwrap_or(false) || place == "path"});
            if self.oas3 {
                p["schema"] = json!({"type": "string"});
            } else {
                p["type"] = json!("string");
            }
            parameters.push(p);
        }
        if let Some(models) = m["requestModels"].as_object().filter(|m| !m.is_empty()) {
            if self.oas3 {
                let content: serde_json::Map<String, Value> = models
                    .iter()
                    .map(|(media, name)| {
                        (
                            media.clone(),
                            json!({"schema": self.model_ref(name.as_str().unwrap_or_default())}),
                        )
                    })
                    .collect();
                op["requestBody"] = json!({"content": content, "required": true});
            } else if let Some((media, name)) = models.iter().next() {
                let name = name.as_str().unwrap_or_default();
                op["consumes"] = json!([media]);
                parameters.push(json!({"in": "body", "name": name, "required": true, "schema": self.model_ref(name)}));
            }
        }
        if !parameters.is_empty() {
            op["parameters"] = json!(parameters);
        }
        op["responses"] = self.responses(m);
        self.security(m, &mut op, schemes);
        if self.apigateway {
            if let Some(id) = m["requestValidatorId"].as_str() {
                if let Some(v) = self.deployment.validators.get(id) {
                    op["x-amazon-apigateway-request-validator"] = v["name"].clone();
                }
            }
        }
        if self.integrations || self.apigateway {
            if let Some(i) = m.get("methodIntegration") {
                op["x-amazon-apigateway-integration"] = integration(i);
            }
        }
        op
    }

    fn responses(&self, m: &Value) -> Value {
        let mut out = json!({});
        for (code, r) in m["methodResponses"].as_object().into_iter().flatten() {
            let mut response = json!({"description": format!("{code} response")});
            let headers: serde_json::Map<String, Value> = r["responseParameters"]
                .as_object()
                .into_iter()
                .flatten()
                .filter_map(|(k, _)| k.strip_prefix("method.response.header."))
                .map(|h| {
                    let schema = if self.oas3 {
                        json!({"schema": {"type": "string"}})
                    } else {
                        json!({"type": "string"})
                    };
                    (h.to_string(), schema)
                })
                .collect();
            if !headers.is_empty() {
                response["headers"] = Value::Object(headers);
            }
            if let Some(models) = r["responseModels"].as_object().filter(|m| !m.is_empty()) {
                if self.oas3 {
                    let content: serde_json::Map<String, Value> = models
                        .iter()
                        .map(|(media, name)| (media.clone(), json!({"schema": self.model_ref(name.as_str().unwrap_or_default())})))
                        .collect();
                    response["content"] = Value::Object(content);
                } else if let Some(name) = models.values().next().and_then(Value::as_str) {
                    response["schema"] = self.model_ref(name);
                }
            }
            out[code] = response;
        }
        out
    }

    fn security(&self, m: &Value, op: &mut Value, schemes: &mut serde_json::Map<String, Value>) {
        let mut security = Vec::new();
        match m["authorizationType"].as_str() {
            Some("AWS_IAM") => {
                security.push(json!({"sigv4": []}));
                schemes.insert("sigv4".into(), json!({"type": "apiKey", "name": "Authorization", "in": "header", "x-amazon-apigateway-authtype": "awsSigv4"}));
            }
            Some("CUSTOM") => {
                let id = m["authorizerId"].as_str().unwrap_or_default();
                if let Some(a) = self.deployment.authorizers.get(id) {
                    let name = a["name"].as_str().unwrap_or(id).to_string();
                    security.push(json!({ name.clone(): [] }));
                    schemes.insert(name, self.authorizer(a));
                }
            }
            _ => {}
        }
        if m["apiKeyRequired"].as_bool() == Some(true) {
            security.push(json!({"api_key": []}));
            schemes.insert(
                "api_key".into(),
                json!({"type": "apiKey", "name": "x-api-key", "in": "header"}),
            );
        }
        if !security.is_empty() {
            op["security"] = json!(security);
        }
    }

    fn authorizer(&self, a: &Value) -> Value {
        let source = a["identitySource"].as_str().unwrap_or_default();
        let header = source
            .strip_prefix("method.request.header.")
            .filter(|_| a["type"] == "TOKEN");
        let mut scheme = json!({"type": "apiKey", "name": header.unwrap_or("Unused"), "in": "header",
            "x-amazon-apigateway-authtype": a["authType"].as_str().unwrap_or("custom")});
        if self.authorizers || self.apigateway {
            let mut ext =
                json!({"type": a["type"].as_str().unwrap_or("TOKEN").to_ascii_lowercase()});
            crate::copy_members(
                a,
                &mut ext,
                &[
                    "authorizerUri",
                    "authorizerCredentials",
                    "authorizerResultTtlInSeconds",
                    "identityValidationExpression",
                ],
            );
            if a["type"] == "REQUEST" {
                ext["identitySource"] = json!(source);
            }
            scheme["x-amazon-apigateway-authorizer"] = ext;
        }
        scheme
    }
}

/// `x-amazon-apigateway-integration` for a method's integration.
fn integration(i: &Value) -> Value {
    let mut ext = json!({"type": i["type"].as_str().unwrap_or_default().to_ascii_lowercase()});
    if let Some(v) = i["httpMethod"].as_str() {
        ext["httpMethod"] = json!(v);
    }
    crate::copy_members(
        i,
        &mut ext,
        &[
            "uri",
            "credentials",
            "requestParameters",
            "requestTemplates",
            "timeoutInMillis",
            "contentHandling",
            "cacheNamespace",
            "cacheKeyParameters",
            "connectionType",
            "connectionId",
        ],
    );
    if let Some(p) = i["passthroughBehavior"].as_str() {
        ext["passthroughBehavior"] = json!(p.to_ascii_lowercase());
    }
    let mut responses = serde_json::Map::new();
    for (code, r) in i["integrationResponses"].as_object().into_iter().flatten() {
        let key = r["selectionPattern"]
            .as_str()
            .filter(|p| !p.is_empty())
            .unwrap_or("default");
        let mut out = json!({"statusCode": code});
        crate::copy_members(
            r,
            &mut out,
            &["responseParameters", "responseTemplates", "contentHandling"],
        );
        responses.insert(key.to_string(), out);
    }
    if !responses.is_empty() {
        ext["responses"] = Value::Object(responses);
    }
    ext
}

/// Points model URLs back at the definition's own schemas.
fn local_refs(schema: &mut Value, prefix: &str, local: &str) {
    match schema {
        Value::Object(m) => {
            for (k, v) in m.iter_mut() {
                match (k.as_str(), v.as_str().and_then(|r| r.strip_prefix(prefix))) {
                    ("$ref", Some(name)) => *v = json!(format!("{local}{name}")),
                    _ => local_refs(v, prefix, local),
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|v| local_refs(v, prefix, local)),
        _ => {}
    }
}

/// A deployment's creation time (epoch seconds) as `2024-01-02T03:04:05Z`.
fn created(v: &Value) -> String {
    let secs = v.as_f64().unwrap_or_default() as i64;
    let (y, m, d) = gureum_core::timestamp::civil_from_days(secs.div_euclid(86_400));
    let s = secs.rem_euclid(86_400);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        s / 3600,
        s % 3600 / 60,
        s % 60
    )
}
