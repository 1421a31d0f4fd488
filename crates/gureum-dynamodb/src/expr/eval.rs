//! Evaluating parsed expressions against an item: paths, operands,
//! comparisons, functions, and projections.

use super::parser::{Cmp, Cond, Elem, Operand, Path};
use crate::errors::validation;
use crate::number::Decimal;
use crate::value::{AttrValue, Item};
use gureum_core::AwsError;
use std::cmp::Ordering;

/// The value at `path` in `item`.
pub fn get<'a>(item: &'a Item, path: &Path) -> Option<&'a AttrValue> {
    let mut it = path.iter();
    let Some(Elem::Attr(first)) = it.next() else {
        return None;
    };
    let mut cur = item.get(first)?;
    for e in it {
        cur = match (e, cur) {
            (Elem::Attr(k), AttrValue::M(m)) => m.get(k)?,
            (Elem::Index(i), AttrValue::L(l)) => l.get(*i)?,
            _ => return None,
        };
    }
    Some(cur)
}

/// Orders two values of one scalar type (S, N, B); `None` otherwise.
pub fn compare(a: &AttrValue, b: &AttrValue) -> Option<Ordering> {
    match (a, b) {
        (AttrValue::S(x), AttrValue::S(y)) => Some(x.as_bytes().cmp(y.as_bytes())),
        (AttrValue::N(x), AttrValue::N(y)) => Some(x.cmp(y)),
        (AttrValue::B(x), AttrValue::B(y)) => Some(x.cmp(y)),
        _ => None,
    }
}

/// DynamoDB equality: same type and value; sets compare as sets.
pub fn equal(a: &AttrValue, b: &AttrValue) -> bool {
    fn same_set<T: Ord + Clone>(x: &[T], y: &[T]) -> bool {
        let mut x = x.to_vec();
        let mut y = y.to_vec();
        x.sort();
        y.sort();
        x == y
    }
    match (a, b) {
        (AttrValue::Ss(x), AttrValue::Ss(y)) => same_set(x, y),
        (AttrValue::Ns(x), AttrValue::Ns(y)) => same_set(x, y),
        (AttrValue::Bs(x), AttrValue::Bs(y)) => same_set(x, y),
        (AttrValue::M(x), AttrValue::M(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| equal(v, w)))
        }
        (AttrValue::L(x), AttrValue::L(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(v, w)| equal(v, w))
        }
        _ => a == b,
    }
}

fn bad_operand() -> AwsError {
    validation("An operand in the update expression has an incorrect data type")
}

/// The value of an operand for `item` (`None`: a path with no value).
pub fn operand(item: &Item, op: &Operand) -> Result<Option<AttrValue>, AwsError> {
    Ok(match op {
        Operand::Path(p) => get(item, p).cloned(),
        Operand::Value(v) => Some(v.clone()),
        Operand::Size(p) => get(item, p).and_then(size_of),
        Operand::IfNotExists(p, v) => match get(item, p) {
            Some(x) => Some(x.clone()),
            None => operand(item, v)?,
        },
        Operand::ListAppend(a, b) => {
            let (Some(x), Some(y)) = (operand(item, a)?, operand(item, b)?) else {
                return Err(validation(
                    "The provided expression refers to an attribute that does not exist in the item",
                ));
            };
            match (x, y) {
                (AttrValue::L(mut x), AttrValue::L(y)) => {
                    x.extend(y);
                    Some(AttrValue::L(x))
                }
                _ => return Err(bad_operand()),
            }
        }
        Operand::Plus(a, b) | Operand::Minus(a, b) => {
            let (Some(x), Some(y)) = (operand(item, a)?, operand(item, b)?) else {
                return Err(validation(
                    "The provided expression refers to an attribute that does not exist in the item",
                ));
            };
            let (AttrValue::N(x), AttrValue::N(y)) = (x, y) else {
                return Err(bad_operand());
            };
            let r = if matches!(op, Operand::Plus(..)) {
                x.add(&y)
            } else {
                x.sub(&y)
            };
            Some(AttrValue::N(r.map_err(|e| validation(e.message()))?))
        }
    })
}

/// `size()` of a value: string length, bytes, elements.
fn size_of(v: &AttrValue) -> Option<AttrValue> {
    let n = match v {
        AttrValue::S(s) => s.chars().count(),
        AttrValue::B(b) => b.len(),
        AttrValue::Ss(s) => s.len(),
        AttrValue::Ns(s) => s.len(),
        AttrValue::Bs(s) => s.len(),
        AttrValue::M(m) => m.len(),
        AttrValue::L(l) => l.len(),
        _ => return None,
    };
    Decimal::parse(&n.to_string()).ok().map(AttrValue::N)
}

fn cmp_holds(a: Option<&AttrValue>, op: Cmp, b: Option<&AttrValue>) -> bool {
    let (Some(a), Some(b)) = (a, b) else {
        return op == Cmp::Ne;
    };
    match op {
        Cmp::Eq => equal(a, b),
        Cmp::Ne => !equal(a, b),
        _ => match compare(a, b) {
            None => false,
            Some(o) => match op {
                Cmp::Lt => o == Ordering::Less,
                Cmp::Le => o != Ordering::Greater,
                Cmp::Gt => o == Ordering::Greater,
                _ => o != Ordering::Less,
            },
        },
    }
}

