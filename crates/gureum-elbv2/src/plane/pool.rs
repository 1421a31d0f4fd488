//! Keep-alive connections to targets, so a proxied request costs no
//! connect: an idle HTTP/1.1 sender per connection, by target address;
//! for `HTTP2`/`GRPC` groups one multiplexed HTTP/2 connection per target.

use hyper::body::Incoming;
use hyper::client::conn::http1::SendRequest;
use hyper_util::rt::TokioIo;
use parking_lot::Mutex;
use std::collections::HashMap;
use std::net::SocketAddr;

/// Idle connections kept per target.
const MAX_IDLE: usize = 64;

/// Idle senders by target address.
#[derive(Default)]
pub struct Pool {
    idle: Mutex<HashMap<SocketAddr, Vec<SendRequest<Incoming>>>>,
    h2: Mutex<HashMap<SocketAddr, hyper::client::conn::http2::SendRequest<Incoming>>>,
}

impl Pool {
    /// An idle sender to `addr` still ready for a request.
    pub fn idle(&self, addr: SocketAddr) -> Option<SendRequest<Incoming>> {
        let mut idle = self.idle.lock();
        let list = idle.get_mut(&addr)?;
        while let Some(s) = list.pop() {
            if s.is_ready() {
                return Some(s);
            }
        }
        None
    }

    /// A sender on a new connection to `addr`.
    pub async fn connect(&self, addr: SocketAddr) -> std::io::Result<SendRequest<Incoming>> {
        let stream = tokio::net::TcpStream::connect(addr).await?;
        let _ = stream.set_nodelay(true);
        let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .map_err(std::io::Error::other)?;
        tokio::spawn(async move {
            let _ = conn.await;
        });
        Ok(sender)
    }

    /// Returns a sender after its response: kept when the connection
    /// stays open.
    pub fn put(&self, addr: SocketAddr, sender: SendRequest<Incoming>) {
        if sender.is_closed() {
            return;
        }
        let mut idle = self.idle.lock();
        let list = idle.entry(addr).or_default();
        if list.len() < MAX_IDLE {
            list.push(sender);
        }
    }

    /// The HTTP/2 connection to `addr` (cleartext, prior knowledge),
    /// opened when there is none or it closed.
    pub async fn get_h2(
        &self,
        addr: SocketAddr,
    ) -> std::io::Result<hyper::client::conn::http2::SendRequest<Incoming>> {
        let open = self
            .h2
            .lock()
            .get(&addr)
            .filter(|s| !s.is_closed())
            .cloned();
        if let Some(s) = open {
            return Ok(s);
        }
        let stream = tokio::net::TcpStream::connect(addr).await?;
        let _ = stream.set_nodelay(true);
        let (sender, conn) = hyper::client::conn::http2::handshake(
            hyper_util::rt::TokioExecutor::new(),
            TokioIo::new(stream),
        )
        .await
        .map_err(std::io::Error::other)?;
        tokio::spawn(async move {
            let _ = conn.await;
        });
        self.h2.lock().insert(addr, sender.clone());
        Ok(sender)
    }
}
