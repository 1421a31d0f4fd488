//! A network load balancer's TCP listener: each connection goes to one
//! healthy target of the forwarded group, bytes copied both ways until
//! either side closes; a TLS listener terminates TLS first.

use super::{ActionView, ListenerView, Plane};
use parking_lot::RwLock;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

/// How long connecting to a target may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Accepts connections until aborted (which also ends its connections).
pub async fn serve(
    listener: tokio::net::TcpListener,
    view: Arc<RwLock<Arc<ListenerView>>>,
    plane: Arc<Plane>,
) {
    let mut connections = tokio::task::JoinSet::new();
    loop {
        let (mut client, _) = match listener.accept().await {
            Ok(a) => a,
            Err(_) => {
                tokio::time::sleep(Duration::from_millis(10)).await;
                continue;
            }
        };
        while connections.try_join_next().is_some() {}
        let view = view.read().clone();
        plane
            .counters
            .update(&view.scope, &view.load_balancer, |c| c.requests += 1);
        connections.spawn(async move {
            let Some(ActionView::Forward(groups)) = view.rules.last().map(|r| &r.action) else {
                return;
            };
            let Some((group, _)) = groups.first() else {
                return;
            };
            let Some(addr) = group.pick().and_then(|t| {
                t.in_flight.fetch_add(1, Ordering::Relaxed);
                let addr = t.addr;
                t.in_flight.fetch_sub(1, Ordering::Relaxed);
                addr
            }) else {
                return;
            };
            let Ok(Ok(mut upstream)) =
                tokio::time::timeout(CONNECT_TIMEOUT, tokio::net::TcpStream::connect(addr)).await
            else {
                return;
            };
            let _ = client.set_nodelay(true);
            let _ = upstream.set_nodelay(true);
            match view.tls.clone() {
                // A TLS listener: the target sees plaintext.
                Some(config) => {
                    let accept = tokio_rustls::TlsAcceptor::from(config).accept(client);
                    if let Ok(Ok(mut client)) = tokio::time::timeout(CONNECT_TIMEOUT, accept).await
                    {
                        let _ = tokio::io::copy_bidirectional(&mut client, &mut upstream).await;
                    }
                }
                None => {
                    let _ = tokio::io::copy_bidirectional(&mut client, &mut upstream).await;
                }
            }
        });
    }
}
