//! Custom domain names and their base path mappings. A domain needs an
//! ACM certificate that exists and is issued (read through
//! [`gureum_kit::certificates`]); requests whose `Host` is the domain (or
//! its `regionalDomainName`, `d-….execute-api.REGION.localhost`) are
//! routed by base path to the mapped API and stage ([`ApigatewayService::domain_target`]).
//!
//! Tables: `apigateway.domain_names`: `account/region/domain` →
//! [`DomainName`]; `apigateway.domain_hosts`: host → that key.

use crate::errors::{bad_request, ApigatewayError};
use crate::patch;
use crate::{page_by_position, random_id, str_member, ApigatewayService};
use gureum_core::{AwsError, OpResult, RequestContext, Scope, Value};
use gureum_kit::certificates::Lookup;
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::collections::BTreeMap;

/// The base path AWS shows for a mapping of the whole domain.
const NONE: &str = "(none)";

/// A custom domain name as stored.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct DomainName {
    /// As `GetDomainName` answers it.
    pub info: Value,
    /// Base path mappings by base path (`(none)` for the root).
    pub mappings: BTreeMap<String, Value>,
}

/// What a request to a custom domain reaches.
#[derive(Debug, Clone, PartialEq)]
pub struct DomainTarget {
    /// The mapped API.
    pub api_id: String,
    /// The stage (the mapping's, or the path's first segment).
    pub stage: String,
    /// The rest of the path, from `/`.
    pub path: String,
}

/// `host` without its port, lower-cased.
fn bare_host(host: &str) -> String {
    host.rsplit_once(':')
        .filter(|(_, port)| port.chars().all(|c| c.is_ascii_digit()))
        .map_or(host, |(h, _)| h)
        .to_ascii_lowercase()
}

/// Refuses `domainNameId`, which names private custom domains only.
fn refuse_private(input: &Value) -> Result<(), AwsError> {
    if input["domainNameId"]
        .as_str()
        .is_some_and(|s| !s.is_empty())
    {
        return Err(bad_request(
            "Gureum does not support private custom domain names (domainNameId) yet.",
        ));
    }
    Ok(())
}

impl ApigatewayService {
    fn domain_key(ctx: &RequestContext, name: &str) -> String {
        Scope::regional(ctx).key(&name.to_ascii_lowercase())
    }

    fn domain(&self, ctx: &RequestContext, name: &str) -> Result<(String, DomainName), AwsError> {
        let key = Self::domain_key(ctx, name);
        match self.domains.get(&key).map_err(AwsError::from)? {
            Some(d) => Ok((key, d)),
            None => Err(ApigatewayError::DomainNotFound.into()),
        }
    }

    /// Checks that certificate `arn` exists and is issued.
    fn check_certificate(&self, arn: &str) -> Result<(), AwsError> {
        let lookup = match self.certificates.get() {
            Some(source) => source.certificate(arn),
            None => Lookup::Missing,
        };
        match lookup {
            Lookup::Ready(_) => Ok(()),
            Lookup::NotReady => Err(bad_request(format!(
                "Certificate {arn} is not in ISSUED state"
            ))),
            Lookup::Missing => Err(bad_request(format!("Invalid certificate ARN: {arn}"))),
        }
    }

