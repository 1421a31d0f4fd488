//! One request's view of the console: who it acts as, its fields, and
//! the page layout (header with region and account selectors, navigation,
//! main landmark).

use crate::backend::{Backend, Caller};
use crate::form::{Fields, Upload};
use crate::html::{esc, url};
use bytes::Bytes;
use gureum_core::{AwsError, ResponseBody, Value, DEFAULT_ACCOUNT_ID, DEFAULT_REGION};
use std::fmt::Write;

/// A request, as the server hands it over.
pub struct Request<'a> {
    /// `GET` or `POST`.
    pub method: &'a str,
    /// The path, starting with `/_console`.
    pub path: &'a str,
    /// The raw query string.
    pub query: &'a str,
    /// The `Cookie` header, when sent.
    pub cookie: Option<&'a str>,
    /// The `Content-Type` header, when sent.
    pub content_type: Option<&'a str>,
    /// The body (forms).
    pub body: Bytes,
}

/// A response: status, headers and body.
pub struct Response {
    /// The HTTP status.
    pub status: u16,
    /// Headers besides the body's length.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: ResponseBody,
}

impl Response {
    /// An HTML page.
    pub fn html(status: u16, body: String) -> Response {
        Response {
            status,
            headers: vec![
                ("Content-Type".into(), "text/html; charset=utf-8".into()),
                ("Cache-Control".into(), "no-store".into()),
                // Pages load only the console's own assets.
                (
                    "Content-Security-Policy".into(),
                    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'".into(),
                ),
                ("X-Content-Type-Options".into(), "nosniff".into()),
            ],
            body: ResponseBody::Bytes(Bytes::from(body)),
        }
    }

    /// A vendored static asset.
    pub fn asset(content_type: &str, text: &'static str) -> Response {
        Response {
            status: 200,
            headers: vec![
                (
                    "Content-Type".into(),
                    format!("{content_type}; charset=utf-8"),
                ),
                ("Cache-Control".into(), "max-age=3600".into()),
            ],
            body: ResponseBody::Bytes(Bytes::from_static(text.as_bytes())),
        }
    }

    /// A redirect after a form (303: the browser GETs `to`).
    pub fn redirect(to: &str) -> Response {
        Response {
            status: 303,
            headers: vec![("Location".into(), to.to_string())],
            body: ResponseBody::Bytes(Bytes::new()),
        }
    }
}

/// A page handler's answer: `None` for a path it does not serve.
pub type Page = Option<Response>;

const REGION_COOKIE: &str = "gureum_console_region";
const ACCOUNT_COOKIE: &str = "gureum_console_account";

/// One request in progress.
pub struct Ui<'a> {
    backend: &'a dyn Backend,
    /// Who the console acts as.
    pub caller: Caller,
    /// The query string's fields.
    pub query: Fields,
    /// The form's fields (POST).
    pub form: Fields,
    /// Files of a multipart form.
    pub uploads: Vec<Upload>,
    csrf_cookie: Option<String>,
    csrf: String,
    here: String,
}

fn cookie<'c>(header: Option<&'c str>, name: &str) -> Option<&'c str> {
    header?.split(';').find_map(|c| {
        let (k, v) = c.trim().split_once('=')?;
        (k == name).then_some(v)
    })
}

