//! A user's SSH public keys (for CodeCommit): `Upload/Get/List/Update/
//! DeleteSSHPublicKey`.
//!
//! A key is RSA, given as `ssh-rsa AAAA… [comment]` or as a PEM
//! `PUBLIC KEY`, of at least 2048 bits; a user has at most 5, each once.
//! The fingerprint is the MD5 of the key in SSH wire form, colon-separated
//! hex (what `ssh-keygen -E md5 -l` prints). `GetSSHPublicKey` answers
//! either encoding, whichever was uploaded.

use crate::errors::IamError;
use crate::util::{key, list_output, page_request, paginate, required, scope, str_member};
use crate::IamService;
use base64::Engine as _;
use gureum_core::{id, AwsError, OpResult, RequestContext, Value};
use md5::{Digest, Md5};
use serde::{Deserialize, Serialize};
use serde_json::json;

/// Most SSH public keys one user has.
pub const SSH_KEYS_PER_USER: usize = 5;

/// An uploaded SSH public key.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SshPublicKey {
    /// The owner's name.
    pub user_name: String,
    /// `APKA…`.
    pub id: String,
    /// The RSA modulus (big-endian, no leading zero).
    pub modulus: Vec<u8>,
    /// The RSA public exponent (big-endian).
    pub exponent: Vec<u8>,
    /// `Active` or `Inactive`.
    pub active: bool,
    /// Upload time, epoch seconds.
    pub upload_date: i64,
}

fn b64() -> &'static base64::engine::GeneralPurpose {
    &base64::engine::general_purpose::STANDARD
}

/// `n` without leading zero bytes.
fn unsigned(n: &[u8]) -> Vec<u8> {
    let start = n.iter().position(|b| *b != 0).unwrap_or(n.len());
    n[start..].to_vec()
}

/// Reads one SSH wire string.
fn ssh_string(blob: &[u8]) -> Option<(&[u8], &[u8])> {
    let len = u32::from_be_bytes(blob.get(..4)?.try_into().ok()?) as usize;
    let body = blob.get(4..4 + len)?;
    Some((body, &blob[4 + len..]))
}

/// The SSH wire form (`ssh-rsa`, e, n) of an RSA key.
fn ssh_blob(e: &[u8], n: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    for part in [b"ssh-rsa".as_slice(), &mpint(e), &mpint(n)] {
        out.extend_from_slice(&(part.len() as u32).to_be_bytes());
        out.extend_from_slice(part);
    }
    out
}

/// An SSH/DER positive integer: a zero byte first when the top bit is set.
fn mpint(n: &[u8]) -> Vec<u8> {
    let mut v = unsigned(n);
    if v.first().is_some_and(|b| b & 0x80 != 0) {
        v.insert(0, 0);
    }
    v
}

/// A DER element with `tag` around `body`.
fn der(tag: u8, body: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let len = body.len();
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes: Vec<u8> = len
            .to_be_bytes()
            .into_iter()
            .skip_while(|b| *b == 0)
            .collect();
        out.push(0x80 | bytes.len() as u8);
        out.extend_from_slice(&bytes);
    }
    out.extend_from_slice(body);
    out
}

/// rsaEncryption's algorithm identifier (OID 1.2.840.113549.1.1.1, NULL).
const RSA_ALGORITHM: &[u8] = &[
    0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05, 0x00,
];

/// The PEM `PUBLIC KEY` (SubjectPublicKeyInfo) of an RSA key.
fn spki_pem(e: &[u8], n: &[u8]) -> String {
    let rsa = der(0x30, &[der(0x02, &mpint(n)), der(0x02, &mpint(e))].concat());
    let mut bits = vec![0u8];
    bits.extend_from_slice(&rsa);
    let spki = der(0x30, &[RSA_ALGORITHM, &der(0x03, &bits)].concat());
    let text = b64().encode(spki);
    let lines: Vec<&str> = text
        .as_bytes()
        .chunks(64)
        .filter_map(|c| std::str::from_utf8(c).ok())
        .collect();
    format!(
        "-----BEGIN PUBLIC KEY-----\n{}\n-----END PUBLIC KEY-----\n",
        lines.join("\n")
    )
}

/// Reads a DER element (tag, body, rest); long lengths up to 4 bytes.
fn der_read(d: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = d.split_first()?;
    let (&first, mut rest) = rest.split_first()?;
    let len = if first < 0x80 {
        usize::from(first)
    } else {
        let n = usize::from(first & 0x7f);
        let bytes = rest.get(..n)?;
        rest = &rest[n..];
        bytes.iter().fold(0usize, |a, b| (a << 8) | usize::from(*b))
    };
    Some((tag, rest.get(..len)?, rest.get(len..)?))
}

