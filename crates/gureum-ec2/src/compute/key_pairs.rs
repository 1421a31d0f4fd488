//! Key pairs: `CreateKeyPair`, `ImportKeyPair`, `DescribeKeyPairs`,
//! `DeleteKeyPair`.
//!
//! Created keys are real (RSA 2048 or ED25519, RustCrypto); the private key
//! is returned once and never stored. Fingerprints follow AWS:
//!
//! - created RSA: SHA-1 of the DER PKCS#8 private key, colon-separated hex;
//! - imported RSA: MD5 of the DER `SubjectPublicKeyInfo`, colon-separated;
//! - ED25519 (either way): base64 SHA-256 of the OpenSSH public key blob.
//!
//! Formats: `pem` (RSA: PKCS#1 `RSA PRIVATE KEY`; ED25519: `OPENSSH PRIVATE
//! KEY`) or `ppk` (PuTTY v2, unencrypted).

use crate::common::errors::Ec2Error;
use crate::common::network::{self, dry_run, key, prefix, str_member};
use crate::{common::filter, common::tags, Ec2Service};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use gureum_core::id::resource_id;
use gureum_core::{AwsError, OpResult, RequestContext, Value};
use gureum_store::{Store, Table};
use rsa::pkcs1::EncodeRsaPrivateKey;
use rsa::pkcs8::{EncodePrivateKey, EncodePublicKey, LineEnding};
use rsa::traits::{PrivateKeyParts, PublicKeyParts};
use rsa::BigUint;
use serde::{Deserialize, Serialize};
use serde_json::json;
use sha1::Digest;

/// A stored key pair (public part only).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct KeyPair {
    /// `key-…`.
    pub id: String,
    /// Name, unique in the region.
    pub name: String,
    /// `rsa` | `ed25519`.
    pub key_type: String,
    /// Fingerprint as AWS computes it.
    pub fingerprint: String,
    /// OpenSSH public key line (`ssh-rsa AAAA…`).
    pub public_key: String,
    /// Creation time, ms.
    pub created: i64,
}

/// The key pair table, keyed `{account}/{region}/{name}`.
pub fn table(store: &Store) -> Table<KeyPair> {
    store.table("ec2.key_pairs")
}

/// Whether key pair `name` exists in the caller's region.
pub fn exists(store: &Store, ctx: &RequestContext, name: &str) -> Result<bool, AwsError> {
    Ok(table(store).contains(&key(ctx, name))?)
}

fn name_not_found(name: &str) -> AwsError {
    AwsError::from(Ec2Error::InvalidKeyPairNotFound {
        message: format!("The key pair '{name}' does not exist"),
    })
}

fn duplicate(name: &str) -> AwsError {
    AwsError::from(Ec2Error::InvalidKeyPairDuplicate {
        name: name.to_string(),
    })
}

fn colon_hex(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(":")
}

fn ssh_string(out: &mut Vec<u8>, data: &[u8]) {
    out.extend_from_slice(&(data.len() as u32).to_be_bytes());
    out.extend_from_slice(data);
}

fn ssh_mpint(out: &mut Vec<u8>, n: &BigUint) {
    let mut b = n.to_bytes_be();
    if b == [0] {
        b.clear();
    }
    if b.first().is_some_and(|x| x & 0x80 != 0) {
        b.insert(0, 0);
    }
    ssh_string(out, &b);
}

fn rsa_blob(e: &BigUint, n: &BigUint) -> Vec<u8> {
    let mut b = Vec::new();
    ssh_string(&mut b, b"ssh-rsa");
    ssh_mpint(&mut b, e);
    ssh_mpint(&mut b, n);
    b
}

fn ed_blob(pk: &[u8]) -> Vec<u8> {
    let mut b = Vec::new();
    ssh_string(&mut b, b"ssh-ed25519");
    ssh_string(&mut b, pk);
    b
}

/// ED25519 fingerprint: base64 SHA-256 of the public key blob.
pub fn ed25519_fingerprint(blob: &[u8]) -> String {
    B64.encode(sha2::Sha256::digest(blob))
}

fn wrap(text: &str, width: usize) -> String {
    text.as_bytes()
        .chunks(width)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join("\n")
}