impl<'a> Ui<'a> {
    /// The view of `req`.
    pub fn new(backend: &'a dyn Backend, req: &Request<'_>) -> Ui<'a> {
        let accounts = backend.accounts();
        let account = cookie(req.cookie, ACCOUNT_COOKIE)
            .filter(|a| accounts.iter().any(|x| x == a))
            .unwrap_or(DEFAULT_ACCOUNT_ID);
        let region = cookie(req.cookie, REGION_COOKIE)
            .and_then(gureum_core::region::find)
            .map(|r| r.name)
            .unwrap_or(DEFAULT_REGION);
        let (form, uploads) = match req.content_type {
            Some(ct) if ct.starts_with("multipart/form-data") => {
                crate::form::multipart(ct, &req.body).unwrap_or_default()
            }
            _ if req.method == "POST" => (
                Fields::urlencoded(&String::from_utf8_lossy(&req.body)),
                Vec::new(),
            ),
            _ => Default::default(),
        };
        let csrf_cookie = cookie(req.cookie, crate::csrf::COOKIE)
            .filter(|c| c.len() == 32)
            .map(str::to_string);
        let csrf = csrf_cookie.clone().unwrap_or_else(crate::csrf::fresh);
        Ui {
            backend,
            caller: Caller {
                account: account.to_string(),
                region: region.to_string(),
            },
            query: Fields::urlencoded(req.query),
            form,
            uploads,
            csrf_cookie,
            csrf,
            here: here(req.path, req.query),
        }
    }

    /// Calls an operation as the console's caller.
    pub async fn call(
        &self,
        service: &str,
        operation: &str,
        input: Value,
    ) -> Result<Value, AwsError> {
        self.backend
            .call(&self.caller, service, operation, input)
            .await
    }

    /// Calls a streaming operation (S3 object bodies).
    pub async fn call_streaming(
        &self,
        service: &str,
        operation: &str,
        input: Value,
        body: Bytes,
    ) -> Result<gureum_core::Reply, AwsError> {
        self.backend
            .call_streaming(&self.caller, service, operation, input, body)
            .await
    }

    /// A Lambda function's code files (see [`Backend::function_code`]).
    pub fn function_code(
        &self,
        function: &str,
        head_bytes: usize,
    ) -> Result<Vec<(String, u64, Vec<u8>)>, AwsError> {
        self.backend
            .function_code(&self.caller, function, head_bytes)
    }

    /// Gureum's clock, in epoch milliseconds.
    pub fn now_millis(&self) -> i64 {
        self.backend.now_millis()
    }

    /// A 403 unless the form repeats the CSRF cookie.
    pub fn check_csrf(&self) -> Result<(), Response> {
        if crate::csrf::matches(
            self.csrf_cookie.as_deref(),
            self.form.get(crate::csrf::FIELD),
        ) {
            return Ok(());
        }
        Err(self.page(
            403,
            "Forbidden",
            "",
            "<p class=\"error\" role=\"alert\">The form's security token is missing or out of date. Reload the page and try again.</p>",
        ))
    }

    /// The hidden CSRF input every form carries.
    pub fn csrf_input(&self) -> String {
        crate::csrf::input(&self.csrf)
    }

    /// A POST form to `action` around `inner` (the CSRF input added).
    pub fn form(&self, action: &str, class: &str, inner: &str) -> String {
        format!(
            "<form method=\"post\" action=\"{}\" class=\"{}\">{}{inner}</form>",
            esc(action),
            esc(class),
            self.csrf_input()
        )
    }

    /// A one-button POST form (an action on a resource): `fields` are
    /// hidden name/value pairs.
    pub fn button(
        &self,
        action: &str,
        fields: &[(&str, &str)],
        label: &str,
        danger: bool,
    ) -> String {
        let mut inner = String::new();
        for (k, v) in fields {
            let _ = write!(
                inner,
                "<input type=\"hidden\" name=\"{}\" value=\"{}\">",
                esc(k),
                esc(v)
            );
        }
        let _ = write!(
            inner,
            "<button type=\"submit\"{}>{}</button>",
            if danger { " class=\"danger\"" } else { "" },
            esc(label)
        );
        self.form(action, "inline", &inner)
    }

    /// Applies the header's region and account selectors.
    pub fn settings(&self) -> Page {
        let region = gureum_core::region::find(self.form.get("region"))
            .map(|r| r.name)
            .unwrap_or(&self.caller.region);
        let accounts = self.backend.accounts();
        let account = Some(self.form.get("account"))
            .filter(|a| accounts.iter().any(|x| x == a))
            .unwrap_or(&self.caller.account);
        let back = Some(self.form.get("back"))
            .filter(|b| crate::is_console_path(b.split('?').next().unwrap_or("")))
            .unwrap_or("/_console/");
        let mut r = Response::redirect(back);
        for (name, value) in [(REGION_COOKIE, region), (ACCOUNT_COOKIE, account)] {
            r.headers.push((
                "Set-Cookie".into(),
                format!("{name}={value}; Path=/_console; SameSite=Strict"),
            ));
        }
        Some(r)
    }

    /// A full page: header (selectors), navigation, `main` with `body`.
    pub fn page(&self, status: u16, title: &str, section: &str, body: &str) -> Response {
        let mut out = String::with_capacity(body.len() + 4096);
        let _ = write!(
            out,
            "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">\
             <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><link rel=\"icon\" href=\"data:,\">\
             <title>{} · Gureum console</title>\
             <link rel=\"stylesheet\" href=\"/_console/static/console.css\">\
             <script src=\"/_console/static/console.js\" defer></script></head><body>\
             <a class=\"skip\" href=\"#main\">Skip to content</a>\
             <header class=\"top\"><a class=\"brand\" href=\"/_console/\">Gureum console</a>",
            esc(title)
        );
        out.push_str(&self.selectors(title));
        out.push_str("</header><nav aria-label=\"Services\" class=\"side\"><ul>");
        for (key, href, label) in NAV {
            let current = if *key == section {
                " aria-current=\"page\""
            } else {
                ""
            };
            let _ = write!(out, "<li><a href=\"{href}\"{current}>{label}</a></li>");
        }
        let _ = write!(
            out,
            "</ul></nav><main id=\"main\" tabindex=\"-1\"><h1>{}</h1>{body}</main></body></html>",
            esc(title)
        );
        let mut r = Response::html(status, out);
        if self.csrf_cookie.is_none() {
            r.headers.push((
                "Set-Cookie".into(),
                format!(
                    "{}={}; Path=/_console; SameSite=Strict; HttpOnly",
                    crate::csrf::COOKIE,
                    self.csrf
                ),
            ));
        }
        r
    }

    fn selectors(&self, _title: &str) -> String {
        let mut out = String::from(
            "<form method=\"post\" action=\"/_console/settings\" class=\"selectors\">",
        );
        out.push_str(&self.csrf_input());
        out.push_str("<label for=\"region\">Region</label><select id=\"region\" name=\"region\" data-autosubmit>");
        for r in gureum_core::region::REGIONS {
            let sel = if r.name == self.caller.region {
                " selected"
            } else {
                ""
            };
            let _ = write!(out, "<option value=\"{0}\"{sel}>{0}</option>", r.name);
        }
        out.push_str("</select><label for=\"account\">Account</label><select id=\"account\" name=\"account\" data-autosubmit>");
        for a in self.backend.accounts() {
            let sel = if a == self.caller.account {
                " selected"
            } else {
                ""
            };
            let _ = write!(out, "<option value=\"{0}\"{sel}>{0}</option>", esc(&a));
        }
        out.push_str("</select><input type=\"hidden\" name=\"back\" value=\"");
        let _ = write!(out, "{}", esc(&self.here));
        out.push_str("\"><button type=\"submit\">Switch</button></form>");
        out
    }

    /// The page for a failed operation: AWS's code and message.
    pub fn error_page(&self, e: &AwsError, section: &str, back: &str) -> Response {
        let body = format!(
            "{}<p><a href=\"{}\">Back</a></p>",
            error_banner(e),
            esc(back)
        );
        self.page(e.status.max(400), "The request failed", section, &body)
    }

    /// 404 for a path the console does not serve.
    pub fn not_found(&self) -> Response {
        self.page(404, "Not found", "", "<p>The console has no page at this address.</p><p><a href=\"/_console/\">Console home</a></p>")
    }

    /// A redirect to `to` with a notice shown on arrival.
    pub fn done(&self, to: &str, notice: &str) -> Page {
        let sep = if to.contains('?') { '&' } else { '?' };
        Some(Response::redirect(&format!(
            "{to}{sep}notice={}",
            url(notice)
        )))
    }

    /// The notice carried by [`Ui::done`], as a status region.
    pub fn notice(&self) -> String {
        match self.query.get("notice") {
            "" => String::new(),
            n => format!("<p class=\"notice\" role=\"status\">{}</p>", esc(n)),
        }
    }
}