/// (e, n) of a key in either accepted encoding; `Err` says which error.
fn parse_key(body: &str) -> Result<(Vec<u8>, Vec<u8>), AwsError> {
    let unrecognized = || -> AwsError { IamError::UnrecognizedPublicKeyEncoding.into() };
    let body = body.trim();
    if let Some(der_bytes) = crate::pem::pem_block(body, "PUBLIC KEY") {
        let (_, spki, _) = der_read(&der_bytes).ok_or_else(unrecognized)?;
        let (_, alg, rest) = der_read(spki).ok_or_else(unrecognized)?;
        if der(0x30, alg) != RSA_ALGORITHM {
            return Err(invalid_key());
        }
        let (_, bits, _) = der_read(rest).ok_or_else(unrecognized)?;
        let (_, rsa, _) =
            der_read(bits.get(1..).ok_or_else(unrecognized)?).ok_or_else(unrecognized)?;
        let (_, n, rest) = der_read(rsa).ok_or_else(unrecognized)?;
        let (_, e, _) = der_read(rest).ok_or_else(unrecognized)?;
        return Ok((unsigned(e), unsigned(n)));
    }
    let mut parts = body.split_whitespace();
    let kind = parts.next().unwrap_or_default();
    let blob = parts
        .next()
        .and_then(|b| b64().decode(b).ok())
        .ok_or_else(unrecognized)?;
    if !kind.starts_with("ssh-") && !kind.starts_with("ecdsa-") {
        return Err(unrecognized());
    }
    let (inner, rest) = ssh_string(&blob).ok_or_else(unrecognized)?;
    if kind != "ssh-rsa" || inner != b"ssh-rsa" {
        return Err(invalid_key());
    }
    let (e, rest) = ssh_string(rest).ok_or_else(unrecognized)?;
    let (n, _) = ssh_string(rest).ok_or_else(unrecognized)?;
    Ok((unsigned(e), unsigned(n)))
}

fn invalid_key() -> AwsError {
    IamError::InvalidPublicKey {
        message: "The SSH public key must be an RSA key of at least 2048 bits.".into(),
    }
    .into()
}

fn fingerprint(k: &SshPublicKey) -> String {
    Md5::digest(ssh_blob(&k.exponent, &k.modulus))
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(":")
}

fn ssh_body(k: &SshPublicKey) -> String {
    format!(
        "ssh-rsa {}",
        b64().encode(ssh_blob(&k.exponent, &k.modulus))
    )
}

fn value(k: &SshPublicKey, encoding: &str) -> Value {
    json!({
        "UserName": k.user_name,
        "SSHPublicKeyId": k.id,
        "Fingerprint": fingerprint(k),
        "SSHPublicKeyBody": if encoding == "PEM" { spki_pem(&k.exponent, &k.modulus) } else { ssh_body(k) },
        "Status": if k.active { "Active" } else { "Inactive" },
        "UploadDate": k.upload_date,
    })
}

impl IamService {
    fn load_ssh_key(&self, account: &str, user: &str, id: &str) -> Result<SshPublicKey, AwsError> {
        self.load_user(account, user)?;
        self.ssh_public_keys
            .get(&scope(account).key(id))?
            .filter(|k| k.user_name.eq_ignore_ascii_case(user))
            .ok_or_else(|| IamError::NoSuchSshPublicKey { id: id.to_string() }.into())
    }

    /// `UploadSSHPublicKey`.
    pub(crate) fn upload_ssh_public_key(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let acct = &ctx.account_id;
        let user = required(&input, "UserName")?;
        let (exponent, modulus) = parse_key(required(&input, "SSHPublicKeyBody")?)?;
        if modulus.len() * 8 < 2048 {
            return Err(invalid_key());
        }
        let uk = key(acct, user);
        let k = self.write(|txn| {
            let mut u = txn
                .get(&self.users, &uk)?
                .ok_or_else(|| IamError::NoSuchUser {
                    name: user.to_string(),
                })?;
            for id in &u.ssh_public_keys {
                if let Some(other) = txn.get(&self.ssh_public_keys, &scope(acct).key(id))? {
                    if other.modulus == modulus && other.exponent == exponent {
                        return Err(IamError::DuplicateSshPublicKey.into());
                    }
                }
            }
            if u.ssh_public_keys.len() >= SSH_KEYS_PER_USER {
                return Err(IamError::QuotaExceeded {
                    quota: "SSHPublicKeysPerUser".into(),
                    limit: SSH_KEYS_PER_USER,
                }
                .into());
            }
            let k = SshPublicKey {
                user_name: u.name.clone(),
                id: id::access_key_id("APKA"),
                modulus,
                exponent,
                active: true,
                upload_date: ctx.clock.now_secs(),
            };
            txn.put(&self.ssh_public_keys, &scope(acct).key(&k.id), &k)?;
            u.ssh_public_keys.push(k.id.clone());
            txn.put(&self.users, &uk, &u)?;
            Ok(k)
        })?;
        Ok(json!({ "SSHPublicKey": value(&k, "SSH") }))
    }