/// PuTTY v2 unencrypted private key file.
fn ppk(alg: &str, comment: &str, public: &[u8], private: &[u8]) -> String {
    use hmac::{Hmac, Mac};
    let mac_key = sha1::Sha1::digest(b"putty-private-key-file-mac-key");
    let mut data = Vec::new();
    ssh_string(&mut data, alg.as_bytes());
    ssh_string(&mut data, b"none");
    ssh_string(&mut data, comment.as_bytes());
    ssh_string(&mut data, public);
    ssh_string(&mut data, private);
    let mac = match Hmac::<sha1::Sha1>::new_from_slice(&mac_key) {
        Ok(mut m) => {
            m.update(&data);
            m.finalize().into_bytes().to_vec()
        }
        Err(_) => vec![],
    };
    let pubtext = wrap(&B64.encode(public), 64);
    let privtext = wrap(&B64.encode(private), 64);
    format!(
        "PuTTY-User-Key-File-2: {alg}\nEncryption: none\nComment: {comment}\nPublic-Lines: {}\n{pubtext}\nPrivate-Lines: {}\n{privtext}\nPrivate-MAC: {}\n",
        pubtext.lines().count(),
        privtext.lines().count(),
        hex_lower(&mac)
    )
}

fn hex_lower(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// A generated key: (fingerprint, key material, public key line).
type Generated = (String, String, String);

fn generate_rsa(name: &str, ppk_format: bool) -> Result<Generated, AwsError> {
    let mut rng = rand::thread_rng();
    let k = rsa::RsaPrivateKey::new(&mut rng, 2048)
        .map_err(|e| AwsError::internal(format!("rsa: {e}")))?;
    let der = k
        .to_pkcs8_der()
        .map_err(|e| AwsError::internal(format!("pkcs8: {e}")))?;
    let fingerprint = colon_hex(&sha1::Sha1::digest(der.as_bytes()));
    let blob = rsa_blob(k.e(), k.n());
    let public = format!("ssh-rsa {} {name}", B64.encode(&blob));
    let material = if ppk_format {
        let primes = k.primes();
        let (p, q) = (&primes[0], &primes[1]);
        let iqmp = k
            .crt_coefficient()
            .ok_or_else(|| AwsError::internal("rsa crt"))?;
        let mut private = Vec::new();
        ssh_mpint(&mut private, k.d());
        ssh_mpint(&mut private, p);
        ssh_mpint(&mut private, q);
        ssh_mpint(&mut private, &iqmp);
        ppk("ssh-rsa", name, &blob, &private)
    } else {
        k.to_pkcs1_pem(LineEnding::LF)
            .map_err(|e| AwsError::internal(format!("pem: {e}")))?
            .trim_end()
            .to_string()
    };
    Ok((fingerprint, material, public))
}

fn generate_ed25519(name: &str, ppk_format: bool) -> Generated {
    let sk = ed25519_dalek::SigningKey::generate(&mut rand::rngs::OsRng);
    let pk = sk.verifying_key().to_bytes();
    let seed = sk.to_bytes();
    let blob = ed_blob(&pk);
    let fingerprint = ed25519_fingerprint(&blob);
    let public = format!("ssh-ed25519 {} {name}", B64.encode(&blob));
    let material = if ppk_format {
        let mut private = Vec::new();
        ssh_string(&mut private, &seed);
        ppk("ssh-ed25519", name, &blob, &private)
    } else {
        openssh_private(&blob, &pk, &seed, name)
    };
    (fingerprint, material, public)
}

/// A new ED25519 key as OpenSSH writes it: the private key file (with
/// its final newline) and the public key line. For instance host keys.
pub fn new_ed25519_openssh(comment: &str) -> (String, String) {
    let (_, material, public) = generate_ed25519(comment, false);
    (format!("{material}\n"), public)
}

/// An unencrypted `openssh-key-v1` private key file for ED25519.
fn openssh_private(blob: &[u8], pk: &[u8], seed: &[u8], comment: &str) -> String {
    use rand::Rng;
    let check: u32 = rand::thread_rng().gen();
    let mut private = Vec::new();
    private.extend_from_slice(&check.to_be_bytes());
    private.extend_from_slice(&check.to_be_bytes());
    ssh_string(&mut private, b"ssh-ed25519");
    ssh_string(&mut private, pk);
    let mut both = seed.to_vec();
    both.extend_from_slice(pk);
    ssh_string(&mut private, &both);
    ssh_string(&mut private, comment.as_bytes());
    let mut pad = 1u8;
    while private.len() % 8 != 0 {
        private.push(pad);
        pad += 1;
    }
    let mut out = b"openssh-key-v1\0".to_vec();
    ssh_string(&mut out, b"none");
    ssh_string(&mut out, b"none");
    ssh_string(&mut out, b"");
    out.extend_from_slice(&1u32.to_be_bytes());
    ssh_string(&mut out, blob);
    ssh_string(&mut out, &private);
    format!(
        "-----BEGIN OPENSSH PRIVATE KEY-----\n{}\n-----END OPENSSH PRIVATE KEY-----",
        wrap(&B64.encode(out), 70)
    )
}

fn read_string<'a>(data: &mut &'a [u8]) -> Option<&'a [u8]> {
    if data.len() < 4 {
        return None;
    }
    let n = u32::from_be_bytes([data[0], data[1], data[2], data[3]]) as usize;
    let rest = &data[4..];
    if rest.len() < n {
        return None;
    }
    let (s, tail) = rest.split_at(n);
    *data = tail;
    Some(s)
}

