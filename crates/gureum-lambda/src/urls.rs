//! Function URLs: `CreateFunctionUrlConfig`, `GetFunctionUrlConfig`,
//! `UpdateFunctionUrlConfig`, `DeleteFunctionUrlConfig`,
//! `ListFunctionUrlConfigs`, and what the server's HTTP front
//! (`function_urls.rs` in gureum-server) needs to serve them: the target
//! of a URL id, whether its policy lets anyone call an `AuthType` `NONE`
//! URL, and the invocation itself.
//!
//! URLs are `http://URL_ID.lambda-url.REGION.localhost:PORT/` (AWS:
//! `https://URL_ID.lambda-url.REGION.on.aws/`).
//!
//! Table: `lambda.urls` (`URL_ID` → [`UrlConfig`]).

use crate::errors::LambdaError;
use crate::functions::{arn_for, parse_name};
use crate::invoke::Outcome;
use crate::{invalid, str_member, LambdaService};
use gureum_core::{AwsError, OpResult, RequestContext, Value};
use gureum_policy::{evaluate, Policy, PolicySet, Request, RequestPrincipal};
use serde::{Deserialize, Serialize};
use serde_json::json;

/// A function URL as stored.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct UrlConfig {
    /// The function's account.
    pub account: String,
    /// Its region.
    pub region: String,
    /// The function's name.
    pub function: String,
    /// The alias (or `$LATEST`) the URL invokes, if any.
    pub qualifier: Option<String>,
    /// `FunctionUrlConfig` as AWS answers it.
    pub config: Value,
}

impl UrlConfig {
    /// The URL's id (its host's first label).
    pub fn url_id(&self) -> &str {
        let url = self.config["FunctionUrl"].as_str().unwrap_or_default();
        let host = url.split("://").nth(1).unwrap_or_default();
        host.split('.').next().unwrap_or_default()
    }

    /// Whether the URL streams its responses (`InvokeMode`
    /// `RESPONSE_STREAM`).
    pub fn streams(&self) -> bool {
        self.config["InvokeMode"] == "RESPONSE_STREAM"
    }

    /// `AWS_IAM` or `NONE`.
    pub fn auth_type(&self) -> &str {
        self.config["AuthType"].as_str().unwrap_or("AWS_IAM")
    }

    /// The URL's CORS configuration (null without one).
    pub fn cors(&self) -> &Value {
        &self.config["Cors"]
    }

    /// The function's ARN, qualified when the URL is.
    pub fn function_arn(&self) -> &str {
        self.config["FunctionArn"].as_str().unwrap_or_default()
    }
}

fn url_not_found() -> AwsError {
    LambdaError::ResourceNotFound {
        message: "The resource you requested does not exist.".into(),
    }
    .into()
}

impl LambdaService {
    /// The function (and qualifier) a URL request names, checked to exist.
    fn url_subject(
        &self,
        ctx: &RequestContext,
        input: &Value,
    ) -> Result<(String, Option<String>, String), AwsError> {
        let (name, q) = parse_name(str_member(input, "FunctionName"));
        let qualifier = input
            .get("Qualifier")
            .and_then(Value::as_str)
            .or(q)
            .map(str::to_string);
        let (_, f) = self.find(ctx, name)?;
        if let Some(q) = &qualifier {
            if q.chars().all(|c| c.is_ascii_digit()) {
                return Err(invalid(
                    "1 validation error detected: Value at 'qualifier' failed to satisfy constraint: Member must satisfy regular expression pattern: (^\\$LATEST$)|((?!^[0-9]+$)([a-zA-Z0-9-_]+))",
                ));
            }
            // An alias must exist.
            self.resolve(ctx, &json!({"FunctionName": name, "Qualifier": q}))?;
        }
        let base = f.config["FunctionArn"].as_str().unwrap_or_default();
        let arn = match &qualifier {
            Some(q) => format!("{base}:{q}"),
            None => base.to_string(),
        };
        Ok((name.to_string(), qualifier, arn))
    }

    /// The stored URL of a function and qualifier, with its id.
    fn url_of(
        &self,
        ctx: &RequestContext,
        name: &str,
        qualifier: Option<&str>,
    ) -> Result<Option<(String, UrlConfig)>, AwsError> {
        Ok(self
            .urls
            .scan_prefix("")
            .map_err(AwsError::from)?
            .into_iter()
            .find(|(_, u)| {
                u.account == ctx.account_id
                    && u.region == ctx.region
                    && u.function == name
                    && u.qualifier.as_deref() == qualifier
            }))
    }

    fn url_base(&self, id: &str, region: &str) -> String {
        let port = self
            .endpoint
            .get()
            .and_then(|e| e.rsplit_once(':'))
            .map(|(_, p)| p.trim_end_matches('/').to_string())
            .filter(|p| p.bytes().all(|b| b.is_ascii_digit()));
        match port {
            Some(p) => format!("http://{id}.lambda-url.{region}.localhost:{p}/"),
            None => format!("http://{id}.lambda-url.{region}.localhost/"),
        }
    }

