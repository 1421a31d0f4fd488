//! Connection management: a cap on open connections, timeouts for
//! connections that say nothing, and eviction of idle ones under pressure.
//!
//! Every accepted socket is wrapped in [`IdleIo`], which fails its next read
//! (so hyper closes the connection) when no request is in flight and the
//! socket has been quiet for too long: [`Limits::first_byte`] before the
//! first byte, [`Limits::idle`] between keep-alive requests. When the
//! number of open connections reaches [`Limits::max_connections`] (kept
//! under the file-descriptor limit), the accept loop evicts the connection
//! that has been idle longest before it takes a new one, so idle sockets
//! alone can never lock a client out; a request in flight is never cut.

use atomic_waker::AtomicWaker;
use parking_lot::Mutex;
use std::collections::HashMap;
use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::Sleep;

/// File descriptors kept free for the store, logs and outgoing work.
const RESERVED_FDS: u64 = 64;

/// The connection limits.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Open connections at most.
    pub max_connections: usize,
    /// How long a new connection may stay silent.
    pub first_byte: Duration,
    /// How long a keep-alive connection may idle between requests.
    pub idle: Duration,
}

impl Limits {
    /// Limits for this process: the connection cap under the (raised)
    /// file-descriptor limit.
    pub fn for_process() -> Limits {
        let fds = raise_fd_limit();
        Limits {
            max_connections: fds.saturating_sub(RESERVED_FDS).clamp(16, 65_536) as usize,
            first_byte: Duration::from_secs(10),
            // hyper's header timeout closes a keep-alive connection that
            // starts no request within 10 s; the same limit here.
            idle: Duration::from_secs(10),
        }
    }
}

/// Raises the soft file-descriptor limit to the hard one where the OS
/// allows, and returns the limit in force.
pub fn raise_fd_limit() -> u64 {
    use rustix::process::{getrlimit, setrlimit, Resource};
    let current = getrlimit(Resource::Nofile);
    let soft = current.current.unwrap_or(1024);
    let hard = current.maximum.unwrap_or(1 << 20).min(1 << 20);
    if hard > soft {
        let raised = rustix::process::Rlimit {
            current: Some(hard),
            maximum: current.maximum,
        };
        if setrlimit(Resource::Nofile, raised).is_ok() {
            return hard;
        }
    }
    soft
}

/// What a connection's socket and its requests share.
#[derive(Debug)]
pub struct Activity {
    /// Requests being answered (no timeout or eviction while non-zero).
    in_flight: AtomicUsize,
    /// Milliseconds since the tracker's epoch of the last byte in or out.
    last: AtomicU64,
    /// Whether a byte ever arrived.
    spoke: AtomicBool,
    /// Asked to close at its next idle moment.
    evicted: AtomicBool,
    /// Wakes the connection's read when it is evicted.
    waker: AtomicWaker,
}

impl Activity {
    /// A request started on this connection; the guard ends it.
    pub fn request(self: &Arc<Self>) -> InFlight {
        self.in_flight.fetch_add(1, Ordering::AcqRel);
        InFlight(self.clone())
    }
}

/// A request in flight; dropping it marks the connection active again.
#[derive(Debug)]
pub struct InFlight(Arc<Activity>);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::AcqRel);
    }
}

/// Every open connection, for the cap and for eviction.
#[derive(Debug)]
pub struct Tracker {
    limits: Limits,
    epoch: Instant,
    next_id: AtomicU64,
    open: Mutex<HashMap<u64, Arc<Activity>>>,
}

impl Tracker {
    /// An empty tracker.
    pub fn new(limits: Limits) -> Arc<Tracker> {
        Arc::new(Tracker {
            limits,
            epoch: Instant::now(),
            next_id: AtomicU64::new(0),
            open: Mutex::new(HashMap::new()),
        })
    }

    /// The limits in force.
    pub fn limits(&self) -> Limits {
        self.limits
    }

    fn now_ms(&self) -> u64 {
        self.epoch.elapsed().as_millis() as u64
    }

    /// Connections open now.
    pub fn open(&self) -> usize {
        self.open.lock().len()
    }

    /// Before accepting: when at the cap, evicts the connection idle
    /// longest. Returns false when every connection is busy.
    pub fn make_room(&self) -> bool {
        let open = self.open.lock();
        if open.len() < self.limits.max_connections {
            return true;
        }
        self.evict_idlest(&open)
    }

    /// Evicts the connection idle longest (silent ones first); false when
    /// none is idle.
    pub fn evict_one(&self) -> bool {
        let open = self.open.lock();
        self.evict_idlest(&open)
    }

    fn evict_idlest(&self, open: &HashMap<u64, Arc<Activity>>) -> bool {
        let victim = open
            .values()
            .filter(|a| {
                a.in_flight.load(Ordering::Acquire) == 0 && !a.evicted.load(Ordering::Acquire)
            })
            .min_by_key(|a| {
                (
                    a.spoke.load(Ordering::Relaxed),
                    a.last.load(Ordering::Relaxed),
                )
            });
        match victim {
            Some(a) => {
                a.evicted.store(true, Ordering::Release);
                a.waker.wake();
                true
            }
            None => false,
        }
    }

    /// Registers an accepted socket.
    pub fn wrap<T>(self: &Arc<Self>, io: T) -> IdleIo<T> {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let activity = Arc::new(Activity {
            in_flight: AtomicUsize::new(0),
            last: AtomicU64::new(self.now_ms()),
            spoke: AtomicBool::new(false),
            evicted: AtomicBool::new(false),
            waker: AtomicWaker::new(),
        });
        self.open.lock().insert(id, activity.clone());
        IdleIo {
            io,
            id,
            activity,
            tracker: self.clone(),
            sleep: Box::pin(tokio::time::sleep(self.limits.first_byte)),
        }
    }
}

