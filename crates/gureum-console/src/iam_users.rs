//! IAM users: the list (create), and one user's page (attach and detach
//! policies, groups, access keys shown once).

use crate::html::{esc, list, s, table, time, url};
use crate::iam::page;
use crate::ui::{error_banner, Page, Ui};
use gureum_core::AwsError;
use serde_json::{json, Value};
use std::fmt::Write;

/// The user list, with the create form (and a refused create's error).
pub(crate) async fn users(ui: &Ui<'_>, failed: Option<AwsError>) -> Page {
    let out = match ui
        .call("iam", "ListUsers", json!({ "MaxItems": 1000 }))
        .await
    {
        Ok(v) => v,
        Err(e) => return Some(ui.error_page(&e, "iam", "/_console/")),
    };
    let mut content = failed.as_ref().map(error_banner).unwrap_or_default();
    content.push_str(&ui.form(
        "/_console/iam/create-user",
        "panel",
        &format!(
            "<label for=\"user\">User name</label><input type=\"text\" id=\"user\" name=\"user\" required value=\"{}\"> <button type=\"submit\">Create user</button>",
            esc(ui.form.get("user"))
        ),
    ));
    let rows: Vec<Vec<String>> = list(&out, "Users")
        .iter()
        .map(|u| {
            let name = s(u, "UserName");
            vec![
                format!(
                    "<a href=\"/_console/iam/user?name={}\">{}</a>",
                    url(name),
                    esc(name)
                ),
                esc(s(u, "Arn")).to_string(),
                esc(&time(u, "CreateDate")).to_string(),
            ]
        })
        .collect();
    content.push_str(&table("Users", &["User name", "ARN", "Created"], &rows));
    page(
        ui,
        if failed.is_some() { 400 } else { 200 },
        "IAM users",
        "/_console/iam/users",
        &content,
    )
}

/// One user's page; `acted` carries a new access key (shown once) or the
/// error of an action taken from this page.
pub(crate) async fn user_page(ui: &Ui<'_>, acted: Option<Result<Value, AwsError>>) -> Page {
    let name = match ui.query.get("name") {
        "" => ui.form.get("user"),
        n => n,
    };
    let u = match ui.call("iam", "GetUser", json!({ "UserName": name })).await {
        Ok(v) => v,
        Err(e) => return Some(ui.error_page(&e, "iam", "/_console/iam/users")),
    };
    let call = |op: &'static str| ui.call("iam", op, json!({ "UserName": name }));
    let attached = call("ListAttachedUserPolicies").await.unwrap_or_default();
    let in_groups = call("ListGroupsForUser").await.unwrap_or_default();
    let keys = call("ListAccessKeys").await.unwrap_or_default();
    let all_groups = ui
        .call("iam", "ListGroups", json!({}))
        .await
        .unwrap_or_default();
    let policies = ui
        .call(
            "iam",
            "ListPolicies",
            json!({ "Scope": "All", "MaxItems": 1000 }),
        )
        .await
        .unwrap_or_default();
    let mut c = String::new();
    match &acted {
        Some(Ok(k)) => {
            let key = k.get("AccessKey").cloned().unwrap_or_default();
            let _ = write!(
                c,
                "<div class=\"notice\" role=\"status\"><p>Created access key <code>{}</code>. Its secret is shown only now:</p><pre tabindex=\"0\" aria-label=\"Secret access key\">{}</pre></div>",
                esc(s(&key, "AccessKeyId")),
                esc(s(&key, "SecretAccessKey"))
            );
        }
        Some(Err(e)) => c.push_str(&error_banner(e)),
        None => {}
    }
    let _ = write!(
        c,
        "<p>ARN: <code>{}</code> · created {}</p>",
        esc(s(&u["User"], "Arn")),
        esc(&time(&u["User"], "CreateDate"))
    );
    c.push_str(&crate::iam::attached_policies(
        ui, "user", name, &attached, &policies,
    ));
    let rows: Vec<Vec<String>> = list(&in_groups, "Groups")
        .iter()
        .map(|g| {
            vec![
                esc(s(g, "GroupName")).to_string(),
                esc(s(g, "Arn")).to_string(),
            ]
        })
        .collect();
    c.push_str(&table("Groups", &["Group", "ARN"], &rows));
    let mut options = String::new();
    for g in list(&all_groups, "Groups") {
        let _ = write!(options, "<option>{}</option>", esc(s(g, "GroupName")));
    }
    if !options.is_empty() {
        c.push_str(&ui.form(
            "/_console/iam/add-user-to-group",
            "panel",
            &format!(
                "<input type=\"hidden\" name=\"user\" value=\"{}\"><label for=\"group\">Add to group</label><select id=\"group\" name=\"group\">{options}</select> <button type=\"submit\">Add to group</button>",
                esc(name)
            ),
        ));
    }
    let rows: Vec<Vec<String>> = list(&keys, "AccessKeyMetadata")
        .iter()
        .map(|k| {
            vec![
                esc(s(k, "AccessKeyId")).to_string(),
                esc(s(k, "Status")).to_string(),
                esc(&time(k, "CreateDate")).to_string(),
            ]
        })
        .collect();
    c.push_str(&table(
        "Access keys",
        &["Access key ID", "Status", "Created"],
        &rows,
    ));
    c.push_str(&ui.button(
        "/_console/iam/create-access-key",
        &[("user", name)],
        "Create access key",
        false,
    ));
    let status = if matches!(acted, Some(Err(_))) {
        400
    } else {
        200
    };
    page(
        ui,
        status,
        &format!("User {name}"),
        "/_console/iam/users",
        &c,
    )
}
