//! One S3 bucket's properties: versioning, static website hosting, Block
//! Public Access, and the bucket policy editor (a refused policy comes
//! back in the editor under S3's error).

use crate::html::{esc, pretty, s, url};
use crate::s3_bucket::crumbs;
use crate::ui::{error_banner, Page, Ui};
use gureum_core::AwsError;
use serde_json::json;
use std::fmt::Write;

/// `GET /_console/s3/properties?name=`: versioning, website and policy,
/// each a form; `failed` re-shows a refused policy with AWS's error.
pub async fn properties(ui: &Ui<'_>, failed: Option<(AwsError, &str)>) -> Page {
    let name = match ui.query.get("name") {
        "" => ui.form.get("bucket"),
        n => n,
    };
    let versioning = match ui
        .call("s3", "GetBucketVersioning", json!({ "Bucket": name }))
        .await
    {
        Ok(v) => v,
        Err(e) => return Some(ui.error_page(&e, "s3", "/_console/s3")),
    };
    let status = match s(&versioning, "Status") {
        "" => "Disabled",
        st => st,
    };
    let mut body = crumbs(name, "");
    body.push_str(&ui.notice());
    let mut options = String::new();
    for o in ["Enabled", "Suspended"] {
        let sel = if o == status { " selected" } else { "" };
        let _ = write!(options, "<option{sel}>{o}</option>");
    }
    let _ = write!(
        body,
        "<h2>Versioning</h2><p>Versioning is <strong>{}</strong>.</p>",
        esc(status)
    );
    body.push_str(&ui.form(
        "/_console/s3/versioning",
        "panel",
        &format!(
            "<input type=\"hidden\" name=\"bucket\" value=\"{}\"><label for=\"versioning\">Versioning</label><select id=\"versioning\" name=\"status\">{options}</select> <button type=\"submit\">Save versioning</button>",
            esc(name)
        ),
    ));
    let website = ui
        .call("s3", "GetBucketWebsite", json!({ "Bucket": name }))
        .await
        .ok();
    let (index, error) = website
        .as_ref()
        .map(|w| {
            (
                w.pointer("/IndexDocument/Suffix")
                    .and_then(|v| v.as_str())
                    .unwrap_or(""),
                w.pointer("/ErrorDocument/Key")
                    .and_then(|v| v.as_str())
                    .unwrap_or(""),
            )
        })
        .unwrap_or(("", ""));
    let _ = write!(
        body,
        "<h2>Static website hosting</h2><p>{}</p>",
        if website.is_some() {
            format!("Enabled: <a href=\"http://{0}.s3-website.localhost/\">{0}.s3-website.localhost</a>", esc(name))
        } else {
            "Disabled.".into()
        }
    );
    body.push_str(&ui.form(
        "/_console/s3/website",
        "panel",
        &format!(
            "<input type=\"hidden\" name=\"bucket\" value=\"{}\">\
             <label for=\"index\">Index document</label><input type=\"text\" id=\"index\" name=\"index\" value=\"{}\" placeholder=\"index.html\">\
             <label for=\"errordoc\">Error document</label><input type=\"text\" id=\"errordoc\" name=\"error\" value=\"{}\">\
             <p><button type=\"submit\" name=\"op\" value=\"enable\">Save website</button><button type=\"submit\" name=\"op\" value=\"disable\" class=\"danger\">Disable website</button></p>",
            esc(name),
            esc(index),
            esc(error)
        ),
    ));
    let (policy, banner) = match &failed {
        Some((e, text)) => (text.to_string(), error_banner(e)),
        None => (
            ui.call("s3", "GetBucketPolicy", json!({ "Bucket": name }))
                .await
                .ok()
                .map(|p| pretty(s(&p, "Policy")))
                .unwrap_or_default(),
            String::new(),
        ),
    };
    body.push_str(&public_access_form(ui, name).await);
    let _ = write!(body, "<h2>Bucket policy</h2>{banner}");
    body.push_str(&ui.form(
        "/_console/s3/policy",
        "panel",
        &format!(
            "<input type=\"hidden\" name=\"bucket\" value=\"{}\"><label for=\"policy\">Policy (JSON)</label>\
             <textarea id=\"policy\" name=\"policy\" data-json spellcheck=\"false\" aria-describedby=\"policy-status\">{}</textarea>\
             <p id=\"policy-status\" class=\"hint\" aria-live=\"polite\"></p>\
             <button type=\"submit\" name=\"op\" value=\"save\">Save policy</button><button type=\"submit\" name=\"op\" value=\"delete\" class=\"danger\">Delete policy</button>",
            esc(name),
            esc(&policy)
        ),
    ));
    let status = if failed.is_some() { 400 } else { 200 };
    Some(ui.page(status, &format!("Properties of {name}"), "s3", &body))
}

