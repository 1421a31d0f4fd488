//! PartiQL's `ExecuteStatement`, the subset DynamoDB documents for single
//! statements: `SELECT … FROM "table"[."index"] [WHERE …]`,
//! `INSERT INTO "table" VALUE {…}`, `UPDATE "table" SET …/REMOVE …
//! WHERE <key> [AND …]`, `DELETE FROM "table" WHERE <key> [AND …]`, with
//! `?` parameters. Conditions compile to the expression trees of
//! [`crate::expr`], so they evaluate exactly as condition expressions do;
//! a SELECT whose WHERE fixes the partition key reads one partition, any
//! other scans.

use crate::capacity::{read_units, Consumed, Report};
use crate::errors::{validation, DynamoError};
use crate::expr::eval::{holds, project};
use crate::expr::parser::{Action, Cmp, Cond, Elem, Operand, Path};
use crate::items::{check_size, condition_failed, s};
use crate::keys;
use crate::number::Decimal;
use crate::storage::{self, index_base, item_key, items_base};
use crate::update;
use crate::value::{item_from_stored, item_size, item_to_json, AttrValue, Item};
use crate::DynamoDbService;
use gureum_core::{AwsError, OpResult, RequestContext, Value};
use serde_json::json;
use std::collections::BTreeMap;

#[derive(Clone, Debug, PartialEq)]
enum T {
    Word(String),
    Quoted(String),
    Str(String),
    Num(String),
    Param,
    Sym(&'static str),
    End,
}

fn bad(detail: impl std::fmt::Display) -> AwsError {
    validation(format!(
        "Statement wasn't well formed, can't be processed: {detail}"
    ))
}

fn lex(src: &str) -> Result<Vec<T>, AwsError> {
    let c: Vec<char> = src.chars().collect();
    let mut i = 0;
    let mut out = vec![];
    while i < c.len() {
        let ch = c[i];
        if ch.is_whitespace() {
            i += 1;
            continue;
        }
        let two: String = c[i..(i + 2).min(c.len())].iter().collect();
        if let Some(sym) = ["<<", ">>", "<=", ">=", "<>", "!="]
            .into_iter()
            .find(|s| *s == two)
        {
            out.push(T::Sym(sym));
            i += 2;
            continue;
        }
        if let Some(sym) = [
            "(", ")", "[", "]", "{", "}", ",", ".", ":", "=", "<", ">", "*", "+", "-",
        ]
        .into_iter()
        .find(|s| s.starts_with(ch))
        {
            // A minus before a digit is a number's sign.
            if !(ch == '-' && c.get(i + 1).is_some_and(char::is_ascii_digit)) {
                out.push(T::Sym(sym));
                i += 1;
                continue;
            }
        }
        match ch {
            '?' => {
                out.push(T::Param);
                i += 1;
            }
            '\'' | '"' => {
                let mut s = String::new();
                i += 1;
                loop {
                    match c.get(i) {
                        None => return Err(bad("unterminated quote")),
                        Some(q) if *q == ch => {
                            if c.get(i + 1) == Some(&ch) {
                                s.push(ch);
                                i += 2;
                            } else {
                                i += 1;
                                break;
                            }
                        }
                        Some(x) => {
                            s.push(*x);
                            i += 1;
                        }
                    }
                }
                out.push(if ch == '\'' { T::Str(s) } else { T::Quoted(s) });
            }
            x if x.is_ascii_digit() || x == '-' => {
                let start = i;
                i += 1;
                while i < c.len()
                    && (c[i].is_ascii_alphanumeric()
                        || c[i] == '.'
                        || ((c[i] == '-' || c[i] == '+') && matches!(c[i - 1], 'e' | 'E')))
                {
                    i += 1;
                }
                out.push(T::Num(c[start..i].iter().collect()));
            }
            x if x.is_alphabetic() || x == '_' => {
                let start = i;
                while i < c.len() && (c[i].is_alphanumeric() || c[i] == '_') {
                    i += 1;
                }
                out.push(T::Word(c[start..i].iter().collect()));
            }
            other => return Err(bad(format!("unexpected character {other}"))),
        }
    }
    out.push(T::End);
    Ok(out)
}

struct P<'a> {
    t: Vec<T>,
    i: usize,
    params: &'a [AttrValue],
    used: usize,
    depth: usize,
}