fn invalid_key() -> AwsError {
    AwsError::from(Ec2Error::InvalidKeyFormat {
        message: "Key is not in valid OpenSSH public key format".into(),
    })
}

/// Parses an OpenSSH public key line: (type, fingerprint, line).
pub fn parse_public(material: &[u8]) -> Result<(String, String, String), AwsError> {
    let text = std::str::from_utf8(material).map_err(|_| invalid_key())?;
    let mut parts = text.split_whitespace();
    let kind = parts.next().ok_or_else(invalid_key)?;
    let b64 = parts.next().ok_or_else(invalid_key)?;
    let blob = B64.decode(b64).map_err(|_| invalid_key())?;
    let mut rest = blob.as_slice();
    let inner = read_string(&mut rest).ok_or_else(invalid_key)?;
    if inner != kind.as_bytes() {
        return Err(invalid_key());
    }
    match kind {
        "ssh-rsa" => {
            let e = read_string(&mut rest).ok_or_else(invalid_key)?;
            let n = read_string(&mut rest).ok_or_else(invalid_key)?;
            if !rest.is_empty() {
                return Err(invalid_key());
            }
            let key = rsa::RsaPublicKey::new(BigUint::from_bytes_be(n), BigUint::from_bytes_be(e))
                .map_err(|_| invalid_key())?;
            let bits = key.n().bits();
            if !(1024..=16384).contains(&bits) {
                return Err(AwsError::from(Ec2Error::InvalidKeyFormat {
                    message:
                        ("Invalid RSA key length. Key length must be between 1024 and 16384 bits.")
                            .into(),
                }));
            }
            let der = key.to_public_key_der().map_err(|_| invalid_key())?;
            let fp = colon_hex(&md5::Md5::digest(der.as_bytes()));
            Ok(("rsa".into(), fp, format!("ssh-rsa {b64}")))
        }
        "ssh-ed25519" => {
            let pk = read_string(&mut rest).ok_or_else(invalid_key)?;
            if pk.len() != 32 || !rest.is_empty() {
                return Err(invalid_key());
            }
            Ok((
                "ed25519".into(),
                ed25519_fingerprint(&blob),
                format!("ssh-ed25519 {b64}"),
            ))
        }
        _ => Err(invalid_key()),
    }
}

fn check_name(name: &str) -> Result<(), AwsError> {
    if name.len() > 255 || !name.is_ascii() {
        return Err(network::invalid_value(format!(
            "Value ({name}) for parameter keyName is invalid. Length exceeds maximum of 255."
        )));
    }
    Ok(())
}

