//! IAM: users (create, attach and detach policies, groups, access keys),
//! groups, roles (with a trust policy) and customer managed policies with
//! a JSON editor.

use crate::html::pretty;
use crate::html::{esc, list, s, table, time, url};
use crate::ui::{error_banner, Page, Ui};
use gureum_core::AwsError;
use serde_json::json;
use std::fmt::Write;

fn tabs(current: &str) -> String {
    crate::ui::tab_nav(
        "IAM",
        "",
        &[
            ("/_console/iam/users", "Users"),
            ("/_console/iam/groups", "Groups"),
            ("/_console/iam/roles", "Roles"),
            ("/_console/iam/policies", "Policies"),
        ],
        current,
    )
}

/// GET routes under `/_console/iam`.
pub async fn get(ui: &Ui<'_>, sub: &str) -> Page {
    match sub {
        "/iam" | "/iam/users" => crate::iam_users::users(ui, None).await,
        "/iam/user" => crate::iam_users::user_page(ui, None).await,
        "/iam/role" => crate::iam_roles::role_page(ui, None).await,
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
            Err(e) => crate::iam_users::users(ui, Some(e)).await,
        },
        "/iam/attach-user-policy" => {
            let input = json!({ "UserName": user, "PolicyArn": f.get("arn").trim() });
            match ui.call("iam", "AttachUserPolicy", input).await {
                Ok(_) => ui.done(&back_user, "Attached the policy."),
                Err(e) => crate::iam_users::user_page(ui, Some(Err(e))).await,
            }
        }
        "/iam/detach-user-policy" => {
            let input = json!({ "UserName": user, "PolicyArn": f.get("arn") });
            match ui.call("iam", "DetachUserPolicy", input).await {
                Ok(_) => ui.done(&back_user, "Detached the policy."),
                Err(e) => crate::iam_users::user_page(ui, Some(Err(e))).await,
            }
        }
        "/iam/add-user-to-group" => {
            let input = json!({ "UserName": user, "GroupName": f.get("group") });
            match ui.call("iam", "AddUserToGroup", input).await {
                Ok(_) => ui.done(&back_user, "Added the user to the group."),
                Err(e) => crate::iam_users::user_page(ui, Some(Err(e))).await,
            }
        }
        "/iam/create-access-key" => {
            let r = ui
                .call("iam", "CreateAccessKey", json!({ "UserName": user }))
                .await;
            crate::iam_users::user_page(ui, Some(r)).await
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
        "/iam/attach-role-policy" | "/iam/detach-role-policy" => {
            crate::iam_roles::attach_or_detach(ui, sub == "/iam/attach-role-policy").await
        }
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

/// An IAM page: the tabs, a notice, then `content`.
pub(crate) fn page(ui: &Ui<'_>, status: u16, title: &str, tab: &str, content: &str) -> Page {
    let body = format!("{}{}{content}", tabs(tab), ui.notice());
    Some(ui.page(status, title, "iam", &body))
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
                format!(
                    "<a href=\"/_console/iam/role?name={}\">{}</a>",
                    url(s(r, "RoleName")),
                    esc(s(r, "RoleName"))
                ),
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

/// A user's or role's attached policies (each with a Detach button) and the
/// form attaching another: `kind` is `user` or `role`, as in the actions'
/// paths (`/_console/iam/attach-user-policy`) and their form field.
pub(crate) fn attached_policies(
    ui: &Ui<'_>,
    kind: &str,
    name: &str,
    attached: &serde_json::Value,
    policies: &serde_json::Value,
) -> String {
    let rows: Vec<Vec<String>> = list(attached, "AttachedPolicies")
        .iter()
        .map(|p| {
            let arn = s(p, "PolicyArn");
            vec![
                esc(s(p, "PolicyName")).to_string(),
                esc(arn).to_string(),
                ui.button(
                    &format!("/_console/iam/detach-{kind}-policy"),
                    &[(kind, name), ("arn", arn)],
                    "Detach",
                    true,
                ),
            ]
        })
        .collect();
    let mut c = table("Attached policies", &["Policy", "ARN", "Actions"], &rows);
    let mut options = String::new();
    for p in list(policies, "Policies") {
        let _ = write!(
            options,
            "<option value=\"{}\">{}</option>",
            esc(s(p, "Arn")),
            esc(s(p, "PolicyName"))
        );
    }
    c.push_str(&ui.form(
        &format!("/_console/iam/attach-{kind}-policy"),
        "panel",
        &format!(
            "<input type=\"hidden\" name=\"{kind}\" value=\"{}\"><label for=\"arn\">Policy to attach</label>\
             <select id=\"arn\" name=\"arn\">{options}</select> <button type=\"submit\">Attach policy</button>",
            esc(name)
        ),
    ));
    c
}