impl P<'_> {
    fn peek(&self) -> &T {
        &self.t[self.i]
    }

    fn next(&mut self) -> T {
        let t = self.t[self.i].clone();
        if self.i + 1 < self.t.len() {
            self.i += 1;
        }
        t
    }

    fn word(&self, w: &str) -> bool {
        matches!(self.peek(), T::Word(x) if x.eq_ignore_ascii_case(w))
    }

    fn expect_word(&mut self, w: &str) -> Result<(), AwsError> {
        if self.word(w) {
            self.next();
            Ok(())
        } else {
            Err(bad(format!("expected {w}")))
        }
    }

    fn sym(&self, s: &str) -> bool {
        matches!(self.peek(), T::Sym(x) if *x == s)
    }

    fn expect_sym(&mut self, s: &str) -> Result<(), AwsError> {
        if self.sym(s) {
            self.next();
            Ok(())
        } else {
            Err(bad(format!("expected {s}")))
        }
    }

    fn name(&mut self) -> Result<String, AwsError> {
        match self.next() {
            T::Word(w) | T::Quoted(w) => Ok(w),
            other => Err(bad(format!("unexpected {other:?}"))),
        }
    }

    fn path(&mut self) -> Result<Path, AwsError> {
        let mut p = vec![Elem::Attr(self.name()?)];
        loop {
            if self.sym(".") {
                self.next();
                p.push(Elem::Attr(self.name()?));
            } else if self.sym("[") {
                self.next();
                match self.next() {
                    T::Num(n) => p.push(Elem::Index(n.parse().map_err(|_| bad("bad index"))?)),
                    T::Str(k) => p.push(Elem::Attr(k)),
                    _ => return Err(bad("bad path")),
                }
                self.expect_sym("]")?;
            } else {
                return Ok(p);
            }
        }
    }

    fn value(&mut self) -> Result<AttrValue, AwsError> {
        self.depth += 1;
        if self.depth > 32 {
            return Err(bad("nesting too deep"));
        }
        let v = match self.next() {
            T::Param => {
                let v = self.params.get(self.used).cloned().ok_or_else(|| {
                    validation("Number of parameters in request and statement don't match.")
                })?;
                self.used += 1;
                v
            }
            T::Str(s) => AttrValue::S(s),
            T::Num(n) => AttrValue::N(Decimal::parse(&n).map_err(|e| validation(e.message()))?),
            T::Word(w) if w.eq_ignore_ascii_case("true") => AttrValue::Bool(true),
            T::Word(w) if w.eq_ignore_ascii_case("false") => AttrValue::Bool(false),
            T::Word(w) if w.eq_ignore_ascii_case("null") => AttrValue::Null,
            T::Sym("{") => {
                let mut m = BTreeMap::new();
                while !self.sym("}") {
                    let k = match self.next() {
                        T::Str(k) | T::Quoted(k) => k,
                        _ => return Err(bad("map keys are quoted strings")),
                    };
                    self.expect_sym(":")?;
                    m.insert(k, self.value()?);
                    if !self.sym(",") {
                        break;
                    }
                    self.next();
                }
                self.expect_sym("}")?;
                AttrValue::M(m)
            }
            T::Sym("[") => {
                let mut l = vec![];
                while !self.sym("]") {
                    l.push(self.value()?);
                    if !self.sym(",") {
                        break;
                    }
                    self.next();
                }
                self.expect_sym("]")?;
                AttrValue::L(l)
            }
            T::Sym("<<") => {
                let mut l = vec![];
                while !self.sym(">>") {
                    l.push(self.value()?);
                    if !self.sym(",") {
                        break;
                    }
                    self.next();
                }
                self.expect_sym(">>")?;
                set_of(l)?
            }
            other => return Err(bad(format!("unexpected {other:?}"))),
        };
        self.depth -= 1;
        Ok(v)
    }

    fn operand(&mut self) -> Result<Operand, AwsError> {
        match self.peek() {
            T::Word(w)
                if !["true", "false", "null"]
                    .iter()
                    .any(|k| w.eq_ignore_ascii_case(k)) =>
            {
                Ok(Operand::Path(self.path()?))
            }
            T::Quoted(_) => Ok(Operand::Path(self.path()?)),
            _ => Ok(Operand::Value(self.value()?)),
        }
    }

    fn cond(&mut self) -> Result<Cond, AwsError> {
        self.depth += 1;
        if self.depth > 32 {
            return Err(bad("nesting too deep"));
        }
        let mut left = self.and()?;
        while self.word("OR") {
            self.next();
            left = Cond::Or(Box::new(left), Box::new(self.and()?));
        }
        self.depth -= 1;
        Ok(left)
    }

    fn and(&mut self) -> Result<Cond, AwsError> {
        let mut left = self.not()?;
        while self.word("AND") {
            self.next();
            left = Cond::And(Box::new(left), Box::new(self.not()?));
        }
        Ok(left)
    }

    fn not(&mut self) -> Result<Cond, AwsError> {
        if self.word("NOT") {
            self.next();
            return Ok(Cond::Not(Box::new(self.not()?)));
        }
        if self.sym("(") {
            self.next();
            let c = self.cond()?;
            self.expect_sym(")")?;
            return Ok(c);
        }
        if let (T::Word(f), Some(T::Sym("("))) =
            (self.peek().clone(), self.t.get(self.i + 1).cloned())
        {
            let f = f.to_ascii_lowercase();
            self.next();
            self.next();
            let a = self.operand()?;
            let c = match f.as_str() {
                "begins_with" | "contains" | "attribute_type" => {
                    self.expect_sym(",")?;
                    let b = self.operand()?;
                    match (f.as_str(), a) {
                        ("begins_with", a) => Cond::BeginsWith(a, b),
                        ("contains", a) => Cond::Contains(a, b),
                        (_, Operand::Path(p)) => Cond::Type(p, b),
                        _ => return Err(bad("attribute_type needs a path")),
                    }
                }
                "exists" | "attribute_exists" => match a {
                    Operand::Path(p) => Cond::Exists(p),
                    _ => return Err(bad("a path is needed")),
                },
                _ => return Err(bad(format!("unknown function {f}"))),
            };
            self.expect_sym(")")?;
            return Ok(c);
        }
        let left = self.operand()?;
        if self.word("IS") {
            self.next();
            let negate = self.word("NOT");
            if negate {
                self.next();
            }
            self.expect_word("MISSING")?;
            let Operand::Path(p) = left else {
                return Err(bad("IS MISSING needs a path"));
            };
            return Ok(if negate {
                Cond::Exists(p)
            } else {
                Cond::NotExists(p)
            });
        }
        if self.word("BETWEEN") {
            self.next();
            let lo = self.operand()?;
            self.expect_word("AND")?;
            let hi = self.operand()?;
            return Ok(Cond::Between(left, lo, hi));
        }
        if self.word("IN") {
            self.next();
            let open = if self.sym("(") { ")" } else { "]" };
            self.next();
            let mut list = vec![self.operand()?];
            while self.sym(",") {
                self.next();
                list.push(self.operand()?);
            }
            self.expect_sym(open)?;
            return Ok(Cond::In(left, list));
        }
        let op = match self.next() {
            T::Sym("=") => Cmp::Eq,
            T::Sym("<>") | T::Sym("!=") => Cmp::Ne,
            T::Sym("<") => Cmp::Lt,
            T::Sym("<=") => Cmp::Le,
            T::Sym(">") => Cmp::Gt,
            T::Sym(">=") => Cmp::Ge,
            other => return Err(bad(format!("unexpected {other:?}"))),
        };
        Ok(Cond::Compare(left, op, self.operand()?))
    }

    /// `"table"` or `"table"."index"`.
    fn target(&mut self) -> Result<(String, Option<String>), AwsError> {
        let t = self.name()?;
        if self.sym(".") {
            self.next();
            return Ok((t, Some(self.name()?)));
        }
        Ok((t, None))
    }
}

