//! One S3 bucket: objects browsed by prefix as folders, upload and
//! download, object versions, and properties (versioning, website, policy).

use crate::html::{esc, list, s, table, time, url};
use crate::ui::{error_banner, Page, Response, Ui};
use gureum_core::{AwsError, ResponseBody};
use serde_json::json;
use std::fmt::Write;

fn bucket_path(name: &str, prefix: &str) -> String {
    format!(
        "/_console/s3/bucket?name={}&prefix={}",
        url(name),
        url(prefix)
    )
}

/// Links for each folder of `prefix`, from the bucket down.
fn crumbs(name: &str, prefix: &str) -> String {
    let mut out = format!(
        "<nav aria-label=\"Breadcrumb\"><a href=\"/_console/s3\">Buckets</a> / {}",
        crate::html::link(&bucket_path(name, ""), name)
    );
    let mut at = 0;
    for part in prefix.split_inclusive('/') {
        at += part.len();
        let _ = write!(
            out,
            " / {}",
            crate::html::link(&bucket_path(name, &prefix[..at]), part)
        );
    }
    out.push_str("</nav>");
    out
}

/// `GET /_console/s3/bucket?name=&prefix=`: folders and objects.
pub async fn objects(ui: &Ui<'_>) -> Page {
    let (name, prefix) = (ui.query.get("name"), ui.query.get("prefix"));
    let mut input = json!({ "Bucket": name, "Delimiter": "/", "MaxKeys": 1000 });
    if !prefix.is_empty() {
        input["Prefix"] = json!(prefix);
    }
    if !ui.query.get("after").is_empty() {
        input["StartAfter"] = json!(ui.query.get("after"));
    }
    let out = match ui.call("s3", "ListObjectsV2", input).await {
        Ok(v) => v,
        Err(e) => return Some(ui.error_page(&e, "s3", "/_console/s3")),
    };
    let mut body = crumbs(name, prefix);
    body.push_str(&ui.notice());
    let _ = write!(
        body,
        "<p><a href=\"/_console/s3/properties?name={0}\">Properties</a> · <a href=\"/_console/s3/versions?name={0}&amp;prefix={1}\">Versions</a></p>",
        url(name),
        url(prefix)
    );
    let mut rows: Vec<Vec<String>> = list(&out, "CommonPrefixes")
        .iter()
        .map(|p| {
            let full = s(p, "Prefix");
            let short = full.strip_prefix(prefix).unwrap_or(full);
            vec![
                format!("📁 {}", crate::html::link(&bucket_path(name, full), short)),
                "Folder".into(),
                String::new(),
                String::new(),
                String::new(),
            ]
        })
        .collect();
    for o in list(&out, "Contents") {
        let key = s(o, "Key");
        let short = key.strip_prefix(prefix).unwrap_or(key);
        rows.push(vec![
            format!(
                "<a href=\"/_console/s3/download?name={}&amp;key={}\" download>{}</a>",
                url(name),
                url(key),
                esc(short)
            ),
            o.get("Size").map(|v| v.to_string()).unwrap_or_default(),
            esc(&time(o, "LastModified")).to_string(),
            esc(s(o, "StorageClass")).to_string(),
            ui.button(
                "/_console/s3/delete-object",
                &[("bucket", name), ("key", key), ("prefix", prefix)],
                "Delete",
                true,
            ),
        ]);
    }
    body.push_str(&table(
        "Objects",
        &[
            "Name",
            "Size (bytes)",
            "Last modified",
            "Storage class",
            "Actions",
        ],
        &rows,
    ));
    if let Some(next) = list(&out, "Contents")
        .last()
        .filter(|_| out.get("NextContinuationToken").is_some())
    {
        let _ = write!(
            body,
            "<p><a href=\"{}&amp;after={}\">Next page</a></p>",
            esc(&bucket_path(name, prefix)),
            url(s(next, "Key"))
        );
    }
    let _ = write!(
        body,
        "<form method=\"post\" action=\"/_console/s3/upload\" enctype=\"multipart/form-data\" class=\"panel\">{}\
         <input type=\"hidden\" name=\"bucket\" value=\"{}\"><input type=\"hidden\" name=\"prefix\" value=\"{}\">\
         <label for=\"file\">Upload files to {}</label><input type=\"file\" id=\"file\" name=\"file\" multiple required> \
         <button type=\"submit\">Upload</button></form>",
        ui.csrf_input(),
        esc(name),
        esc(prefix),
        esc(&format!("{name}/{prefix}"))
    );
    Some(ui.page(200, &format!("Bucket {name}"), "s3", &body))
}

