//! Small things every operation family uses: IAM's errors with AWS's
//! wording, reading members from an input value, name and path rules,
//! tags, policy-document encoding, and `Marker`/`MaxItems` pagination.

use crate::errors::IamError;
use crate::model::Tag;
use gureum_core::{AwsError, Value};
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

/// The store key of a named entity: `account/lowercase-name`.
pub fn key(account: &str, name: &str) -> String {
    format!("{account}/{}", name.to_lowercase())
}

/// The key prefix of an account's entities.
pub fn account_prefix(account: &str) -> String {
    format!("{account}/")
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

/// The `MaxItems` member (default 100).
pub fn max_items(input: &Value) -> usize {
    int_member(input, "MaxItems")
        .filter(|n| *n > 0)
        .map_or(100, |n| n as usize)
}

/// One page of `items` (already in order, each with its sort key): the items
/// after the `Marker`, at most `MaxItems`, and the marker of the next page.
pub fn paginate<T>(items: Vec<(String, T)>, input: &Value) -> (Vec<T>, Option<String>) {
    let max = max_items(input);
    let marker = str_member(input, "Marker");
    let mut out = Vec::new();
    let mut next = None;
    for (k, item) in items {
        if marker.is_some_and(|m| k.as_str() <= m) {
            continue;
        }
        if out.len() == max {
            next = out.last().map(|(k, _): &(String, T)| k.clone());
            break;
        }
        out.push((k, item));
    }
    (out.into_iter().map(|(_, v)| v).collect(), next)
}

/// A list output: `{member: items, IsTruncated, Marker?}`.
pub fn list_output(member: &str, items: Vec<Value>, next: Option<String>) -> Value {
    let mut out = json!({ member: items, "IsTruncated": next.is_some() });
    if let Some(m) = next {
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
        let (page, next) = paginate(items.clone(), &json!({"MaxItems": 2}));
        assert_eq!(page, vec![0, 1]);
        assert_eq!(next.as_deref(), Some("k1"));
        let (page, next) = paginate(items, &json!({"MaxItems": 3, "Marker": "k1"}));
        assert_eq!(page, vec![2, 3, 4]);
        assert_eq!(next, None);
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