fn set_of(l: Vec<AttrValue>) -> Result<AttrValue, AwsError> {
    let wire = |t: &str, v: Vec<Value>| AttrValue::from_json(&json!({ t: v }));
    match l.first() {
        Some(AttrValue::S(_)) => wire("SS", l.iter().map(|v| v.to_json()["S"].clone()).collect()),
        Some(AttrValue::N(_)) => wire("NS", l.iter().map(|v| v.to_json()["N"].clone()).collect()),
        Some(AttrValue::B(_)) => wire("BS", l.iter().map(|v| v.to_json()["B"].clone()).collect()),
        _ => Err(bad("a set holds strings, numbers or binaries")),
    }
}

/// The `attr = value` equalities of a condition's top-level ANDs.
fn equalities(c: &Cond, out: &mut BTreeMap<String, AttrValue>) {
    match c {
        Cond::And(a, b) => {
            equalities(a, out);
            equalities(b, out);
        }
        Cond::Compare(Operand::Path(p), Cmp::Eq, Operand::Value(v))
        | Cond::Compare(Operand::Value(v), Cmp::Eq, Operand::Path(p)) => {
            if let [Elem::Attr(a)] = p.as_slice() {
                out.insert(a.clone(), v.clone());
            }
        }
        _ => {}
    }
}

