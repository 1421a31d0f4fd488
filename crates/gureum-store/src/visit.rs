//! Walking a key range one entry at a time, stopping when the caller has
//! seen enough: what a paged, filtered listing needs so that a page of 50
//! never decodes the other 100,000 entries of the scope.

use super::*;
use std::ops::ControlFlow;

impl<T, C: Codec<T>> Table<T, C> {
    /// Hands `visit` every entry under `prefix` whose key comes after
    /// `after` (exclusive), in key order, decoded, until it answers
    /// [`ControlFlow::Break`]. Reads one snapshot; entries are decoded only
    /// as they are reached.
    pub fn visit_prefix(
        &self,
        prefix: &str,
        after: Option<&str>,
        mut visit: impl FnMut(&str, T) -> ControlFlow<()>,
    ) -> Result<()> {
        let name = self.name;
        self.store.inner.scan_raw(
            name,
            prefix_bounds(prefix, after).0,
            None,
            &|k| k.starts_with(prefix),
            None,
            |key, bytes| Ok(visit(key, decode::<T, C>(name, key, bytes)?)),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn visiting_stops_at_break_and_at_the_end_of_the_prefix() {
        let store = Store::in_memory().expect("store");
        let t: Table<u32> = store.table("t");
        for (k, v) in [("a/1", 1), ("a/2", 2), ("a/3", 3), ("ab/1", 9)] {
            t.put(k, &v).expect("put");
        }
        let mut seen = Vec::new();
        t.visit_prefix("a/", None, |k, v| {
            seen.push((k.to_string(), v));
            ControlFlow::Continue(())
        })
        .expect("visit");
        assert_eq!(
            seen,
            [("a/1".into(), 1), ("a/2".into(), 2), ("a/3".into(), 3)]
        );
        let mut first = Vec::new();
        t.visit_prefix("a/", Some("a/1"), |k, _| {
            first.push(k.to_string());
            ControlFlow::Break(())
        })
        .expect("visit");
        assert_eq!(first, ["a/2"]);
    }

    #[test]
    fn visiting_a_table_never_written_sees_nothing() {
        let store = Store::in_memory().expect("store");
        let t: Table<u32> = store.table("never");
        let mut n = 0;
        t.visit_prefix("", None, |_, _| {
            n += 1;
            ControlFlow::Continue(())
        })
        .expect("visit");
        assert_eq!(n, 0);
    }
}
