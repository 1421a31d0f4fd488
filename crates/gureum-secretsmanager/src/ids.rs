//! Names, ARNs and finding a secret by `SecretId` (a name, a full ARN or
//! a partial ARN without the random suffix), skipping secrets whose
//! recovery window has run out on Gureum's clock.

use crate::{Secret, SecretsError, SecretsManagerService};
use gureum_core::{AwsError, RequestContext, Scope};
use gureum_store::WriteTxn;
use rand::Rng;

/// The characters of an ARN's random suffix.
const SUFFIX: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

/// Checks a secret name: ASCII letters, digits and `/_+=.@-`.
pub fn check_name(name: &str) -> Result<(), AwsError> {
    let ok = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "/_+=.@-".contains(c));
    if ok {
        Ok(())
    } else {
        Err(SecretsError::BadName.into())
    }
}

/// A new secret's ARN: the name, a hyphen and six random characters.
pub fn new_arn(ctx: &RequestContext, name: &str) -> String {
    let mut rng = rand::thread_rng();
    let suffix: String = (0..6)
        .map(|_| SUFFIX[rng.gen_range(0..SUFFIX.len())] as char)
        .collect();
    format!(
        "arn:aws:secretsmanager:{}:{}:secret:{name}-{suffix}",
        ctx.region, ctx.account_id
    )
}

/// The names a `SecretId` may stand for, each with the ARN check it
/// needs: `(name, Some(full arn))` for a full ARN, `(name, None)` else.
fn candidates(id: &str) -> Vec<(String, Option<&str>)> {
    let Some(resource) = id
        .strip_prefix("arn:")
        .and_then(|_| id.split_once(":secret:"))
        .map(|(_, r)| r)
    else {
        return vec![(id.to_string(), None)];
    };
    let mut out = vec![];
    if resource.len() > 7 && resource.as_bytes()[resource.len() - 7] == b'-' {
        out.push((resource[..resource.len() - 7].to_string(), Some(id)));
    }
    out.push((resource.to_string(), Some(id)));
    out
}

/// Whether `secret` is what `arn` (full, or partial without suffix) names.
fn arn_matches(secret: &Secret, arn: &str) -> bool {
    secret.arn == arn || secret.arn.len() > 7 && secret.arn[..secret.arn.len() - 7] == *arn
}

/// Whether the secret still exists at `now` (its recovery window, if
/// any, has not run out).
pub fn alive(secret: &Secret, now: i64) -> bool {
    secret.deletion_ms.is_none_or(|d| d > now)
}

/// The secret `id` names, read outside a transaction.
pub fn find(
    svc: &SecretsManagerService,
    ctx: &RequestContext,
    id: &str,
) -> Result<Secret, AwsError> {
    let scope = Scope::regional(ctx);
    let now = ctx.clock.now_millis();
    for (name, arn) in candidates(id) {
        if let Some(s) = svc.secrets.get(&scope.key(&name))? {
            if alive(&s, now) && arn.is_none_or(|a| arn_matches(&s, a)) {
                return Ok(s);
            }
        }
    }
    Err(SecretsError::NotFound.into())
}

/// The secret `id` names, read in the write transaction `txn`.
pub fn find_in(
    svc: &SecretsManagerService,
    ctx: &RequestContext,
    txn: &WriteTxn,
    id: &str,
) -> Result<Secret, AwsError> {
    let scope = Scope::regional(ctx);
    let now = ctx.clock.now_millis();
    for (name, arn) in candidates(id) {
        if let Some(s) = txn.get(&svc.secrets, &scope.key(&name))? {
            if alive(&s, now) && arn.is_none_or(|a| arn_matches(&s, a)) {
                return Ok(s);
            }
        }
    }
    Err(SecretsError::NotFound.into())
}

/// The secret's state key.
pub fn key(ctx: &RequestContext, secret: &Secret) -> String {
    Scope::regional(ctx).key(&secret.name)
}

/// Refuses a secret scheduled for deletion.
pub fn not_deleted(secret: &Secret) -> Result<(), AwsError> {
    match secret.deletion_ms {
        Some(_) => Err(SecretsError::MarkedForDeletion.into()),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_allow_only_letters_digits_and_six_symbols() {
        assert!(check_name("prod/db-pass_1+x=y.z@w").is_ok());
        assert_eq!(
            check_name("a b").expect_err("space").code,
            "InvalidParameterException"
        );
    }

    #[test]
    fn arns_end_in_a_six_character_random_suffix() {
        let ctx = RequestContext::root("000000000000", "us-east-1", gureum_core::Clock::system());
        let arn = new_arn(&ctx, "db");
        let suffix = arn.rsplit('-').next().unwrap_or_default();
        assert!(arn.starts_with("arn:aws:secretsmanager:us-east-1:000000000000:secret:db-"));
        assert_eq!(suffix.len(), 6);
        assert!(suffix.chars().all(|c| c.is_ascii_alphanumeric()));
    }

    #[test]
    fn a_full_arn_names_the_secret_without_its_suffix() {
        let c = candidates("arn:aws:secretsmanager:r:1:secret:db-AbCdEf");
        assert_eq!(c[0].0, "db");
        assert_eq!(candidates("plain")[0], ("plain".to_string(), None));
    }
}
