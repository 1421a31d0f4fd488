//! Reading an OpenAPI 3.0 or Swagger 2.0 definition with API Gateway's
//! extensions into an API's parts: resources and methods (with
//! `x-amazon-apigateway-integration`), models (`definitions` /
//! `components.schemas`), request validators, Lambda authorizers, gateway
//! responses and binary media types. What cannot be imported becomes a
//! warning, as AWS reports them.

use super::Parts;
use crate::models::MODEL_URL;
use crate::{new_id, new_short_id, Resource};
use gureum_core::Value;
use serde_json::json;
use std::collections::BTreeMap;

/// The operation keys of a path item, with the method each makes.
const OPERATIONS: [(&str, &str); 8] = [
    ("get", "GET"),
    ("put", "PUT"),
    ("post", "POST"),
    ("delete", "DELETE"),
    ("patch", "PATCH"),
    ("options", "OPTIONS"),
    ("head", "HEAD"),
    ("x-amazon-apigateway-any-method", "ANY"),
];

/// A definition being read.
pub(crate) struct Reader<'a> {
    doc: &'a Value,
    oas3: bool,
    api_id: &'a str,
    /// Authorizer ids by security scheme name.
    authorizers: BTreeMap<String, String>,
    /// Request validator ids by name.
    validators: BTreeMap<String, String>,
    pub warnings: Vec<String>,
}

/// Whether `doc` is OpenAPI 3 (`Some(true)`), Swagger 2 (`Some(false)`)
/// or neither.
pub(crate) fn dialect(doc: &Value) -> Option<bool> {
    if doc["openapi"].as_str().is_some_and(|v| v.starts_with("3.")) {
        Some(true)
    } else if doc["swagger"].as_str() == Some("2.0") {
        Some(false)
    } else {
        None
    }
}

impl<'a> Reader<'a> {
    /// A reader of `doc` for API `api_id`.
    pub fn new(doc: &'a Value, oas3: bool, api_id: &'a str) -> Self {
        Reader {
            doc,
            oas3,
            api_id,
            authorizers: BTreeMap::new(),
            validators: BTreeMap::new(),
            warnings: Vec::new(),
        }
    }

    /// Reads everything into `parts` (which holds what the API keeps on a
    /// merge, or only its root on an overwrite).
    pub fn read(&mut self, parts: &mut Parts) {
        self.models(parts);
        self.validators(parts);
        self.authorizers(parts);
        if let Some(responses) = self.doc["x-amazon-apigateway-gateway-responses"].as_object() {
            for (kind, r) in responses {
                if crate::gateway_responses::default_status(kind).is_none() {
                    self.warnings
                        .push(format!("Invalid gateway response type specified: {kind}"));
                    continue;
                }
                let mut out = json!({"responseType": kind, "defaultResponse": false,
                    "responseParameters": r.get("responseParameters").cloned().unwrap_or(json!({})),
                    "responseTemplates": r.get("responseTemplates").cloned().unwrap_or(json!({}))});
                crate::copy_members(r, &mut out, &["statusCode"]);
                parts.gateway_responses.insert(kind.clone(), out);
            }
        }
        if let Some(paths) = self.doc["paths"].as_object() {
            for (path, item) in paths {
                self.path(parts, path, item);
            }
        }
    }

    /// The API's own settings the definition gives.
    pub fn info(&self) -> Value {
        let mut info = json!({});
        let title = self.doc["info"]["title"].as_str().unwrap_or_default();
        if !title.is_empty() {
            info["name"] = json!(title);
        }
        for (from, to) in [("description", "description"), ("version", "version")] {
            if let Some(v) = self.doc["info"][from].as_str() {
                info[to] = json!(v);
            }
        }
        if let Some(types) = self.doc["x-amazon-apigateway-binary-media-types"].as_array() {
            info["binaryMediaTypes"] = json!(types);
        }
        if let Some(source) = self.doc["x-amazon-apigateway-api-key-source"].as_str() {
            info["apiKeySource"] = json!(source);
        }
        info
    }

