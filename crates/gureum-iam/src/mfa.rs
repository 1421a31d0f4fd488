//! Virtual MFA devices: `CreateVirtualMFADevice`, `EnableMFADevice`,
//! `ResyncMFADevice`, `DeactivateMFADevice`, `DeleteVirtualMFADevice`,
//! `ListMFADevices`, `ListVirtualMFADevices`.
//!
//! A virtual MFA device is a TOTP secret (RFC 6238: HMAC-SHA1, 30-second
//! steps, 6 digits) shared with an authenticator app. Creating one returns
//! the secret once, as `Base32StringSeed` (the base32 text, which the API
//! carries as a blob: base64 of those characters). Enabling it for a user
//! takes two consecutive codes, proving the app is in step with Gureum's
//! clock; after that, [`IamService::verify_mfa_code`] checks the codes that
//! `sts:GetSessionToken` receives. Gureum does not draw the QR code
//! (`QRCodePNG` is left out); the seed is what authenticator apps accept
//! when entered by hand.

use crate::errors::IamError;
use crate::model::MfaDevice;
use crate::users::user_value;
use crate::util::{
    key, list_output, page_request, paginate, path_member, put_tags, required, scan_page, scope,
    str_member, tags_member,
};
use crate::IamService;
use base64::Engine;
use gureum_core::{AwsError, OpResult, RequestContext, Value};
use gureum_kit::Page;
use hmac::{Hmac, Mac};
use serde_json::json;
use sha1::Sha1;

const BASE32: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/// RFC 4648 base32 without padding.
pub fn base32_encode(bytes: &[u8]) -> String {
    let mut out = String::new();
    let mut buffer: u32 = 0;
    let mut bits = 0;
    for b in bytes {
        buffer = (buffer << 8) | u32::from(*b);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(BASE32[((buffer >> bits) & 31) as usize] as char);
        }
    }
    if bits > 0 {
        out.push(BASE32[((buffer << (5 - bits)) & 31) as usize] as char);
    }
    out
}

/// Decodes RFC 4648 base32 (padding and case ignored).
pub fn base32_decode(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    let mut buffer: u32 = 0;
    let mut bits = 0;
    for c in text.trim_end_matches('=').bytes() {
        let v = BASE32.iter().position(|x| *x == c.to_ascii_uppercase())? as u32;
        buffer = (buffer << 5) | v;
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push(((buffer >> bits) & 0xff) as u8);
        }
    }
    Some(out)
}

/// The 6-digit TOTP code of `secret` for the 30-second step `counter`
/// (RFC 6238 with HMAC-SHA1, as authenticator apps compute it).
pub fn totp(secret: &[u8], counter: u64) -> String {
    let Ok(mut mac) = Hmac::<Sha1>::new_from_slice(secret) else {
        return String::new();
    };
    mac.update(&counter.to_be_bytes());
    let digest = mac.finalize().into_bytes();
    let offset = (digest[19] & 0x0f) as usize;
    let bin = (u32::from(digest[offset] & 0x7f) << 24)
        | (u32::from(digest[offset + 1]) << 16)
        | (u32::from(digest[offset + 2]) << 8)
        | u32::from(digest[offset + 3]);
    format!("{:06}", bin % 1_000_000)
}

/// The TOTP step at `now_ms`.
fn step(now_ms: i64) -> u64 {
    now_ms.div_euclid(30_000).max(0) as u64
}

/// Whether `code1`, `code2` are the codes of two consecutive steps ending
/// within `window` steps of now (either side).
fn consecutive_codes(secret: &[u8], code1: &str, code2: &str, now_ms: i64, window: u64) -> bool {
    let now = step(now_ms);
    (now.saturating_sub(window)..=now + window)
        .any(|c| totp(secret, c) == code1 && totp(secret, c + 1) == code2)
}

fn invalid_code() -> AwsError {
    IamError::InvalidAuthenticationCode.into()
}

/// The store key of the device with this serial number in `account`.
fn device_key(account: &str, serial: &str) -> Option<String> {
    let rest = serial.strip_prefix(&format!("arn:aws:iam::{account}:mfa/"))?;
    let name = rest.rsplit('/').next()?;
    Some(key(account, name))
}

