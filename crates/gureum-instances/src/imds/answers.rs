//! What the metadata service answers: tokens (IMDSv2), meta-data, user
//! data, the identity document and the instance profile role's
//! credentials, by AWS's paths and status codes.

use super::{ProfileRole, Request, State};
use gureum_ec2::compute::host::BootSpec;
use gureum_kit::role_sessions::{ServiceAssumption, TemporaryCredentials};
use std::time::{Duration, Instant};

/// AWS's answer to a request: status, content type, body.
pub(super) fn answer(state: &State, spec: &BootSpec, req: &Request) -> (u16, &'static str, String) {
    let text = "text/plain";
    if req.path == "/latest/api/token" {
        if req.method != "PUT" {
            return (405, text, String::new());
        }
        // A token is refused to a request that went through a proxy.
        if req.headers.contains_key("x-forwarded-for") {
            return (403, text, String::new());
        }
        let ttl = req
            .headers
            .get("x-aws-ec2-metadata-token-ttl-seconds")
            .and_then(|v| v.parse::<u64>().ok());
        let Some(ttl) = ttl.filter(|t| (1..=21_600).contains(t)) else {
            return (400, text, String::new());
        };
        let token = format!(
            "AQAEA{}==",
            base64::Engine::encode(
                &base64::engine::general_purpose::STANDARD_NO_PAD,
                rand::random::<[u8; 32]>()
            )
        );
        let mut tokens = state.tokens.lock();
        let now = Instant::now();
        tokens.retain(|_, (_, exp)| *exp > now);
        tokens.insert(
            token.clone(),
            (spec.instance_id.clone(), now + Duration::from_secs(ttl)),
        );
        return (200, text, token);
    }
    if req.method != "GET" && req.method != "HEAD" {
        return (405, text, String::new());
    }
    match req.headers.get("x-aws-ec2-metadata-token") {
        Some(t) => {
            let valid = state
                .tokens
                .lock()
                .get(t)
                .is_some_and(|(id, exp)| *id == spec.instance_id && *exp > Instant::now());
            if !valid {
                return (401, text, String::new());
            }
        }
        None if spec.http_tokens == "required" => {
            return (401, text, String::new());
        }
        None => {}
    }
    let spec = spec.clone();
    let path = req.path.split('?').next().unwrap_or_default();
    let found = if let Some(rest) = path.strip_prefix("/latest/meta-data") {
        meta_data(state, &spec, rest.trim_start_matches('/'))
    } else if path == "/latest/user-data" || path == "/latest/user-data/" {
        spec.user_data
            .as_ref()
            .map(|u| String::from_utf8_lossy(u).into_owned())
    } else if path == "/latest/dynamic/instance-identity/document" {
        Some(identity_document(&spec))
    } else if path == "/latest/dynamic/" || path == "/latest/dynamic" {
        Some("instance-identity/".into())
    } else if path == "/latest/dynamic/instance-identity/" {
        Some("document".into())
    } else if path == "/latest/" || path == "/latest" {
        Some("dynamic\nmeta-data\nuser-data".into())
    } else if path == "/" {
        Some("latest".into())
    } else {
        None
    };
    match found {
        Some(body) => (200, text, body),
        None => (404, "text/html", not_found_page()),
    }
}

fn not_found_page() -> String {
    "<?xml version=\"1.0\" encoding=\"iso-8859-1\"?>\n<!DOCTYPE html PUBLIC \"-//W3C//DTD XHTML 1.0 Transitional//EN\"\n\t\"http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd\">\n<html xmlns=\"http://www.w3.org/1999/xhtml\" xml:lang=\"en\" lang=\"en\">\n <head>\n  <title>404 - Not Found</title>\n </head>\n <body>\n  <h1>404 - Not Found</h1>\n </body>\n</html>\n".into()
}

fn iso(ms: i64) -> String {
    gureum_core::timestamp::format_iso8601_seconds(ms)
}

/// The signed-by-AWS identity document (unsigned here: its fields).
fn identity_document(spec: &BootSpec) -> String {
    let doc = serde_json::json!({
        "accountId": spec.account,
        "architecture": spec.architecture,
        "availabilityZone": spec.az,
        "billingProducts": null,
        "devpayProductCodes": null,
        "marketplaceProductCodes": null,
        "imageId": spec.image_id,
        "instanceId": spec.instance_id,
        "instanceType": spec.instance_type,
        "kernelId": null,
        "pendingTime": iso(spec.launch_time_ms),
        "privateIp": spec.private_ip,
        "ramdiskId": null,
        "region": spec.region,
        "version": "2017-09-30",
    });
    serde_json::to_string_pretty(&doc).unwrap_or_default()
}

/// The role the instance profile holds: its name and the profile.
fn role(state: &State, spec: &BootSpec) -> Option<(String, ProfileRole)> {
    let profile = spec.iam_profile.as_deref()?;
    let found = (state.sources.profiles)(&spec.account, profile)?;
    let name = found
        .role_arn
        .rsplit('/')
        .next()
        .unwrap_or_default()
        .to_string();
    Some((name, found))
}