    fn schemas(&self) -> Option<&'a serde_json::Map<String, Value>> {
        if self.oas3 {
            self.doc["components"]["schemas"].as_object()
        } else {
            self.doc["definitions"].as_object()
        }
    }

    fn models(&mut self, parts: &mut Parts) {
        let Some(schemas) = self.schemas() else {
            return;
        };
        for (name, schema) in schemas {
            if !name.chars().all(|c| c.is_ascii_alphanumeric()) {
                self.warnings.push(format!(
                    "Unable to create model for '{name}': Model name must be alphanumeric"
                ));
                continue;
            }
            let mut schema = schema.clone();
            self.rewrite_refs(&mut schema);
            if schema.get("$schema").is_none() {
                if let Some(m) = schema.as_object_mut() {
                    m.insert(
                        "$schema".into(),
                        json!("http://json-schema.org/draft-04/schema#"),
                    );
                }
            }
            if let Some(m) = schema.as_object_mut() {
                m.entry("title").or_insert(json!(name));
            }
            let id = parts
                .models
                .get(name)
                .and_then(|m| m["id"].as_str().map(str::to_string));
            parts.models.insert(
                name.clone(),
                json!({"id": id.unwrap_or_else(new_short_id), "name": name,
                    "contentType": "application/json",
                    "schema": serde_json::to_string_pretty(&schema).unwrap_or_default()}),
            );
        }
    }

    /// Points `$ref`s at models by their API Gateway URL.
    fn rewrite_refs(&self, schema: &mut Value) {
        match schema {
            Value::Object(m) => {
                for (k, v) in m.iter_mut() {
                    if k == "$ref" {
                        if let Some(name) = v.as_str().and_then(|r| self.model_of_ref(r)) {
                            *v = json!(format!("{MODEL_URL}{}/models/{name}", self.api_id));
                        }
                    } else {
                        self.rewrite_refs(v);
                    }
                }
            }
            Value::Array(items) => items.iter_mut().for_each(|v| self.rewrite_refs(v)),
            _ => {}
        }
    }

    /// The model a `$ref` names.
    fn model_of_ref(&self, reference: &str) -> Option<String> {
        let prefix = if self.oas3 {
            "#/components/schemas/"
        } else {
            "#/definitions/"
        };
        reference.strip_prefix(prefix).map(str::to_string)
    }

    fn validators(&mut self, parts: &mut Parts) {
        let Some(all) = self.doc["x-amazon-apigateway-request-validators"].as_object() else {
            return;
        };
        for (name, v) in all {
            let existing = parts
                .validators
                .values()
                .find(|o| o["name"] == name.as_str())
                .and_then(|o| o["id"].as_str().map(str::to_string));
            let id = existing.unwrap_or_else(new_short_id);
            parts.validators.insert(
                id.clone(),
                json!({"id": id, "name": name,
                    "validateRequestBody": v["validateRequestBody"].as_bool().unwrap_or(false),
                    "validateRequestParameters": v["validateRequestParameters"].as_bool().unwrap_or(false)}),
            );
            self.validators.insert(name.clone(), id);
        }
    }

    fn security_schemes(&self) -> Option<&'a serde_json::Map<String, Value>> {
        if self.oas3 {
            self.doc["components"]["securitySchemes"].as_object()
        } else {
            self.doc["securityDefinitions"].as_object()
        }
    }

    fn authorizers(&mut self, parts: &mut Parts) {
        let Some(schemes) = self.security_schemes() else {
            return;
        };
        for (name, scheme) in schemes {
            let Some(ext) = scheme.get("x-amazon-apigateway-authorizer") else {
                continue;
            };
            let kind = ext["type"].as_str().unwrap_or("token").to_ascii_uppercase();
            let header_source = || {
                scheme["name"]
                    .as_str()
                    .map(|h| format!("method.request.header.{h}"))
            };
            let source = ext["identitySource"]
                .as_str()
                .map(str::to_string)
                .or_else(|| (kind == "TOKEN").then(header_source).flatten());
            let existing = parts
                .authorizers
                .values()
                .find(|a| a["name"] == name.as_str())
                .and_then(|a| a["id"].as_str().map(str::to_string));
            let id = existing.unwrap_or_else(new_short_id);
            let mut a = json!({"id": id, "name": name, "type": kind,
                "authType": scheme["x-amazon-apigateway-authtype"].as_str().unwrap_or("custom"),
                "authorizerResultTtlInSeconds": ext["authorizerResultTtlInSeconds"].as_i64().unwrap_or(300)});
            if let Some(s) = source {
                a["identitySource"] = json!(s);
            }
            crate::copy_members(
                ext,
                &mut a,
                &[
                    "authorizerUri",
                    "authorizerCredentials",
                    "identityValidationExpression",
                    "providerARNs",
                ],
            );
            if let Err(e) = crate::authorizers::check(&a) {
                self.warnings.push(format!(
                    "Unable to create authorizer '{name}': {}",
                    e.message
                ));
                continue;
            }
            parts.authorizers.insert(id.clone(), a);
            self.authorizers.insert(name.clone(), id);
        }
    }

    fn path(&mut self, parts: &mut Parts, path: &str, item: &Value) {
        let id = ensure_path(&mut parts.resources, path);
        let shared = item["parameters"].as_array().cloned().unwrap_or_default();
        for (key, verb) in OPERATIONS {
            let Some(op) = item.get(key) else { continue };
            let method = self.method(path, verb, op, &shared);
            if let Some(r) = parts.resources.get_mut(&id) {
                r.methods.insert(verb.to_string(), method);
            }
        }
    }

    /// A `$ref` to a parameter, resolved.
    fn parameter(&self, p: &'a Value) -> &'a Value {
        match p["$ref"].as_str().and_then(|r| r.strip_prefix('#')) {
            Some(pointer) => self.doc.pointer(pointer).unwrap_or(p),
            None => p,
        }
    }

    fn method(&mut self, path: &str, verb: &str, op: &Value, shared: &[Value]) -> Value {
        let mut method =
            json!({"httpMethod": verb, "authorizationType": "NONE", "apiKeyRequired": false});
        if let Some(id) = op["operationId"].as_str() {
            method["operationName"] = json!(id);
        }
        let mut parameters = serde_json::Map::new();
        let mut models = serde_json::Map::new();
        let consumes = op["consumes"]
            .as_array()
            .or(self.doc["consumes"].as_array())
            .and_then(|c| c.first())
            .and_then(Value::as_str)
            .unwrap_or("application/json")
            .to_string();
        for p in shared
            .iter()
            .chain(op["parameters"].as_array().into_iter().flatten())
        {
            let p = self.parameter(p);
            let name = p["name"].as_str().unwrap_or_default();
            let place = match p["in"].as_str().unwrap_or_default() {
                "path" => "path",
                "query" => "querystring",
                "header" => "header",
                "body" => {
                    if let Some(model) = p["schema"]["$ref"]
                        .as_str()
                        .and_then(|r| self.model_of_ref(r))
                    {
                        models.insert(consumes.clone(), json!(model));
                    }
                    continue;
                }
                _ => continue,
            };
            let required = p["required"].as_bool().unwrap_or(place == "path");
            parameters.insert(format!("method.request.{place}.{name}"), json!(required));
        }
        if let Some(content) = op["requestBody"]["content"].as_object() {
            for (media, c) in content {
                if let Some(model) = c["schema"]["$ref"]
                    .as_str()
                    .and_then(|r| self.model_of_ref(r))
                {
                    models.insert(media.clone(), json!(model));
                }
            }
        }
        if !parameters.is_empty() {
            method["requestParameters"] = Value::Object(parameters);
        }
        if !models.is_empty() {
            method["requestModels"] = Value::Object(models);
        }
        let validator = op["x-amazon-apigateway-request-validator"]
            .as_str()
            .or(self.doc["x-amazon-apigateway-request-validator"].as_str());
        if let Some(name) = validator {
            match self.validators.get(name) {
                Some(id) => method["requestValidatorId"] = json!(id),
                None => self.warnings.push(format!(
                    "Invalid request validator '{name}' for '{verb}' on path '{path}'"
                )),
            }
        }
        self.security(path, verb, op, &mut method);
        method["methodResponses"] = self.responses(op);
        if let Some(ext) = op.get("x-amazon-apigateway-integration") {
            match integration(ext) {
                Ok(i) => method["methodIntegration"] = i,
                Err(e) => self.warnings.push(format!(
                    "Unable to put integration on '{verb}' for resource at path '{path}': {e}"
                )),
            }
        }
        if method["methodResponses"]
            .as_object()
            .is_some_and(|m| m.is_empty())
        {
            if let Some(m) = method.as_object_mut() {
                m.remove("methodResponses");
            }
        }
        method
    }

    fn security(&mut self, path: &str, verb: &str, op: &Value, method: &mut Value) {
        let requirements = op["security"]
            .as_array()
            .or(self.doc["security"].as_array());
        let schemes = self.security_schemes();
        for name in requirements
            .into_iter()
            .flatten()
            .filter_map(Value::as_object)
            .flat_map(|r| r.keys())
        {
            let scheme = schemes.and_then(|s| s.get(name));
            if let Some(id) = self.authorizers.get(name) {
                method["authorizationType"] = json!("CUSTOM");
                method["authorizerId"] = json!(id);
            } else if scheme.is_some_and(|s| s["x-amazon-apigateway-authtype"] == "awsSigv4") {
                method["authorizationType"] = json!("AWS_IAM");
            } else if scheme.is_some_and(|s| {
                s["type"] == "apiKey"
                    && s["name"]
                        .as_str()
                        .is_some_and(|n| n.eq_ignore_ascii_case("x-api-key"))
            }) {
                method["apiKeyRequired"] = json!(true);
            } else {
                self.warnings.push(format!(
                    "Unable to apply security '{name}' to '{verb}' on path '{path}': no such security scheme"
                ));
            }
        }
    }

    fn responses(&self, op: &Value) -> Value {
        let mut out = json!({});
        for (code, r) in op["responses"].as_object().into_iter().flatten() {
            if crate::methods::check_status(code).is_err() {
                continue;
            }
            let mut response = json!({"statusCode": code});
            let headers: serde_json::Map<String, Value> = r["headers"]
                .as_object()
                .into_iter()
                .flatten()
                .map(|(h, _)| (format!("method.response.header.{h}"), json!(false)))
                .collect();
            if !headers.is_empty() {
                response["responseParameters"] = Value::Object(headers);
            }
            let mut models = serde_json::Map::new();
            if let Some(m) = r["schema"]["$ref"]
                .as_str()
                .and_then(|s| self.model_of_ref(s))
            {
                models.insert("application/json".into(), json!(m));
            }
            for (media, c) in r["content"].as_object().into_iter().flatten() {
                if let Some(m) = c["schema"]["$ref"]
                    .as_str()
                    .and_then(|s| self.model_of_ref(s))
                {
                    models.insert(media.clone(), json!(m));
                }
            }
            if !models.is_empty() {
                response["responseModels"] = Value::Object(models);
            }
            out[code] = response;
        }
        out
    }
}