impl IamService {
    fn load_device(&self, account: &str, serial: &str) -> Result<(String, MfaDevice), AwsError> {
        let k = device_key(account, serial).ok_or_else(|| IamError::NoSuchVirtualMfaDevice {
            serial: serial.to_string(),
        })?;
        match self.mfa_devices.get(&k)? {
            Some(d) if d.serial_number == serial => Ok((k, d)),
            _ => Err(IamError::NoSuchVirtualMfaDevice {
                serial: serial.to_string(),
            }
            .into()),
        }
    }

    /// The device with this serial number (for tags).
    pub(crate) fn device_by_serial(
        &self,
        account: &str,
        serial: &str,
    ) -> Result<(String, MfaDevice), AwsError> {
        self.load_device(account, serial)
    }

    /// `CreateVirtualMFADevice`: a new secret, returned once.
    pub(crate) fn create_virtual_mfa_device(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let acct = &ctx.account_id;
        let name = required(&input, "VirtualMFADeviceName")?;
        crate::util::check_name("VirtualMFADeviceName", name)?;
        let path = path_member(&input, "Path")?;
        let tags = tags_member(&input)?;
        let mut secret = [0u8; 40];
        rand::RngCore::fill_bytes(&mut rand::thread_rng(), &mut secret);
        let device = MfaDevice {
            name: name.to_string(),
            serial_number: format!("arn:aws:iam::{acct}:mfa{path}{name}"),
            path,
            seed_base32: base32_encode(&secret),
            user: None,
            enable_date: None,
            create_date: ctx.clock.now_secs(),
            tags,
        };
        let k = key(acct, name);
        self.write(|txn| {
            if txn.get(&self.mfa_devices, &k)?.is_some() {
                return Err(IamError::MfaDeviceExists.into());
            }
            txn.put(&self.mfa_devices, &k, &device)?;
            Ok(())
        })?;
        let b64 = &base64::engine::general_purpose::STANDARD;
        let mut v = json!({
            "SerialNumber": device.serial_number,
            "Base32StringSeed": b64.encode(device.seed_base32.as_bytes()),
        });
        let uri = crate::qr_png::otpauth_uri(name, acct, &device.seed_base32);
        if let Some(png) = crate::qr_png::qr_png(&uri) {
            v["QRCodePNG"] = json!(b64.encode(png));
        }
        put_tags(&mut v, &device.tags);
        Ok(json!({ "VirtualMFADevice": v }))
    }

    /// `GetMFADevice`: an MFA device enabled for the user (`UserName`, or
    /// the caller).
    pub(crate) fn get_mfa_device(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let serial = required(&input, "SerialNumber")?;
        let user = self.target_user_name(ctx, &input)?;
        let not_enabled = || -> AwsError {
            IamError::NoSuchMfaDevice {
                serial: serial.to_string(),
            }
            .into()
        };
        let (_, d) = self
            .load_device(&ctx.account_id, serial)
            .map_err(|_| not_enabled())?;
        let owner = d.user.as_deref().ok_or_else(not_enabled)?;
        if user
            .as_deref()
            .is_some_and(|u| !u.eq_ignore_ascii_case(owner))
        {
            return Err(not_enabled());
        }
        let mut out = json!({ "UserName": owner, "SerialNumber": d.serial_number });
        if let Some(e) = d.enable_date {
            out["EnableDate"] = json!(e);
        }
        Ok(out)
    }

