//! TLS for HTTPS and TLS listeners: a rustls server configuration (ring)
//! per listener from its ACM certificates — the one whose names match the
//! client's SNI, else the default — and protocol versions from its
//! `SslPolicy`. Built again only when a certificate's content changes
//! (a renewal, AddListenerCertificates), so a sync each second costs a
//! store read per certificate, not a key parse.

use gureum_kit::certificates::{covers, CertificateSource, Lookup, ServerCertificate};
use parking_lot::Mutex;
use rustls::pki_types::CertificateDer;
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;
use std::collections::HashMap;
use std::sync::Arc;

/// A certificate ready to present, with the names it answers for.
#[derive(Debug)]
struct Served {
    names: Vec<String>,
    key: Arc<CertifiedKey>,
}

/// Picks a listener's certificate by SNI.
#[derive(Debug)]
struct BySni {
    default: Arc<CertifiedKey>,
    others: Vec<Served>,
}

impl ResolvesServerCert for BySni {
    fn resolve(&self, hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        if let Some(host) = hello.server_name() {
            if let Some(s) = self.others.iter().find(|s| covers(&s.names, host)) {
                return Some(s.key.clone());
            }
        }
        Some(self.default.clone())
    }
}

/// A certificate and its key as rustls presents them (ring signer); the
/// CloudFront edge's HTTPS port uses it too.
pub fn certified(c: &ServerCertificate) -> Result<Arc<CertifiedKey>, String> {
    let chain: Vec<CertificateDer<'static>> = rustls_pemfile::certs(&mut c.chain_pem.as_bytes())
        .collect::<Result<_, _>>()
        .map_err(|e| format!("certificate: {e}"))?;
    let key = rustls_pemfile::private_key(&mut c.key_pem.as_bytes())
        .map_err(|e| format!("key: {e}"))?
        .ok_or("no private key")?;
    let signer = rustls::crypto::ring::sign::any_supported_type(&key).map_err(|e| e.to_string())?;
    Ok(Arc::new(CertifiedKey::new(chain, signer)))
}

/// The protocol versions of an ELB security policy: TLS 1.3 only for the
/// `TLS13-1-3` policies, 1.2 and 1.3 for the other `TLS13` ones, 1.2
/// otherwise (rustls has no 1.0 or 1.1, which older policies also allow).
fn versions(policy: &str) -> &'static [&'static rustls::SupportedProtocolVersion] {
    static TLS13_ONLY: [&rustls::SupportedProtocolVersion; 1] = [&rustls::version::TLS13];
    static TLS12_AND_13: [&rustls::SupportedProtocolVersion; 2] =
        [&rustls::version::TLS13, &rustls::version::TLS12];
    static TLS12_ONLY: [&rustls::SupportedProtocolVersion; 1] = [&rustls::version::TLS12];
    if policy.contains("TLS13-1-3") {
        &TLS13_ONLY
    } else if policy.contains("TLS13") {
        &TLS12_AND_13
    } else {
        &TLS12_ONLY
    }
}

/// ring's provider. Deprecated in rustls for lacking post-quantum key
/// exchange; ring is chosen to keep the build free of aws-lc's C/cmake
/// toolchain, and a local load balancer needs no post-quantum exchange.
#[allow(deprecated)]
pub fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// Server configurations by listener, rebuilt when their inputs change.
#[derive(Default)]
pub struct TlsConfigs {
    cache: Mutex<HashMap<String, (String, Arc<rustls::ServerConfig>)>>,
}

impl TlsConfigs {
    /// The configuration of listener `arn` serving `certificates` (the
    /// default first) under `policy`; `Err` says why it cannot serve.
    pub fn config(
        &self,
        source: &dyn CertificateSource,
        arn: &str,
        certificates: &[(String, bool)],
        policy: &str,
        http: bool,
    ) -> Result<Arc<rustls::ServerConfig>, String> {
        let mut ready = Vec::new();
        for (cert_arn, default) in certificates {
            match source.certificate(cert_arn) {
                Lookup::Ready(c) => ready.push((c, *default)),
                _ if *default => return Err(format!("certificate {cert_arn} is not issued")),
                _ => {}
            }
        }
        let fingerprint = format!(
            "{policy}|{http}|{}",
            ready
                .iter()
                .map(|(c, d)| format!("{d}{}", c.chain_pem))
                .collect::<String>()
        );
        if let Some((f, config)) = self.cache.lock().get(arn) {
            if *f == fingerprint {
                return Ok(config.clone());
            }
        }
        let mut default = None;
        let mut others = Vec::new();
        for (c, is_default) in &ready {
            let key = certified(c)?;
            if *is_default && default.is_none() {
                default = Some(key);
            } else {
                others.push(Served {
                    names: c.names.clone(),
                    key,
                });
            }
        }
        let default = default.ok_or("no default certificate")?;
        let mut config = rustls::ServerConfig::builder_with_provider(provider())
            .with_protocol_versions(versions(policy))
            .map_err(|e| e.to_string())?
            .with_no_client_auth()
            .with_cert_resolver(Arc::new(BySni { default, others }));
        if http {
            // HTTPS listeners speak HTTP/2 to clients that offer it.
            config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        }
        let config = Arc::new(config);
        self.cache
            .lock()
            .insert(arn.to_string(), (fingerprint, config.clone()));
        Ok(config)
    }

    /// Forgets listeners no longer running.
    pub fn retain(&self, keep: impl Fn(&str) -> bool) {
        self.cache.lock().retain(|arn, _| keep(arn));
    }
}