fn props_path(name: &str) -> String {
    format!("/_console/s3/properties?name={}", url(name))
}

/// `POST /_console/s3/versioning`.
pub async fn put_versioning(ui: &Ui<'_>) -> Page {
    let name = ui.form.get("bucket");
    let input =
        json!({ "Bucket": name, "VersioningConfiguration": { "Status": ui.form.get("status") } });
    match ui.call("s3", "PutBucketVersioning", input).await {
        Ok(_) => ui.done(&props_path(name), "Saved versioning."),
        Err(e) => Some(ui.error_page(&e, "s3", &props_path(name))),
    }
}

/// `POST /_console/s3/website`: enable (index and error documents) or
/// disable.
pub async fn put_website(ui: &Ui<'_>) -> Page {
    let name = ui.form.get("bucket");
    let result = if ui.form.get("op") == "disable" {
        ui.call("s3", "DeleteBucketWebsite", json!({ "Bucket": name }))
            .await
    } else {
        let mut config = json!({ "IndexDocument": { "Suffix": ui.form.get("index") } });
        if !ui.form.get("error").is_empty() {
            config["ErrorDocument"] = json!({ "Key": ui.form.get("error") });
        }
        ui.call(
            "s3",
            "PutBucketWebsite",
            json!({ "Bucket": name, "WebsiteConfiguration": config }),
        )
        .await
    };
    match result {
        Ok(_) => ui.done(&props_path(name), "Saved website settings."),
        Err(e) => Some(ui.error_page(&e, "s3", &props_path(name))),
    }
}

/// `POST /_console/s3/policy`: saves or deletes the policy; a refused
/// policy comes back in the editor under S3's error.
pub async fn put_policy(ui: &Ui<'_>) -> Page {
    let name = ui.form.get("bucket");
    let text = ui.form.get("policy");
    let result = if ui.form.get("op") == "delete" {
        ui.call("s3", "DeleteBucketPolicy", json!({ "Bucket": name }))
            .await
    } else {
        ui.call(
            "s3",
            "PutBucketPolicy",
            json!({ "Bucket": name, "Policy": text }),
        )
        .await
    };
    match result {
        Ok(_) => ui.done(&props_path(name), "Saved the bucket policy."),
        Err(e) => properties(ui, Some((e, text))).await,
    }
}

/// Block Public Access's four settings, as S3 names them.
const BLOCKS: &[(&str, &str)] = &[
    ("BlockPublicAcls", "Block new public ACLs"),
    ("IgnorePublicAcls", "Ignore public ACLs"),
    ("BlockPublicPolicy", "Block new public bucket policies"),
    (
        "RestrictPublicBuckets",
        "Restrict public bucket policies to the account",
    ),
];

/// The bucket's Block Public Access settings as checkboxes (all off
/// when the bucket has none).
async fn public_access_form(ui: &Ui<'_>, name: &str) -> String {
    let current = ui
        .call("s3", "GetPublicAccessBlock", json!({ "Bucket": name }))
        .await
        .ok()
        .and_then(|v| v.get("PublicAccessBlockConfiguration").cloned())
        .unwrap_or_default();
    let mut inner = format!(
        "<input type=\"hidden\" name=\"bucket\" value=\"{}\">",
        esc(name)
    );
    for (key, label) in BLOCKS {
        let checked = if current.get(*key) == Some(&json!(true)) {
            " checked"
        } else {
            ""
        };
        let _ = write!(
            inner,
            "<p><input type=\"checkbox\" id=\"{key}\" name=\"{key}\"{checked}> <label for=\"{key}\" class=\"inline\">{label}</label></p>"
        );
    }
    inner.push_str("<button type=\"submit\">Save public access settings</button>");
    format!(
        "<h2>Block Public Access</h2>{}",
        ui.form("/_console/s3/public-access", "panel", &inner)
    )
}

/// `POST /_console/s3/public-access`: `PutPublicAccessBlock` with the
/// four settings as checked.
pub async fn put_public_access(ui: &Ui<'_>) -> Page {
    let name = ui.form.get("bucket");
    let mut config = serde_json::Map::new();
    for (key, _) in BLOCKS {
        config.insert(key.to_string(), json!(ui.form.get(key) == "on"));
    }
    let input = json!({ "Bucket": name, "PublicAccessBlockConfiguration": config });
    match ui.call("s3", "PutPublicAccessBlock", input).await {
        Ok(_) => ui.done(&props_path(name), "Saved the public access settings."),
        Err(e) => Some(ui.error_page(&e, "s3", &props_path(name))),
    }
}
