//! Small things every operation family uses: IAM's errors with AWS's
//! wording, reading members from an input value, name and path rules,
//! tags, policy-document encoding, and `Marker`/`MaxItems` pagination.

use crate::errors::IamError;
use crate::model::Tag;
use gureum_core::{AwsError, Scope, Value};
use gureum_kit::paging::{self, Page, PageRequest, PagingError};
use gureum_store::Table;
use serde_json::json;

pub use gureum_core::member::str_member;

/// A required string member (the protocol layer checks presence; an absent
/// one here is answered like AWS answers an empty one).
pub fn required<'a>(input: &'a Value, name: &str) -> Result<&'a str, AwsError> {
    match str_member(input, name) {
        Some(s) => Ok(s),
        None => Err(IamError::MissingMember {
            member: lower_first(name),
        }
        .into()),
    }
}

/// A boolean member.
pub fn bool_member(input: &Value, name: &str) -> Option<bool> {
    input.get(name).and_then(Value::as_bool)
}

/// An integer member.
pub fn int_member(input: &Value, name: &str) -> Option<i64> {
    input.get(name).and_then(Value::as_i64)
}

/// `UserName` → `userName`, as AWS's validation messages spell members.
pub fn lower_first(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_ascii_lowercase().to_string() + c.as_str(),
        None => String::new(),
    }
}

/// IAM's scope: an account (IAM is global, so no region).
pub fn scope(account: &str) -> Scope<'_> {
    Scope::Account { account }
}

/// The store key of a named entity: the account's scope and the name in
/// lower case (IAM names are unique regardless of case).
pub fn key(account: &str, name: &str) -> String {
    scope(account).key(&name.to_lowercase())
}

/// Checks a user, group, role, policy or instance profile name against
/// `[\w+=,.@-]+` (the models' pattern, which the protocol layer leaves to
/// the service).
pub fn check_name(member: &str, name: &str) -> Result<(), AwsError> {
    let ok = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_+=,.@-".contains(c));
    if ok {
        Ok(())
    } else {
        Err(IamError::Constraint {
            value: name.to_string(),
            member: lower_first(member),
            constraint: "Member must satisfy regular expression pattern: [\\w+=,.@-]+".into(),
        }
        .into())
    }
}

/// Checks an IAM path: `/`, or `/` + printable ASCII + `/`.
pub fn check_path(path: &str) -> Result<(), AwsError> {
    let ok = path == "/"
        || (path.len() >= 2
            && path.starts_with('/')
            && path.ends_with('/')
            && path.bytes().all(|b| (0x21..=0x7e).contains(&b)));
    if ok {
        Ok(())
    } else {
        Err(IamError::InvalidPath.into())
    }
}

/// The `Path` member (default `/`), checked.
pub fn path_member(input: &Value, member: &str) -> Result<String, AwsError> {
    let path = str_member(input, member).unwrap_or("/");
    check_path(path)?;
    Ok(path.to_string())
}

