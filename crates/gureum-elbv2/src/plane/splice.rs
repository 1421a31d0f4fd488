//! Bytes copied both ways between a client and a target after an HTTP
//! upgrade (WebSocket), until either side closes or nothing moves for the
//! load balancer's idle timeout.
//!
//! One task per connection with a small buffer per direction: a thousand
//! held WebSockets cost a thousand tasks of ~2 × [`BUFFER`] bytes, not
//! the 2 × 8 KiB of `tokio::io::copy_bidirectional`.

use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// Bytes read at once in each direction (a WebSocket frame is usually
/// far smaller; a bigger one takes several reads).
pub const BUFFER: usize = 2048;

/// Why a splice ended.
#[derive(Debug, PartialEq, Eq)]
pub enum Ended {
    /// One side closed (or failed).
    Closed,
    /// No byte moved either way for the idle timeout.
    Idle,
}

/// Copies `a` ⇄ `b` until one side closes or `idle` passes without a
/// byte, then shuts both down.
pub async fn splice<A, B>(mut a: A, mut b: B, idle: Duration) -> Ended
where
    A: AsyncRead + AsyncWrite + Unpin,
    B: AsyncRead + AsyncWrite + Unpin,
{
    let mut from_a = [0u8; BUFFER];
    let mut from_b = [0u8; BUFFER];
    let ended = loop {
        // A write waits for the other side to take the bytes: the slow
        // reader holds the fast writer back instead of a buffer growing.
        tokio::select! {
            r = a.read(&mut from_a) => match r {
                Ok(n) if n > 0 => {
                    if b.write_all(&from_a[..n]).await.is_err() || b.flush().await.is_err() {
                        break Ended::Closed;
                    }
                }
                _ => break Ended::Closed,
            },
            r = b.read(&mut from_b) => match r {
                Ok(n) if n > 0 => {
                    if a.write_all(&from_b[..n]).await.is_err() || a.flush().await.is_err() {
                        break Ended::Closed;
                    }
                }
                _ => break Ended::Closed,
            },
            _ = tokio::time::sleep(idle) => break Ended::Idle,
        }
    };
    let _ = a.shutdown().await;
    let _ = b.shutdown().await;
    ended
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn bytes_cross_both_ways_until_one_side_closes() {
        let (mut client, lb_client) = tokio::io::duplex(64);
        let (lb_target, mut target) = tokio::io::duplex(64);
        let task = tokio::spawn(splice(lb_client, lb_target, Duration::from_secs(5)));
        client.write_all(b"ping").await.expect("write");
        let mut buf = [0u8; 4];
        target.read_exact(&mut buf).await.expect("read");
        assert_eq!(&buf, b"ping");
        // More than one buffer's worth crosses intact.
        let big = vec![7u8; BUFFER * 3 + 5];
        let writer = tokio::spawn(async move {
            target.write_all(&big).await.expect("write");
            target
        });
        let mut got = vec![0u8; BUFFER * 3 + 5];
        client.read_exact(&mut got).await.expect("read");
        assert!(got.iter().all(|b| *b == 7));
        drop(writer.await.expect("join"));
        assert_eq!(task.await.expect("join"), Ended::Closed);
    }

    #[tokio::test]
    async fn a_silent_connection_ends_at_the_idle_timeout() {
        let (_client, lb_client) = tokio::io::duplex(64);
        let (lb_target, _target) = tokio::io::duplex(64);
        let ended = splice(lb_client, lb_target, Duration::from_millis(50)).await;
        assert_eq!(ended, Ended::Idle);
    }
}
