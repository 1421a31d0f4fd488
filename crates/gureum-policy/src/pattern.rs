//! Wildcards and policy variables.
//!
//! IAM compares most strings against *patterns*: `*` matches any run of
//! characters (including none) and `?` exactly one character. Actions compare
//! case-insensitively (`S3:getobject` is `s3:GetObject`), resources and ARNs
//! case-sensitively.
//!
//! In a policy whose `Version` is `2012-10-17`, a Resource or condition value
//! may contain *policy variables*: `${aws:username}` is replaced by the value
//! of that key in the request context before matching. Three special forms
//! stand for characters that would otherwise be wildcards: `${*}` is a
//! literal `*`, `${?}` a literal `?` and `${$}` a literal `$`. A default can
//! be given for a missing key: `${aws:PrincipalTag/team, 'none'}`. When a key
//! is missing and there is no default, the value containing the variable
//! matches nothing. Text that the variable brings in is always literal: a
//! user named `a*` does not turn `home/${aws:username}/` into a wildcard.
//! In `2008-10-17` policies `${...}` is ordinary text.
//!
//! A pattern is therefore either the raw text ([`Pat::Raw`], the common case,
//! no allocation) or a token list built by substitution ([`Pat::Toks`]).

use crate::request::Request;

/// One element of a substituted pattern.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Tok {
    /// A byte that must match itself.
    Lit(u8),
    /// `*`: any run of characters.
    Star,
    /// `?`: exactly one character.
    One,
}

/// A pattern: raw policy text or the tokens of a substituted one.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Pat<'a> {
    /// Raw text; `*` and `?` are wildcards.
    Raw(&'a [u8]),
    /// Tokens after variable substitution.
    Toks(&'a [Tok]),
}

impl<'a> Pat<'a> {
    fn len(&self) -> usize {
        match self {
            Pat::Raw(b) => b.len(),
            Pat::Toks(t) => t.len(),
        }
    }

    fn tok(&self, i: usize) -> Tok {
        match self {
            Pat::Raw(b) => match b.get(i) {
                Some(b'*') => Tok::Star,
                Some(b'?') => Tok::One,
                Some(c) => Tok::Lit(*c),
                None => Tok::Lit(0),
            },
            Pat::Toks(t) => t.get(i).copied().unwrap_or(Tok::Lit(0)),
        }
    }

    /// The sub-pattern `[a, b)`.
    fn slice(&self, a: usize, b: usize) -> Pat<'a> {
        match self {
            Pat::Raw(s) => Pat::Raw(s.get(a..b).unwrap_or(&[])),
            Pat::Toks(t) => Pat::Toks(t.get(a..b).unwrap_or(&[])),
        }
    }

    /// Positions of literal `sep` bytes, at most `max` of them.
    fn split_points(&self, sep: u8, max: usize) -> ([usize; 8], usize) {
        let mut out = [0usize; 8];
        let mut n = 0;
        for i in 0..self.len() {
            if n >= max || n >= out.len() {
                break;
            }
            if self.tok(i) == Tok::Lit(sep) {
                out[n] = i;
                n += 1;
            }
        }
        (out, n)
    }
}

/// Length of the UTF-8 character that starts with byte `b`.
fn char_len(b: u8) -> usize {
    match b {
        0xF0..=0xFF => 4,
        0xE0..=0xEF => 3,
        0xC0..=0xDF => 2,
        _ => 1,
    }
}

fn byte_eq(a: u8, b: u8, ci: bool) -> bool {
    if ci {
        a.eq_ignore_ascii_case(&b)
    } else {
        a == b
    }
}

/// Matches `value` against a wildcard pattern. Iterative with a single
/// backtracking point, so hostile patterns cannot blow the stack and run in
/// O(len(pattern) × len(value)) at worst.
pub(crate) fn glob(p: Pat<'_>, value: &[u8], ci: bool) -> bool {
    let plen = p.len();
    let (mut pi, mut vi) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while vi < value.len() {
        let t = if pi < plen { Some(p.tok(pi)) } else { None };
        match t {
            Some(Tok::Lit(c)) if byte_eq(c, value[vi], ci) => {
                pi += 1;
                vi += 1;
                continue;
            }
            Some(Tok::One) => {
                pi += 1;
                vi = (vi + char_len(value[vi])).min(value.len());
                continue;
            }
            Some(Tok::Star) => {
                star = Some((pi, vi));
                pi += 1;
                continue;
            }
            _ => {}
        }
        match star {
            Some((sp, sv)) => {
                let next = (sv + char_len(value[sv])).min(value.len());
                pi = sp + 1;
                vi = next;
                star = Some((sp, next));
            }
            None => return false,
        }
    }
    while pi < plen && p.tok(pi) == Tok::Star {
        pi += 1;
    }
    pi == plen
}