impl KeyPair {
    fn to_value(&self, tags: &tags::Tags, include_public: bool) -> Value {
        let mut v = json!({
            "KeyPairId": self.id,
            "KeyFingerprint": self.fingerprint,
            "KeyName": self.name,
            "KeyType": self.key_type,
            "Tags": network::tag_list(tags),
            "CreateTime": self.created as f64 / 1000.0,
        });
        if self.created % 1000 == 0 {
            v["CreateTime"] = json!(self.created / 1000);
        }
        if include_public {
            v["PublicKey"] = json!(format!("{} {}\n", self.public_key, self.name));
        }
        v
    }
}

impl Ec2Service {
    fn store_key(
        &self,
        ctx: &RequestContext,
        kp: &KeyPair,
        tags: &tags::Tags,
    ) -> Result<(), AwsError> {
        let store = &self.store;
        store.write(|txn| {
            let k = key(ctx, &kp.name);
            if txn.get(&table(store), &k)?.is_some() {
                return Err(duplicate(&kp.name));
            }
            txn.put(&table(store), &k, kp)?;
            tags::put_in(txn, store, ctx, &kp.id, tags)?;
            Ok::<_, AwsError>(())
        })
    }

    /// `CreateKeyPair`.
    pub(crate) fn create_key_pair(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let name = network::required(&input, "KeyName")?;
        check_name(name)?;
        let kind = str_member(&input, "KeyType").unwrap_or("rsa");
        let format = str_member(&input, "KeyFormat").unwrap_or("pem");
        if kind != "rsa" && kind != "ed25519" {
            return Err(network::invalid_value(format!(
                "Value ({kind}) for parameter keyType is invalid."
            )));
        }
        if format != "pem" && format != "ppk" {
            return Err(network::invalid_value(format!(
                "Value ({format}) for parameter keyFormat is invalid."
            )));
        }
        let tags = network::spec_tags(&input, "key-pair")?;
        if exists(&self.store, ctx, name)? {
            return Err(duplicate(name));
        }
        dry_run(&input)?;
        let (fingerprint, material, public) = if kind == "rsa" {
            generate_rsa(name, format == "ppk")?
        } else {
            generate_ed25519(name, format == "ppk")
        };
        // Keep the line without its comment; the name is appended on read.
        let public = public
            .rsplit_once(' ')
            .map(|(l, _)| l.to_string())
            .unwrap_or(public);
        let kp = KeyPair {
            id: resource_id("key"),
            name: name.to_string(),
            key_type: kind.to_string(),
            fingerprint: fingerprint.clone(),
            public_key: public,
            created: ctx.clock.now_millis(),
        };
        self.store_key(ctx, &kp, &tags)?;
        Ok(json!({
            "KeyFingerprint": fingerprint,
            "KeyMaterial": material,
            "KeyName": kp.name,
            "KeyPairId": kp.id,
            "Tags": network::tag_list(&tags),
        }))
    }

    /// `ImportKeyPair`: an OpenSSH public key (`ssh-rsa` / `ssh-ed25519`).
    pub(crate) fn import_key_pair(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let name = network::required(&input, "KeyName")?;
        check_name(name)?;
        let material = network::required(&input, "PublicKeyMaterial")?;
        let bytes = B64.decode(material).map_err(|_| invalid_key())?;
        let (kind, fingerprint, public) = parse_public(&bytes)?;
        let tags = network::spec_tags(&input, "key-pair")?;
        if exists(&self.store, ctx, name)? {
            return Err(duplicate(name));
        }
        dry_run(&input)?;
        let kp = KeyPair {
            id: resource_id("key"),
            name: name.to_string(),
            key_type: kind,
            fingerprint,
            public_key: public,
            created: ctx.clock.now_millis(),
        };
        self.store_key(ctx, &kp, &tags)?;
        Ok(json!({
            "KeyFingerprint": kp.fingerprint,
            "KeyName": kp.name,
            "KeyPairId": kp.id,
            "Tags": network::tag_list(&tags),
        }))
    }