/// The role's credentials, reused until five minutes before they expire.
fn credentials(state: &State, spec: &BootSpec, arn: &str) -> Option<TemporaryCredentials> {
    let now = state.sources.clock.now_millis();
    let mut cache = state.creds.lock();
    if let Some((cached_arn, c)) = cache.get(&spec.instance_id) {
        if cached_arn == arn && c.expires_at_ms - now > 300_000 {
            return Some(c.clone());
        }
    }
    let source_arn = format!(
        "arn:aws:ec2:{}:{}:instance/{}",
        spec.region, spec.account, spec.instance_id
    );
    let c = state
        .sources
        .sessions
        .assume_role_for_service(&ServiceAssumption {
            role_arn: arn,
            session_name: &spec.instance_id,
            service: "ec2.amazonaws.com",
            source_arn: &source_arn,
            source_account: &spec.account,
            duration_secs: 3600,
            now_ms: now,
        })
        .ok()?;
    cache.insert(spec.instance_id.clone(), (arn.to_string(), c.clone()));
    Some(c)
}

fn meta_data(state: &State, spec: &BootSpec, path: &str) -> Option<String> {
    let path = path.trim_end_matches('/');
    let mac = spec.mac.as_str();
    let public = spec.public_ip.clone().unwrap_or_default();
    let keys = spec.key.as_ref();
    Some(match path {
        "" => {
            let mut items = vec![
                "ami-id",
                "ami-launch-index",
                "ami-manifest-path",
                "block-device-mapping/",
                "hostname",
                "instance-action",
                "instance-id",
                "instance-life-cycle",
                "instance-type",
                "local-hostname",
                "local-ipv4",
                "mac",
                "network/",
                "placement/",
                "reservation-id",
                "security-groups",
            ];
            if spec.public_ip.is_some() {
                items.extend(["public-hostname", "public-ipv4"]);
            }
            if keys.is_some() {
                items.push("public-keys/");
            }
            if spec.iam_profile.is_some() {
                items.push("iam/");
            }
            items.sort_unstable();
            items.join("\n")
        }
        "ami-id" => spec.image_id.clone(),
        "ami-launch-index" => "0".into(),
        "ami-manifest-path" => "(unknown)".into(),
        "block-device-mapping" => "ami\nroot".into(),
        "block-device-mapping/ami" | "block-device-mapping/root" => "/dev/xvda".into(),
        "hostname" | "local-hostname" => spec.hostname.clone(),
        "instance-action" => "none".into(),
        "instance-id" => spec.instance_id.clone(),
        "instance-life-cycle" => "on-demand".into(),
        "instance-type" => spec.instance_type.clone(),
        "local-ipv4" => spec.private_ip.clone(),
        "mac" => mac.to_string(),
        "reservation-id" => spec.reservation_id.clone(),
        "security-groups" => spec.security_groups.join("\n"),
        "public-ipv4" if spec.public_ip.is_some() => public,
        "public-hostname" if spec.public_ip.is_some() => spec.public_hostname.clone(),
        "placement" => "availability-zone\nregion".into(),
        "placement/availability-zone" => spec.az.clone(),
        "placement/region" => spec.region.clone(),
        "network" => "interfaces/".into(),
        "network/interfaces" => "macs/".into(),
        "network/interfaces/macs" => format!("{mac}/"),
        p if p.starts_with("network/interfaces/macs/") => {
            let rest = p.trim_start_matches("network/interfaces/macs/");
            let (m, item) = rest.split_once('/').unwrap_or((rest, ""));
            if m != mac {
                return None;
            }
            match item {
                "" => "device-number\nlocal-hostname\nlocal-ipv4s\nmac\nsecurity-groups\nsubnet-ipv4-cidr-block\nvpc-id\nvpc-ipv4-cidr-block".into(),
                "device-number" => "0".into(),
                "local-hostname" => spec.hostname.clone(),
                "local-ipv4s" => spec.private_ip.clone(),
                "mac" => mac.to_string(),
                "security-groups" => spec.security_groups.join("\n"),
                "subnet-ipv4-cidr-block" => spec.subnet_cidr.clone(),
                "vpc-id" => spec.vpc_id.clone(),
                "vpc-ipv4-cidr-block" => spec.vpc_cidr.clone(),
                "public-ipv4s" if spec.public_ip.is_some() => public,
                _ => return None,
            }
        }
        "public-keys" => keys.map(|(name, _)| format!("0={name}"))?,
        "public-keys/0" => keys.map(|_| "openssh-key".to_string())?,
        "public-keys/0/openssh-key" => keys.map(|(name, k)| format!("{} {name}", k.trim()))?,
        "iam" => {
            role(state, spec)?;
            "info\nsecurity-credentials/".into()
        }
        "iam/info" => {
            let (_, p) = role(state, spec)?;
            serde_json::to_string_pretty(&serde_json::json!({
                "Code": "Success",
                "LastUpdated": iso(state.sources.clock.now_millis()),
                "InstanceProfileArn": p.profile_arn,
                "InstanceProfileId": p.profile_id,
            }))
            .ok()?
        }
        "iam/security-credentials" => role(state, spec)?.0,
        p if p.starts_with("iam/security-credentials/") => {
            let (name, found) = role(state, spec)?;
            if p.trim_start_matches("iam/security-credentials/") != name {
                return None;
            }
            let c = credentials(state, spec, &found.role_arn)?;
            serde_json::to_string_pretty(&serde_json::json!({
                "Code": "Success",
                "LastUpdated": iso(state.sources.clock.now_millis()),
                "Type": "AWS-HMAC",
                "AccessKeyId": c.access_key_id,
                "SecretAccessKey": c.secret_access_key,
                "Token": c.session_token,
                "Expiration": iso(c.expires_at_ms),
            }))
            .ok()?
        }
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::super::Sources;
    use super::*;
    use gureum_core::Clock;
    use gureum_kit::role_sessions::NoRoleSessions;
    use parking_lot::Mutex;
    use std::collections::HashMap;
    use std::sync::Arc;

    fn spec(tokens: &str) -> BootSpec {
        BootSpec {
            instance_id: "i-0123456789abcdef0".into(),
            http_tokens: tokens.into(),
            private_ip: "10.0.1.5".into(),
            key: Some(("web".into(), "ssh-ed25519 AAAA".into())),
            ..Default::default()
        }
    }

    fn state() -> State {
        State {
            lookup: Arc::new(|_| None),
            sources: Sources {
                sessions: Arc::new(NoRoleSessions),
                profiles: Arc::new(|_, _| None),
                clock: Clock::system(),
            },
            tokens: Mutex::new(HashMap::new()),
            creds: Mutex::new(HashMap::new()),
        }
    }

    fn req(method: &str, path: &str, headers: &[(&str, &str)]) -> Request {
        Request {
            method: method.into(),
            path: path.into(),
            headers: headers
                .iter()
                .map(|(k, v)| (k.to_ascii_lowercase(), v.to_string()))
                .collect(),
        }
    }

    #[test]
    fn required_tokens_refuse_imdsv1_with_401_and_accept_a_put_token() {
        let (s, sp) = (state(), spec("required"));
        assert_eq!(
            answer(&s, &sp, &req("GET", "/latest/meta-data/instance-id", &[])).0,
            401
        );
        let (status, _, token) = answer(
            &s,
            &sp,
            &req(
                "PUT",
                "/latest/api/token",
                &[("X-aws-ec2-metadata-token-ttl-seconds", "60")],
            ),
        );
        assert_eq!(status, 200);
        let (status, _, body) = answer(
            &s,
            &sp,
            &req(
                "GET",
                "/latest/meta-data/instance-id",
                &[("X-aws-ec2-metadata-token", &token)],
            ),
        );
        assert_eq!((status, body.as_str()), (200, "i-0123456789abcdef0"));
        let bad = [("X-aws-ec2-metadata-token", "forged")];
        // A token works only for the instance it was issued to.
        let other = BootSpec {
            instance_id: "i-0fedcba9876543210".into(),
            ..spec("required")
        };
        let theirs = [("X-aws-ec2-metadata-token", token.as_str())];
        assert_eq!(
            answer(&s, &other, &req("GET", "/latest/meta-data/", &theirs)).0,
            401
        );
        assert_eq!(
            answer(&s, &sp, &req("GET", "/latest/meta-data/", &bad)).0,
            401
        );
    }

    #[test]
    fn a_token_needs_a_ttl_between_1_and_21600_seconds() {
        let (s, sp) = (state(), spec("optional"));
        assert_eq!(
            answer(&s, &sp, &req("PUT", "/latest/api/token", &[])).0,
            400
        );
        let long = [("X-aws-ec2-metadata-token-ttl-seconds", "21601")];
        assert_eq!(
            answer(&s, &sp, &req("PUT", "/latest/api/token", &long)).0,
            400
        );
    }

    #[test]
    fn optional_tokens_answer_imdsv1_and_unknown_paths_are_404() {
        let (s, sp) = (state(), spec("optional"));
        let (status, _, body) = answer(
            &s,
            &sp,
            &req("GET", "/latest/meta-data/public-keys/0/openssh-key", &[]),
        );
        assert_eq!((status, body.as_str()), (200, "ssh-ed25519 AAAA web"));
        assert_eq!(
            answer(&s, &sp, &req("GET", "/latest/meta-data/nope", &[])).0,
            404
        );
        // No profile: no credentials.
        assert_eq!(
            answer(
                &s,
                &sp,
                &req("GET", "/latest/meta-data/iam/security-credentials/", &[])
            )
            .0,
            404
        );
    }
}
