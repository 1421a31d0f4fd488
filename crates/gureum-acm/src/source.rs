//! ACM as the kit's [`CertificateSource`]: what an HTTPS listener serves.

use crate::AcmService;
use gureum_kit::certificates::{CertificateSource, Lookup, ServerCertificate};

impl CertificateSource for AcmService {
    fn certificate(&self, arn: &str) -> Lookup {
        let Some(key) = crate::certificates::key_of_arn(arn) else {
            return Lookup::Missing;
        };
        match self.certificates.get(&key) {
            Ok(Some(c)) => match (&c.cert_pem, &c.key_pem, c.status.as_str()) {
                (Some(cert), Some(key), "ISSUED") => Lookup::Ready(ServerCertificate {
                    chain_pem: format!(
                        "{}\n{}",
                        cert.trim_end(),
                        c.chain_pem.as_deref().unwrap_or_default()
                    ),
                    key_pem: key.clone(),
                    names: c.sans.clone(),
                }),
                _ => Lookup::NotReady,
            },
            _ => Lookup::Missing,
        }
    }
}