/// The page's own address for the header's form to come back to, less
/// the one-time notice.
fn here(path: &str, query: &str) -> String {
    let kept: Vec<&str> = query
        .split('&')
        .filter(|p| !p.is_empty() && !p.starts_with("notice="))
        .collect();
    match kept.is_empty() {
        true => path.to_string(),
        false => format!("{path}?{}", kept.join("&")),
    }
}

/// An operation's error as the client would read it: code and message.
pub fn error_banner(e: &AwsError) -> String {
    format!(
        "<div class=\"error\" role=\"alert\"><strong>{}</strong>: {}</div>",
        esc(&e.code),
        esc(&e.message)
    )
}

/// The navigation: section key, path, label.
const NAV: &[(&str, &str, &str)] = &[
    ("home", "/_console/", "Home"),
    ("s3", "/_console/s3", "S3"),
    ("ec2", "/_console/ec2/instances", "EC2"),
    ("vpc", "/_console/vpc", "VPC"),
    ("iam", "/_console/iam/users", "IAM"),
    ("cloudwatch", "/_console/cloudwatch/alarms", "CloudWatch"),
    ("route53", "/_console/route53", "Route 53"),
    ("lambda", "/_console/lambda", "Lambda"),
    ("dynamodb", "/_console/dynamodb", "DynamoDB"),
    ("rds", "/_console/rds", "RDS"),
    ("elb", "/_console/elb", "Load balancers"),
    ("billing", "/_console/billing", "Billing"),
];

/// A service's tab bar: `links` as `(href, label)`, the one at `current`
/// marked `aria-current="page"`, in a `nav` named `label`.
pub fn tab_nav(label: &str, class: &str, links: &[(&str, &str)], current: &str) -> String {
    let class = if class.is_empty() {
        String::new()
    } else {
        format!(" class=\"{class}\"")
    };
    let mut out = format!("<nav aria-label=\"{label}\"{class}><p>");
    let items: Vec<String> = links
        .iter()
        .map(|(href, text)| {
            let cur = if *href == current {
                " aria-current=\"page\""
            } else {
                ""
            };
            format!("<a href=\"{href}\"{cur}>{text}</a>")
        })
        .collect();
    out.push_str(&items.join(" · "));
    out.push_str("</p></nav>");
    out
}
