//! `GetRandomPassword`, with every option AWS documents: length (1–4096,
//! default 32, checked by the model), excluded characters, excluded
//! classes (numbers, punctuation, upper- and lower-case letters), an
//! included space, and one of each included class (the default).

use crate::{SecretsError, SecretsManagerService};
use gureum_core::member::str_member;
use gureum_core::{OpResult, RequestContext, Value};
use rand::seq::SliceRandom;
use rand::Rng;
use serde_json::json;

/// The punctuation AWS draws from.
const PUNCTUATION: &str = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~";
/// AWS's default length.
const DEFAULT_LENGTH: i64 = 32;

fn flag(input: &Value, name: &str) -> bool {
    input.get(name).and_then(Value::as_bool) == Some(true)
}

/// The character classes a request leaves in, minus `ExcludeCharacters`
/// (empty classes dropped).
fn classes(input: &Value) -> Vec<Vec<char>> {
    let excluded = str_member(input, "ExcludeCharacters").unwrap_or_default();
    let mut out: Vec<Vec<char>> = vec![];
    let mut add = |skip: bool, chars: &mut dyn Iterator<Item = char>| {
        if !skip {
            let kept: Vec<char> = chars.filter(|c| !excluded.contains(*c)).collect();
            if !kept.is_empty() {
                out.push(kept);
            }
        }
    };
    add(flag(input, "ExcludeUppercase"), &mut ('A'..='Z'));
    add(flag(input, "ExcludeLowercase"), &mut ('a'..='z'));
    add(flag(input, "ExcludeNumbers"), &mut ('0'..='9'));
    add(flag(input, "ExcludePunctuation"), &mut PUNCTUATION.chars());
    add(!flag(input, "IncludeSpace"), &mut std::iter::once(' '));
    out
}

/// `GetRandomPassword`.
pub(crate) fn get_random_password(
    _svc: &SecretsManagerService,
    _ctx: &RequestContext,
    input: &Value,
) -> OpResult {
    let length = input
        .get("PasswordLength")
        .and_then(Value::as_i64)
        .unwrap_or(DEFAULT_LENGTH)
        .max(1) as usize;
    let classes = classes(input);
    if classes.is_empty() {
        return Err(SecretsError::NoCharacters.into());
    }
    let require = input
        .get("RequireEachIncludedType")
        .and_then(Value::as_bool)
        .unwrap_or(true);
    let all: Vec<char> = classes.iter().flatten().copied().collect();
    let mut rng = rand::rngs::OsRng;
    let mut password: Vec<char> = vec![];
    if require {
        // One of each class first (as many as the length has room for).
        for class in classes.iter().take(length) {
            password.push(class[rng.gen_range(0..class.len())]);
        }
    }
    while password.len() < length {
        password.push(all[rng.gen_range(0..all.len())]);
    }
    password.shuffle(&mut rng);
    Ok(json!({ "RandomPassword": password.into_iter().collect::<String>() }))
}
