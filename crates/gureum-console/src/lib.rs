//! Gureum's web management console, served at `/_console/`.
//!
//! Server-rendered HTML pages (usable without JavaScript) over the
//! services' own operations: every read and every action is one
//! operation called through a [`Backend`], which the server implements
//! with the same dispatch the API uses (model validation, then
//! `Service::call`) as the root user of the chosen account. Nothing here
//! speaks HTTP to Gureum itself.
//!
//! * [`handle`] takes one request and answers one response.
//! * Forms POST urlencoded (or `multipart/form-data` for uploads) with a
//!   CSRF token checked against a `SameSite=Strict` cookie ([`csrf`]).
//! * The region and account are cookies, set from the header's selectors.
//! * Every value that reaches a page goes through [`html::esc`].
//!
//! Page families, one module each: [`home`], [`s3`] (buckets, objects,
//! properties), [`ec2`] (instances, launch wizard, resource lists),
//! [`vpc`] (networks and their diagram), [`iam`], [`cloudwatch`],
//! [`route53`], [`lambda`], [`dynamodb`], [`databases`] (RDS and ELB),
//! [`billing`] (cost by service and day, budgets).

pub mod backend;
pub mod billing;
pub mod cloudwatch;
pub mod csrf;
pub mod databases;
pub mod dynamodb;
pub mod ec2;
pub mod ec2_launch;
pub mod ec2_resources;
pub mod form;
pub mod home;
pub mod html;
pub mod iam;
pub mod iam_roles;
pub mod iam_users;
pub mod lambda;
pub mod metrics;
pub mod route53;
pub mod s3;
pub mod s3_bucket;
pub mod s3_properties;
pub mod svg;
pub mod ui;
pub mod vpc;
pub mod vpc_wizard;

#[cfg(test)]
mod tests;

pub use backend::{Backend, Caller};
pub use ui::{Request, Response, Ui};

/// The path every console page lives under.
pub const PREFIX: &str = "/_console";

/// Whether `path` is the console's.
pub fn is_console_path(path: &str) -> bool {
    path == PREFIX || path.starts_with("/_console/")
}

/// Answers one request under [`PREFIX`], acting through `backend`.
pub async fn handle(backend: &dyn Backend, req: Request<'_>) -> Response {
    let sub = req.path.strip_prefix(PREFIX).unwrap_or("");
    let sub = sub.trim_end_matches('/');
    match sub {
        "/static/console.css" => {
            return Response::asset("text/css", include_str!("assets/console.css"))
        }
        "/static/console.js" => {
            return Response::asset("text/javascript", include_str!("assets/console.js"))
        }
        _ => {}
    }
    if !matches!(req.method, "GET" | "HEAD" | "POST") {
        let mut r = Response::html(405, "<!DOCTYPE html><title>Method not allowed</title><p>The console answers GET and POST.</p>".into());
        r.headers.push(("Allow".into(), "GET, HEAD, POST".into()));
        return r;
    }
    let ui = Ui::new(backend, &req);
    let post = req.method == "POST";
    if post {
        if let Err(r) = ui.check_csrf() {
            return r;
        }
    }
    let response = match (post, sub) {
        (false, "") => home::page(&ui).await,
        (true, "/settings") => ui.settings(),
        (false, s) if s.starts_with("/s3") => s3::get(&ui, s).await,
        (true, s) if s.starts_with("/s3") => s3::post(&ui, s).await,
        (false, s) if s.starts_with("/ec2") => ec2::get(&ui, s).await,
        (true, s) if s.starts_with("/ec2") => ec2::post(&ui, s).await,
        (false, s) if s.starts_with("/vpc") => vpc::get(&ui, s).await,
        (true, s) if s.starts_with("/vpc") => vpc::post(&ui, s).await,
        (false, s) if s.starts_with("/iam") => iam::get(&ui, s).await,
        (true, s) if s.starts_with("/iam") => iam::post(&ui, s).await,
        (false, s) if s.starts_with("/cloudwatch") => cloudwatch::get(&ui, s).await,
        (false, s) if s.starts_with("/route53") => route53::get(&ui, s).await,
        (true, s) if s.starts_with("/route53") => route53::post(&ui, s).await,
        (false, s) if s.starts_with("/lambda") => lambda::get(&ui, s).await,
        (true, s) if s.starts_with("/lambda") => lambda::post(&ui, s).await,
        (false, s) if s.starts_with("/dynamodb") => dynamodb::get(&ui, s).await,
        (false, s) if s.starts_with("/billing") => billing::get(&ui, s).await,
        (true, s) if s.starts_with("/dynamodb") => dynamodb::post(&ui, s).await,
        (false, s) if s.starts_with("/rds") || s.starts_with("/elb") => {
            databases::get(&ui, s).await
        }
        _ => None,
    };
    response.unwrap_or_else(|| ui.not_found())
}