/// Compares `value` with a pattern taken literally (`*` is just a star).
pub(crate) fn literal_eq(p: Pat<'_>, value: &[u8], ci: bool) -> bool {
    match p {
        Pat::Raw(b) => {
            if ci {
                b.eq_ignore_ascii_case(value)
            } else {
                b == value
            }
        }
        Pat::Toks(t) => {
            t.len() == value.len()
                && t.iter().zip(value).all(|(t, v)| {
                    let c = match t {
                        Tok::Lit(c) => *c,
                        Tok::Star => b'*',
                        Tok::One => b'?',
                    };
                    byte_eq(c, *v, ci)
                })
        }
    }
}

/// Compares `value` with the literal text of a pattern, ignoring case for
/// all of Unicode (StringEqualsIgnoreCase).
pub(crate) fn literal_eq_unicode_ci(p: Pat<'_>, value: &str) -> bool {
    match p {
        Pat::Raw(b) => match std::str::from_utf8(b) {
            Ok(s) => s
                .chars()
                .flat_map(char::to_lowercase)
                .eq(value.chars().flat_map(char::to_lowercase)),
            Err(_) => false,
        },
        Pat::Toks(t) => {
            let bytes: Vec<u8> = t
                .iter()
                .map(|t| match t {
                    Tok::Lit(c) => *c,
                    Tok::Star => b'*',
                    Tok::One => b'?',
                })
                .collect();
            literal_eq_unicode_ci(Pat::Raw(&bytes), value)
        }
    }
}

/// ARN matching as `ArnLike`/`ArnEquals` do it: each of the six
/// colon-separated parts is matched on its own, so a `*` does not reach
/// across a colon into the next part (the sixth part, the resource, keeps
/// its colons). Falls back to whole-string matching when either side is not
/// shaped like an ARN.
pub(crate) fn arn_like(p: Pat<'_>, value: &str) -> bool {
    let (cuts, n) = p.split_points(b':', 5);
    let parts: Vec<&str> = value.splitn(6, ':').collect();
    if parts.len() != 6 || (n != 5 && n == 0) {
        // Not an ARN, or a colon-free pattern such as `*`.
        return glob(p, value.as_bytes(), false);
    }
    if n != 5 {
        return false;
    }
    let mut start = 0;
    for (i, part) in parts.iter().enumerate() {
        let end = if i < 5 { cuts[i] } else { p.len() };
        if !glob(p.slice(start, end), part.as_bytes(), false) {
            return false;
        }
        start = end + 1;
    }
    true
}