    /// `GetSSHPublicKey`, in the `Encoding` asked for (`SSH` or `PEM`).
    pub(crate) fn get_ssh_public_key(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let user = required(&input, "UserName")?;
        let id = required(&input, "SSHPublicKeyId")?;
        let encoding = str_member(&input, "Encoding").unwrap_or("SSH");
        let k = self.load_ssh_key(&ctx.account_id, user, id)?;
        Ok(json!({ "SSHPublicKey": value(&k, encoding) }))
    }

    /// `ListSSHPublicKeys` (the caller's when no `UserName`).
    pub(crate) fn list_ssh_public_keys(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let acct = &ctx.account_id;
        let user = self.credential_owner(ctx, &input)?;
        let u = self.load_user(acct, &user)?;
        let mut items = Vec::new();
        for id in &u.ssh_public_keys {
            if let Some(k) = self.ssh_public_keys.get(&scope(acct).key(id))? {
                items.push((
                    id.clone(),
                    json!({
                        "UserName": k.user_name,
                        "SSHPublicKeyId": k.id,
                        "Status": if k.active { "Active" } else { "Inactive" },
                        "UploadDate": k.upload_date,
                    }),
                ));
            }
        }
        items.sort_by(|a, b| a.0.cmp(&b.0));
        let page = paginate(items, &page_request(&input)?);
        Ok(list_output("SSHPublicKeys", page))
    }

    /// `UpdateSSHPublicKey`: `Active` or `Inactive`.
    pub(crate) fn update_ssh_public_key(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let acct = &ctx.account_id;
        let user = required(&input, "UserName")?;
        let id = required(&input, "SSHPublicKeyId")?;
        let active = str_member(&input, "Status") == Some("Active");
        let k = scope(acct).key(id);
        self.write(|txn| {
            txn.get(&self.users, &key(acct, user))?
                .ok_or_else(|| IamError::NoSuchUser {
                    name: user.to_string(),
                })?;
            let mut rec = txn
                .get(&self.ssh_public_keys, &k)?
                .filter(|r| r.user_name.eq_ignore_ascii_case(user))
                .ok_or_else(|| IamError::NoSuchSshPublicKey { id: id.to_string() })?;
            rec.active = active;
            txn.put(&self.ssh_public_keys, &k, &rec)?;
            Ok(())
        })?;
        Ok(json!({}))
    }

    /// `DeleteSSHPublicKey`.
    pub(crate) fn delete_ssh_public_key(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let acct = &ctx.account_id;
        let user = required(&input, "UserName")?;
        let id = required(&input, "SSHPublicKeyId")?;
        let uk = key(acct, user);
        let k = scope(acct).key(id);
        self.write(|txn| {
            let mut u = txn
                .get(&self.users, &uk)?
                .ok_or_else(|| IamError::NoSuchUser {
                    name: user.to_string(),
                })?;
            if !u.ssh_public_keys.iter().any(|x| x == id) {
                return Err(IamError::NoSuchSshPublicKey { id: id.to_string() }.into());
            }
            u.ssh_public_keys.retain(|x| x != id);
            txn.delete(&self.ssh_public_keys, &k)?;
            txn.put(&self.users, &uk, &u)?;
            Ok(())
        })?;
        Ok(json!({}))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ssh_and_pem_encodings_round_trip_to_the_same_numbers() {
        let n: Vec<u8> = (0..256).map(|i| (i as u8) | 0x80).collect();
        let e = vec![1, 0, 1];
        let ssh = format!("ssh-rsa {} me@host", b64().encode(ssh_blob(&e, &n)));
        assert_eq!(parse_key(&ssh).expect("ssh"), (e.clone(), n.clone()));
        let pem = spki_pem(&e, &n);
        assert_eq!(parse_key(&pem).expect("pem"), (e, n));
    }

    #[test]
    fn other_key_types_and_garbage_are_refused() {
        let ed = format!(
            "ssh-ed25519 {}",
            b64().encode(b"\0\0\0\x0bssh-ed25519\0\0\0\x01x")
        );
        assert_eq!(
            parse_key(&ed).map_err(|e| e.code),
            Err("InvalidPublicKey".into())
        );
        assert_eq!(
            parse_key("hello world").map_err(|e| e.code),
            Err("UnrecognizedPublicKeyEncoding".into())
        );
        assert!(parse_key("ssh-rsa AAAA").is_err());
    }

    #[test]
    fn random_key_bodies_are_refused_without_panicking() {
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        let mut noise = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed & 0xff) as u8
        };
        for _ in 0..2000 {
            let len = usize::from(noise()) % 80;
            let blob: Vec<u8> = (0..len).map(|_| noise()).collect();
            let _ = parse_key(&format!("ssh-rsa {}", b64().encode(&blob)));
            let pem = format!(
                "-----BEGIN PUBLIC KEY-----\n{}\n-----END PUBLIC KEY-----",
                b64().encode(&blob)
            );
            let _ = parse_key(&pem);
        }
    }
}
