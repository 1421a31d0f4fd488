//! A budget for request bodies held in memory.
//!
//! Bodies that are not streamed are buffered whole before parsing. Each
//! takes its share of one server-wide budget for as long as its request
//! runs, so concurrent large requests wait for each other instead of
//! growing the process without bound; one that cannot get its share within
//! [`WAIT`] answers `ServiceUnavailable` (503), which SDKs retry.

use gureum_core::{AwsError, CommonError};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Bytes of request bodies buffered at once, across all requests.
pub const DEFAULT_BUDGET: usize = 128 * 1024 * 1024;
/// How long a request waits for its share.
const WAIT: Duration = Duration::from_secs(30);
/// The budget's unit: shares are counted in KiB.
const UNIT: usize = 1024;

/// The server-wide budget.
#[derive(Clone, Debug)]
pub struct BodyBudget {
    units: Arc<Semaphore>,
    total: usize,
}

/// One request's share; returned to the budget when dropped.
#[derive(Debug)]
pub struct Permit {
    budget: BodyBudget,
    held: Option<OwnedSemaphorePermit>,
}

impl BodyBudget {
    /// A budget of `bytes`.
    pub fn new(bytes: usize) -> Self {
        let total = bytes.div_ceil(UNIT);
        BodyBudget {
            units: Arc::new(Semaphore::new(total)),
            total,
        }
    }

    /// A share of `bytes` (rounded up to KiB; capped at the whole budget).
    pub async fn acquire(&self, bytes: usize) -> Result<Permit, AwsError> {
        let mut permit = Permit {
            budget: self.clone(),
            held: None,
        };
        permit.grow(bytes).await?;
        Ok(permit)
    }

    /// An empty share (a request without a body), without touching the
    /// semaphore.
    pub fn acquire_none(&self) -> Permit {
        Permit {
            budget: self.clone(),
            held: None,
        }
    }

    /// KiB not taken by any request.
    pub fn available_units(&self) -> usize {
        self.units.available_permits()
    }
}

impl Permit {
    /// The bytes this share covers.
    pub fn bytes(&self) -> usize {
        self.held.as_ref().map_or(0, |p| p.num_permits() * UNIT)
    }

    /// Grows the share to cover `bytes` (a body whose length was not
    /// declared grows as it arrives).
    pub async fn grow(&mut self, bytes: usize) -> Result<(), AwsError> {
        let want = bytes.div_ceil(UNIT).clamp(1, self.budget.total);
        let have = self.held.as_ref().map_or(0, |p| p.num_permits());
        if want <= have {
            return Ok(());
        }
        let more = (want - have) as u32;
        let extra = tokio::time::timeout(WAIT, self.budget.units.clone().acquire_many_owned(more))
            .await
            .map_err(|_| busy())?
            .map_err(|_| busy())?;
        match &mut self.held {
            Some(p) => p.merge(extra),
            None => self.held = Some(extra),
        }
        Ok(())
    }
}

fn busy() -> AwsError {
    CommonError::ServiceUnavailable {
        message: "The server is receiving too many large requests at once; retry shortly.".into(),
    }
    .into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn shares_come_back_when_requests_end() {
        let budget = BodyBudget::new(10 * UNIT);
        let a = budget.acquire(6 * UNIT).await.expect("a");
        assert_eq!(budget.available_units(), 4);
        drop(a);
        assert_eq!(budget.available_units(), 10);
    }

    #[tokio::test]
    async fn a_request_waits_while_the_budget_is_taken() {
        let budget = BodyBudget::new(10 * UNIT);
        let a = budget.acquire(8 * UNIT).await.expect("a");
        let waiting = tokio::spawn({
            let budget = budget.clone();
            async move { budget.acquire(8 * UNIT).await.map(|p| p.bytes()) }
        });
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(!waiting.is_finished());
        drop(a);
        assert_eq!(waiting.await.expect("join").expect("b"), 8 * UNIT);
    }

    #[tokio::test]
    async fn a_share_grows_with_a_body_of_unknown_length() {
        let budget = BodyBudget::new(10 * UNIT);
        let mut p = budget.acquire(0).await.expect("p");
        p.grow(3 * UNIT + 1).await.expect("grow");
        assert_eq!(p.bytes(), 4 * UNIT);
        assert_eq!(budget.available_units(), 6);
    }
}