impl DynamoDbService {
    /// `ExecuteStatement`.
    pub(crate) fn execute_statement(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let src = s(&input, "Statement").unwrap_or_default();
        let params: Vec<AttrValue> = input
            .get("Parameters")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .map(AttrValue::from_json)
            .collect::<Result<_, _>>()?;
        let mut p = P {
            t: lex(src)?,
            i: 0,
            params: &params,
            used: 0,
            depth: 0,
        };
        let verb = match p.next() {
            T::Word(w) => w.to_ascii_uppercase(),
            _ => return Err(bad("expected SELECT, INSERT, UPDATE or DELETE")),
        };
        let out = match verb.as_str() {
            "SELECT" => self.pq_select(ctx, &mut p, &input)?,
            "INSERT" => self.pq_insert(ctx, &mut p)?,
            "UPDATE" => self.pq_update(ctx, &mut p, &input)?,
            "DELETE" => self.pq_delete(ctx, &mut p, &input)?,
            other => return Err(bad(format!("unsupported statement {other}"))),
        };
        if p.used != params.len() {
            return Err(validation(
                "Number of parameters in request and statement don't match.",
            ));
        }
        Ok(out)
    }

    fn pq_end(p: &mut P<'_>) -> Result<(), AwsError> {
        if *p.peek() != T::End {
            return Err(bad(format!("unexpected {:?}", p.peek())));
        }
        Ok(())
    }