/// `POST /_console/s3/upload` (multipart): each file is a `PutObject`
/// under the form's prefix.
pub async fn upload(ui: &Ui<'_>) -> Page {
    let (name, prefix) = (ui.form.get("bucket"), ui.form.get("prefix"));
    let back = bucket_path(name, prefix);
    let files: Vec<_> = ui
        .uploads
        .iter()
        .filter(|u| !u.filename.is_empty())
        .collect();
    if files.is_empty() {
        return Some(ui.page(
            400,
            "Nothing to upload",
            "s3",
            &format!(
                "<p class=\"error\" role=\"alert\">Choose a file to upload.</p><p>{}</p>",
                crate::html::link(&back, "Back")
            ),
        ));
    }
    for f in &files {
        // Browsers may send a path; the object takes the file's own name.
        let file = f.filename.rsplit(['/', '\\']).next().unwrap_or(&f.filename);
        let mut input = json!({
            "Bucket": name,
            "Key": format!("{prefix}{file}"),
            "ContentLength": f.data.len(),
        });
        if let Some(ct) = &f.content_type {
            input["ContentType"] = json!(ct);
        }
        if let Err(e) = ui
            .call_streaming("s3", "PutObject", input, f.data.clone())
            .await
        {
            return Some(ui.error_page(&e, "s3", &back));
        }
    }
    ui.done(&back, &format!("Uploaded {} file(s).", files.len()))
}

/// `GET /_console/s3/download?name=&key=[&version=]`: the object's bytes.
pub async fn download(ui: &Ui<'_>) -> Page {
    let (name, key) = (ui.query.get("name"), ui.query.get("key"));
    let mut input = json!({ "Bucket": name, "Key": key });
    if !ui.query.get("version").is_empty() {
        input["VersionId"] = json!(ui.query.get("version"));
    }
    let reply = match ui
        .call_streaming("s3", "GetObject", input, bytes::Bytes::new())
        .await
    {
        Ok(r) => r,
        Err(e) => return Some(ui.error_page(&e, "s3", &bucket_path(name, ""))),
    };
    let file = key.rsplit('/').next().unwrap_or(key);
    // The name as RFC 6266's ASCII fallback plus its UTF-8 form.
    let ascii: String = file
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && c != '"' && c != '\\' {
                c
            } else {
                '_'
            }
        })
        .collect();
    Some(Response {
        status: 200,
        headers: vec![
            (
                "Content-Type".into(),
                Some(s(&reply.output, "ContentType"))
                    .filter(|c| !c.is_empty())
                    .unwrap_or("application/octet-stream")
                    .to_string(),
            ),
            (
                "Content-Disposition".into(),
                format!(
                    "attachment; filename=\"{ascii}\"; filename*=UTF-8''{}",
                    url(file)
                ),
            ),
            ("X-Content-Type-Options".into(), "nosniff".into()),
        ],
        body: reply
            .body
            .unwrap_or(ResponseBody::Bytes(bytes::Bytes::new())),
    })
}

/// `POST /_console/s3/delete-object`.
pub async fn delete_object(ui: &Ui<'_>) -> Page {
    let (name, key, prefix) = (
        ui.form.get("bucket"),
        ui.form.get("key"),
        ui.form.get("prefix"),
    );
    let back = bucket_path(name, prefix);
    match ui
        .call("s3", "DeleteObject", json!({ "Bucket": name, "Key": key }))
        .await
    {
        Ok(_) => ui.done(&back, &format!("Deleted {key}.")),
        Err(e) => Some(ui.error_page(&e, "s3", &back)),
    }
}

/// `GET /_console/s3/versions?name=&prefix=`: every version and delete
/// marker, each version downloadable.
pub async fn versions(ui: &Ui<'_>) -> Page {
    let (name, prefix) = (ui.query.get("name"), ui.query.get("prefix"));
    let mut input = json!({ "Bucket": name, "MaxKeys": 1000 });
    if !prefix.is_empty() {
        input["Prefix"] = json!(prefix);
    }
    let out = match ui.call("s3", "ListObjectVersions", input).await {
        Ok(v) => v,
        Err(e) => return Some(ui.error_page(&e, "s3", "/_console/s3")),
    };
    let mut rows = Vec::new();
    for v in list(&out, "Versions") {
        let (key, id) = (s(v, "Key"), s(v, "VersionId"));
        rows.push(vec![
            esc(key).to_string(),
            format!(
                "<a href=\"/_console/s3/download?name={}&amp;key={}&amp;version={}\">{}</a>",
                url(name),
                url(key),
                url(id),
                esc(id)
            ),
            if v.get("IsLatest") == Some(&json!(true)) {
                "yes"
            } else {
                ""
            }
            .into(),
            v.get("Size").map(|x| x.to_string()).unwrap_or_default(),
            esc(&time(v, "LastModified")).to_string(),
        ]);
    }
    for m in list(&out, "DeleteMarkers") {
        rows.push(vec![
            esc(s(m, "Key")).to_string(),
            format!("{} (delete marker)", esc(s(m, "VersionId"))),
            if m.get("IsLatest") == Some(&json!(true)) {
                "yes"
            } else {
                ""
            }
            .into(),
            String::new(),
            esc(&time(m, "LastModified")).to_string(),
        ]);
    }
    let mut body = crumbs(name, prefix);
    body.push_str(&table(
        "Object versions",
        &["Key", "Version", "Latest", "Size (bytes)", "Last modified"],
        &rows,
    ));
    Some(ui.page(200, &format!("Versions in {name}"), "s3", &body))
}

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

/// JSON text indented for the editor (as stored when it does not parse).
pub fn pretty(text: &str) -> String {
    serde_json::from_str::<serde_json::Value>(text)
        .ok()
        .and_then(|v| serde_json::to_string_pretty(&v).ok())
        .unwrap_or_else(|| text.to_string())
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
