//! Gureum's clock.
//!
//! Background engines (instance lifecycle, restores, session expiry) read
//! time from a [`Clock`] instead of the system, so that tests can advance it
//! ("an hour passes") or scale it ("a day takes a minute") without sleeping.

use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

/// A shared, adjustable clock. Cheap to clone; all clones see the same time.
#[derive(Clone, Debug)]
pub struct Clock {
    inner: Arc<ClockState>,
}

#[derive(Debug)]
struct ClockState {
    /// Milliseconds added to the scaled system time.
    offset_ms: AtomicI64,
    /// Speed-up factor times 1000 (1000 = real time).
    scale_milli: AtomicU64,
    /// System time (ms) when the current scale took effect.
    anchor_ms: AtomicI64,
}

fn system_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

impl Default for Clock {
    fn default() -> Self {
        Self::system()
    }
}

impl Clock {
    /// A clock that follows the system time.
    pub fn system() -> Self {
        Clock {
            inner: Arc::new(ClockState {
                offset_ms: AtomicI64::new(0),
                scale_milli: AtomicU64::new(1000),
                anchor_ms: AtomicI64::new(system_ms()),
            }),
        }
    }

    /// Milliseconds since the Unix epoch on Gureum's clock.
    pub fn now_millis(&self) -> i64 {
        let sys = system_ms();
        let scale = self.inner.scale_milli.load(Ordering::Relaxed);
        let offset = self.inner.offset_ms.load(Ordering::Relaxed);
        if scale == 1000 {
            return sys + offset;
        }
        let anchor = self.inner.anchor_ms.load(Ordering::Relaxed);
        let elapsed = (sys - anchor) as i128 * scale as i128 / 1000;
        anchor + elapsed as i64 + offset
    }

    /// Whole seconds since the Unix epoch on Gureum's clock.
    pub fn now_secs(&self) -> i64 {
        self.now_millis().div_euclid(1000)
    }

    /// Moves the clock forward (or back, with a negative value) at once.
    pub fn advance_millis(&self, ms: i64) {
        self.inner.offset_ms.fetch_add(ms, Ordering::Relaxed);
    }

    /// Makes time pass `factor` times faster than real time from now on.
    /// The current reading is kept, so time never jumps when the scale changes.
    pub fn set_scale(&self, factor: f64) {
        let now = self.now_millis();
        let sys = system_ms();
        let milli = (factor.max(0.0) * 1000.0).round() as u64;
        self.inner.anchor_ms.store(sys, Ordering::Relaxed);
        self.inner.scale_milli.store(milli, Ordering::Relaxed);
        // Re-anchor the offset so that `now_millis()` continues from `now`.
        self.inner.offset_ms.store(now - sys, Ordering::Relaxed);
    }

    /// How far Gureum's clock is ahead of the system clock, in milliseconds.
    pub fn offset_millis(&self) -> i64 {
        self.now_millis() - system_ms()
    }

    /// A real-time clock that starts `offset_ms` ahead of the system clock
    /// (how a restart resumes an advanced clock).
    pub fn with_offset(offset_ms: i64) -> Self {
        let c = Clock::system();
        c.advance_millis(offset_ms);
        c
    }

    /// The current speed-up factor (1.0 = real time).
    pub fn scale(&self) -> f64 {
        self.inner.scale_milli.load(Ordering::Relaxed) as f64 / 1000.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn advancing_moves_every_clone() {
        let a = Clock::system();
        let b = a.clone();
        let before = b.now_millis();
        a.advance_millis(3_600_000);
        assert!(b.now_millis() - before >= 3_600_000);
    }

    #[test]
    fn changing_scale_does_not_jump() {
        let c = Clock::system();
        c.advance_millis(10_000);
        let before = c.now_millis();
        c.set_scale(60.0);
        let after = c.now_millis();
        assert!((after - before).abs() < 1_000, "{before} -> {after}");
        assert_eq!(c.scale(), 60.0);
    }
}
