//! A connection task that polls itself again, instead of yielding, when it
//! wakes itself.
//!
//! hyper's HTTP/1 dispatcher hands a request body to the service through a
//! channel whose two ends live in the same task: taking a chunk wakes the
//! sender, which is the running task itself. Tokio answers a wake during a
//! poll by re-queuing the task as a yield, and a yield notifies a parked
//! worker (a futex or eventfd write, then that worker's wake-up and return
//! to sleep) — on a small VM those context switches cost more than a small
//! PutObject. [`Repoll`] catches wakes that arrive while the connection is
//! being polled and polls again at once, a bounded number of times; wakes
//! from anywhere else reach Tokio's waker as usual.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};

use atomic_waker::AtomicWaker;

/// Polls in a row before a self-waking task yields to the scheduler after
/// all (hyper's own fairness yields, an exhausted coop budget).
const MAX_REPOLLS: usize = 4;

const POLLING: u8 = 1;
const WOKEN: u8 = 2;

/// Wraps a connection future; see the module docs.
pub(crate) struct Repoll<F> {
    inner: Pin<Box<F>>,
    shared: Arc<Shared>,
    waker: Waker,
}

struct Shared {
    state: AtomicU8,
    /// The scheduler's waker from the latest poll.
    outer: AtomicWaker,
}

impl Wake for Shared {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        let before = self.state.fetch_or(WOKEN, Ordering::AcqRel);
        if before & POLLING == 0 {
            self.outer.wake();
        }
    }
}

impl<F: Future> Repoll<F> {
    pub(crate) fn new(inner: F) -> Self {
        let shared = Arc::new(Shared {
            state: AtomicU8::new(0),
            outer: AtomicWaker::new(),
        });
        Repoll {
            inner: Box::pin(inner),
            waker: Waker::from(shared.clone()),
            shared,
        }
    }
}

impl<F: Future> Future for Repoll<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.get_mut();
        this.shared.outer.register(cx.waker());
        let mut inner_cx = Context::from_waker(&this.waker);
        for _ in 0..MAX_REPOLLS {
            this.shared.state.store(POLLING, Ordering::Release);
            if let Poll::Ready(out) = this.inner.as_mut().poll(&mut inner_cx) {
                this.shared.state.store(0, Ordering::Release);
                return Poll::Ready(out);
            }
            // A wake after this swap goes to `outer`, registered above.
            if this.shared.state.swap(0, Ordering::AcqRel) & WOKEN == 0 {
                return Poll::Pending;
            }
        }
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;

    /// Counts the wakes that reach the scheduler.
    struct Count(AtomicUsize);
    impl Wake for Count {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    fn poll_once<F: Future>(f: &mut Repoll<F>, count: &Arc<Count>) -> Poll<F::Output> {
        let waker = Waker::from(count.clone());
        Pin::new(f).poll(&mut Context::from_waker(&waker))
    }

    #[test]
    fn a_wake_during_the_poll_is_a_repoll_not_a_scheduler_wake() {
        let mut polls = 0;
        let mut f = Repoll::new(std::future::poll_fn(|cx| {
            polls += 1;
            if polls < 3 {
                cx.waker().wake_by_ref();
                Poll::Pending
            } else {
                Poll::Ready(polls)
            }
        }));
        let count = Arc::new(Count(AtomicUsize::new(0)));
        assert_eq!(poll_once(&mut f, &count), Poll::Ready(3));
        assert_eq!(count.0.load(Ordering::SeqCst), 0);
    }

    #[test]
    fn a_task_that_always_wakes_itself_yields_after_the_bound() {
        let mut polls = 0;
        let mut f = Repoll::new(std::future::poll_fn(|cx| {
            polls += 1;
            cx.waker().wake_by_ref();
            Poll::<()>::Pending
        }));
        let count = Arc::new(Count(AtomicUsize::new(0)));
        assert_eq!(poll_once(&mut f, &count), Poll::Pending);
        assert_eq!(count.0.load(Ordering::SeqCst), 1);
        drop(f);
        assert_eq!(polls, MAX_REPOLLS);
    }

    #[test]
    fn a_wake_after_the_poll_reaches_the_scheduler() {
        let stash: Arc<std::sync::Mutex<Option<Waker>>> = Default::default();
        let s = stash.clone();
        let mut f = Repoll::new(std::future::poll_fn(move |cx| {
            *s.lock().expect("test lock") = Some(cx.waker().clone());
            Poll::<()>::Pending
        }));
        let count = Arc::new(Count(AtomicUsize::new(0)));
        assert_eq!(poll_once(&mut f, &count), Poll::Pending);
        assert_eq!(count.0.load(Ordering::SeqCst), 0);
        let waker = stash.lock().expect("test lock").take();
        waker.expect("the future stored its waker").wake();
        assert_eq!(count.0.load(Ordering::SeqCst), 1);
    }
}
