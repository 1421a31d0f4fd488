//! Stage access logs: a stage's `AccessLogSettings.Format` filled in with
//! the request's `$context` variables, one line per request, for the log
//! group its `DestinationArn` names.

/// The log group name of a CloudWatch Logs ARN
/// (`arn:aws:logs:REGION:ACCOUNT:log-group:NAME[:*]`).
pub fn group_of(arn: &str) -> Option<&str> {
    let rest = arn.split_once(":log-group:")?.1;
    let name = rest.strip_suffix(":*").unwrap_or(rest);
    (!name.is_empty()).then_some(name)
}

/// `format` with every `$context.NAME` (or `${context.NAME}`) among
/// `variables` replaced; unknown variables become `-`, as AWS writes them.
pub fn line(format: &str, variables: &[(&str, String)]) -> String {
    let mut out = String::new();
    let mut rest = format;
    while let Some(i) = rest.find('$') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        let (name, next) = match after.strip_prefix('{') {
            Some(inner) => match inner.find('}') {
                Some(end) => (&inner[..end], &inner[end + 1..]),
                None => (inner, ""),
            },
            None => {
                let end = after
                    .find(|c: char| !(c.is_ascii_alphanumeric() || c == '.' || c == '_'))
                    .unwrap_or(after.len());
                (&after[..end], &after[end..])
            }
        };
        match name.strip_prefix("context.") {
            Some(var) => {
                let value = variables
                    .iter()
                    .find(|(k, _)| *k == var)
                    .map_or("-", |(_, v)| v.as_str());
                out.push_str(value);
            }
            None => {
                out.push('$');
                out.push_str(&rest[i + 1..i + 1 + (after.len() - next.len())]);
            }
        }
        rest = next;
    }
    out.push_str(rest);
    out
}
