//! CloudFront's edge over HTTPS: one TLS port (OS-chosen, on the API's
//! address, listed in the health endpoint as `cloudfront_https`) whose
//! certificate is chosen by SNI — a distribution's alias gets its
//! `ViewerCertificate.ACMCertificateArn` certificate, the CloudFront
//! domains (`*.cloudfront.net`, `*.cloudfront.localhost`) a certificate
//! from Gureum's local CA made at start — and whose requests go through
//! the same pipeline as the main port's, marked [`ViewerHttps`] so the
//! edge enforces `ViewerProtocolPolicy`. A name with no certificate fails
//! the handshake, as CloudFront's does. TLS is rustls with ring, through
//! the helpers ELBv2's HTTPS listeners use.

use crate::pipeline::AppState;
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use parking_lot::Mutex;
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;
use std::collections::HashMap;
use std::convert::Infallible;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Weak};
use std::time::Duration;

/// Marks a request that reached the edge over HTTPS.
#[derive(Clone, Copy, Debug)]
pub struct ViewerHttps;

/// How long a client has to finish the handshake.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// The names the local CA's edge certificate is for.
const EDGE_NAMES: [&str; 2] = ["*.cloudfront.net", "*.cloudfront.localhost"];

/// Certificates by SNI.
struct EdgeCerts {
    state: Weak<AppState>,
    default: Arc<CertifiedKey>,
    /// Alias certificates by ARN, with the chain they were built from
    /// (rebuilt when ACM renews one).
    by_arn: Mutex<HashMap<String, (String, Arc<CertifiedKey>)>>,
}

impl std::fmt::Debug for EdgeCerts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("EdgeCerts")
    }
}

impl ResolvesServerCert for EdgeCerts {
    fn resolve(&self, hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        let Some(host) = hello.server_name() else {
            return Some(self.default.clone());
        };
        let host = host.to_ascii_lowercase();
        if gureum_kit::certificates::covers(&EDGE_NAMES.map(String::from), &host) {
            return Some(self.default.clone());
        }
        let state = self.state.upgrade()?;
        let cloudfront = &state.registry.cloudfront;
        let arn = cloudfront.edge_for_host(&host)?.certificate_arn.clone()?;
        let cert = cloudfront.viewer_certificate(&arn)?;
        if !gureum_kit::certificates::covers(&cert.names, &host) {
            return None;
        }
        let mut cache = self.by_arn.lock();
        if let Some((chain, key)) = cache.get(&arn) {
            if *chain == cert.chain_pem {
                return Some(key.clone());
            }
        }
        let key = gureum_elbv2::plane::tls::certified(&cert).ok()?;
        cache.insert(arn, (cert.chain_pem, key.clone()));
        Some(key)
    }
}

/// The local CA's certificate for the CloudFront domains.
fn edge_certificate(state: &AppState) -> Result<Arc<CertifiedKey>, String> {
    let ca = state.registry.acm.ca().map_err(|e| e.message)?;
    let names: Vec<String> = EDGE_NAMES.map(String::from).to_vec();
    let issued = ca
        .issue(&names, "EC_prime256v1", state.clock.now_millis())
        .map_err(|e| e.message)?;
    gureum_elbv2::plane::tls::certified(&gureum_kit::certificates::ServerCertificate {
        chain_pem: format!("{}{}", issued.cert_pem, ca.chain_pem()),
        key_pem: issued.key_pem,
        names,
    })
}

/// The running HTTPS edge; dropping it closes the port.
pub(crate) struct EdgeTls(tokio::task::AbortHandle);

impl Drop for EdgeTls {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Starts the HTTPS edge on the API's address, logging why when it cannot.
pub(crate) async fn start_on(
    state: Arc<AppState>,
    api: std::io::Result<SocketAddr>,
) -> Option<EdgeTls> {
    let host = api.map_or(IpAddr::V4(std::net::Ipv4Addr::LOCALHOST), |a| a.ip());
    match start(state, host).await {
        Ok(task) => Some(EdgeTls(task)),
        Err(e) => {
            tracing::warn!(target: "gureum", "cloudfront https edge: {e}");
            None
        }
    }
}

/// Starts the HTTPS edge on `host` (a free port); the task stops with the
/// returned handle.
async fn start(state: Arc<AppState>, host: IpAddr) -> Result<tokio::task::AbortHandle, String> {
    let default = edge_certificate(&state)?;
    let resolver = EdgeCerts {
        state: Arc::downgrade(&state),
        default,
        by_arn: Mutex::new(HashMap::new()),
    };
    let mut config =
        rustls::ServerConfig::builder_with_provider(gureum_elbv2::plane::tls::provider())
            .with_safe_default_protocol_versions()
            .map_err(|e| e.to_string())?
            .with_no_client_auth()
            .with_cert_resolver(Arc::new(resolver));
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = tokio::net::TcpListener::bind((host, 0))
        .await
        .map_err(|e| e.to_string())?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    state.registry.cloudfront.set_https_endpoint(addr);
    let task = tokio::spawn(async move {
        loop {
            let Ok((stream, remote)) = listener.accept().await else {
                tokio::time::sleep(Duration::from_millis(10)).await;
                continue;
            };
            let _ = stream.set_nodelay(true);
            let (acceptor, state) = (acceptor.clone(), state.clone());
            tokio::spawn(async move {
                let accept = acceptor.accept(stream);
                if let Ok(Ok(tls)) = tokio::time::timeout(HANDSHAKE_TIMEOUT, accept).await {
                    serve(TokioIo::new(tls), remote, state).await;
                }
            });
        }
    });
    Ok(task.abort_handle())
}

/// Serves one HTTPS connection through the pipeline.
async fn serve<I>(io: I, remote: SocketAddr, state: Arc<AppState>)
where
    I: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
{
    let service = service_fn(move |mut req: hyper::Request<hyper::body::Incoming>| {
        let state = state.clone();
        req.extensions_mut().insert(ViewerHttps);
        async move { Ok::<_, Infallible>(crate::serve::respond(&state, req, remote).await) }
    });
    let _ = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new())
        .http1()
        .keep_alive(true)
        .serve_connection(io, service)
        .await;
}
