//! The console's rules, over a fake [`Backend`] that records the calls.

use crate::backend::{Backend, BoxFuture, Caller};
use crate::form::{multipart, Fields};
use crate::html::esc;
use crate::ui::{Request, Response};
use bytes::Bytes;
use gureum_core::{AwsError, Reply, ResponseBody, Value};
use serde_json::json;
use std::sync::Mutex;

/// Answers `ListBuckets` with `buckets`, refuses `CreateBucket` of names
/// with capitals, and records every call.
#[derive(Default)]
struct Fake {
    buckets: Vec<String>,
    calls: Mutex<Vec<(Caller, String, Value)>>,
}

impl Backend for Fake {
    fn call<'a>(
        &'a self,
        caller: &'a Caller,
        _service: &'a str,
        operation: &'a str,
        input: Value,
    ) -> BoxFuture<'a, Result<Value, AwsError>> {
        Box::pin(async move {
            self.calls.lock().expect("calls").push((
                caller.clone(),
                operation.to_string(),
                input.clone(),
            ));
            match operation {
                "ListBuckets" => Ok(
                    json!({ "Buckets": self.buckets.iter().map(|b| json!({ "Name": b })).collect::<Vec<_>>() }),
                ),
                "CreateBucket"
                    if input["Bucket"]
                        .as_str()
                        .is_some_and(|b| b.chars().any(|c| c.is_ascii_uppercase())) =>
                {
                    Err(AwsError::new(
                        "InvalidBucketName",
                        400,
                        "The specified bucket is not valid.",
                    ))
                }
                _ => Ok(json!({})),
            }
        })
    }

    fn call_streaming<'a>(
        &'a self,
        caller: &'a Caller,
        service: &'a str,
        operation: &'a str,
        input: Value,
        _body: Bytes,
    ) -> BoxFuture<'a, Result<Reply, AwsError>> {
        Box::pin(async move {
            self.call(caller, service, operation, input)
                .await
                .map(Reply::value)
        })
    }

    fn accounts(&self) -> Vec<String> {
        vec!["000000000000".into(), "111111111111".into()]
    }

    fn now_millis(&self) -> i64 {
        1_800_000_000_000
    }

    fn function_code(
        &self,
        _: &Caller,
        _: &str,
        _: usize,
    ) -> Result<Vec<(String, u64, Vec<u8>)>, AwsError> {
        Ok(vec![("app.py".into(), 5, b"<b>x".to_vec())])
    }
}

const TOKEN: &str = "0123456789abcdef0123456789abcdef";

fn run(fake: &Fake, method: &str, path: &str, cookie: Option<&str>, body: &str) -> Response {
    let (path, query) = path.split_once('?').unwrap_or((path, ""));
    let req = Request {
        method,
        path,
        query,
        cookie,
        content_type: Some("application/x-www-form-urlencoded"),
        body: Bytes::from(body.to_string()),
    };
    tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime")
        .block_on(crate::handle(fake, req))
}

fn text(r: &Response) -> String {
    match &r.body {
        ResponseBody::Bytes(b) => String::from_utf8_lossy(b).into_owned(),
        ResponseBody::Stream { .. } => String::new(),
    }
}

fn header<'r>(r: &'r Response, name: &str) -> Option<&'r str> {
    r.headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

#[test]
fn escaping_covers_every_html_metacharacter() {
    assert_eq!(
        esc("<script>alert('x') & \"y\"</script>").to_string(),
        "&lt;script&gt;alert(&#39;x&#39;) &amp; &quot;y&quot;&lt;/script&gt;"
    );
    assert_eq!(esc("plain ünïcode").to_string(), "plain ünïcode");
}

#[test]
fn bucket_names_with_markup_are_escaped_in_the_list() {
    let fake = Fake {
        buckets: vec!["<script>x</script>".into()],
        ..Default::default()
    };
    let page = text(&run(&fake, "GET", "/_console/s3", None, ""));
    assert!(!page.contains("<script>x"), "{page}");
    assert!(page.contains("&lt;script&gt;x&lt;/script&gt;"));
}

#[test]
fn a_post_without_the_cookies_token_is_refused_and_calls_nothing() {
    let fake = Fake::default();
    let r = run(
        &fake,
        "POST",
        "/_console/s3/create",
        Some(&format!("gureum_console_csrf={TOKEN}")),
        "bucket=b&csrf=ffffffffffffffffffffffffffffffff",
    );
    assert_eq!(r.status, 403);
    let r = run(
        &fake,
        "POST",
        "/_console/s3/create",
        None,
        &format!("bucket=b&csrf={TOKEN}"),
    );
    assert_eq!(r.status, 403);
    assert!(fake.calls.lock().expect("calls").is_empty());
}