    /// `EnableMFADevice`: assigns the device to a user after checking two
    /// consecutive codes.
    pub(crate) fn enable_mfa_device(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let acct = &ctx.account_id;
        let user = required(&input, "UserName")?;
        let serial = required(&input, "SerialNumber")?;
        let code1 = required(&input, "AuthenticationCode1")?;
        let code2 = required(&input, "AuthenticationCode2")?;
        let (k, _) = self.load_device(acct, serial)?;
        let now_ms = ctx.clock.now_millis();
        self.write(|txn| {
            // The user is read in the transaction that assigns the device,
            // so a concurrent DeleteUser (which refuses users with devices)
            // cannot leave a device assigned to a deleted user.
            let u =
                txn.get(&self.users, &key(acct, user))?
                    .ok_or_else(|| IamError::NoSuchUser {
                        name: user.to_string(),
                    })?;
            let mut d = txn.get(&self.mfa_devices, &k)?.ok_or_else(|| {
                IamError::NoSuchVirtualMfaDevice {
                    serial: serial.to_string(),
                }
            })?;
            if d.user.is_some() {
                return Err(IamError::MfaDeviceInUse.into());
            }
            let secret = base32_decode(&d.seed_base32).unwrap_or_default();
            if !consecutive_codes(&secret, code1, code2, now_ms, 2) {
                return Err(invalid_code());
            }
            d.user = Some(u.name.clone());
            d.enable_date = Some(now_ms.div_euclid(1000));
            txn.put(&self.mfa_devices, &k, &d)?;
            Ok(())
        })?;
        Ok(json!({}))
    }

    /// `ResyncMFADevice`: accepts two consecutive codes within a wider
    /// window (the device's clock may have drifted).
    pub(crate) fn resync_mfa_device(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let acct = &ctx.account_id;
        let user = required(&input, "UserName")?;
        let serial = required(&input, "SerialNumber")?;
        self.load_user(acct, user)?;
        let (_, d) = self.load_device(acct, serial)?;
        if !d
            .user
            .as_deref()
            .is_some_and(|u| u.eq_ignore_ascii_case(user))
        {
            return Err(IamError::NoSuchVirtualMfaDevice {
                serial: serial.to_string(),
            }
            .into());
        }
        let secret = base32_decode(&d.seed_base32).unwrap_or_default();
        let ok = consecutive_codes(
            &secret,
            required(&input, "AuthenticationCode1")?,
            required(&input, "AuthenticationCode2")?,
            ctx.clock.now_millis(),
            10,
        );
        if !ok {
            return Err(invalid_code());
        }
        Ok(json!({}))
    }

    /// `DeactivateMFADevice`: unassigns the device from its user.
    pub(crate) fn deactivate_mfa_device(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let acct = &ctx.account_id;
        let serial = required(&input, "SerialNumber")?;
        let user = self.target_user_name(ctx, &input)?;
        if let Some(u) = &user {
            self.load_user(acct, u)?;
        }
        let (k, _) = self.load_device(acct, serial)?;
        self.write(|txn| {
            let mut d = txn.get(&self.mfa_devices, &k)?.ok_or_else(|| {
                IamError::NoSuchVirtualMfaDevice {
                    serial: serial.to_string(),
                }
            })?;
            let assigned = match (&d.user, &user) {
                (Some(owner), Some(u)) => owner.eq_ignore_ascii_case(u),
                (Some(_), None) => true,
                (None, _) => false,
            };
            if !assigned {
                return Err(IamError::NoSuchMfaDevice {
                    serial: serial.to_string(),
                }
                .into());
            }
            d.user = None;
            d.enable_date = None;
            txn.put(&self.mfa_devices, &k, &d)?;
            Ok(())
        })?;
        Ok(json!({}))
    }

    /// `DeleteVirtualMFADevice`, refused while the device is enabled.
    pub(crate) fn delete_virtual_mfa_device(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let serial = required(&input, "SerialNumber")?;
        let (k, _) = self.load_device(&ctx.account_id, serial)?;
        self.write(|txn| {
            let d = txn.get(&self.mfa_devices, &k)?.ok_or_else(|| {
                IamError::NoSuchVirtualMfaDevice {
                    serial: serial.to_string(),
                }
            })?;
            if d.user.is_some() {
                return Err(IamError::MfaDeviceStillInUse.into());
            }
            txn.delete(&self.mfa_devices, &k)?;
            Ok(())
        })?;
        Ok(json!({}))
    }

    /// The enabled MFA devices of a user.
    pub(crate) fn user_mfa_devices(
        &self,
        account: &str,
        user: &str,
    ) -> Result<Vec<MfaDevice>, AwsError> {
        Ok(self
            .mfa_devices
            .scan_prefix(&scope(account).prefix())?
            .into_iter()
            .map(|(_, d)| d)
            .filter(|d| {
                d.user
                    .as_deref()
                    .is_some_and(|u| u.eq_ignore_ascii_case(user))
            })
            .collect())
    }