    /// `CreateDomainName`.
    pub(crate) fn create_domain_name(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let name = str_member(&input, "domainName").to_ascii_lowercase();
        let valid = !name.is_empty()
            && name.len() <= 253
            && name.contains('.')
            && name.split('.').all(|l| {
                !l.is_empty()
                    && l.chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '*')
            });
        if !valid {
            return Err(bad_request(format!(
                "Invalid domain name identifier specified: {name}"
            )));
        }
        let types = input["endpointConfiguration"]["types"]
            .as_array()
            .cloned()
            .unwrap_or_else(|| vec![json!("EDGE")]);
        let regional = match types.first().and_then(Value::as_str) {
            Some("REGIONAL") if types.len() == 1 => true,
            Some("EDGE") if types.len() == 1 => false,
            Some("PRIVATE") => return Err(bad_request("Gureum does not support PRIVATE custom domain names yet.")),
            _ => return Err(bad_request("Invalid endpoint configuration: exactly one endpoint type of EDGE or REGIONAL must be specified")),
        };
        let uploaded = [
            "certificateBody",
            "certificatePrivateKey",
            "certificateChain",
        ];
        if uploaded
            .iter()
            .any(|m| input.get(*m).is_some_and(|v| !v.is_null()))
        {
            return Err(bad_request("Gureum takes certificates from ACM: give certificateArn or regionalCertificateArn."));
        }
        let (member, other) = if regional {
            ("regionalCertificateArn", "certificateArn")
        } else {
            ("certificateArn", "regionalCertificateArn")
        };
        if input.get(other).is_some_and(|v| !v.is_null()) {
            return Err(bad_request(format!(
                "{other} cannot be used with an endpoint of type {}",
                if regional { "REGIONAL" } else { "EDGE" }
            )));
        }
        let arn = str_member(&input, member);
        if arn.is_empty() {
            return Err(bad_request(format!(
                "A certificate is required: specify {member}"
            )));
        }
        self.check_certificate(arn)?;
        if let Some(ownership) = input["ownershipVerificationCertificateArn"].as_str() {
            self.check_certificate(ownership)?;
        }
        let routing = input["routingMode"]
            .as_str()
            .unwrap_or("BASE_PATH_MAPPING_ONLY");
        if routing != "BASE_PATH_MAPPING_ONLY" {
            return Err(bad_request(format!(
                "Gureum does not support routingMode {routing} yet: only BASE_PATH_MAPPING_ONLY."
            )));
        }
        let regional_name = format!("d-{}.execute-api.{}.localhost", random_id(10), ctx.region);
        let mut info = json!({
            "domainName": name,
            "domainNameArn": format!("arn:aws:apigateway:{}::/domainnames/{name}", ctx.region),
            "certificateUploadDate": ctx.clock.now_secs(),
            "endpointConfiguration": {"types": types, "ipAddressType": "ipv4"},
            "domainNameStatus": "AVAILABLE",
            "securityPolicy": input["securityPolicy"].as_str().unwrap_or("TLS_1_2"),
            "routingMode": routing,
            member: arn,
        });
        if regional {
            info["regionalDomainName"] = json!(regional_name);
            info["regionalHostedZoneId"] = json!("Z1UJRXOUMOOFQ8");
        } else {
            info["distributionDomainName"] =
                json!(format!("{}.cloudfront.localhost", random_id(13)));
            info["distributionHostedZoneId"] = json!("Z2FDTNDATAQYW2");
        }
        crate::copy_members(
            &input,
            &mut info,
            &[
                "certificateName",
                "regionalCertificateName",
                "tags",
                "policy",
                "mutualTlsAuthentication",
                "endpointAccessMode",
            ],
        );
        let key = Self::domain_key(ctx, &name);
        let (domains, hosts) = (self.domains.clone(), self.domain_hosts.clone());
        let record = DomainName {
            info: info.clone(),
            mappings: BTreeMap::new(),
        };
        self.store.write(|txn| {
            if txn.get(&domains, &key).map_err(AwsError::from)?.is_some() {
                return Err(ApigatewayError::Conflict {
                    message: "The domain name you provided already exists.".into(),
                }
                .into());
            }
            txn.put(&domains, &key, &record).map_err(AwsError::from)?;
            txn.put(&hosts, &name, &key).map_err(AwsError::from)?;
            if regional {
                txn.put(&hosts, &regional_name, &key)
                    .map_err(AwsError::from)?;
            }
            Ok::<_, AwsError>(())
        })?;
        Ok(info)
    }

    /// `GetDomainName`.
    pub(crate) fn get_domain_name(&self, ctx: &RequestContext, input: Value) -> OpResult {
        refuse_private(&input)?;
        Ok(self.domain(ctx, str_member(&input, "domainName"))?.1.info)
    }

    /// `GetDomainNames`.
    pub(crate) fn get_domain_names(&self, ctx: &RequestContext, input: Value) -> OpResult {
        // Domains shared by other accounts: Gureum shares none.
        if input["resourceOwner"].as_str() == Some("OTHER_ACCOUNTS") {
            return page_by_position(Vec::new(), &input);
        }
        let prefix = Scope::regional(ctx).key("");
        let all = self.domains.scan_prefix(&prefix).map_err(AwsError::from)?;
        page_by_position(all.into_iter().map(|(_, d)| d.info).collect(), &input)
    }

    /// `DeleteDomainName`: with its mappings.
    pub(crate) fn delete_domain_name(&self, ctx: &RequestContext, input: Value) -> OpResult {
        refuse_private(&input)?;
        let (key, d) = self.domain(ctx, str_member(&input, "domainName"))?;
        let (domains, hosts) = (self.domains.clone(), self.domain_hosts.clone());
        self.store.write(|txn| {
            txn.delete(&domains, &key).map_err(AwsError::from)?;
            for host in [&d.info["domainName"], &d.info["regionalDomainName"]] {
                if let Some(h) = host.as_str() {
                    txn.delete(&hosts, h).map_err(AwsError::from)?;
                }
            }
            Ok::<_, AwsError>(())
        })?;
        Ok(json!({}))
    }

    /// Changes domain `name` and its mappings in one transaction.
    fn update_domain<R>(
        &self,
        ctx: &RequestContext,
        name: &str,
        change: impl FnOnce(&mut DomainName) -> Result<R, AwsError>,
    ) -> Result<R, AwsError> {
        let key = Self::domain_key(ctx, name);
        let table = self.domains.clone();
        self.store.write(|txn| {
            let Some(mut d) = txn.get(&table, &key).map_err(AwsError::from)? else {
                return Err(ApigatewayError::DomainNotFound.into());
            };
            let out = change(&mut d)?;
            txn.put(&table, &key, &d).map_err(AwsError::from)?;
            Ok(out)
        })
    }

    /// Checks that the mapped API (and stage, when named) exist.
    fn check_mapping_target(
        &self,
        ctx: &RequestContext,
        api: &str,
        stage: Option<&str>,
    ) -> Result<(), AwsError> {
        let (api_key, _) = self
            .api(ctx, api)
            .map_err(|_| bad_request("Invalid REST API identifier specified"))?;
        if let Some(s) = stage.filter(|s| !s.is_empty()) {
            if self
                .stages
                .get(&format!("{api_key}/{s}"))
                .map_err(AwsError::from)?
                .is_none()
            {
                return Err(bad_request("Invalid stage identifier specified"));
            }
        }
        Ok(())
    }

    /// `CreateBasePathMapping`.
    pub(crate) fn create_base_path_mapping(&self, ctx: &RequestContext, input: Value) -> OpResult {
        refuse_private(&input)?;
        let base = match str_member(&input, "basePath").trim_matches('/') {
            "" => NONE.to_string(),
            b => b.to_string(),
        };
        if base != NONE
            && !base
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-._+/".contains(c))
        {
            return Err(bad_request(format!("Invalid base path specified: {base}")));
        }
        let api = str_member(&input, "restApiId");
        let stage = input["stage"].as_str().filter(|s| !s.is_empty());
        self.check_mapping_target(ctx, api, stage)?;
        let mut mapping = json!({"basePath": base, "restApiId": api});
        if let Some(s) = stage {
            mapping["stage"] = json!(s);
        }
        self.update_domain(ctx, str_member(&input, "domainName"), |d| {
            if d.mappings.contains_key(&base) {
                return Err(ApigatewayError::Conflict {
                    message: "Base path already exists for this domain name".into(),
                }
                .into());
            }
            d.mappings.insert(base.clone(), mapping.clone());
            Ok(mapping)
        })
    }

    /// `GetBasePathMapping`.
    pub(crate) fn get_base_path_mapping(&self, ctx: &RequestContext, input: Value) -> OpResult {
        refuse_private(&input)?;
        let (_, d) = self.domain(ctx, str_member(&input, "domainName"))?;
        d.mappings
            .get(str_member(&input, "basePath"))
            .cloned()
            .ok_or_else(|| ApigatewayError::BasePathNotFound.into())
    }

    /// `GetBasePathMappings`.
    pub(crate) fn get_base_path_mappings(&self, ctx: &RequestContext, input: Value) -> OpResult {
        refuse_private(&input)?;
        let (_, d) = self.domain(ctx, str_member(&input, "domainName"))?;
        page_by_position(d.mappings.into_values().collect(), &input)
    }

    /// `DeleteBasePathMapping`.
    pub(crate) fn delete_base_path_mapping(&self, ctx: &RequestContext, input: Value) -> OpResult {
        refuse_private(&input)?;
        self.update_domain(ctx, str_member(&input, "domainName"), |d| {
            match d.mappings.remove(str_member(&input, "basePath")) {
                Some(_) => Ok(json!({})),
                None => Err(ApigatewayError::BasePathNotFound.into()),
            }
        })
    }

    /// `UpdateBasePathMapping`: `/basePath`, `/restapiId`, `/stage`.
    pub(crate) fn update_base_path_mapping(&self, ctx: &RequestContext, input: Value) -> OpResult {
        refuse_private(&input)?;
        let ops = patch::operations(&input)?;
        let old = str_member(&input, "basePath").to_string();
        let (_, d) = self.domain(ctx, str_member(&input, "domainName"))?;
        let mut m = d
            .mappings
            .get(&old)
            .cloned()
            .ok_or(ApigatewayError::BasePathNotFound)?;
        for op in &ops {
            match (op.op.as_str(), op.path.as_str()) {
                ("replace", "/basePath") => {
                    m["basePath"] = json!(op
                        .value
                        .as_deref()
                        .map(|b| b.trim_matches('/'))
                        .filter(|b| !b.is_empty())
                        .unwrap_or(NONE))
                }
                ("replace", "/restapiId") => {
                    m["restApiId"] = json!(op.value.clone().unwrap_or_default())
                }
                ("replace", "/stage") => patch::set_or_remove(&mut m, "stage", op.value.as_deref()),
                _ => return Err(patch::invalid(op)),
            }
        }
        self.check_mapping_target(ctx, str_member(&m, "restApiId"), m["stage"].as_str())?;
        self.update_domain(ctx, str_member(&input, "domainName"), |d| {
            d.mappings.remove(&old);
            let base = str_member(&m, "basePath").to_string();
            if d.mappings.contains_key(&base) {
                return Err(ApigatewayError::Conflict {
                    message: "Base path already exists for this domain name".into(),
                }
                .into());
            }
            d.mappings.insert(base, m.clone());
            Ok(m)
        })
    }

    /// The API and stage a request to custom domain `host` reaches by
    /// its `path`: `None` when the host is no domain here, `Some(None)`
    /// when no mapping matches (API Gateway answers 403 `Forbidden`).
    pub fn domain_target(&self, host: &str, path: &str) -> Option<Option<DomainTarget>> {
        let host = bare_host(host);
        let key = self.domain_hosts.get(&host).ok()??;
        let domain = self.domains.get(&key).ok()??;
        let trimmed = path.trim_start_matches('/');
        // The longest base path that is a whole prefix of the path wins.
        let best = domain
            .mappings
            .iter()
            .filter(|(base, _)| base.as_str() != NONE)
            .filter(|(base, _)| {
                trimmed == base.as_str() || trimmed.starts_with(&format!("{base}/"))
            })
            .max_by_key(|(base, _)| base.len())
            .map(|(base, m)| (trimmed[base.len()..].to_string(), m))
            .or_else(|| domain.mappings.get(NONE).map(|m| (trimmed.to_string(), m)));
        let Some((rest, mapping)) = best else {
            return Some(None);
        };
        let rest = format!("/{}", rest.trim_start_matches('/'));
        let api_id = str_member(mapping, "restApiId").to_string();
        Some(Some(match mapping["stage"].as_str() {
            Some(stage) => DomainTarget {
                api_id,
                stage: stage.to_string(),
                path: rest,
            },
            None => {
                let inner = rest.trim_start_matches('/');
                let (stage, after) = inner.split_once('/').unwrap_or((inner, ""));
                DomainTarget {
                    api_id,
                    stage: stage.to_string(),
                    path: format!("/{after}"),
                }
            }
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::DomainTarget;
    use crate::tests::{api, call, ok, service};
    use gureum_kit::certificates::{CertificateSource, Lookup, ServerCertificate};
    use serde_json::json;
    use std::sync::Arc;

    /// Every ARN ending in `issued` is ready; others are pending.
    struct Certificates;

    impl CertificateSource for Certificates {
        fn certificate(&self, arn: &str) -> Lookup {
            if arn.ends_with("issued") {
                Lookup::Ready(ServerCertificate {
                    chain_pem: String::new(),
                    key_pem: String::new(),
                    names: vec!["api.example.com".into()],
                })
            } else {
                Lookup::NotReady
            }
        }
    }

    #[test]
    fn a_pending_certificate_is_refused() {
        let svc = service();
        svc.set_certificates(Arc::new(Certificates));
        let e = call(
            &svc,
            "CreateDomainName",
            json!({"domainName": "a.example.com", "certificateArn": "arn:pending"}),
        )
        .expect_err("pending");
        assert_eq!(e.message, "Certificate arn:pending is not in ISSUED state");
    }

    #[test]
    fn the_longest_base_path_wins_and_the_root_mapping_catches_the_rest() {
        let svc = service();
        svc.set_certificates(Arc::new(Certificates));
        let (a, root) = api(&svc);
        let m = json!({"restApiId": a, "resourceId": root, "httpMethod": "GET"});
        let mut put = m.clone();
        put["authorizationType"] = json!("NONE");
        ok(&svc, "PutMethod", put);
        let mut integration = m;
        integration["type"] = json!("MOCK");
        ok(&svc, "PutIntegration", integration);
        ok(
            &svc,
            "CreateDomainName",
            json!({"domainName": "api.example.com", "certificateArn": "arn:issued"}),
        );
        for (base, stage) in [("", "root"), ("v1", "one"), ("v1/admin", "admin")] {
            ok(
                &svc,
                "CreateDeployment",
                json!({"restApiId": a, "stageName": stage}),
            );
            ok(
                &svc,
                "CreateBasePathMapping",
                json!({"domainName": "api.example.com", "basePath": base, "restApiId": a, "stage": stage}),
            );
        }
        let target = |path: &str| {
            svc.domain_target("API.example.com:4566", path)
                .expect("a domain")
                .expect("mapped")
        };
        let expect = |stage: &str, path: &str| DomainTarget {
            api_id: a.clone(),
            stage: stage.into(),
            path: path.into(),
        };
        assert_eq!(target("/v1/admin/users"), expect("admin", "/users"));
        assert_eq!(target("/v1/users"), expect("one", "/users"));
        assert_eq!(target("/v1"), expect("one", "/"));
        assert_eq!(target("/v10/x"), expect("root", "/v10/x"));
        assert_eq!(svc.domain_target("other.example.com", "/"), None);
    }
}
