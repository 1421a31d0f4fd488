//! Applying an `UpdateExpression`: every operand is evaluated against the
//! item as it was before the update, then SET, REMOVE, ADD and DELETE
//! are applied in that order (REMOVEs of list elements from the highest
//! index down, so every index names an element of the original list).

use crate::errors::validation;
use crate::expr::eval::{self, equal};
use crate::expr::parser::{Action, Elem, Path};
use crate::value::{AttrValue, Item};
use gureum_core::AwsError;

fn invalid_path() -> AwsError {
    validation("The document path provided in the update expression is invalid for update")
}

fn bad_type() -> AwsError {
    validation("An operand in the update expression has an incorrect data type")
}

/// The item after `actions`.
pub fn apply(item: &Item, actions: &[Action]) -> Result<Item, AwsError> {
    // Operands first, all against the old item.
    let mut sets: Vec<(&Path, AttrValue)> = vec![];
    for a in actions {
        if let Action::Set(p, op) = a {
            match eval::operand(item, op)? {
                Some(v) => sets.push((p, v)),
                None => {
                    return Err(validation(
                        "The provided expression refers to an attribute that does not exist in the item",
                    ))
                }
            }
        }
    }
    let mut out = item.clone();
    for (p, v) in sets {
        set(&mut out, p, v)?;
    }
    let mut removes: Vec<&Path> = actions
        .iter()
        .filter_map(|a| match a {
            Action::Remove(p) => Some(p),
            _ => None,
        })
        .collect();
    removes.sort();
    for p in removes.into_iter().rev() {
        remove(&mut out, p)?;
    }
    for a in actions {
        match a {
            Action::Add(p, v) => {
                let new = match (eval::get(&out, p), v) {
                    (
                        None,
                        AttrValue::N(_) | AttrValue::Ss(_) | AttrValue::Ns(_) | AttrValue::Bs(_),
                    ) => v.clone(),
                    (None, _) => return Err(bad_type()),
                    (Some(AttrValue::N(x)), AttrValue::N(y)) => {
                        AttrValue::N(x.add(y).map_err(|e| validation(e.message()))?)
                    }
                    (Some(AttrValue::Ss(x)), AttrValue::Ss(y)) => AttrValue::Ss(union(x, y)),
                    (Some(AttrValue::Ns(x)), AttrValue::Ns(y)) => AttrValue::Ns(union(x, y)),
                    (Some(AttrValue::Bs(x)), AttrValue::Bs(y)) => AttrValue::Bs(union(x, y)),
                    _ => return Err(bad_type()),
                };
                set(&mut out, p, new)?;
            }
            Action::Delete(p, v) => {
                let new = match (eval::get(&out, p), v) {
                    (None, AttrValue::Ss(_) | AttrValue::Ns(_) | AttrValue::Bs(_)) => continue,
                    (Some(AttrValue::Ss(x)), AttrValue::Ss(y)) => minus(x, y).map(AttrValue::Ss),
                    (Some(AttrValue::Ns(x)), AttrValue::Ns(y)) => minus(x, y).map(AttrValue::Ns),
                    (Some(AttrValue::Bs(x)), AttrValue::Bs(y)) => minus(x, y).map(AttrValue::Bs),
                    _ => return Err(bad_type()),
                };
                match new {
                    Some(n) => set(&mut out, p, n)?,
                    None => remove(&mut out, p)?,
                }
            }
            _ => {}
        }
    }
    Ok(out)
}

fn union<T: Clone + PartialEq>(x: &[T], y: &[T]) -> Vec<T> {
    let mut out = x.to_vec();
    for v in y {
        if !out.contains(v) {
            out.push(v.clone());
        }
    }
    out
}

/// `x` without `y`'s elements; `None` when nothing is left.
fn minus<T: Clone + PartialEq>(x: &[T], y: &[T]) -> Option<Vec<T>> {
    let out: Vec<T> = x.iter().filter(|v| !y.contains(v)).cloned().collect();
    (!out.is_empty()).then_some(out)
}

/// The container that holds the last step of `path`.
fn parent<'a>(item: &'a mut Item, path: &Path) -> Result<&'a mut AttrValue, AwsError> {
    let Some(Elem::Attr(first)) = path.first() else {
        return Err(invalid_path());
    };
    let mut cur = item.get_mut(first).ok_or_else(invalid_path)?;
    for e in &path[1..path.len() - 1] {
        cur = match (e, cur) {
            (Elem::Attr(k), AttrValue::M(m)) => m.get_mut(k).ok_or_else(invalid_path)?,
            (Elem::Index(i), AttrValue::L(l)) => l.get_mut(*i).ok_or_else(invalid_path)?,
            _ => return Err(invalid_path()),
        };
    }
    Ok(cur)
}

/// Sets the value at `path`; a list index past the end appends.
pub fn set(item: &mut Item, path: &Path, v: AttrValue) -> Result<(), AwsError> {
    if path.len() == 1 {
        let Some(Elem::Attr(k)) = path.first() else {
            return Err(invalid_path());
        };
        item.insert(k.clone(), v);
        return Ok(());
    }
    match (path.last(), parent(item, path)?) {
        (Some(Elem::Attr(k)), AttrValue::M(m)) => {
            m.insert(k.clone(), v);
        }
        (Some(Elem::Index(i)), AttrValue::L(l)) => {
            if *i < l.len() {
                l[*i] = v;
            } else {
                l.push(v);
            }
        }
        _ => return Err(invalid_path()),
    }
    Ok(())
}

/// Removes the value at `path` (nothing when absent).
pub fn remove(item: &mut Item, path: &Path) -> Result<(), AwsError> {
    if path.len() == 1 {
        if let Some(Elem::Attr(k)) = path.first() {
            item.remove(k);
        }
        return Ok(());
    }
    let Ok(parent) = parent(item, path) else {
        return Ok(());
    };
    match (path.last(), parent) {
        (Some(Elem::Attr(k)), AttrValue::M(m)) => {
            m.remove(k);
        }
        (Some(Elem::Index(i)), AttrValue::L(l)) => {
            if *i < l.len() {
                l.remove(*i);
            }
        }
        _ => return Err(invalid_path()),
    }
    Ok(())
}

/// Whether two items are the same (for tests and no-op detection).
pub fn same(a: &Item, b: &Item) -> bool {
    a.len() == b.len() && a.iter().all(|(k, v)| b.get(k).is_some_and(|w| equal(v, w)))
}
