//! One IAM role: its trust policy and attached policies (attach, detach).

use crate::html::{esc, pretty, s, url};
use crate::iam::page;
use crate::ui::{error_banner, Page, Ui};
use gureum_core::AwsError;
use serde_json::json;
use std::fmt::Write;

/// `GET /_console/iam/role?name=`; `failed` is a refused attach or detach.
pub(crate) async fn role_page(ui: &Ui<'_>, failed: Option<AwsError>) -> Page {
    let name = match ui.query.get("name") {
        "" => ui.form.get("role"),
        n => n,
    };
    let r = match ui.call("iam", "GetRole", json!({ "RoleName": name })).await {
        Ok(v) => v,
        Err(e) => return Some(ui.error_page(&e, "iam", "/_console/iam/roles")),
    };
    let attached = ui
        .call(
            "iam",
            "ListAttachedRolePolicies",
            json!({ "RoleName": name }),
        )
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
    let role = &r["Role"];
    let trust = percent_encoding::percent_decode_str(s(role, "AssumeRolePolicyDocument"))
        .decode_utf8_lossy()
        .into_owned();
    let mut c = failed.as_ref().map(error_banner).unwrap_or_default();
    let _ = write!(
        c,
        "<p>ARN: <code>{}</code></p><h2>Trust policy</h2><pre tabindex=\"0\" aria-label=\"Trust policy\">{}</pre>",
        esc(s(role, "Arn")),
        esc(&pretty(&trust))
    );
    c.push_str(&crate::iam::attached_policies(
        ui, "role", name, &attached, &policies,
    ));
    let status = if failed.is_some() { 400 } else { 200 };
    page(
        ui,
        status,
        &format!("Role {name}"),
        "/_console/iam/roles",
        &c,
    )
}

/// `POST /_console/iam/attach-role-policy` and `…/detach-role-policy`.
pub(crate) async fn attach_or_detach(ui: &Ui<'_>, attach: bool) -> Page {
    let name = ui.form.get("role");
    let input = json!({ "RoleName": name, "PolicyArn": ui.form.get("arn") });
    let op = if attach {
        "AttachRolePolicy"
    } else {
        "DetachRolePolicy"
    };
    match ui.call("iam", op, input).await {
        Ok(_) => ui.done(
            &format!("/_console/iam/role?name={}", url(name)),
            if attach {
                "Attached the policy."
            } else {
                "Detached the policy."
            },
        ),
        Err(e) => role_page(ui, Some(e)).await,
    }
}
