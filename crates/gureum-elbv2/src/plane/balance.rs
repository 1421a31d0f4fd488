//! How a target group picks among the targets that may take a request:
//! `load_balancing.algorithm.type` (round robin, least outstanding
//! requests, weighted random) and slow start's linear ramp
//! (`slow_start.duration_seconds`), during which a newly healthy target's
//! share grows from nearly nothing to its full share.

use super::TargetView;
use rand::Rng;
use std::sync::atomic::{AtomicUsize, Ordering};

/// A target group's load balancing algorithm.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Algorithm {
    /// Each target in turn.
    #[default]
    RoundRobin,
    /// The target with the fewest requests in flight.
    LeastOutstanding,
    /// A target at random.
    WeightedRandom,
}

impl Algorithm {
    /// The algorithm an attribute value names (round robin otherwise).
    pub fn parse(value: &str) -> Self {
        match value {
            "least_outstanding_requests" => Algorithm::LeastOutstanding,
            "weighted_random" => Algorithm::WeightedRandom,
            _ => Algorithm::RoundRobin,
        }
    }
}

/// The smallest share a target in slow start gets, so its first
/// requests come at all.
const MIN_WEIGHT: f64 = 0.01;

/// Whether a target that turned healthy at `from` is still ramping.
pub fn ramping(from: Option<i64>, duration_ms: i64, now_ms: i64) -> bool {
    from.is_some_and(|f| duration_ms > 0 && now_ms - f < duration_ms)
}

/// A target's share (1.0 full) at `now_ms`: linear over slow start.
pub fn weight(from: Option<i64>, duration_ms: i64, now_ms: i64) -> f64 {
    match from {
        Some(f) if ramping(from, duration_ms, now_ms) => {
            ((now_ms - f).max(0) as f64 / duration_ms as f64).max(MIN_WEIGHT)
        }
        _ => 1.0,
    }
}

/// One of `targets` among `candidates` (indices with weights) by
/// `algorithm`; while any is ramping up the choice is random by weight,
/// whatever the algorithm (AWS allows slow start with round robin only).
pub fn choose<'a>(
    targets: &'a [TargetView],
    candidates: &[(usize, f64)],
    algorithm: Algorithm,
    next: &AtomicUsize,
) -> Option<&'a TargetView> {
    if candidates.is_empty() {
        return None;
    }
    let ramping = candidates.iter().any(|(_, w)| *w < 1.0);
    let n = candidates.len();
    let index = match algorithm {
        _ if ramping => by_weight(candidates, rand::random::<f64>()),
        Algorithm::RoundRobin => candidates[next.fetch_add(1, Ordering::Relaxed) % n].0,
        Algorithm::LeastOutstanding => {
            // Ties go round: start the scan one further each time.
            let start = next.fetch_add(1, Ordering::Relaxed);
            (0..n)
                .map(|i| candidates[(start + i) % n].0)
                .min_by_key(|i| targets[*i].in_flight.load(Ordering::Relaxed))?
        }
        Algorithm::WeightedRandom => candidates[rand::thread_rng().gen_range(0..n)].0,
    };
    targets.get(index)
}

/// The candidate `roll` (in `[0, 1)`) lands on, each taking its weight's
/// share of the line.
fn by_weight(candidates: &[(usize, f64)], roll: f64) -> usize {
    let total: f64 = candidates.iter().map(|(_, w)| w).sum();
    let mut at = roll * total;
    for (i, w) in candidates {
        if at < *w {
            return *i;
        }
        at -= w;
    }
    candidates[candidates.len() - 1].0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(id: &str) -> TargetView {
        TargetView {
            key: (id.to_string(), Some(80)),
            addr: None,
            health_addr: None,
            in_flight: Default::default(),
            token: id.to_string(),
        }
    }

    #[test]
    fn slow_start_ramps_a_share_linearly_to_full() {
        assert_eq!(weight(None, 60_000, 0), 1.0);
        assert_eq!(weight(Some(0), 60_000, 0), MIN_WEIGHT);
        assert!((weight(Some(0), 60_000, 30_000) - 0.5).abs() < 1e-9);
        assert_eq!(weight(Some(0), 60_000, 60_000), 1.0);
        assert_eq!(weight(Some(0), 0, 10), 1.0);
    }

    #[test]
    fn round_robin_takes_each_in_turn() {
        let t = vec![target("a"), target("b")];
        let c = vec![(0, 1.0), (1, 1.0)];
        let next = AtomicUsize::new(0);
        let ids: Vec<String> = (0..4)
            .map(|_| {
                let chosen = choose(&t, &c, Algorithm::RoundRobin, &next).expect("one");
                chosen.key.0.clone()
            })
            .collect();
        assert_eq!(ids, ["a", "b", "a", "b"]);
    }

    #[test]
    fn least_outstanding_avoids_the_busy_target() {
        let t = vec![target("a"), target("b")];
        let c = vec![(0, 1.0), (1, 1.0)];
        t[0].in_flight.store(3, Ordering::Relaxed);
        let next = AtomicUsize::new(0);
        for _ in 0..4 {
            let chosen = choose(&t, &c, Algorithm::LeastOutstanding, &next).expect("one");
            assert_eq!(chosen.key.0, "b");
        }
    }

    #[test]
    fn a_weighted_roll_lands_by_share() {
        let c = vec![(0, 0.25), (1, 1.0)];
        assert_eq!(by_weight(&c, 0.1), 0);
        assert_eq!(by_weight(&c, 0.3), 1);
        assert_eq!(by_weight(&c, 0.99), 1);
    }
}
