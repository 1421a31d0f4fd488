//! Auth token changes (`AuthToken` with `AuthTokenUpdateStrategy` on
//! `ModifyCacheCluster`/`ModifyReplicationGroup`): `ROTATE` (the default)
//! adds the new token and keeps the old one valid; `SET` leaves only the
//! new one. On the engines the tokens are the default user's passwords
//! (`ACL SETUSER default >NEW`, or `resetpass >NEW` for `SET`).

use crate::{resp, ElasticacheError};
use gureum_core::member::str_member;
use gureum_core::{AwsError, Value};

/// How a new token replaces the old.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Strategy {
    /// Both tokens are valid.
    Rotate,
    /// Only the new token is valid.
    Set,
}

/// The strategy an input asks for.
pub fn strategy(input: &Value) -> Result<Strategy, AwsError> {
    match str_member(input, "AuthTokenUpdateStrategy") {
        None | Some("ROTATE") => Ok(Strategy::Rotate),
        Some("SET") => Ok(Strategy::Set),
        Some(other) => Err(ElasticacheError::combination(format!(
            "Gureum does not yet apply AuthTokenUpdateStrategy {other}; ROTATE and SET are served."
        ))
        .into()),
    }
}

/// The valid tokens after a change: the new one first, the previous one
/// kept under `ROTATE`.
pub fn next_tokens(
    current: Option<&str>,
    previous: &[String],
    new: &str,
    strategy: Strategy,
) -> (String, Vec<String>) {
    let mut kept = Vec::new();
    if strategy == Strategy::Rotate {
        if let Some(c) = current.filter(|c| *c != new) {
            kept.push(c.to_string());
        }
        // One previous token at most: a second rotation retires the oldest.
        let _ = previous;
    }
    (new.to_string(), kept)
}

/// Applies a new token to the engine at `port`, logged in as `auth`.
pub fn apply(port: u16, auth: Option<&(String, String)>, new: &str, strategy: Strategy) {
    let password = format!(">{new}");
    let args: Vec<&str> = match strategy {
        Strategy::Rotate => vec!["ACL", "SETUSER", "default", "on", &password],
        Strategy::Set => vec!["ACL", "SETUSER", "default", "on", "resetpass", &password],
    };
    if let Err(e) = resp::command(port, auth, &args) {
        tracing::warn!(target: "gureum", "elasticache port {port}: auth token change: {e}");
    }
    let new_auth = Some(("default".to_string(), new.to_string()));
    let _ = resp::command(
        port,
        new_auth.as_ref(),
        &["CONFIG", "SET", "masterauth", new],
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rotate_keeps_the_old_token_and_set_drops_it() {
        let (new, kept) = next_tokens(Some("old-token"), &[], "new-token", Strategy::Rotate);
        assert_eq!(
            (new.as_str(), kept),
            ("new-token", vec!["old-token".to_string()])
        );
        let (_, kept) = next_tokens(
            Some("old-token"),
            &["older".into()],
            "new-token",
            Strategy::Set,
        );
        assert!(kept.is_empty());
    }
}
