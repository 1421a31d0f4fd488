//! One S3 bucket's objects: browsed by prefix as folders, upload and
//! download, deletion, and object versions. Its properties are
//! [`crate::s3_properties`].

use crate::html::{esc, list, s, table, time, url};
use crate::ui::{Page, Response, Ui};
use gureum_core::ResponseBody;
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
pub(crate) fn crumbs(name: &str, prefix: &str) -> String {
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
