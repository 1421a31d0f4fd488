//! Who a request's access key belongs to.
//!
//! * `test` (secret `test`, what `gureum env` prints) is the root user of
//!   account `000000000000`, and its signatures are verified.
//! * Accounts declared with `--accounts FILE` bring their own keys, also
//!   verified.
//! * Keys that later issues mint (IAM access keys, STS sessions) plug in
//!   through [`CredentialsProvider`]s added to [`Accounts`].
//! * Any other key is, unless `--strict`, the root user of the account its
//!   id names when it is 12 digits (the convention LocalStack users rely
//!   on), else of `000000000000`; its signature cannot be checked because
//!   Gureum does not know its secret.

use gureum_auth::{Credential, CredentialsProvider};
use gureum_core::{Principal, DEFAULT_ACCOUNT_ID};
use serde::Deserialize;
use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

/// The access key id of the default credentials.
pub const DEFAULT_ACCESS_KEY_ID: &str = "test";
/// The secret of the default credentials.
pub const DEFAULT_SECRET_ACCESS_KEY: &str = "test";

/// One account declared in an accounts file.
#[derive(Clone, Debug, Deserialize)]
pub struct AccountSpec {
    /// The 12-digit account id.
    pub id: String,
    /// The root user's access key id.
    pub access_key_id: String,
    /// The root user's secret.
    pub secret_access_key: String,
    /// S3 canonical user id (64 hex digits); derived from the id when absent.
    pub s3_canonical_id: Option<String>,
    /// S3 display name (accepted; S3 no longer returns display names).
    pub s3_display_name: Option<String>,
}

#[derive(Debug, Deserialize)]
struct AccountsFile {
    #[serde(default)]
    accounts: Vec<AccountSpec>,
}

/// Why an accounts file was refused.
#[derive(Debug, thiserror::Error)]
pub enum AccountsError {
    /// The file could not be read.
    #[error("cannot read accounts file {0}: {1}")]
    Read(String, std::io::Error),
    /// The file is not valid TOML of the expected shape.
    #[error("accounts file {0} is invalid: {1}")]
    Invalid(String, toml::de::Error),
    /// An account id is not 12 digits, or a key is declared twice.
    #[error("accounts file {0}: {1}")]
    Rule(String, String),
}

/// Reads an accounts file (`[[accounts]]` tables).
pub fn load_file(path: &Path) -> Result<Vec<AccountSpec>, AccountsError> {
    let shown = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| AccountsError::Read(shown.clone(), e))?;
    let file: AccountsFile =
        toml::from_str(&text).map_err(|e| AccountsError::Invalid(shown.clone(), e))?;
    let mut seen = std::collections::HashSet::new();
    for a in &file.accounts {
        if a.id.len() != 12 || !a.id.bytes().all(|b| b.is_ascii_digit()) {
            return Err(AccountsError::Rule(
                shown,
                format!("account id {:?} is not 12 digits", a.id),
            ));
        }
        if let Some(id) = &a.s3_canonical_id {
            if id.len() != 64 || !id.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(AccountsError::Rule(
                    shown,
                    format!("s3_canonical_id of account {} is not 64 hex digits", a.id),
                ));
            }
        }
        if !seen.insert(a.access_key_id.clone()) {
            return Err(AccountsError::Rule(
                shown,
                format!("access key {} is declared twice", a.access_key_id),
            ));
        }
    }
    Ok(file.accounts)
}

/// What the server knows about access keys.
pub struct Accounts {
    declared: HashMap<String, Credential>,
    providers: Vec<Arc<dyn CredentialsProvider>>,
    strict: bool,
    specs: Vec<AccountSpec>,
}

/// The outcome of looking up an access key.
#[derive(Debug)]
pub enum KeyLookup {
    /// A key whose secret Gureum knows: verify the signature with it.
    Known(Credential),
    /// A key Gureum does not know, accepted as the root of this account.
    Unverified(Principal),
    /// A key Gureum does not know, refused (`--strict`).
    Unknown,
}