    /// `DescribeKeyPairs`.
    pub(crate) fn describe_key_pairs(&self, ctx: &RequestContext, input: Value) -> OpResult {
        dry_run(&input)?;
        let names = network::strings(&input, "KeyNames");
        let ids = network::strings(&input, "KeyPairIds");
        let include = input.get("IncludePublicKey").and_then(Value::as_bool) == Some(true);
        let filters = filter::parse(&input);
        network::check_filters(
            &filters,
            &["key-name", "key-pair-id", "fingerprint", "key-type"],
        )?;
        let all: Vec<KeyPair> = table(&self.store)
            .scan_prefix(&prefix(ctx))?
            .into_iter()
            .map(|(_, k)| k)
            .collect();
        for n in &names {
            if !all.iter().any(|k| &k.name == n) {
                return Err(name_not_found(n));
            }
        }
        for id in &ids {
            if !all.iter().any(|k| &k.id == id) {
                return Err(AwsError::from(Ec2Error::InvalidKeyPairNotFound {
                    message: format!("The key pair ID '{id}' does not exist"),
                }));
            }
        }
        let mut out = Vec::new();
        for k in all {
            if !names.is_empty() && !names.contains(&k.name) {
                continue;
            }
            if !ids.is_empty() && !ids.contains(&k.id) {
                continue;
            }
            let t = tags::get(&self.store, ctx, &k.id)?;
            let keep = network::matches(&filters, &t, |f| match f {
                "key-name" => vec![k.name.clone()],
                "key-pair-id" => vec![k.id.clone()],
                "fingerprint" => vec![k.fingerprint.clone()],
                "key-type" => vec![k.key_type.clone()],
                _ => vec![],
            });
            if keep {
                out.push(k.to_value(&t, include));
            }
        }
        Ok(json!({ "KeyPairs": out }))
    }

