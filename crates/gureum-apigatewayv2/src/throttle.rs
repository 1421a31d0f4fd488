//! Stage and route throttling: `DefaultRouteSettings` and `RouteSettings`
//! (`ThrottlingRateLimit` requests per second, `ThrottlingBurstLimit`
//! bucket size) as token buckets on Gureum's clock; a request over the
//! limit is answered 429 `{"message":"Too Many Requests"}`. Buckets live in
//! memory (a restart refills them).

use gureum_core::Value;
use parking_lot::Mutex;
use std::collections::HashMap;

/// One bucket: tokens left and when it was last filled.
#[derive(Clone, Copy, Debug)]
struct Bucket {
    tokens: f64,
    at_ms: i64,
}

/// Token buckets by API, stage and route key.
#[derive(Default)]
pub struct Throttles {
    buckets: Mutex<HashMap<String, Bucket>>,
}

/// The rate and burst limits for a route in a stage, if any: the route's
/// own settings, else the stage's defaults.
pub fn limits(stage: &Value, route_key: &str) -> Option<(f64, f64)> {
    let pick = |member: &str| {
        stage["RouteSettings"][route_key]
            .get(member)
            .or_else(|| stage["DefaultRouteSettings"].get(member))
            .and_then(Value::as_f64)
    };
    let rate = pick("ThrottlingRateLimit");
    let burst = pick("ThrottlingBurstLimit");
    match (rate, burst) {
        (None, None) => None,
        (rate, burst) => {
            let rate = rate.unwrap_or(f64::INFINITY).max(0.0);
            let burst = burst.unwrap_or(rate.ceil().max(1.0)).max(0.0);
            Some((rate, burst))
        }
    }
}

impl Throttles {
    /// Whether one more request on `key` fits `rate`/`burst` at `now_ms`.
    pub fn admit(&self, key: &str, rate: f64, burst: f64, now_ms: i64) -> bool {
        if burst < 1.0 {
            return false;
        }
        let mut buckets = self.buckets.lock();
        let bucket = buckets.entry(key.to_string()).or_insert(Bucket {
            tokens: burst,
            at_ms: now_ms,
        });
        let elapsed = (now_ms - bucket.at_ms).max(0) as f64 / 1000.0;
        bucket.tokens = (bucket.tokens + elapsed * rate).min(burst);
        bucket.at_ms = now_ms;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}
