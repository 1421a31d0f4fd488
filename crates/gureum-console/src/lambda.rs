//! Lambda: functions, one function's configuration, a test invoke with
//! its log tail, and a link to its log group.

use crate::html::{esc, list, s, table, url};
use crate::ui::{error_banner, Page, Ui};
use base64::Engine as _;
use serde_json::json;
use std::fmt::Write;

/// GET routes under `/_console/lambda`.
pub async fn get(ui: &Ui<'_>, sub: &str) -> Page {
    match sub {
        "/lambda" => functions(ui).await,
        "/lambda/function" => function(ui, None).await,
        _ => None,
    }
}

/// POST routes under `/_console/lambda`.
pub async fn post(ui: &Ui<'_>, sub: &str) -> Page {
    match sub {
        "/lambda/invoke" => invoke(ui).await,
        _ => None,
    }
}

async fn functions(ui: &Ui<'_>) -> Page {
    let out = match ui
        .call("lambda", "ListFunctions", json!({ "MaxItems": 1000 }))
        .await
    {
        Ok(v) => v,
        Err(e) => return Some(ui.error_page(&e, "lambda", "/_console/")),
    };
    let rows: Vec<Vec<String>> = list(&out, "Functions")
        .iter()
        .map(|f| {
            let name = s(f, "FunctionName");
            vec![
                format!(
                    "<a href=\"/_console/lambda/function?name={}\">{}</a>",
                    url(name),
                    esc(name)
                ),
                esc(s(f, "Runtime")).to_string(),
                esc(s(f, "Handler")).to_string(),
                f.get("MemorySize")
                    .map(|v| v.to_string())
                    .unwrap_or_default(),
                esc(s(f, "LastModified")).to_string(),
            ]
        })
        .collect();
    let body = table(
        "Functions",
        &["Name", "Runtime", "Handler", "Memory (MB)", "Last modified"],
        &rows,
    );
    Some(ui.page(200, "Lambda functions", "lambda", &body))
}

/// One function: configuration, environment, the test-invoke form, and
/// `result` of the last test (payload and log tail, or the error).
async fn function(ui: &Ui<'_>, result: Option<String>) -> Page {
    let name = match ui.query.get("name") {
        "" => ui.form.get("name"),
        n => n,
    };
    let out = match ui
        .call("lambda", "GetFunction", json!({ "FunctionName": name }))
        .await
    {
        Ok(v) => v,
        Err(e) => return Some(ui.error_page(&e, "lambda", "/_console/lambda")),
    };
    let c = &out["Configuration"];
    let mut body = String::new();
    let facts = [
        ("ARN", s(c, "FunctionArn").to_string()),
        ("Runtime", s(c, "Runtime").to_string()),
        ("Handler", s(c, "Handler").to_string()),
        ("Role", s(c, "Role").to_string()),
        (
            "Memory (MB)",
            c.get("MemorySize")
                .map(|v| v.to_string())
                .unwrap_or_default(),
        ),
        (
            "Timeout (s)",
            c.get("Timeout").map(|v| v.to_string()).unwrap_or_default(),
        ),
        ("State", s(c, "State").to_string()),
        (
            "Code size (bytes)",
            c.get("CodeSize").map(|v| v.to_string()).unwrap_or_default(),
        ),
        ("Code SHA-256", s(c, "CodeSha256").to_string()),
    ];
    body.push_str("<dl>");
    for (k, v) in facts {
        let _ = write!(body, "<dt>{k}</dt><dd>{}</dd>", esc(&v));
    }
    body.push_str("</dl>");
    let env: Vec<Vec<String>> = c
        .pointer("/Environment/Variables")
        .and_then(|v| v.as_object())
        .map(|m| {
            m.iter()
                .map(|(k, v)| {
                    vec![
                        esc(k).to_string(),
                        esc(v.as_str().unwrap_or("")).to_string(),
                    ]
                })
                .collect()
        })
        .unwrap_or_default();
    body.push_str(&table("Environment variables", &["Key", "Value"], &env));
    body.push_str(&code_view(ui, name));
    let _ = write!(
        body,
        "<p><a href=\"/_console/cloudwatch/log-group?name={}\">Logs (CloudWatch Logs)</a></p><h2>Test</h2>{}",
        url(&format!("/aws/lambda/{name}")),
        result.unwrap_or_default()
    );
    let event = match ui.form.get("event") {
        "" => "{}",
        e => e,
    };
    body.push_str(&ui.form(
        "/_console/lambda/invoke",
        "panel",
        &format!(
            "<input type=\"hidden\" name=\"name\" value=\"{}\"><label for=\"event\">Event (JSON)</label>\
             <textarea id=\"event\" name=\"event\" data-json spellcheck=\"false\" aria-describedby=\"event-status\">{}</textarea>\
             <p id=\"event-status\" class=\"hint\" aria-live=\"polite\"></p><button type=\"submit\">Test</button>",
            esc(name),
            esc(event)
        ),
    ));
    Some(ui.page(200, &format!("Function {name}"), "lambda", &body))
}