    /// `CreateFunctionUrlConfig`.
    pub(crate) fn create_function_url_config(
        &self,
        ctx: &RequestContext,
        input: Value,
    ) -> OpResult {
        let (name, qualifier, arn) = self.url_subject(ctx, &input)?;
        if self.url_of(ctx, &name, qualifier.as_deref())?.is_some() {
            return Err(LambdaError::ResourceConflict {
                message: format!("Failed to create function url config for [functionArn = {arn}]. Error message:  FunctionUrlConfig exists for this Lambda function"),
            }
            .into());
        }
        let id = gureum_core::id::hex(32);
        let now = crate::functions::last_modified(ctx.clock.now_millis());
        let mut config = json!({
            "FunctionUrl": self.url_base(&id, &ctx.region),
            "FunctionArn": arn,
            "AuthType": str_member(&input, "AuthType"),
            "CreationTime": now,
            "LastModifiedTime": now,
            "InvokeMode": input.get("InvokeMode").and_then(Value::as_str).unwrap_or("BUFFERED"),
        });
        if let Some(c) = input.get("Cors") {
            config["Cors"] = c.clone();
        }
        let url = UrlConfig {
            account: ctx.account_id.clone(),
            region: ctx.region.clone(),
            function: name,
            qualifier,
            config: config.clone(),
        };
        self.urls.put(&id, &url).map_err(AwsError::from)?;
        if let Some(o) = config.as_object_mut() {
            o.remove("LastModifiedTime");
        }
        Ok(config)
    }

    /// `GetFunctionUrlConfig`.
    pub(crate) fn get_function_url_config(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let (name, qualifier, _) = self.url_subject(ctx, &input)?;
        match self.url_of(ctx, &name, qualifier.as_deref())? {
            Some((_, u)) => Ok(u.config),
            None => Err(url_not_found()),
        }
    }

    /// `UpdateFunctionUrlConfig`: the auth type, CORS and invoke mode.
    pub(crate) fn update_function_url_config(
        &self,
        ctx: &RequestContext,
        input: Value,
    ) -> OpResult {
        let (name, qualifier, _) = self.url_subject(ctx, &input)?;
        let Some((id, mut u)) = self.url_of(ctx, &name, qualifier.as_deref())? else {
            return Err(url_not_found());
        };
        for member in ["AuthType", "Cors", "InvokeMode"] {
            if let Some(v) = input.get(member) {
                u.config[member] = v.clone();
            }
        }
        u.config["LastModifiedTime"] =
            json!(crate::functions::last_modified(ctx.clock.now_millis()));
        self.urls.put(&id, &u).map_err(AwsError::from)?;
        Ok(u.config)
    }

    /// `DeleteFunctionUrlConfig`.
    pub(crate) fn delete_function_url_config(
        &self,
        ctx: &RequestContext,
        input: Value,
    ) -> OpResult {
        let (name, qualifier, _) = self.url_subject(ctx, &input)?;
        let Some((id, _)) = self.url_of(ctx, &name, qualifier.as_deref())? else {
            return Err(url_not_found());
        };
        self.urls.delete(&id).map_err(AwsError::from)?;
        Ok(json!({}))
    }

    /// `ListFunctionUrlConfigs`: the function's URLs, any qualifier.
    pub(crate) fn list_function_url_configs(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let (name, _) = parse_name(str_member(&input, "FunctionName"));
        self.find(ctx, name)?;
        let all: Vec<Value> = self
            .urls
            .scan_prefix("")
            .map_err(AwsError::from)?
            .into_iter()
            .filter(|(_, u)| {
                u.account == ctx.account_id && u.region == ctx.region && u.function == name
            })
            .map(|(_, u)| u.config)
            .collect();
        crate::page_by_marker(all, &input, "FunctionUrlConfigs")
    }

    /// The URL with id `url_id`, if any.
    pub fn function_url(&self, url_id: &str) -> Option<UrlConfig> {
        self.urls.get(url_id).ok().flatten()
    }

    /// Whether the function's policy lets anyone call its `NONE` URL
    /// (`lambda:InvokeFunctionUrl` for `*` with
    /// `lambda:FunctionUrlAuthType` `NONE`, as the console adds it).
    pub fn url_is_public(&self, url: &UrlConfig) -> bool {
        let ctx = RequestContext::root(&url.account, &url.region, gureum_core::Clock::system());
        let Ok((_, f)) = self.find(&ctx, &url.function) else {
            return false;
        };
        let Some(doc) = crate::policy::document(&f) else {
            return false;
        };
        let Ok(policy) = Policy::parse(&doc.to_string()) else {
            return false;
        };
        let arn = arn_for(&ctx, &url.function);
        let mut request = Request::new(
            RequestPrincipal::anonymous(),
            "lambda:InvokeFunctionUrl",
            arn,
        );
        request
            .context
            .set("lambda:FunctionUrlAuthType", url.auth_type());
        let set = PolicySet {
            resource: Some(&policy),
            ..PolicySet::default()
        };
        evaluate(&request, &set).is_allowed()
    }

    /// Invokes `url`'s function with a payload 2.0 `event` (blocking: the
    /// server calls it off its async threads).
    pub fn invoke_url(&self, url: &UrlConfig, event: Vec<u8>) -> Result<Outcome, AwsError> {
        self.invoke_url_streaming(url, event, None)
    }

    /// [`LambdaService::invoke_url`] for a `RESPONSE_STREAM` URL: what the
    /// runtime streams goes to `sink` as it arrives.
    pub fn invoke_url_streaming(
        &self,
        url: &UrlConfig,
        event: Vec<u8>,
        sink: Option<crate::runtime_api::StreamSink>,
    ) -> Result<Outcome, AwsError> {
        let ctx = RequestContext::root(&url.account, &url.region, gureum_core::Clock::system());
        let (_, f) = self.resolve(
            &ctx,
            &json!({"FunctionName": url.function, "Qualifier": url.qualifier}),
        )?;
        self.runner(&url.account, &url.region)
            .run_streaming(&f, event, None, sink)
    }
}