/// Whether `cond` holds for `item`.
pub fn holds(cond: &Cond, item: &Item) -> Result<bool, AwsError> {
    Ok(match cond {
        Cond::Compare(a, op, b) => {
            let (x, y) = (operand(item, a)?, operand(item, b)?);
            cmp_holds(x.as_ref(), *op, y.as_ref())
        }
        Cond::Between(a, lo, hi) => {
            let (x, l, h) = (operand(item, a)?, operand(item, lo)?, operand(item, hi)?);
            match (x, l, h) {
                (Some(x), Some(l), Some(h)) => {
                    matches!(compare(&x, &l), Some(o) if o != Ordering::Less)
                        && matches!(compare(&x, &h), Some(o) if o != Ordering::Greater)
                }
                _ => false,
            }
        }
        Cond::In(a, list) => match operand(item, a)? {
            None => false,
            Some(x) => {
                let mut found = false;
                for o in list {
                    if operand(item, o)?.is_some_and(|y| equal(&x, &y)) {
                        found = true;
                        break;
                    }
                }
                found
            }
        },
        Cond::And(a, b) => holds(a, item)? && holds(b, item)?,
        Cond::Or(a, b) => holds(a, item)? || holds(b, item)?,
        Cond::Not(a) => !holds(a, item)?,
        Cond::Exists(p) => get(item, p).is_some(),
        Cond::NotExists(p) => get(item, p).is_none(),
        Cond::Type(p, t) => match (get(item, p), operand(item, t)?) {
            (Some(v), Some(AttrValue::S(t))) => v.type_name() == t,
            _ => false,
        },
        Cond::BeginsWith(a, b) => match (operand(item, a)?, operand(item, b)?) {
            (Some(AttrValue::S(x)), Some(AttrValue::S(y))) => x.starts_with(&y),
            (Some(AttrValue::B(x)), Some(AttrValue::B(y))) => x.starts_with(&y),
            _ => false,
        },
        Cond::Contains(a, b) => match (operand(item, a)?, operand(item, b)?) {
            (Some(AttrValue::S(x)), Some(AttrValue::S(y))) => x.contains(&y),
            (Some(AttrValue::B(x)), Some(AttrValue::B(y))) => {
                y.is_empty() || x.windows(y.len()).any(|w| w == y.as_slice())
            }
            (Some(AttrValue::Ss(x)), Some(AttrValue::S(y))) => x.contains(&y),
            (Some(AttrValue::Ns(x)), Some(AttrValue::N(y))) => x.contains(&y),
            (Some(AttrValue::Bs(x)), Some(AttrValue::B(y))) => x.contains(&y),
            (Some(AttrValue::L(x)), Some(y)) => x.iter().any(|v| equal(v, &y)),
            _ => false,
        },
    })
}

/// The item cut down to `paths` (nested maps kept as maps, projected list
/// elements compacted in index order, as DynamoDB answers).
pub fn project(item: &Item, paths: &[Path]) -> Item {
    let mut sorted: Vec<&Path> = paths.iter().collect();
    sorted.sort();
    let mut out = Item::new();
    for p in sorted {
        let Some(v) = get(item, p) else { continue };
        let Some(Elem::Attr(first)) = p.first() else {
            continue;
        };
        if p.len() == 1 {
            out.insert(first.clone(), v.clone());
            continue;
        }
        let src = &item[first];
        let slot = out.entry(first.clone()).or_insert_with(|| empty_like(src));
        place(slot, src, &p[1..], v);
    }
    out
}

fn empty_like(v: &AttrValue) -> AttrValue {
    match v {
        AttrValue::L(_) => AttrValue::L(Vec::new()),
        _ => AttrValue::M(Default::default()),
    }
}

/// Puts `v` (found at `rest` under `src`) into the partial copy `slot`.
fn place(slot: &mut AttrValue, src: &AttrValue, rest: &[Elem], v: &AttrValue) {
    match (&rest[0], slot, src) {
        (Elem::Attr(k), AttrValue::M(m), AttrValue::M(sm)) => {
            if rest.len() == 1 {
                m.insert(k.clone(), v.clone());
            } else if let Some(child) = sm.get(k) {
                let s = m.entry(k.clone()).or_insert_with(|| empty_like(child));
                place(s, child, &rest[1..], v);
            }
        }
        (Elem::Index(i), AttrValue::L(l), AttrValue::L(sl)) => {
            // Paths arrive sorted, so elements land in index order.
            if rest.len() == 1 {
                l.push(v.clone());
            } else if let Some(child) = sl.get(*i) {
                let mut s = empty_like(child);
                place(&mut s, child, &rest[1..], v);
                l.push(s);
            }
        }
        _ => {}
    }
}