    fn pq_select(&self, ctx: &RequestContext, p: &mut P<'_>, input: &Value) -> OpResult {
        let mut proj: Option<Vec<Path>> = None;
        if p.sym("*") {
            p.next();
        } else {
            let mut list = vec![p.path()?];
            while p.sym(",") {
                p.next();
                list.push(p.path()?);
            }
            proj = Some(list);
        }
        p.expect_word("FROM")?;
        let (table, index) = p.target()?;
        let cond = if p.word("WHERE") {
            p.next();
            Some(p.cond()?)
        } else {
            None
        };
        Self::pq_end(p)?;
        let (tkey, meta) = self.meta(ctx, &table, false)?;
        let (base, hash) = match &index {
            Some(i) => {
                let idx = meta.index(i).ok_or_else(|| {
                    validation(format!("The table does not have the specified index: {i}"))
                })?;
                (index_base(&tkey, i), idx.keys.hash.clone())
            }
            None => (items_base(&tkey), meta.keys.hash.clone()),
        };
        let mut eq = BTreeMap::new();
        if let Some(c) = &cond {
            equalities(c, &mut eq);
        }
        let (mut start, end) = match eq.get(&hash) {
            Some(h) => {
                let prefix = keys::partition_prefix(&base, h);
                let mut e = prefix.clone();
                e.pop();
                e.push('/');
                (prefix, e)
            }
            None => (base.clone(), format!("{base}g")),
        };
        if let Some(t) = s(input, "NextToken") {
            if !t.starts_with(&base) || t < start.as_str() {
                return Err(validation("Given NextToken is not valid"));
            }
            start = format!("{t}\u{0}");
        }
        let limit = input
            .get("Limit")
            .and_then(Value::as_u64)
            .map_or(usize::MAX, |l| l as usize);
        let table_ref = if index.is_some() {
            &self.s.index
        } else {
            &self.s.items
        };
        let mut items = vec![];
        let mut read = 0usize;
        let mut bytes = 0usize;
        let mut next = None;
        let mut cursor = start;
        'outer: loop {
            let batch = table_ref.scan_range(&cursor, Some(&end), 256)?;
            let n = batch.len();
            for (k, v) in batch {
                let item = item_from_stored(&v);
                read += 1;
                bytes += item_size(&item);
                let keep = match &cond {
                    Some(c) => holds(c, &item)?,
                    None => true,
                };
                if keep {
                    items.push(match &proj {
                        Some(pr) => item_to_json(&project(&item, pr)),
                        None => v,
                    });
                }
                cursor = format!("{k}\u{0}");
                if read >= limit {
                    next = Some(k);
                    break 'outer;
                }
            }
            if n < 256 {
                break;
            }
        }
        let mut out = json!({"Items": items});
        if let Some(k) = next {
            out["NextToken"] = json!(k);
        }
        let consistent = input.get("ConsistentRead").and_then(Value::as_bool) == Some(true);
        let c = Consumed {
            table: meta.name.clone(),
            table_units: read_units(bytes, consistent),
            read: true,
            ..Default::default()
        };
        if let Some(v) = c.to_json(Report::from_input(input)) {
            out["ConsumedCapacity"] = v;
        }
        Ok(out)
    }

    fn pq_insert(&self, ctx: &RequestContext, p: &mut P<'_>) -> OpResult {
        p.expect_word("INTO")?;
        let (table, _) = p.target()?;
        p.expect_word("VALUE")?;
        let AttrValue::M(item) = p.value()? else {
            return Err(bad("INSERT takes a map VALUE"));
        };
        Self::pq_end(p)?;
        let (tkey, meta) = self.meta(ctx, &table, false)?;
        let (h, r) = meta.check_item(&item)?;
        check_size(&item)?;
        let ikey = item_key(&tkey, &h, r.as_ref());
        let now = ctx.clock.now_millis();
        self.s.store.write(|txn| -> Result<(), AwsError> {
            if txn.get(&self.s.items, &ikey)?.is_some() {
                return Err(AwsError::from(DynamoError::Duplicate));
            }
            storage::write_item(&self.s, txn, &tkey, &meta, &ikey, None, Some(&item), now)?;
            Ok(())
        })?;
        Ok(json!({}))
    }

    /// The item a WHERE names (its full key) and the rest as a condition.
    fn pq_where(
        &self,
        ctx: &RequestContext,
        table: &str,
        cond: &Cond,
    ) -> Result<
        (
            String,
            std::sync::Arc<crate::schema::TableMeta>,
            String,
            Item,
        ),
        AwsError,
    > {
        let (tkey, meta) = self.meta(ctx, table, false)?;
        let mut eq = BTreeMap::new();
        equalities(cond, &mut eq);
        let key: Item = meta
            .keys
            .names()
            .filter_map(|n| eq.get(n).map(|v| (n.to_string(), v.clone())))
            .collect();
        let (h, r) = meta.key_from(&key).map_err(|_| {
            validation("Where clause does not contain a mandatory equality on all key attributes")
        })?;
        let ikey = item_key(&tkey, &h, r.as_ref());
        Ok((tkey, meta, ikey, key))
    }

    fn pq_update(&self, ctx: &RequestContext, p: &mut P<'_>, input: &Value) -> OpResult {
        let (table, _) = p.target()?;
        let mut actions = vec![];
        loop {
            if p.word("SET") {
                p.next();
                let path = p.path()?;
                p.expect_sym("=")?;
                let a = p.operand()?;
                let v = if p.sym("+") || p.sym("-") {
                    let plus = p.sym("+");
                    p.next();
                    let b = p.operand()?;
                    if plus {
                        Operand::Plus(Box::new(a), Box::new(b))
                    } else {
                        Operand::Minus(Box::new(a), Box::new(b))
                    }
                } else {
                    a
                };
                actions.push(Action::Set(path, v));
            } else if p.word("REMOVE") {
                p.next();
                actions.push(Action::Remove(p.path()?));
            } else if p.sym(",") {
                p.next();
            } else {
                break;
            }
        }
        p.expect_word("WHERE")?;
        let cond = p.cond()?;
        Self::pq_end(p)?;
        let (tkey, meta, ikey, _) = self.pq_where(ctx, &table, &cond)?;
        crate::items::check_key_update(&meta, &actions)?;
        let now = ctx.clock.now_millis();
        self.s.store.write(|txn| -> Result<(), AwsError> {
            let old = txn.get(&self.s.items, &ikey)?.map(|v| item_from_stored(&v));
            let Some(o) = &old else {
                return Err(condition_failed(None, input));
            };
            if !holds(&cond, o)? {
                return Err(condition_failed(old.as_ref(), input));
            }
            let new = update::apply(o, &actions)?;
            meta.check_item(&new)?;
            check_size(&new)?;
            storage::write_item(
                &self.s,
                txn,
                &tkey,
                &meta,
                &ikey,
                old.as_ref(),
                Some(&new),
                now,
            )?;
            Ok(())
        })?;
        Ok(json!({}))
    }

    fn pq_delete(&self, ctx: &RequestContext, p: &mut P<'_>, input: &Value) -> OpResult {
        p.expect_word("FROM")?;
        let (table, _) = p.target()?;
        p.expect_word("WHERE")?;
        let cond = p.cond()?;
        Self::pq_end(p)?;
        let (tkey, meta, ikey, _) = self.pq_where(ctx, &table, &cond)?;
        let now = ctx.clock.now_millis();
        self.s.store.write(|txn| -> Result<(), AwsError> {
            let old = txn.get(&self.s.items, &ikey)?.map(|v| item_from_stored(&v));
            let Some(o) = &old else {
                return Ok(());
            };
            if !holds(&cond, o)? {
                return Err(condition_failed(old.as_ref(), input));
            }
            storage::write_item(&self.s, txn, &tkey, &meta, &ikey, old.as_ref(), None, now)?;
            Ok(())
        })?;
        Ok(json!({}))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_cond(src: &str, params: &[AttrValue]) -> Result<Cond, AwsError> {
        let mut p = P {
            t: lex(src)?,
            i: 0,
            params,
            used: 0,
            depth: 0,
        };
        p.cond()
    }

    #[test]
    fn conditions_compile_to_expression_trees() {
        let c = parse_cond(
            "\"pk\" = ? AND sk BETWEEN 1 AND 5 AND x IS NOT MISSING",
            &[AttrValue::S("a".into())],
        )
        .expect("parses");
        let mut eq = BTreeMap::new();
        equalities(&c, &mut eq);
        assert_eq!(eq.get("pk"), Some(&AttrValue::S("a".into())));
        assert!(parse_cond("a = ", &[]).is_err());
        assert!(parse_cond(&"(".repeat(1000), &[]).is_err());
        assert!(parse_cond("a = 'x", &[]).is_err());
        // Every prefix of a statement is an error or a tree, never a panic.
        let full = "NOT (a = ? AND begins_with(b, 'x')) OR c IN [1, 2] OR d IS MISSING";
        for end in 0..=full.len() {
            let _ = parse_cond(&full[..end], &[AttrValue::S("p".into())]);
        }
    }

    #[test]
    fn values_cover_maps_lists_and_sets() {
        let mut p = P {
            t: lex("{'a': 1, 'b': [true, null, 'x'], 'c': <<'p', 'q'>>, 'd': -2.5e1}")
                .expect("lex"),
            i: 0,
            params: &[],
            used: 0,
            depth: 0,
        };
        let v = p.value().expect("value");
        assert_eq!(
            v.to_json(),
            json!({"M": {"a": {"N": "1"}, "b": {"L": [{"BOOL": true}, {"NULL": true}, {"S": "x"}]},
                "c": {"SS": ["p", "q"]}, "d": {"N": "-25"}}})
        );
    }
}