/// A socket that times out when idle (see the module docs).
#[derive(Debug)]
pub struct IdleIo<T> {
    io: T,
    id: u64,
    activity: Arc<Activity>,
    tracker: Arc<Tracker>,
    sleep: Pin<Box<Sleep>>,
}

impl<T> IdleIo<T> {
    /// The activity its requests report to.
    pub fn activity(&self) -> Arc<Activity> {
        self.activity.clone()
    }

    fn touch(&self) {
        self.activity
            .last
            .store(self.tracker.now_ms(), Ordering::Relaxed);
    }

    /// Pending, unless the connection is idle past its limit or evicted.
    fn idle_check(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let a = &self.activity;
        if a.in_flight.load(Ordering::Acquire) > 0 {
            return Poll::Pending;
        }
        a.waker.register(cx.waker());
        if a.evicted.load(Ordering::Acquire) {
            return Poll::Ready(Err(io::Error::new(
                io::ErrorKind::TimedOut,
                "evicted: the server is at its connection limit",
            )));
        }
        let limit = if a.spoke.load(Ordering::Relaxed) {
            self.tracker.limits.idle
        } else {
            self.tracker.limits.first_byte
        };
        let deadline_ms = a.last.load(Ordering::Relaxed) + limit.as_millis() as u64;
        let deadline = self.tracker.epoch + Duration::from_millis(deadline_ms);
        if Instant::now() >= deadline {
            return Poll::Ready(Err(io::Error::new(io::ErrorKind::TimedOut, "idle")));
        }
        // The timer is re-armed only when it fires early (activity moved
        // the deadline on) or would fire late: not once per request.
        let deadline = tokio::time::Instant::from_std(deadline);
        if self.sleep.deadline() > deadline || self.sleep.is_elapsed() {
            self.sleep.as_mut().reset(deadline);
        }
        match self.sleep.as_mut().poll(cx) {
            Poll::Ready(()) => {
                // Fired at an older deadline: re-arm at the current one.
                self.sleep.as_mut().reset(deadline);
                match self.sleep.as_mut().poll(cx) {
                    Poll::Ready(()) => {
                        Poll::Ready(Err(io::Error::new(io::ErrorKind::TimedOut, "idle")))
                    }
                    Poll::Pending => Poll::Pending,
                }
            }
            Poll::Pending => Poll::Pending,
        }
    }
}

use std::future::Future as _;

impl<T> Drop for IdleIo<T> {
    fn drop(&mut self) {
        self.tracker.open.lock().remove(&self.id);
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for IdleIo<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        match Pin::new(&mut self.io).poll_read(cx, buf) {
            Poll::Ready(Ok(())) => {
                if buf.filled().len() > before {
                    self.activity.spoke.store(true, Ordering::Relaxed);
                    self.touch();
                }
                Poll::Ready(Ok(()))
            }
            Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
            Poll::Pending => self.idle_check(cx),
        }
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for IdleIo<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<io::Result<usize>> {
        let r = Pin::new(&mut self.io).poll_write(cx, data);
        if matches!(r, Poll::Ready(Ok(n)) if n > 0) {
            self.touch();
        }
        r
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let r = Pin::new(&mut self.io).poll_write_vectored(cx, bufs);
        if matches!(r, Poll::Ready(Ok(n)) if n > 0) {
            self.touch();
        }
        r
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::AsyncReadExt;

    fn limits(max: usize) -> Limits {
        Limits {
            max_connections: max,
            first_byte: Duration::from_millis(100),
            idle: Duration::from_millis(200),
        }
    }

    #[tokio::test]
    async fn a_silent_connection_times_out_after_the_first_byte_limit() {
        let tracker = Tracker::new(limits(10));
        let (client, server) = tokio::io::duplex(64);
        let mut io = tracker.wrap(server);
        let started = Instant::now();
        let mut buf = [0u8; 8];
        let e = io.read(&mut buf).await.expect_err("times out");
        assert_eq!(e.kind(), io::ErrorKind::TimedOut);
        assert!(started.elapsed() >= Duration::from_millis(90));
        drop(client);
    }

    #[tokio::test]
    async fn a_request_in_flight_is_never_timed_out() {
        let tracker = Tracker::new(limits(10));
        let (_client, server) = tokio::io::duplex(64);
        let mut io = tracker.wrap(server);
        let guard = io.activity().request();
        let mut buf = [0u8; 8];
        let r = tokio::time::timeout(Duration::from_millis(400), io.read(&mut buf)).await;
        assert!(r.is_err(), "still waiting, not timed out");
        drop(guard);
    }

    #[tokio::test]
    async fn at_the_cap_the_idlest_connection_is_evicted() {
        let tracker = Tracker::new(Limits {
            first_byte: Duration::from_secs(60),
            ..limits(2)
        });
        let (_c1, s1) = tokio::io::duplex(64);
        let (_c2, s2) = tokio::io::duplex(64);
        let mut old = tracker.wrap(s1);
        let busy = tracker.wrap(s2);
        let _guard = busy.activity().request();
        assert!(tracker.make_room(), "the idle one can go");
        let mut buf = [0u8; 8];
        let e = old.read(&mut buf).await.expect_err("evicted");
        assert!(e.to_string().contains("connection limit"));
        drop(old);
        assert_eq!(tracker.open(), 1);
        assert!(tracker.make_room(), "below the cap again");
    }

    #[tokio::test]
    async fn when_every_connection_is_busy_nothing_is_evicted() {
        let tracker = Tracker::new(limits(1));
        let (_c, s) = tokio::io::duplex(64);
        let busy = tracker.wrap(s);
        let _guard = busy.activity().request();
        assert!(!tracker.make_room());
    }
}
