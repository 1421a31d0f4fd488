//! The seam between ACM, which holds certificates and their keys, and the
//! services that serve TLS with them (ELBv2's HTTPS and TLS listeners):
//! they read a certificate by ARN through [`CertificateSource`] and never
//! see ACM's tables; ACM asks [`CertificateUsers`] who uses one
//! (`InUseBy`, and whether `DeleteCertificate` must refuse).

/// A certificate ready to serve: PEM chain (leaf first) and its key.
#[derive(Clone, Debug, PartialEq)]
pub struct ServerCertificate {
    /// The leaf, then the chain up to (and including) the root, PEM.
    pub chain_pem: String,
    /// The leaf's private key, PKCS#8 PEM.
    pub key_pem: String,
    /// The names it is for (`*.example.com` included as such), for SNI.
    pub names: Vec<String>,
}

/// Whether a certificate for `names` serves `host` (`*.example.com`
/// covers exactly one label below `example.com`), case-insensitively.
pub fn covers(names: &[String], host: &str) -> bool {
    names.iter().any(|n| match n.strip_prefix("*.") {
        Some(parent) => host
            .split_once('.')
            .is_some_and(|(first, rest)| !first.is_empty() && rest.eq_ignore_ascii_case(parent)),
        None => n.eq_ignore_ascii_case(host),
    })
}

/// How a certificate ARN looks up, for a service that uses it.
#[derive(Clone, Debug, PartialEq)]
pub enum Lookup {
    /// An issued (or imported) certificate, with its key.
    Ready(ServerCertificate),
    /// It exists but is not issued (pending validation, failed, expired).
    NotReady,
    /// No such certificate in the ARN's account and region.
    Missing,
}

/// ACM, as a service that serves TLS reads it.
pub trait CertificateSource: Send + Sync {
    /// The certificate `arn` names.
    fn certificate(&self, arn: &str) -> Lookup;
}

/// No ACM: every certificate is missing.
pub struct NoCertificates;

impl CertificateSource for NoCertificates {
    fn certificate(&self, _arn: &str) -> Lookup {
        Lookup::Missing
    }
}

/// The services that use certificates, as ACM asks them.
pub trait CertificateUsers: Send + Sync {
    /// The ARNs of the resources (load balancers) using `certificate_arn`.
    fn users(&self, certificate_arn: &str) -> Vec<String>;
}

/// Nothing uses certificates.
pub struct NoUsers;

impl CertificateUsers for NoUsers {
    fn users(&self, _certificate_arn: &str) -> Vec<String> {
        Vec::new()
    }
}

#[cfg(test)]
mod tests {
    use super::covers;

    #[test]
    fn a_wildcard_covers_one_label_only() {
        let names = vec!["*.example.test".to_string()];
        assert!(covers(&names, "app.example.test"));
        assert!(covers(&names, "APP.Example.test"));
        assert!(!covers(&names, "a.b.example.test"));
        assert!(!covers(&names, "example.test"));
    }
}
