//! Set-up that runs once per scope, before the scope's first request.
//!
//! Some state exists in AWS before anyone creates it: every account's
//! region has a default VPC with a subnet per zone, an internet gateway, a
//! main route table and a default security group. Rather than calling
//! "ensure the default VPC" by hand in every operation that might be the
//! first, a service keeps one [`Bootstrap`] and runs it at the top of its
//! dispatch. The first request in a scope runs the set-up (which must be
//! idempotent — it may find its work already done after a restart) and
//! every later one costs a shared-lock hash lookup.

use gureum_core::Scope;
use parking_lot::{Mutex, RwLock};
use std::collections::HashSet;

/// Which scopes have been set up, in this process.
#[derive(Debug, Default)]
pub struct Bootstrap {
    done: RwLock<HashSet<String>>,
    /// Serializes first runs, so two first requests do not both set up.
    running: Mutex<()>,
}

impl Bootstrap {
    /// Runs `set_up` for `scope` unless it already ran in this process.
    /// A failed set-up is retried by the next request.
    pub fn ensure<E>(
        &self,
        scope: Scope<'_>,
        set_up: impl FnOnce() -> Result<(), E>,
    ) -> Result<(), E> {
        let key = scope.prefix();
        if self.done.read().contains(&key) {
            return Ok(());
        }
        let _one = self.running.lock();
        if self.done.read().contains(&key) {
            return Ok(());
        }
        set_up()?;
        self.done.write().insert(key);
        Ok(())
    }

    /// Forgets every scope (after a reset, the set-up must run again).
    pub fn reset(&self) {
        self.done.write().clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    fn scope(region: &str) -> Scope<'_> {
        Scope::Region {
            account: "000000000000",
            region,
        }
    }

    #[test]
    fn set_up_runs_once_per_scope() {
        let b = Bootstrap::default();
        let runs = AtomicUsize::new(0);
        for region in ["us-east-1", "us-east-1", "eu-west-1"] {
            b.ensure(scope(region), || {
                runs.fetch_add(1, Ordering::SeqCst);
                Ok::<(), ()>(())
            })
            .expect("ok");
        }
        assert_eq!(runs.load(Ordering::SeqCst), 2);
    }

    #[test]
    fn a_failed_set_up_runs_again_and_reset_forgets() {
        let b = Bootstrap::default();
        assert!(b.ensure(scope("us-east-1"), || Err("boom")).is_err());
        let mut ran = false;
        b.ensure(scope("us-east-1"), || {
            ran = true;
            Ok::<(), ()>(())
        })
        .expect("ok");
        assert!(ran);
        b.reset();
        let mut again = false;
        b.ensure(scope("us-east-1"), || {
            again = true;
            Ok::<(), ()>(())
        })
        .expect("ok");
        assert!(again);
    }

    #[test]
    fn concurrent_first_requests_set_up_once() {
        let b = std::sync::Arc::new(Bootstrap::default());
        let runs = std::sync::Arc::new(AtomicUsize::new(0));
        let threads: Vec<_> = (0..8)
            .map(|_| {
                let (b, runs) = (b.clone(), runs.clone());
                std::thread::spawn(move || {
                    b.ensure(scope("us-west-2"), || {
                        runs.fetch_add(1, Ordering::SeqCst);
                        std::thread::sleep(std::time::Duration::from_millis(5));
                        Ok::<(), ()>(())
                    })
                })
            })
            .collect();
        for t in threads {
            t.join().expect("thread").expect("ok");
        }
        assert_eq!(runs.load(Ordering::SeqCst), 1);
    }
}