    /// `ListMFADevices`: the devices enabled for a user (the caller by
    /// default).
    pub(crate) fn list_mfa_devices(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let Some(user) = self.target_user_name(ctx, &input)? else {
            return Ok(list_output(
                "MFADevices",
                Page {
                    items: Vec::new(),
                    next_token: None,
                },
            ));
        };
        let u = self
            .users
            .get(&key(&ctx.account_id, &user))?
            .ok_or_else(|| IamError::NoSuchUser {
                name: user.to_string(),
            })?;
        let items = self
            .user_mfa_devices(&ctx.account_id, &user)?
            .into_iter()
            .map(|d| {
                (
                    d.serial_number.clone(),
                    json!({
                        "UserName": u.name,
                        "SerialNumber": d.serial_number,
                        "EnableDate": d.enable_date.unwrap_or(d.create_date),
                    }),
                )
            })
            .collect();
        let page = paginate(items, &page_request(&input)?);
        Ok(list_output("MFADevices", page))
    }

    /// `ListVirtualMFADevices`, by `AssignmentStatus` (Assigned,
    /// Unassigned, Any).
    pub(crate) fn list_virtual_mfa_devices(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let acct = &ctx.account_id;
        let status = str_member(&input, "AssignmentStatus").unwrap_or("Any");
        let mut read_error = None;
        let page = scan_page(&self.mfa_devices, acct, &page_request(&input)?, |_, d| {
            let assigned = d.user.is_some();
            let keep = match status {
                "Assigned" => assigned,
                "Unassigned" => !assigned,
                _ => true,
            };
            if !keep {
                return None;
            }
            let mut v = json!({ "SerialNumber": d.serial_number });
            if let Some(u) = &d.user {
                match self.users.get(&key(acct, u)) {
                    Ok(Some(user)) => v["User"] = user_value(acct, &user, false),
                    Ok(None) => {}
                    Err(e) => read_error = Some(e),
                }
                if let Some(e) = d.enable_date {
                    v["EnableDate"] = json!(e);
                }
            }
            put_tags(&mut v, &d.tags);
            Some(v)
        })?;
        if let Some(e) = read_error {
            return Err(e.into());
        }
        Ok(list_output("VirtualMFADevices", page))
    }

    /// Whether `code` is the current TOTP code (one step of drift either
    /// way allowed) of the enabled MFA device `serial` in `account_id`, at
    /// `now_ms` on Gureum's clock. For `sts:GetSessionToken` and
    /// `sts:AssumeRole` with `SerialNumber`/`TokenCode`.
    pub fn verify_mfa_code(&self, account_id: &str, serial: &str, code: &str, now_ms: i64) -> bool {
        let Ok((_, d)) = self.load_device(account_id, serial) else {
            return false;
        };
        if d.user.is_none() || code.len() != 6 {
            return false;
        }
        let Some(secret) = base32_decode(&d.seed_base32) else {
            return false;
        };
        let now = step(now_ms);
        (now.saturating_sub(1)..=now + 1).any(|c| totp(&secret, c) == code)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn totp_matches_rfc_6238_test_vectors() {
        // RFC 6238 appendix B, SHA-1 secret "12345678901234567890"; the RFC
        // prints 8 digits, authenticator apps keep the last 6.
        let secret = b"12345678901234567890";
        assert_eq!(totp(secret, 59 / 30), "287082");
        assert_eq!(totp(secret, 1_111_111_109 / 30), "081804");
        assert_eq!(totp(secret, 1_234_567_890 / 30), "005924");
        assert_eq!(totp(secret, 2_000_000_000 / 30), "279037");
    }

    #[test]
    fn base32_round_trips() {
        let bytes: Vec<u8> = (0u8..40).collect();
        let text = base32_encode(&bytes);
        assert_eq!(text.len(), 64);
        assert_eq!(base32_decode(&text), Some(bytes));
        assert_eq!(base32_encode(b"foobar"), "MZXW6YTBOI");
    }
}