/// Percent-encodes a policy document the way IAM returns documents (every
/// byte but the unreserved ones; SDKs decode it with `unquote`).
pub fn encode_document(doc: &str) -> String {
    let mut out = String::with_capacity(doc.len() * 2);
    for b in doc.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The number of characters of a document that count towards IAM's size
/// quotas: whitespace does not count.
pub fn policy_size(doc: &str) -> usize {
    doc.chars().filter(|c| !c.is_whitespace()).count()
}

/// The `Tags` member as tags, checked against IAM's rules (≤ 50 per
/// request, keys unique regardless of case, no `aws:` prefix, allowed
/// characters).
pub fn tags_member(input: &Value) -> Result<Vec<Tag>, AwsError> {
    let mut tags: Vec<Tag> = Vec::new();
    for t in input
        .get("Tags")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default()
    {
        let key = str_member(t, "Key").unwrap_or_default().to_string();
        let value = str_member(t, "Value").unwrap_or_default().to_string();
        check_tag_key(&key)?;
        check_tag_value(&value)?;
        if tags.iter().any(|e| e.key.eq_ignore_ascii_case(&key)) {
            return Err(IamError::DuplicateTagKeys.into());
        }
        tags.push(Tag { key, value });
    }
    if tags.len() > 50 {
        return Err(IamError::TooManyTags.into());
    }
    Ok(tags)
}

fn tag_chars_ok(s: &str) -> bool {
    s.chars()
        .all(|c| c.is_alphanumeric() || c.is_whitespace() || "_.:/=+-@".contains(c))
}

/// A tag key: 1–128 characters of letters, digits, spaces and `_.:/=+-@`,
/// not starting with `aws:`.
pub fn check_tag_key(key: &str) -> Result<(), AwsError> {
    if key.is_empty() || key.chars().count() > 128 || !tag_chars_ok(key) {
        return Err(IamError::Constraint {
            value: key.to_string(),
            member: "tags.1.member.key".into(),
            constraint:
                "Member must satisfy regular expression pattern: [\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]+"
                    .into(),
        }
        .into());
    }
    if key.to_ascii_lowercase().starts_with("aws:") {
        return Err(IamError::ReservedTagKey.into());
    }
    Ok(())
}

fn check_tag_value(value: &str) -> Result<(), AwsError> {
    if value.chars().count() > 256 || !tag_chars_ok(value) {
        return Err(IamError::Constraint {
            value: value.to_string(),
            member: "tags.1.member.value".into(),
            constraint:
                "Member must satisfy regular expression pattern: [\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*"
                    .into(),
        }
        .into());
    }
    Ok(())
}

/// Merges `new` into `existing` (a tag with the same key, regardless of
/// case, is replaced), refusing to go over 50.
pub fn merge_tags(existing: &mut Vec<Tag>, new: Vec<Tag>) -> Result<(), AwsError> {
    for t in new {
        match existing
            .iter_mut()
            .find(|e| e.key.eq_ignore_ascii_case(&t.key))
        {
            Some(e) => *e = t,
            None => existing.push(t),
        }
    }
    if existing.len() > 50 {
        return Err(IamError::TooManyTags.into());
    }
    Ok(())
}

/// Removes the tags whose keys are listed in `TagKeys`.
pub fn remove_tags(existing: &mut Vec<Tag>, input: &Value) {
    let keys: Vec<&str> = input
        .get("TagKeys")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    existing.retain(|t| !keys.iter().any(|k| k.eq_ignore_ascii_case(&t.key)));
}

/// Tags as the model's `Tag` list.
pub fn tags_value(tags: &[Tag]) -> Value {
    Value::Array(
        tags.iter()
            .map(|t| json!({"Key": t.key, "Value": t.value}))
            .collect(),
    )
}

/// Adds `Tags` to an output object when there are any.
pub fn put_tags(out: &mut Value, tags: &[Tag]) {
    if !tags.is_empty() {
        out["Tags"] = tags_value(tags);
    }
}

/// The page a `Marker`/`MaxItems` list request asks for: `MaxItems` 1–1000
/// (default 100), the `Marker` an earlier page of this server returned.
pub fn page_request(input: &Value) -> Result<PageRequest, AwsError> {
    PageRequest::new(
        int_member(input, "MaxItems"),
        str_member(input, "Marker"),
        (1, 1000),
        100,
    )
    .map_err(|e| match e {
        PagingError::SizeOutOfRange { given, min, .. } => IamError::Constraint {
            value: given.to_string(),
            member: "maxItems".into(),
            constraint: if given < min as i64 {
                "Member must have value greater than or equal to 1".into()
            } else {
                "Member must have value less than or equal to 1000".into()
            },
        }
        .into(),
        PagingError::BadToken(_) => IamError::InvalidMarker.into(),
    })
}

/// One page of `items` held in memory (a record's own list: its attached
/// policies, tags, keys), already in order, each with its sort key. Lists
/// of a whole account page over the store instead ([`scan_page`]).
pub fn paginate<T>(items: Vec<(String, T)>, request: &PageRequest) -> Page<T> {
    let mut out = Vec::new();
    let mut last = String::new();
    let mut more = false;
    for (k, item) in items {
        if request.after.as_deref().is_some_and(|a| k.as_str() <= a) {
            continue;
        }
        if out.len() == request.limit {
            more = true;
            break;
        }
        last = k;
        out.push(item);
    }
    let next_token = more.then(|| paging::encode_token(&last));
    Page {
        items: out,
        next_token,
    }
}

/// One page of an account's entities in `table`, straight from a store
/// scan: `keep` turns a record into an item or skips it (filters).
pub fn scan_page<T: serde::Serialize + serde::de::DeserializeOwned, R>(
    table: &Table<T>,
    account: &str,
    request: &PageRequest,
    keep: impl FnMut(&str, T) -> Option<R>,
) -> Result<Page<R>, AwsError> {
    Ok(paging::page(
        table,
        &scope(account).prefix(),
        request,
        keep,
    )?)
}

/// One source of a [`chained_page`]: its tag, and how to read a page of
/// it (`after` relative to the source).
pub type Source<'a, T> = (
    &'static str,
    Box<dyn FnMut(&PageRequest) -> Result<Page<T>, AwsError> + 'a>,
);