/// Runs `f` on the pattern for `text`, substituting policy variables first
/// when `vars` is true and the text contains `${`. Returns false when a
/// variable's key is missing and has no default.
pub(crate) fn with_pattern<F>(text: &str, vars: bool, req: &Request, f: F) -> bool
where
    F: FnOnce(Pat<'_>) -> bool,
{
    if !vars || !text.contains("${") {
        return f(Pat::Raw(text.as_bytes()));
    }
    match substitute(text, req) {
        Some(toks) => f(Pat::Toks(&toks)),
        None => false,
    }
}

/// Replaces the policy variables in `text`. `None` when a key is missing.
pub(crate) fn substitute(text: &str, req: &Request) -> Option<Vec<Tok>> {
    let mut out = Vec::with_capacity(text.len() + 16);
    let mut rest = text;
    while let Some(pos) = rest.find("${") {
        push_raw(&mut out, &rest[..pos]);
        let after = &rest[pos + 2..];
        let Some(end) = after.find('}') else {
            // Unclosed: the rest is plain text.
            push_raw(&mut out, &rest[pos..]);
            return Some(out);
        };
        let inner = &after[..end];
        match inner {
            "*" => out.push(Tok::Lit(b'*')),
            "?" => out.push(Tok::Lit(b'?')),
            "$" => out.push(Tok::Lit(b'$')),
            _ => {
                let (key, default) = match inner.split_once(',') {
                    Some((k, d)) => (k.trim(), Some(unquote(d.trim()))),
                    None => (inner.trim(), None),
                };
                let value = match req.context_value(key) {
                    Some([single]) => Some(single.as_str()),
                    _ => None,
                };
                match value.or(default) {
                    Some(v) => out.extend(v.bytes().map(Tok::Lit)),
                    None => return None,
                }
            }
        }
        rest = &after[end + 1..];
    }
    push_raw(&mut out, rest);
    Some(out)
}

fn unquote(s: &str) -> &str {
    s.strip_prefix('\'')
        .and_then(|s| s.strip_suffix('\''))
        .unwrap_or(s)
}

fn push_raw(out: &mut Vec<Tok>, s: &str) {
    out.extend(s.bytes().map(|b| match b {
        b'*' => Tok::Star,
        b'?' => Tok::One,
        c => Tok::Lit(c),
    }));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::request::{ContextKeys, Request, RequestPrincipal};

    fn g(p: &str, v: &str) -> bool {
        glob(Pat::Raw(p.as_bytes()), v.as_bytes(), false)
    }

    fn req(ctx: &[(&str, &str)]) -> Request {
        let mut c = ContextKeys::new();
        for (k, v) in ctx {
            c.set(*k, *v);
        }
        Request {
            action: "s3:GetObject".into(),
            resource: "*".into(),
            principal: RequestPrincipal::default(),
            context: c,
        }
    }

    #[test]
    fn stars_and_question_marks() {
        assert!(g("*", ""));
        assert!(g("*", "anything"));
        assert!(g("s3:Get*", "s3:GetObject"));
        assert!(!g("s3:Get*", "s3:PutObject"));
        assert!(g("a?c", "abc"));
        assert!(!g("a?c", "ac"));
        assert!(g("*AccessKey*", "iam:CreateAccessKey"));
        assert!(g("a*b*c", "aXXbYYc"));
        assert!(!g("a*b*c", "aXXbYY"));
        assert!(g("?", "한"), "? is one character, not one byte");
        assert!(!g("??", "한"));
    }

    #[test]
    fn case_insensitive_for_actions() {
        assert!(glob(Pat::Raw(b"S3:get*"), b"s3:GetObject", true));
        assert!(!glob(Pat::Raw(b"S3:get*"), b"s3:GetObject", false));
    }

    #[test]
    fn hostile_pattern_is_fast() {
        let p = "*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b";
        let v = "a".repeat(2000);
        assert!(!g(p, &v));
    }

    #[test]
    fn substitution_and_specials() {
        let r = req(&[("aws:username", "bob*")]);
        let toks = substitute("home/${aws:username}/${*}${?}${$}", &r).expect("present");
        assert!(literal_eq(Pat::Toks(&toks), b"home/bob*/*?$", false));
        assert!(!glob(Pat::Toks(&toks), b"home/bobby/*?$", false));
        assert!(substitute("${aws:userid}", &r).is_none());
        let d = substitute("${aws:userid, 'nobody'}", &r).expect("default");
        assert!(literal_eq(Pat::Toks(&d), b"nobody", false));
        let unclosed = substitute("a${b", &r).expect("plain");
        assert!(literal_eq(Pat::Toks(&unclosed), b"a${b", false));
    }

    #[test]
    fn arn_parts_do_not_leak() {
        let p = Pat::Raw(b"arn:aws:iam::*:role/Admin");
        assert!(arn_like(p, "arn:aws:iam::123456789012:role/Admin"));
        assert!(!arn_like(
            Pat::Raw(b"arn:aws:iam::123*"),
            "arn:aws:iam::123456789012:role/Admin"
        ));
        assert!(arn_like(
            Pat::Raw(b"arn:aws:logs:*:*:log-group:app:*"),
            "arn:aws:logs:us-east-1:123456789012:log-group:app:log-stream:x"
        ));
    }
}
