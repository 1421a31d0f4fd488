//! Queue URLs and ARNs.
//!
//! A queue's URL is AWS's form on Gureum's own port:
//! `http://sqs.REGION.localhost:PORT/ACCOUNT/NAME`, the port taken from
//! the request's `Host`. Any URL whose path ends in `/ACCOUNT/NAME` names
//! the queue (path-style `http://localhost:4566/ACCOUNT/NAME` and real
//! AWS hosts alike): only the path is read.

use gureum_core::RequestContext;

/// The URL of queue `name` of `account`, as the caller's request reaches it.
pub fn queue_url(ctx: &RequestContext, account: &str, name: &str) -> String {
    let port = ctx
        .host
        .as_deref()
        .and_then(|h| h.rsplit_once(':'))
        .map(|(_, p)| p)
        .filter(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()));
    match port {
        Some(port) => format!(
            "http://sqs.{}.localhost:{port}/{account}/{name}",
            ctx.region
        ),
        None => format!("http://sqs.{}.localhost/{account}/{name}", ctx.region),
    }
}

/// The ARN of queue `name`.
pub fn arn(region: &str, account: &str, name: &str) -> String {
    format!("arn:aws:sqs:{region}:{account}:{name}")
}

/// The account and name a queue URL names (`None` when it names none).
pub fn parse(url: &str) -> Option<(&str, &str)> {
    let path = match url.find("://") {
        Some(i) => {
            let rest = &url[i + 3..];
            &rest[rest.find('/')?..]
        }
        None => url,
    };
    let path = path.split(['?', '#']).next()?.trim_end_matches('/');
    let (head, name) = path.rsplit_once('/')?;
    let account = head.rsplit('/').next()?;
    let valid_account = account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit());
    (valid_account && !name.is_empty()).then_some((account, name))
}

/// The account and name an SQS ARN names.
pub fn parse_arn(arn: &str) -> Option<(&str, &str, &str)> {
    let mut parts = arn.splitn(6, ':');
    let (_, _, service, region, account, name) = (
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
    );
    (service == "sqs" && !name.is_empty()).then_some((region, account, name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_of_every_form_name_the_queue_by_their_path() {
        let want = Some(("000000000000", "orders"));
        assert_eq!(
            parse("http://sqs.us-east-1.localhost:4566/000000000000/orders"),
            want
        );
        assert_eq!(parse("http://localhost:4566/000000000000/orders"), want);
        assert_eq!(
            parse("https://sqs.us-east-1.amazonaws.com/000000000000/orders"),
            want
        );
        assert_eq!(parse("/000000000000/orders"), want);
        assert_eq!(parse("http://localhost:4566/orders"), None);
        assert_eq!(parse("garbage"), None);
    }

    #[test]
    fn the_url_carries_the_host_port() {
        let mut ctx =
            RequestContext::root("000000000000", "eu-west-1", gureum_core::Clock::system());
        ctx.host = Some("127.0.0.1:4567".into());
        assert_eq!(
            queue_url(&ctx, "000000000000", "q"),
            "http://sqs.eu-west-1.localhost:4567/000000000000/q"
        );
    }
}