/// One page over several sources in turn (the account's groups, then
/// roles, then users), each read with its own scan. Markers name the
/// source they resume in: `{tag}/{key}`, or `{tag}/` for its start.
pub fn chained_page<T>(
    request: &PageRequest,
    mut sources: Vec<Source<'_, T>>,
) -> Result<Page<T>, AwsError> {
    let (start_tag, start_after) = match request.after.as_deref() {
        Some(a) => {
            let (tag, rest) = a.split_once('/').ok_or(IamError::InvalidMarker)?;
            if !sources.iter().any(|(t, _)| *t == tag) {
                return Err(IamError::InvalidMarker.into());
            }
            (Some(tag), (!rest.is_empty()).then(|| rest.to_string()))
        }
        None => (None, None),
    };
    let first = start_tag.map_or(0, |t| {
        sources.iter().position(|(tag, _)| *tag == t).unwrap_or(0)
    });
    let mut items = Vec::new();
    let mut after = start_after;
    for (tag, read) in sources.iter_mut().skip(first) {
        let room = request.limit - items.len();
        if room == 0 {
            // The page is full: a marker at this source's start, if it
            // has anything to give.
            let probe = read(&PageRequest {
                after: None,
                limit: 1,
            })?;
            if probe.items.is_empty() {
                continue;
            }
            return Ok(Page {
                items,
                next_token: Some(paging::encode_token(&format!("{tag}/"))),
            });
        }
        let page = read(&PageRequest {
            after: after.take(),
            limit: room,
        })?;
        items.extend(page.items);
        if let Some(t) = page.next_token {
            let key = paging::decode_token(&t).map_err(|_| IamError::InvalidMarker)?;
            return Ok(Page {
                items,
                next_token: Some(paging::encode_token(&format!("{tag}/{key}"))),
            });
        }
    }
    Ok(Page {
        items,
        next_token: None,
    })
}

/// A list output: `{member: items, IsTruncated, Marker?}`.
pub fn list_output(member: &str, page: Page<Value>) -> Value {
    let mut out = json!({ member: page.items, "IsTruncated": page.next_token.is_some() });
    if let Some(m) = page.next_token {
        out["Marker"] = json!(m);
    }
    out
}

/// The permissions-boundary member of a user or role.
pub fn boundary_value(arn: &str) -> Value {
    json!({"PermissionsBoundaryType": "PermissionsBoundaryPolicy", "PermissionsBoundaryArn": arn})
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_are_percent_encoded_like_iam() {
        assert_eq!(
            encode_document(r#"{"a": "b*"}"#),
            "%7B%22a%22%3A%20%22b%2A%22%7D"
        );
    }

    #[test]
    fn whitespace_does_not_count_towards_policy_size() {
        assert_eq!(policy_size("{ \"a\" :\n 1 }"), 7);
    }

    #[test]
    fn names_follow_the_iam_pattern() {
        assert!(check_name("UserName", "a.b+c=d,e@f-g_h").is_ok());
        assert!(check_name("UserName", "a/b").is_err());
        assert!(check_path("/a/b/").is_ok());
        assert!(check_path("/a").is_err());
    }

    #[test]
    fn pagination_resumes_after_the_marker() {
        let items: Vec<(String, i32)> = (0..5).map(|i| (format!("k{i}"), i)).collect();
        let page = paginate(
            items.clone(),
            &page_request(&json!({"MaxItems": 2})).expect("req"),
        );
        assert_eq!(page.items, vec![0, 1]);
        let marker = page.next_token.expect("more");
        let req = page_request(&json!({"MaxItems": 3, "Marker": marker})).expect("req");
        let page = paginate(items, &req);
        assert_eq!(page.items, vec![2, 3, 4]);
        assert_eq!(page.next_token, None);
    }

    #[test]
    fn max_items_out_of_range_and_foreign_markers_are_validation_errors() {
        let e = page_request(&json!({"MaxItems": 0})).expect_err("0");
        assert_eq!(e.code, "ValidationError");
        assert!(
            e.message.contains("greater than or equal to 1"),
            "{}",
            e.message
        );
        let e = page_request(&json!({"MaxItems": 1001})).expect_err("1001");
        assert!(
            e.message.contains("less than or equal to 1000"),
            "{}",
            e.message
        );
        let e = page_request(&json!({"Marker": "not a marker!"})).expect_err("marker");
        assert_eq!(e.code, "ValidationError");
    }

    #[test]
    fn tag_keys_are_unique_regardless_of_case() {
        let input = json!({"Tags": [{"Key": "a", "Value": "1"}, {"Key": "A", "Value": "2"}]});
        assert_eq!(
            tags_member(&input).map_err(|e| e.code),
            Err("InvalidInput".into())
        );
    }
}