#[test]
fn a_post_with_the_token_acts_and_redirects_with_a_notice() {
    let fake = Fake::default();
    let r = run(
        &fake,
        "POST",
        "/_console/s3/create",
        Some(&format!("gureum_console_csrf={TOKEN}")),
        &format!("bucket=my-bucket&csrf={TOKEN}"),
    );
    assert_eq!(r.status, 303);
    assert_eq!(
        header(&r, "Location"),
        Some("/_console/s3?notice=Created%20bucket%20my-bucket.")
    );
    let calls = fake.calls.lock().expect("calls");
    assert_eq!(calls[0].1, "CreateBucket");
    assert_eq!(calls[0].2, json!({ "Bucket": "my-bucket" }));
}

#[test]
fn a_refused_create_shows_the_services_code_and_message() {
    let fake = Fake::default();
    let r = run(
        &fake,
        "POST",
        "/_console/s3/create",
        Some(&format!("gureum_console_csrf={TOKEN}")),
        &format!("bucket=Bad&csrf={TOKEN}"),
    );
    assert_eq!(r.status, 400);
    assert!(
        text(&r).contains("<strong>InvalidBucketName</strong>: The specified bucket is not valid.")
    );
}

#[test]
fn the_first_page_sets_a_strict_csrf_cookie_its_forms_repeat() {
    let r = run(&Fake::default(), "GET", "/_console/", None, "");
    let cookie = header(&r, "Set-Cookie").expect("cookie");
    assert!(cookie.contains("SameSite=Strict") && cookie.contains("HttpOnly"));
    let token = cookie.split(['=', ';']).nth(1).expect("token");
    assert_eq!(token.len(), 32);
    assert!(text(&r).contains(&format!("name=\"csrf\" value=\"{token}\"")));
}

#[test]
fn region_and_account_cookies_choose_the_caller() {
    let fake = Fake::default();
    run(
        &fake,
        "GET",
        "/_console/s3",
        Some("gureum_console_region=eu-west-1; gureum_console_account=111111111111"),
        "",
    );
    let calls = fake.calls.lock().expect("calls");
    assert_eq!(
        calls[0].0,
        Caller {
            account: "111111111111".into(),
            region: "eu-west-1".into()
        }
    );
}

#[test]
fn unknown_regions_and_accounts_fall_back_to_the_defaults() {
    let fake = Fake::default();
    run(
        &fake,
        "GET",
        "/_console/s3",
        Some("gureum_console_region=mars-1; gureum_console_account=999999999999"),
        "",
    );
    let calls = fake.calls.lock().expect("calls");
    assert_eq!(
        calls[0].0,
        Caller {
            account: "000000000000".into(),
            region: "us-east-1".into()
        }
    );
}

#[test]
fn settings_only_redirect_within_the_console() {
    let cookie = format!("gureum_console_csrf={TOKEN}");
    let r = run(
        &Fake::default(),
        "POST",
        "/_console/settings",
        Some(&cookie),
        &format!("csrf={TOKEN}&region=eu-west-1&back=https%3A%2F%2Fevil.example%2F"),
    );
    assert_eq!(header(&r, "Location"), Some("/_console/"));
    let r = run(
        &Fake::default(),
        "POST",
        "/_console/settings",
        Some(&cookie),
        &format!("csrf={TOKEN}&region=eu-west-1&back=%2F_console%2Fs3"),
    );
    assert_eq!(header(&r, "Location"), Some("/_console/s3"));
    assert!(r
        .headers
        .iter()
        .any(|(k, v)| k == "Set-Cookie" && v.starts_with("gureum_console_region=eu-west-1;")));
}

#[test]
fn unknown_pages_are_404_and_assets_are_served() {
    assert_eq!(
        run(&Fake::default(), "GET", "/_console/nowhere", None, "").status,
        404
    );
    let css = run(
        &Fake::default(),
        "GET",
        "/_console/static/console.css",
        None,
        "",
    );
    assert_eq!(
        header(&css, "Content-Type"),
        Some("text/css; charset=utf-8")
    );
}