/// The integration `x-amazon-apigateway-integration` describes, checked
/// as `PutIntegration` checks it.
fn integration(ext: &Value) -> Result<Value, String> {
    let kind = ext["type"]
        .as_str()
        .unwrap_or_default()
        .to_ascii_uppercase();
    let passthrough = ext["passthroughBehavior"]
        .as_str()
        .unwrap_or("when_no_match")
        .to_ascii_uppercase();
    let input = json!({"type": kind, "uri": ext["uri"], "integrationHttpMethod": ext["httpMethod"],
        "passthroughBehavior": passthrough});
    crate::integrations::check(&input).map_err(|e| e.message)?;
    let mut i = json!({
        "type": kind,
        "passthroughBehavior": passthrough,
        "timeoutInMillis": ext["timeoutInMillis"].as_i64().unwrap_or(29_000),
        "cacheKeyParameters": ext.get("cacheKeyParameters").cloned().unwrap_or(json!([])),
    });
    if kind != "MOCK" {
        i["httpMethod"] = json!(ext["httpMethod"]
            .as_str()
            .unwrap_or_default()
            .to_ascii_uppercase());
        i["uri"] = ext["uri"].clone();
        i["connectionType"] = json!(ext["connectionType"].as_str().unwrap_or("INTERNET"));
    }
    crate::copy_members(
        ext,
        &mut i,
        &[
            "requestParameters",
            "requestTemplates",
            "credentials",
            "contentHandling",
            "cacheNamespace",
            "connectionId",
        ],
    );
    if let Some(c) = i["contentHandling"].as_str().map(str::to_ascii_uppercase) {
        i["contentHandling"] = json!(c);
    }
    let mut responses = serde_json::Map::new();
    for (pattern, r) in ext["responses"].as_object().into_iter().flatten() {
        let code = r["statusCode"].as_str().unwrap_or("200").to_string();
        let mut out = json!({"statusCode": code});
        if pattern != "default" {
            out["selectionPattern"] = json!(pattern);
        }
        crate::copy_members(
            r,
            &mut out,
            &["responseParameters", "responseTemplates", "contentHandling"],
        );
        responses.insert(code, out);
    }
    if !responses.is_empty() {
        i["integrationResponses"] = Value::Object(responses);
    }
    Ok(i)
}

/// The id of the resource at `path`, making the resources it lacks.
pub(crate) fn ensure_path(resources: &mut BTreeMap<String, Resource>, path: &str) -> String {
    let mut id = resources
        .iter()
        .find(|(_, r)| r.parent_id.is_none())
        .map(|(id, _)| id.clone())
        .unwrap_or_default();
    let mut full = String::new();
    for part in path.split('/').filter(|p| !p.is_empty()) {
        full.push('/');
        full.push_str(part);
        let found = resources
            .iter()
            .find(|(_, r)| r.parent_id.as_deref() == Some(id.as_str()) && r.path_part == part)
            .map(|(k, _)| k.clone());
        id = match found {
            Some(k) => k,
            None => {
                let k = new_id();
                resources.insert(
                    k.clone(),
                    Resource {
                        parent_id: Some(id),
                        path_part: part.to_string(),
                        path: full.clone(),
                        methods: BTreeMap::new(),
                    },
                );
                k
            }
        };
    }
    id
}
