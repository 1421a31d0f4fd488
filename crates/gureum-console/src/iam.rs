//! IAM: users (create, attach and detach policies, groups, access keys),
//! groups, roles (with a trust policy) and customer managed policies with
//! a JSON editor.

use crate::html::{esc, list, s, table, time, url};
use crate::s3_bucket::pretty;
use crate::ui::{error_banner, Page, Ui};
use gureum_core::AwsError;
use serde_json::{json, Value};
use std::fmt::Write;

fn tabs(current: &str) -> String {
    let mut out = String::from("<nav aria-label=\"IAM\"><p>");
    for (href, label) in [
        ("/_console/iam/users", "Users"),
        ("/_console/iam/groups", "Groups"),
        ("/_console/iam/roles", "Roles"),
        ("/_console/iam/policies", "Policies"),
    ] {
        let cur = if href == current {
            " aria-current=\"page\""
        } else {
            ""
        };
        let _ = write!(out, "<a href=\"{href}\"{cur}>{label}</a> · ");
    }
    out.truncate(out.len() - " · ".len());
    out.push_str("</p></nav>");
    out
}

/// GET routes under `/_console/iam`.
pub async fn get(ui: &Ui<'_>, sub: &str) -> Page {
    match sub {
        "/iam" | "/iam/users" => users(ui, None).await,
        "/iam/user" => user_page(ui, None).await,
        "/iam/groups" => groups(ui, None).await,
        "/iam/roles" => roles(ui, None).await,
        "/iam/policies" => policies(ui, None).await,
        "/iam/policy" => policy(ui).await,
        _ => None,
    }
}

/// POST routes under `/_console/iam`.
pub async fn post(ui: &Ui<'_>, sub: &str) -> Page {
    let f = &ui.form;
    let user = f.get("user");
    let back_user = format!("/_console/iam/user?name={}", url(user));
    match sub {
        "/iam/create-user" => match ui
            .call("iam", "CreateUser", json!({ "UserName": user }))
            .await
        {
            Ok(_) => ui.done(&back_user, &format!("Created user {user}.")),
            Err(e) => users(ui, Some(e)).await,
        },
        "/iam/attach-user-policy" => {
            let input = json!({ "UserName": user, "PolicyArn": f.get("arn").trim() });
            match ui.call("iam", "AttachUserPolicy", input).await {
                Ok(_) => ui.done(&back_user, "Attached the policy."),
                Err(e) => user_page(ui, Some(Err(e))).await,
            }
        }
        "/iam/detach-user-policy" => {
            let input = json!({ "UserName": user, "PolicyArn": f.get("arn") });
            match ui.call("iam", "DetachUserPolicy", input).await {
                Ok(_) => ui.done(&back_user, "Detached the policy."),
                Err(e) => user_page(ui, Some(Err(e))).await,
            }
        }
        "/iam/add-user-to-group" => {
            let input = json!({ "UserName": user, "GroupName": f.get("group") });
            match ui.call("iam", "AddUserToGroup", input).await {
                Ok(_) => ui.done(&back_user, "Added the user to the group."),
                Err(e) => user_page(ui, Some(Err(e))).await,
            }
        }
        "/iam/create-access-key" => {
            let r = ui
                .call("iam", "CreateAccessKey", json!({ "UserName": user }))
                .await;
            user_page(ui, Some(r)).await
        }
        "/iam/create-group" => match ui
            .call("iam", "CreateGroup", json!({ "GroupName": f.get("group") }))
            .await
        {
            Ok(_) => ui.done(
                "/_console/iam/groups",
                &format!("Created group {}.", f.get("group")),
            ),
            Err(e) => groups(ui, Some(e)).await,
        },
        "/iam/create-role" => {
            let input =
                json!({ "RoleName": f.get("role"), "AssumeRolePolicyDocument": f.get("document") });
            match ui.call("iam", "CreateRole", input).await {
                Ok(_) => ui.done(
                    "/_console/iam/roles",
                    &format!("Created role {}.", f.get("role")),
                ),
                Err(e) => roles(ui, Some(e)).await,
            }
        }
        "/iam/create-policy" => {
            let input =
                json!({ "PolicyName": f.get("policy"), "PolicyDocument": f.get("document") });
            match ui.call("iam", "CreatePolicy", input).await {
                Ok(_) => ui.done(
                    "/_console/iam/policies",
                    &format!("Created policy {}.", f.get("policy")),
                ),
                Err(e) => policies(ui, Some(e)).await,
            }
        }
        _ => None,
    }
}