#[test]
fn pages_have_landmarks_and_a_skip_link() {
    let page = text(&run(&Fake::default(), "GET", "/_console/", None, ""));
    for needle in [
        "<header",
        "<nav aria-label=\"Services\"",
        "<main id=\"main\"",
        "href=\"#main\"",
        "<label for=\"region\">",
    ] {
        assert!(page.contains(needle), "{needle} missing");
    }
}

#[test]
fn urlencoded_fields_decode_plus_and_percent() {
    let f = Fields::urlencoded("a=x+y%2Fz&b=&a=2");
    assert_eq!(f.get("a"), "x y/z");
    assert_eq!(f.get("b"), "");
    assert_eq!(f.all("a").collect::<Vec<_>>(), ["x y/z", "2"]);
}

#[test]
fn multipart_forms_give_fields_and_files_byte_for_byte() {
    let body = Bytes::from_static(
        b"--XyZ\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\nabc\r\n\
--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.bin\"\r\nContent-Type: application/octet-stream\r\n\r\n\x00\r\n--\xff\r\n--XyZ--\r\n",
    );
    let (fields, files) = multipart("multipart/form-data; boundary=XyZ", &body).expect("parsed");
    assert_eq!(fields.get("csrf"), "abc");
    assert_eq!(files.len(), 1);
    assert_eq!(files[0].filename, "a.bin");
    assert_eq!(&files[0].data[..], b"\x00\r\n--\xff");
}

#[test]
fn malformed_multipart_bodies_are_refused_not_panicked_on() {
    for body in [
        &b""[..],
        b"--XyZ",
        b"--XyZ\r\nno headers end",
        b"--XyZ\r\nContent-Disposition: form-data\r\n\r\nx\r\n--XyZ--",
    ] {
        assert!(multipart(
            "multipart/form-data; boundary=XyZ",
            &Bytes::copy_from_slice(body)
        )
        .is_none());
    }
    assert!(multipart("multipart/form-data", &Bytes::new()).is_none());
}

#[test]
fn the_graph_draws_one_point_per_datapoint_and_the_threshold() {
    let svg = crate::svg::line_graph("<t>", &[(10.0, 1.0), (20.0, 3.0)], 0.0, 30.0, Some(2.0));
    assert_eq!(svg.matches("<circle").count(), 2);
    assert!(svg.contains("class=\"threshold\""));
    assert!(svg.contains("<title id=\"graph-title\">&lt;t&gt;</title>"));
    // An empty graph still draws (axes, no series).
    assert!(!crate::svg::line_graph("x", &[], 0.0, 1.0, None).contains("polyline"));
}

#[test]
fn a_functions_code_is_shown_escaped() {
    let page = text(&run(
        &Fake::default(),
        "GET",
        "/_console/lambda/function?name=f",
        None,
        "",
    ));
    assert!(page.contains("<summary>app.py (5 bytes)</summary>"));
    assert!(page.contains("&lt;b&gt;x"));
    assert!(!page.contains("<b>x"));
}

#[test]
fn the_vpc_wizard_splits_the_block_into_sixteenths() {
    use crate::vpc_wizard::subnet_cidr;
    assert_eq!(
        subnet_cidr("10.0.0.0/16", 0).as_deref(),
        Some("10.0.0.0/20")
    );
    assert_eq!(
        subnet_cidr("10.0.0.0/16", 8).as_deref(),
        Some("10.0.128.0/20")
    );
    assert_eq!(
        subnet_cidr("10.1.2.0/24", 15).as_deref(),
        Some("10.1.2.240/28")
    );
    // Host bits in the block are ignored; sizes the wizard cannot split are refused.
    assert_eq!(
        subnet_cidr("10.0.5.7/16", 1).as_deref(),
        Some("10.0.16.0/20")
    );
    assert_eq!(subnet_cidr("10.0.0.0/8", 0), None);
    assert_eq!(subnet_cidr("10.0.0.0/25", 0), None);
    assert_eq!(subnet_cidr("nonsense", 0), None);
    assert_eq!(subnet_cidr("10.0.0.0/16", 16), None);
}

#[test]
fn methods_other_than_get_and_post_are_405_and_call_nothing() {
    let fake = Fake::default();
    for method in ["PUT", "DELETE", "PATCH"] {
        let r = run(&fake, method, "/_console/s3", None, "");
        assert_eq!(r.status, 405);
        assert_eq!(header(&r, "Allow"), Some("GET, HEAD, POST"));
    }
    assert!(fake.calls.lock().expect("calls").is_empty());
}
