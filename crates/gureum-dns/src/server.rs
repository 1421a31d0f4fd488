//! The listeners: one UDP socket and one TCP listener on the same port,
//! answering through an [`Authority`].

use crate::wire::{self, Answer, Question, Rcode, WireError};
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::task::JoinHandle;

/// How long a TCP client may stay silent before it is closed.
const TCP_IDLE: Duration = Duration::from_secs(10);
/// Queries answered on one TCP connection before it is closed.
const TCP_QUERIES_PER_CONNECTION: usize = 1000;
/// The most a UDP answer may be, whatever EDNS0 asks (RFC 6891 advises
/// staying under the path MTU; 4096 is the common ceiling).
const UDP_CEILING: u16 = 4096;

/// Incremental zone transfer.
const IXFR: u16 = 251;
/// Full zone transfer.
const AXFR: u16 = 252;

/// What answers questions: the zones' data and their routing.
pub trait Authority: Send + Sync + 'static {
    /// The answer to `question` asked by `source`. Must not block for
    /// long: it runs on the listener's task.
    fn answer(&self, question: &Question, source: IpAddr) -> Answer;
}

/// The answer bytes for one packet, or `None` when nothing should be sent
/// (a response, or bytes without a header). `tcp` lifts the size limit.
pub fn handle_packet(
    packet: &[u8],
    source: IpAddr,
    authority: &dyn Authority,
    tcp: bool,
) -> Option<Vec<u8>> {
    let query = match wire::parse_query(packet) {
        Ok(q) => q,
        Err(WireError::NotAQuery) if packet.get(2).is_some_and(|b| b & 0x80 != 0) => return None,
        Err(_) => return wire::formerr(packet),
    };
    let answer = if query.opcode != 0 {
        Answer::code(Rcode::NotImp)
    } else if query.question.qclass != 1 && query.question.qclass != 255 {
        Answer::code(Rcode::Refused)
    } else if query.question.qtype == IXFR || query.question.qtype == AXFR {
        // Zone transfers are not served: Route 53 refuses them too.
        Answer::code(Rcode::Refused)
    } else {
        authority.answer(&query.question, source)
    };
    let limit = if tcp {
        usize::from(u16::MAX)
    } else {
        usize::from(query.edns_udp_size.unwrap_or(512).clamp(512, UDP_CEILING))
    };
    Some(wire::encode_response(&query, &answer, limit))
}

/// Bound sockets, not yet serving.
pub struct DnsServer {
    udp: std::net::UdpSocket,
    tcp: std::net::TcpListener,
}

impl DnsServer {
    /// Binds UDP and TCP on `addr`; port 0 picks one free for both.
    pub fn bind(addr: SocketAddr) -> io::Result<DnsServer> {
        let mut last = None;
        // With port 0, the UDP port the OS picks may be taken for TCP:
        // try a few.
        for _ in 0..16 {
            let udp = std::net::UdpSocket::bind(addr)?;
            let port = udp.local_addr()?.port();
            match std::net::TcpListener::bind(SocketAddr::new(addr.ip(), port)) {
                Ok(tcp) => {
                    udp.set_nonblocking(true)?;
                    tcp.set_nonblocking(true)?;
                    return Ok(DnsServer { udp, tcp });
                }
                Err(e) if addr.port() == 0 && e.kind() == io::ErrorKind::AddrInUse => {
                    last = Some(e);
                }
                Err(e) => return Err(e),
            }
        }
        Err(last.unwrap_or_else(|| io::Error::other("no free port for DNS")))
    }

    /// The bound address (the same port for UDP and TCP).
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.udp.local_addr()
    }

    /// Serves on the current Tokio runtime until the handle is dropped.
    pub fn serve(self, authority: Arc<dyn Authority>) -> io::Result<DnsHandle> {
        let addr = self.local_addr()?;
        let udp = tokio::net::UdpSocket::from_std(self.udp)?;
        let tcp = tokio::net::TcpListener::from_std(self.tcp)?;
        let udp_task = tokio::spawn(serve_udp(udp, authority.clone()));
        let tcp_task = tokio::spawn(serve_tcp(tcp, authority));
        Ok(DnsHandle {
            addr,
            tasks: vec![udp_task, tcp_task],
        })
    }
}

/// A serving DNS server; dropping it stops it.
pub struct DnsHandle {
    addr: SocketAddr,
    tasks: Vec<JoinHandle<()>>,
}

impl DnsHandle {
    /// The address served (UDP and TCP).
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }
}

impl Drop for DnsHandle {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
    }
}

async fn serve_udp(socket: tokio::net::UdpSocket, authority: Arc<dyn Authority>) {
    let mut buf = vec![0u8; 4096];
    loop {
        let (n, peer) = match socket.recv_from(&mut buf).await {
            Ok(r) => r,
            Err(e) => {
                // ICMP port-unreachable from an earlier send surfaces here
                // on Linux; it says nothing about the socket.
                tracing::debug!(target: "gureum::dns", "udp receive: {e}");
                continue;
            }
        };
        if let Some(out) = handle_packet(&buf[..n], peer.ip(), authority.as_ref(), false) {
            let _ = socket.send_to(&out, peer).await;
        }
    }
}

async fn serve_tcp(listener: tokio::net::TcpListener, authority: Arc<dyn Authority>) {
    loop {
        let (stream, peer) = match listener.accept().await {
            Ok(a) => a,
            Err(e) => {
                tracing::debug!(target: "gureum::dns", "tcp accept: {e}");
                tokio::time::sleep(Duration::from_millis(20)).await;
                continue;
            }
        };
        let authority = authority.clone();
        tokio::spawn(async move {
            let _ = serve_tcp_connection(stream, peer.ip(), authority).await;
        });
    }
}

/// Length-prefixed messages (RFC 1035 §4.2.2), several per connection.
async fn serve_tcp_connection(
    mut stream: tokio::net::TcpStream,
    source: IpAddr,
    authority: Arc<dyn Authority>,
) -> io::Result<()> {
    let mut buf = Vec::new();
    for _ in 0..TCP_QUERIES_PER_CONNECTION {
        let mut len = [0u8; 2];
        match tokio::time::timeout(TCP_IDLE, stream.read_exact(&mut len)).await {
            Ok(Ok(_)) => {}
            _ => return Ok(()),
        }
        buf.resize(usize::from(u16::from_be_bytes(len)), 0);
        match tokio::time::timeout(TCP_IDLE, stream.read_exact(&mut buf)).await {
            Ok(Ok(_)) => {}
            _ => return Ok(()),
        }
        let Some(out) = handle_packet(&buf, source, authority.as_ref(), true) else {
            return Ok(());
        };
        let mut framed = Vec::with_capacity(out.len() + 2);
        framed.extend_from_slice(&(out.len() as u16).to_be_bytes());
        framed.extend_from_slice(&out);
        stream.write_all(&framed).await?;
    }
    Ok(())
}

#[cfg(test)]
#[path = "server_tests.rs"]
mod tests;