fn page(ui: &Ui<'_>, status: u16, title: &str, tab: &str, content: &str) -> Page {
    let body = format!("{}{}{content}", tabs(tab), ui.notice());
    Some(ui.page(status, title, "iam", &body))
}

async fn users(ui: &Ui<'_>, failed: Option<AwsError>) -> Page {
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
async fn user_page(ui: &Ui<'_>, acted: Option<Result<Value, AwsError>>) -> Page {
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
    let rows: Vec<Vec<String>> = list(&attached, "AttachedPolicies")
        .iter()
        .map(|p| {
            let arn = s(p, "PolicyArn");
            vec![
                esc(s(p, "PolicyName")).to_string(),
                esc(arn).to_string(),
                ui.button(
                    "/_console/iam/detach-user-policy",
                    &[("user", name), ("arn", arn)],
                    "Detach",
                    true,
                ),
            ]
        })
        .collect();
    c.push_str(&table(
        "Attached policies",
        &["Policy", "ARN", "Actions"],
        &rows,
    ));
    let mut options = String::new();
    for p in list(&policies, "Policies") {
        let _ = write!(
            options,
            "<option value=\"{}\">{}</option>",
            esc(s(p, "Arn")),
            esc(s(p, "PolicyName"))
        );
    }
    c.push_str(&ui.form(
        "/_console/iam/attach-user-policy",
        "panel",
        &format!(
            "<input type=\"hidden\" name=\"user\" value=\"{}\"><label for=\"arn\">Policy to attach</label>\
             <select id=\"arn\" name=\"arn\">{options}</select> <button type=\"submit\">Attach policy</button>",
            esc(name)
        ),
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

async fn groups(ui: &Ui<'_>, failed: Option<AwsError>) -> Page {
    let out = match ui
        .call("iam", "ListGroups", json!({ "MaxItems": 1000 }))
        .await
    {
        Ok(v) => v,
        Err(e) => return Some(ui.error_page(&e, "iam", "/_console/")),
    };
    let mut c = failed.as_ref().map(error_banner).unwrap_or_default();
    c.push_str(&ui.form(
        "/_console/iam/create-group",
        "panel",
        "<label for=\"group\">Group name</label><input type=\"text\" id=\"group\" name=\"group\" required> <button type=\"submit\">Create group</button>",
    ));
    let rows: Vec<Vec<String>> = list(&out, "Groups")
        .iter()
        .map(|g| {
            vec![
                esc(s(g, "GroupName")).to_string(),
                esc(s(g, "Arn")).to_string(),
                esc(&time(g, "CreateDate")).to_string(),
            ]
        })
        .collect();
    c.push_str(&table("Groups", &["Group name", "ARN", "Created"], &rows));
    page(
        ui,
        if failed.is_some() { 400 } else { 200 },
        "IAM groups",
        "/_console/iam/groups",
        &c,
    )
}

/// A JSON editor field (the name `document`) with its status line.
fn editor(label: &str, text: &str) -> String {
    format!(
        "<label for=\"document\">{}</label><textarea id=\"document\" name=\"document\" data-json spellcheck=\"false\" aria-describedby=\"document-status\">{}</textarea>\
         <p id=\"document-status\" class=\"hint\" aria-live=\"polite\"></p>",
        esc(label),
        esc(text)
    )
}

const TRUST_EXAMPLE: &str = "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [{\n    \"Effect\": \"Allow\",\n    \"Principal\": {\"Service\": \"ec2.amazonaws.com\"},\n    \"Action\": \"sts:AssumeRole\"\n  }]\n}";
const POLICY_EXAMPLE: &str = "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [{\n    \"Effect\": \"Allow\",\n    \"Action\": \"s3:ListAllMyBuckets\",\n    \"Resource\": \"*\"\n  }]\n}";

async fn roles(ui: &Ui<'_>, failed: Option<AwsError>) -> Page {
    let out = match ui
        .call("iam", "ListRoles", json!({ "MaxItems": 1000 }))
        .await
    {
        Ok(v) => v,
        Err(e) => return Some(ui.error_page(&e, "iam", "/_console/")),
    };
    let mut c = failed.as_ref().map(error_banner).unwrap_or_default();
    let doc = match ui.form.get("document") {
        "" => TRUST_EXAMPLE,
        d => d,
    };
    c.push_str(&ui.form(
        "/_console/iam/create-role",
        "panel",
        &format!(
            "<label for=\"role\">Role name</label><input type=\"text\" id=\"role\" name=\"role\" required value=\"{}\">{}<button type=\"submit\">Create role</button>",
            esc(ui.form.get("role")),
            editor("Trust policy (JSON)", doc)
        ),
    ));
    let rows: Vec<Vec<String>> = list(&out, "Roles")
        .iter()
        .map(|r| {
            let trust = percent_encoding::percent_decode_str(s(r, "AssumeRolePolicyDocument"))
                .decode_utf8_lossy()
                .into_owned();
            vec![
                esc(s(r, "RoleName")).to_string(),
                esc(s(r, "Arn")).to_string(),
                format!("<pre>{}</pre>", esc(&pretty(&trust))),
            ]
        })
        .collect();
    c.push_str(&table(
        "Roles",
        &["Role name", "ARN", "Trust policy"],
        &rows,
    ));
    page(
        ui,
        if failed.is_some() { 400 } else { 200 },
        "IAM roles",
        "/_console/iam/roles",
        &c,
    )
}

async fn policies(ui: &Ui<'_>, failed: Option<AwsError>) -> Page {
    let out = match ui
        .call(
            "iam",
            "ListPolicies",
            json!({ "Scope": "Local", "MaxItems": 1000 }),
        )
        .await
    {
        Ok(v) => v,
        Err(e) => return Some(ui.error_page(&e, "iam", "/_console/")),
    };
    let mut c = failed.as_ref().map(error_banner).unwrap_or_default();
    let doc = match ui.form.get("document") {
        "" => POLICY_EXAMPLE,
        d => d,
    };
    c.push_str(&ui.form(
        "/_console/iam/create-policy",
        "panel",
        &format!(
            "<label for=\"policy\">Policy name</label><input type=\"text\" id=\"policy\" name=\"policy\" required value=\"{}\">{}<button type=\"submit\">Create policy</button>",
            esc(ui.form.get("policy")),
            editor("Policy document (JSON)", doc)
        ),
    ));
    let rows: Vec<Vec<String>> = list(&out, "Policies")
        .iter()
        .map(|p| {
            let arn = s(p, "Arn");
            vec![
                format!(
                    "<a href=\"/_console/iam/policy?arn={}\">{}</a>",
                    url(arn),
                    esc(s(p, "PolicyName"))
                ),
                esc(arn).to_string(),
                p.get("AttachmentCount")
                    .map(|x| x.to_string())
                    .unwrap_or_default(),
            ]
        })
        .collect();
    c.push_str(&table(
        "Customer managed policies",
        &["Policy", "ARN", "Attachments"],
        &rows,
    ));
    page(
        ui,
        if failed.is_some() { 400 } else { 200 },
        "IAM policies",
        "/_console/iam/policies",
        &c,
    )
}

async fn policy(ui: &Ui<'_>) -> Page {
    let arn = ui.query.get("arn");
    let p = match ui
        .call("iam", "GetPolicy", json!({ "PolicyArn": arn }))
        .await
    {
        Ok(v) => v,
        Err(e) => return Some(ui.error_page(&e, "iam", "/_console/iam/policies")),
    };
    let version = s(&p["Policy"], "DefaultVersionId").to_string();
    let doc = ui
        .call(
            "iam",
            "GetPolicyVersion",
            json!({ "PolicyArn": arn, "VersionId": version }),
        )
        .await
        .ok()
        .map(|v| {
            let raw = s(&v["PolicyVersion"], "Document").to_string();
            pretty(&percent_encoding::percent_decode_str(&raw).decode_utf8_lossy())
        })
        .unwrap_or_default();
    let c = format!(
        "<p>ARN: <code>{}</code> · default version {}</p><pre tabindex=\"0\" aria-label=\"Policy document\">{}</pre>",
        esc(arn),
        esc(&version),
        esc(&doc)
    );
    page(
        ui,
        200,
        &format!("Policy {}", s(&p["Policy"], "PolicyName")),
        "/_console/iam/policies",
        &c,
    )
}