/// The largest part of one file the code view shows.
const CODE_HEAD: usize = 64 * 1024;

/// The function's code: each file's path and size, and text files shown
/// (binary ones named only).
fn code_view(ui: &Ui<'_>, name: &str) -> String {
    let files = match ui.function_code(name, CODE_HEAD) {
        Ok(f) => f,
        Err(e) => return format!("<h2>Code</h2>{}", error_banner(&e)),
    };
    let mut out = String::from("<h2>Code</h2>");
    for (i, (path, size, head)) in files.iter().enumerate() {
        // The shallowest file (the handler's, usually) is shown open.
        let open = if i == 0 { " open" } else { "" };
        let _ = write!(
            out,
            "<details{open}><summary>{} ({size} bytes)</summary>",
            esc(path)
        );
        match text_of(head, (head.len() as u64) < *size) {
            Some(text) => {
                let cut = if (head.len() as u64) < *size {
                    "\n…"
                } else {
                    ""
                };
                let _ = write!(
                    out,
                    "<pre tabindex=\"0\" aria-label=\"{}\">{}{cut}</pre>",
                    esc(path),
                    esc(text)
                );
            }
            None => out.push_str("<p class=\"hint\">Binary file.</p>"),
        }
        out.push_str("</details>");
    }
    if files.is_empty() {
        out.push_str("<p>No files.</p>");
    }
    out
}

/// `head` as text, when it is UTF-8 without NULs; a head cut short may
/// end inside a character, which is dropped.
fn text_of(head: &[u8], cut: bool) -> Option<&str> {
    if head.contains(&0) {
        return None;
    }
    match std::str::from_utf8(head) {
        Ok(t) => Some(t),
        Err(e) if cut && e.error_len().is_none() => {
            std::str::from_utf8(&head[..e.valid_up_to()]).ok()
        }
        Err(_) => None,
    }
}

/// `POST /_console/lambda/invoke`: a synchronous `Invoke` with the log
/// tail, shown on the function's page.
async fn invoke(ui: &Ui<'_>) -> Page {
    let b64 = base64::engine::general_purpose::STANDARD;
    let input = json!({
        "FunctionName": ui.form.get("name"),
        "Payload": b64.encode(ui.form.get("event")),
        "LogType": "Tail",
    });
    let result = match ui.call("lambda", "Invoke", input).await {
        Ok(out) => {
            let decode = |k: &str| {
                b64.decode(s(&out, k))
                    .map(|b| String::from_utf8_lossy(&b).into_owned())
                    .unwrap_or_default()
            };
            let error = s(&out, "FunctionError");
            format!(
                "<div class=\"{}\" role=\"status\"><p>Status {}{}</p><h3>Response</h3><pre tabindex=\"0\" aria-label=\"Response\">{}</pre><h3>Log output</h3><pre tabindex=\"0\" aria-label=\"Log output\">{}</pre></div>",
                if error.is_empty() { "notice" } else { "error" },
                out.get("StatusCode").map(|v| v.to_string()).unwrap_or_default(),
                if error.is_empty() { String::new() } else { format!(" · function error: {}", esc(error)) },
                esc(&decode("Payload")),
                esc(&decode("LogResult"))
            )
        }
        Err(e) => error_banner(&e),
    };
    function(ui, Some(result)).await
}