    /// `DeleteKeyPair`: by name or id; deleting an absent name succeeds, as
    /// on AWS.
    pub(crate) fn delete_key_pair(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let name = str_member(&input, "KeyName").filter(|s| !s.is_empty());
        let id = str_member(&input, "KeyPairId").filter(|s| !s.is_empty());
        if name.is_none() && id.is_none() {
            return Err(network::missing("KeyName"));
        }
        dry_run(&input)?;
        let store = &self.store;
        let deleted = store.write(|txn| {
            let found = txn
                .scan_prefix(&table(store), &prefix(ctx))?
                .into_iter()
                .find(|(_, k)| name.is_none_or(|n| k.name == n) && id.is_none_or(|i| k.id == i));
            match found {
                Some((k, kp)) => {
                    txn.delete(&table(store), &k)?;
                    tags::delete_in(txn, store, ctx, &kp.id)?;
                    Ok(Some(kp.id))
                }
                None if name.is_none() => Err(AwsError::from(Ec2Error::InvalidKeyPairNotFound {
                    message: format!(
                        "The key pair ID '{}' does not exist",
                        id.unwrap_or_default()
                    ),
                })),
                None => Ok(None),
            }
        })?;
        let mut out = json!({"Return": true});
        if let Some(id) = deleted {
            out["KeyPairId"] = json!(id);
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use gureum_core::Clock;

    fn svc() -> Ec2Service {
        crate::test_service()
    }

    fn ctx() -> RequestContext {
        RequestContext::root("000000000000", "us-east-1", Clock::system())
    }

    #[test]
    fn created_rsa_key_fingerprint_is_sha1_of_pkcs8_der() {
        let s = svc();
        let out = s
            .create_key_pair(&ctx(), json!({"KeyName": "k"}))
            .expect("create");
        let pem = out["KeyMaterial"].as_str().expect("pem");
        assert!(pem.starts_with("-----BEGIN RSA PRIVATE KEY-----"));
        use rsa::pkcs1::DecodeRsaPrivateKey;
        let k = rsa::RsaPrivateKey::from_pkcs1_pem(pem).expect("parse");
        assert_eq!(k.n().bits(), 2048);
        let der = k.to_pkcs8_der().expect("der");
        assert_eq!(
            out["KeyFingerprint"],
            colon_hex(&sha1::Sha1::digest(der.as_bytes()))
        );
        assert_eq!(out["KeyFingerprint"].as_str().map(str::len), Some(59));
        let err = s
            .create_key_pair(&ctx(), json!({"KeyName": "k", "KeyType": "ed25519"}))
            .expect_err("duplicate");
        assert_eq!(err.code, "InvalidKeyPair.Duplicate");
    }

    #[test]
    fn ed25519_keys_are_openssh_and_ppk() {
        let s = svc();
        let out = s
            .create_key_pair(&ctx(), json!({"KeyName": "e", "KeyType": "ed25519"}))
            .expect("create");
        assert!(out["KeyMaterial"]
            .as_str()
            .is_some_and(|m| m.starts_with("-----BEGIN OPENSSH PRIVATE KEY-----")));
        assert_eq!(out["KeyFingerprint"].as_str().map(str::len), Some(44));
        let out = s
            .create_key_pair(
                &ctx(),
                json!({"KeyName": "p", "KeyType": "ed25519", "KeyFormat": "ppk"}),
            )
            .expect("create");
        assert!(out["KeyMaterial"]
            .as_str()
            .is_some_and(|m| m.starts_with("PuTTY-User-Key-File-2: ssh-ed25519")));
        let d = s
            .describe_key_pairs(&ctx(), json!({"KeyNames": ["e"], "IncludePublicKey": true}))
            .expect("describe");
        assert!(d["KeyPairs"][0]["PublicKey"]
            .as_str()
            .is_some_and(|p| p.starts_with("ssh-ed25519 AAAA")));
    }

    #[test]
    fn imported_keys_get_aws_fingerprints_and_bad_ones_invalid_key_format() {
        let s = svc();
        // An ed25519 public key: the fingerprint is base64 SHA-256 of the blob.
        let blob = ed_blob(&[7u8; 32]);
        let line = format!("ssh-ed25519 {} me@host", B64.encode(&blob));
        let out = s
            .import_key_pair(
                &ctx(),
                json!({"KeyName": "i", "PublicKeyMaterial": B64.encode(&line)}),
            )
            .expect("import");
        assert_eq!(out["KeyFingerprint"], ed25519_fingerprint(&blob));
        let err = s
            .import_key_pair(
                &ctx(),
                json!({"KeyName": "j", "PublicKeyMaterial": B64.encode("ssh-rsa nope")}),
            )
            .expect_err("bad");
        assert_eq!(err.code, "InvalidKey.Format");
        // RSA: MD5 of the DER SubjectPublicKeyInfo.
        let n = BigUint::from_bytes_be(&[0xc5; 128]);
        let e = BigUint::from(65537u32);
        let line = format!("ssh-rsa {}", B64.encode(rsa_blob(&e, &n)));
        let out = s
            .import_key_pair(
                &ctx(),
                json!({"KeyName": "r", "PublicKeyMaterial": B64.encode(&line)}),
            )
            .expect("import rsa");
        let der = rsa::RsaPublicKey::new(n, e)
            .expect("key")
            .to_public_key_der()
            .expect("der");
        assert_eq!(
            out["KeyFingerprint"],
            colon_hex(&md5::Md5::digest(der.as_bytes()))
        );
    }

    #[test]
    fn delete_key_pair_by_name_is_idempotent_and_describe_unknown_is_not_found() {
        let s = svc();
        let blob = ed_blob(&[9u8; 32]);
        let line = format!("ssh-ed25519 {}", B64.encode(&blob));
        let out = s
            .import_key_pair(
                &ctx(),
                json!({"KeyName": "d", "PublicKeyMaterial": B64.encode(&line)}),
            )
            .expect("import");
        let id = out["KeyPairId"].as_str().expect("id").to_string();
        let f = s
            .describe_key_pairs(
                &ctx(),
                json!({"Filters": [{"Name": "key-pair-id", "Values": [id]}]}),
            )
            .expect("describe");
        assert_eq!(f["KeyPairs"].as_array().map(Vec::len), Some(1));
        s.delete_key_pair(&ctx(), json!({"KeyName": "d"}))
            .expect("delete");
        s.delete_key_pair(&ctx(), json!({"KeyName": "d"}))
            .expect("again");
        let err = s
            .describe_key_pairs(&ctx(), json!({"KeyNames": ["d"]}))
            .expect_err("gone");
        assert_eq!(err.code, "InvalidKeyPair.NotFound");
    }
}
