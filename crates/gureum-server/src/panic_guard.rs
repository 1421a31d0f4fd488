//! A bug in one request must not take its connection (and the client's
//! other pipelined requests) down with it: [`catch_panics`] turns a panic
//! while the request's future is polled into an error the pipeline answers
//! with a 500, and the panic's message into a log line.

use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::task::Poll;

/// Runs `fut` (pinned where it was built: a request's future is large, and
/// moving it costs a copy); `Err` with the panic's message if polling it
/// panicked.
///
/// The future is left mid-way at the panic: shared state it held must stay
/// usable, which the store (a failed write transaction leaves nothing
/// behind) and the services' locks (parking_lot, or poison checked) provide.
pub async fn catch_panics<F: Future>(mut fut: Pin<&mut F>) -> Result<F::Output, String> {
    std::future::poll_fn(
        |cx| match catch_unwind(AssertUnwindSafe(|| fut.as_mut().poll(cx))) {
            Ok(poll) => poll.map(Ok),
            Err(payload) => Poll::Ready(Err(message(payload.as_ref()))),
        },
    )
    .await
}

fn message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "a panic with no message".to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_panic_while_polling_becomes_its_message() {
        let caught = catch_panics(std::pin::pin!(async {
            tokio::task::yield_now().await;
            let n: u64 = std::hint::black_box(u64::MAX);
            if n == u64::MAX {
                panic!("range end {n} overflowed");
            }
            7
        }))
        .await;
        assert_eq!(caught, Err(format!("range end {} overflowed", u64::MAX)));
        let static_message = catch_panics(std::pin::pin!(async { panic!("static") })).await;
        assert_eq!(static_message, Err::<(), _>("static".into()));
    }

    #[tokio::test]
    async fn a_future_that_completes_is_untouched() {
        let caught = catch_panics(std::pin::pin!(async {
            tokio::task::yield_now().await;
            42
        }))
        .await;
        assert_eq!(caught, Ok(42));
    }
}
