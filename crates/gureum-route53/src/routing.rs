//! Routing policies: which of a name's sets of one type answer a query.
//!
//! Route 53's rules, with one checker's view of health: weighted picks
//! one healthy set in proportion to its weight; failover answers the
//! primary while it is healthy, else a healthy secondary; multivalue
//! answers up to eight healthy sets; latency and geolocation answer their
//! default (this host has no location: the `*` geolocation, or the first
//! healthy latency set). When every candidate is unhealthy, Route 53
//! answers as if all were healthy, and so does this.

use gureum_dns::wire::RData;
use rand::seq::SliceRandom;
use rand::Rng;

/// How many sets a multivalue answer holds at most.
const MULTIVALUE_MAX: usize = 8;

/// An alias's target.
#[derive(Clone, Debug)]
pub struct Alias {
    /// The target name, in DNS form.
    pub target: String,
    /// The target's hosted zone (a Route 53 zone, or a service's
    /// canonical zone).
    pub zone_id: String,
    /// Whether the alias is healthy only while its target answers.
    pub evaluate_target_health: bool,
}

/// A record set as the DNS server reads it.
#[derive(Clone, Debug)]
pub struct RoutedSet {
    /// The type code.
    pub rtype: u16,
    /// The TTL.
    pub ttl: u32,
    /// The values.
    pub data: Vec<RData>,
    /// `SetIdentifier`.
    pub set_id: Option<String>,
    /// `Weight`.
    pub weight: Option<u64>,
    /// `Failover`: `Some(true)` for PRIMARY.
    pub failover: Option<bool>,
    /// `MultiValueAnswer`.
    pub multivalue: bool,
    /// `Region` (latency).
    pub region: Option<String>,
    /// A geolocation set for the default location `*`.
    pub geo_default: bool,
    /// `HealthCheckId`.
    pub health_check: Option<String>,
    /// `AliasTarget`.
    pub alias: Option<Alias>,
}

/// The sets that answer, from one name's sets of one type.
pub fn select<'a>(
    sets: &[&'a RoutedSet],
    healthy: &dyn Fn(&RoutedSet) -> bool,
) -> Vec<&'a RoutedSet> {
    let Some(first) = sets.first() else {
        return Vec::new();
    };
    if first.set_id.is_none() {
        return vec![*first];
    }
    let live: Vec<&'a RoutedSet> = sets.iter().copied().filter(|s| healthy(s)).collect();
    // All unhealthy: answer as if all were healthy.
    let pool = if live.is_empty() { sets.to_vec() } else { live };
    let mut rng = rand::thread_rng();
    if first.weight.is_some() {
        let total: u64 = pool.iter().map(|s| s.weight.unwrap_or(0)).sum();
        if total == 0 {
            return pool.choose(&mut rng).copied().into_iter().collect();
        }
        let mut pick = rng.gen_range(0..total);
        for s in &pool {
            let w = s.weight.unwrap_or(0);
            if pick < w {
                return vec![*s];
            }
            pick -= w;
        }
        return Vec::new();
    }
    if first.failover.is_some() {
        let primary = sets.iter().find(|s| s.failover == Some(true));
        let secondary = sets.iter().find(|s| s.failover == Some(false));
        let chosen = match (primary, secondary) {
            (Some(p), _) if healthy(p) => Some(p),
            (_, Some(s)) if healthy(s) => Some(s),
            (Some(p), _) => Some(p),
            (None, s) => s,
        };
        return chosen.copied().into_iter().collect();
    }
    if first.multivalue {
        let mut pool = pool;
        pool.shuffle(&mut rng);
        pool.truncate(MULTIVALUE_MAX);
        return pool;
    }
    if sets.iter().any(|s| s.geo_default) {
        return pool
            .iter()
            .copied()
            .find(|s| s.geo_default)
            .into_iter()
            .collect();
    }
    if first.region.is_some() {
        return pool.first().copied().into_iter().collect();
    }
    // Geolocation without a default, geoproximity, IP-based: no location
    // matches a host query.
    Vec::new()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(id: &str) -> RoutedSet {
        RoutedSet {
            rtype: 1,
            ttl: 60,
            data: Vec::new(),
            set_id: Some(id.into()),
            weight: None,
            failover: None,
            multivalue: false,
            region: None,
            geo_default: false,
            health_check: Some(id.into()),
            alias: None,
        }
    }

    #[test]
    fn weighted_sets_answer_in_proportion_to_their_weights() {
        let mut a = set("a");
        a.weight = Some(3);
        let mut b = set("b");
        b.weight = Some(1);
        let sets = [&a, &b];
        let n = 4000;
        let picked_a = (0..n)
            .filter(|_| select(&sets, &|_| true)[0].set_id.as_deref() == Some("a"))
            .count();
        assert!((2700..3300).contains(&picked_a), "{picked_a}");
    }

    #[test]
    fn failover_answers_the_secondary_only_while_the_primary_is_unhealthy() {
        let mut p = set("p");
        p.failover = Some(true);
        let mut s = set("s");
        s.failover = Some(false);
        let sets = [&p, &s];
        assert_eq!(select(&sets, &|_| true)[0].set_id.as_deref(), Some("p"));
        let primary_down = |x: &RoutedSet| x.set_id.as_deref() != Some("p");
        assert_eq!(select(&sets, &primary_down)[0].set_id.as_deref(), Some("s"));
        assert_eq!(select(&sets, &|_| false)[0].set_id.as_deref(), Some("p"));
    }

    #[test]
    fn multivalue_answers_at_most_eight_healthy_sets() {
        let all: Vec<RoutedSet> = (0..12)
            .map(|i| {
                let mut s = set(&i.to_string());
                s.multivalue = true;
                s
            })
            .collect();
        let refs: Vec<&RoutedSet> = all.iter().collect();
        assert_eq!(select(&refs, &|_| true).len(), 8);
        let odd = |s: &RoutedSet| {
            s.set_id
                .as_deref()
                .and_then(|i| i.parse::<u32>().ok())
                .is_some_and(|i| i % 2 == 1)
        };
        let picked = select(&refs, &odd);
        assert_eq!(picked.len(), 6);
        assert!(picked.iter().all(|s| odd(s)));
    }
}
