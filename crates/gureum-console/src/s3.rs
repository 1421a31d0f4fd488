//! S3: the bucket list (create, delete), and the routes of one bucket's
//! pages ([`crate::s3_bucket`]).

use crate::html::{esc, list, s, table, time, url};
use crate::s3_bucket;
use crate::ui::{error_banner, Page, Ui};
use serde_json::json;

/// GET routes under `/_console/s3`.
pub async fn get(ui: &Ui<'_>, sub: &str) -> Page {
    match sub {
        "/s3" => buckets(ui, None).await,
        "/s3/bucket" => s3_bucket::objects(ui).await,
        "/s3/download" => s3_bucket::download(ui).await,
        "/s3/versions" => s3_bucket::versions(ui).await,
        "/s3/properties" => crate::s3_properties::properties(ui, None).await,
        _ => None,
    }
}

/// POST routes under `/_console/s3`.
pub async fn post(ui: &Ui<'_>, sub: &str) -> Page {
    match sub {
        "/s3/create" => create(ui).await,
        "/s3/delete" => delete(ui).await,
        "/s3/upload" => s3_bucket::upload(ui).await,
        "/s3/delete-object" => s3_bucket::delete_object(ui).await,
        "/s3/versioning" => crate::s3_properties::put_versioning(ui).await,
        "/s3/website" => crate::s3_properties::put_website(ui).await,
        "/s3/policy" => crate::s3_properties::put_policy(ui).await,
        "/s3/public-access" => crate::s3_properties::put_public_access(ui).await,
        _ => None,
    }
}

/// The bucket list, with an error from a create shown above it.
async fn buckets(ui: &Ui<'_>, failed: Option<gureum_core::AwsError>) -> Page {
    let mut body = ui.notice();
    if let Some(e) = &failed {
        body.push_str(&error_banner(e));
    }
    body.push_str(&ui.form(
        "/_console/s3/create",
        "panel",
        "<label for=\"bucket\">Bucket name</label><input type=\"text\" id=\"bucket\" name=\"bucket\" required autocomplete=\"off\"> <button type=\"submit\">Create bucket</button>",
    ));
    let out = match ui.call("s3", "ListBuckets", json!({})).await {
        Ok(v) => v,
        Err(e) => return Some(ui.error_page(&e, "s3", "/_console/")),
    };
    let rows: Vec<Vec<String>> = list(&out, "Buckets")
        .iter()
        .map(|b| {
            let name = s(b, "Name");
            vec![
                format!(
                    "<a href=\"/_console/s3/bucket?name={}\">{}</a>",
                    url(name),
                    esc(name)
                ),
                esc(s(b, "BucketRegion")).to_string(),
                esc(&time(b, "CreationDate")).to_string(),
                format!(
                    "<a href=\"/_console/s3/properties?name={}\">Properties</a> {}",
                    url(name),
                    ui.button("/_console/s3/delete", &[("bucket", name)], "Delete", true)
                ),
            ]
        })
        .collect();
    body.push_str(&table(
        "Buckets",
        &["Name", "Region", "Created", "Actions"],
        &rows,
    ));
    Some(ui.page(
        if failed.is_some() { 400 } else { 200 },
        "S3 buckets",
        "s3",
        &body,
    ))
}

async fn create(ui: &Ui<'_>) -> Page {
    let name = ui.form.get("bucket").trim();
    let mut input = json!({ "Bucket": name });
    // Outside us-east-1 a bucket names its region, as the CLI sends it.
    if ui.caller.region != "us-east-1" {
        input["CreateBucketConfiguration"] = json!({ "LocationConstraint": ui.caller.region });
    }
    match ui.call("s3", "CreateBucket", input).await {
        Ok(_) => ui.done("/_console/s3", &format!("Created bucket {name}.")),
        Err(e) => buckets(ui, Some(e)).await,
    }
}

async fn delete(ui: &Ui<'_>) -> Page {
    let name = ui.form.get("bucket");
    match ui
        .call("s3", "DeleteBucket", json!({ "Bucket": name }))
        .await
    {
        Ok(_) => ui.done("/_console/s3", &format!("Deleted bucket {name}.")),
        Err(e) => Some(ui.error_page(&e, "s3", "/_console/s3")),
    }
}