impl Accounts {
    /// The default credentials plus `declared` accounts.
    pub fn new(declared: Vec<AccountSpec>, strict: bool) -> Self {
        let mut map = HashMap::new();
        let root = |id: &str| Principal::Root {
            account_id: id.to_string(),
        };
        map.insert(
            DEFAULT_ACCESS_KEY_ID.to_string(),
            credential(
                DEFAULT_ACCESS_KEY_ID,
                DEFAULT_SECRET_ACCESS_KEY,
                root(DEFAULT_ACCOUNT_ID),
            ),
        );
        for a in &declared {
            map.insert(
                a.access_key_id.clone(),
                credential(&a.access_key_id, &a.secret_access_key, root(&a.id)),
            );
        }
        Accounts {
            declared: map,
            providers: Vec::new(),
            strict,
            specs: declared,
        }
    }

    /// Adds a source of keys (IAM, STS).
    pub fn add_provider(&mut self, provider: Arc<dyn CredentialsProvider>) {
        self.providers.push(provider);
    }

    /// Whether unknown keys are refused (`--strict`).
    pub fn strict(&self) -> bool {
        self.strict
    }

    /// The accounts declared at start.
    pub fn declared(&self) -> &[AccountSpec] {
        &self.specs
    }

    /// Resolves an access key id.
    pub fn lookup(&self, access_key_id: &str) -> KeyLookup {
        if let Some(c) = self.declared.get(access_key_id) {
            return KeyLookup::Known(c.clone());
        }
        for p in &self.providers {
            if let Some(c) = p.lookup(access_key_id) {
                return KeyLookup::Known(c);
            }
        }
        if self.strict {
            return KeyLookup::Unknown;
        }
        let account_id =
            if access_key_id.len() == 12 && access_key_id.bytes().all(|b| b.is_ascii_digit()) {
                access_key_id
            } else {
                DEFAULT_ACCOUNT_ID
            };
        KeyLookup::Unverified(Principal::Root {
            account_id: account_id.to_string(),
        })
    }
}

fn credential(key: &str, secret: &str, principal: Principal) -> Credential {
    Credential::long_term(key, secret, principal)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_key_is_verified_root_of_the_default_account() {
        let a = Accounts::new(vec![], false);
        match a.lookup("test") {
            KeyLookup::Known(c) => {
                assert_eq!(c.secret_access_key, "test");
                assert_eq!(c.principal.account_id(), Some("000000000000"));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn twelve_digit_keys_are_the_root_of_that_account() {
        let a = Accounts::new(vec![], false);
        match a.lookup("111122223333") {
            KeyLookup::Unverified(p) => assert_eq!(p.account_id(), Some("111122223333")),
            other => panic!("{other:?}"),
        }
        match a.lookup("AKIAWHATEVER") {
            KeyLookup::Unverified(p) => assert_eq!(p.account_id(), Some("000000000000")),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn strict_mode_refuses_unknown_keys() {
        let a = Accounts::new(vec![], true);
        assert!(matches!(a.lookup("AKIAWHATEVER"), KeyLookup::Unknown));
        assert!(matches!(a.lookup("test"), KeyLookup::Known(_)));
    }

    #[test]
    fn accounts_files_declare_verified_keys() {
        let dir = std::env::temp_dir().join(format!("gureum-accounts-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("tmp");
        let path = dir.join("accounts.toml");
        std::fs::write(&path, "[[accounts]]\nid = \"111111111111\"\naccess_key_id = \"AKIAALICE\"\nsecret_access_key = \"s3cr3t\"\n").expect("write");
        let specs = load_file(&path).expect("valid");
        let a = Accounts::new(specs, true);
        match a.lookup("AKIAALICE") {
            KeyLookup::Known(c) => assert_eq!(c.principal.account_id(), Some("111111111111")),
            other => panic!("{other:?}"),
        }
        std::fs::write(
            &path,
            "[[accounts]]\nid = \"12\"\naccess_key_id = \"A\"\nsecret_access_key = \"s\"\n",
        )
        .expect("write");
        assert!(matches!(load_file(&path), Err(AccountsError::Rule(..))));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
