//! PartiQL's lexer and parser: a statement's text and parameters become
//! a [`Stmt`] whose conditions are the expression trees of
//! [`crate::expr`], so they evaluate exactly as condition expressions do.
//! Statements: `SELECT … FROM "table"[."index"] [WHERE …]`,
//! `INSERT INTO "table" VALUE {…}`, `UPDATE "table" SET …/REMOVE …
//! WHERE <key> [AND …] [RETURNING …]`, `DELETE FROM "table" WHERE <key>
//! [AND …] [RETURNING ALL OLD *]`, and (in transactions)
//! `EXISTS(SELECT …)`.

use crate::errors::validation;
use crate::expr::parser::{Action, Cmp, Cond, Elem, Operand, Path};
use crate::number::Decimal;
use crate::value::{AttrValue, Item};
use gureum_core::{AwsError, Value};
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
        if let (T::Word(f), Some(T::Sym("("))) =
            (self.peek().clone(), self.t.get(self.i + 1).cloned())
        {
            let f = f.to_ascii_lowercase();
            if ["size", "list_append", "if_not_exists"].contains(&f.as_str()) {
                self.next();
                self.next();
                let op = match f.as_str() {
                    "size" => Operand::Size(self.path()?),
                    "list_append" => {
                        let a = self.operand()?;
                        self.expect_sym(",")?;
                        Operand::ListAppend(Box::new(a), Box::new(self.operand()?))
                    }
                    _ => {
                        let p = self.path()?;
                        self.expect_sym(",")?;
                        Operand::IfNotExists(p, Box::new(self.operand()?))
                    }
                };
                self.expect_sym(")")?;
                return Ok(op);
            }
        }
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
            if ["size", "list_append", "if_not_exists"].contains(&f.as_str()) {
                return self.comparison();
            }
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
        self.comparison()
    }

    /// `operand IS [NOT] MISSING`, `BETWEEN`, `IN` or a comparison.
    fn comparison(&mut self) -> Result<Cond, AwsError> {
        let left = self.operand()?;
        if self.word("IS") {
            self.next();
            let negate = self.word("NOT");
            if negate {
                self.next();
            }
            let Operand::Path(p) = left else {
                return Err(bad("IS needs a path"));
            };
            // `IS NULL` is a NULL-typed attribute; `IS MISSING` an absent one.
            if self.word("NULL") {
                self.next();
                let t = Cond::Type(p, Operand::Value(AttrValue::S("NULL".into())));
                return Ok(if negate { Cond::Not(Box::new(t)) } else { t });
            }
            self.expect_word("MISSING")?;
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
pub(crate) fn equalities(c: &Cond, out: &mut BTreeMap<String, AttrValue>) {
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

/// What `RETURNING` asks of an UPDATE or DELETE.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Returning {
    /// `ALL OLD *`.
    AllOld,
    /// `MODIFIED OLD *`.
    ModifiedOld,
    /// `ALL NEW *`.
    AllNew,
    /// `MODIFIED NEW *`.
    ModifiedNew,
}

/// A parsed statement.
#[derive(Clone, Debug)]
pub(crate) enum Stmt {
    /// `SELECT`.
    Select {
        /// The table.
        table: String,
        /// The index, when `"table"."index"`.
        index: Option<String>,
        /// The projected paths (`None` for `*`).
        proj: Option<Vec<Path>>,
        /// The WHERE condition.
        cond: Option<Cond>,
    },
    /// `INSERT INTO … VALUE {…}`.
    Insert {
        /// The table.
        table: String,
        /// The item.
        item: Item,
    },
    /// `UPDATE … SET/REMOVE … WHERE …`.
    Update {
        /// The table.
        table: String,
        /// The changes, as update actions.
        actions: Vec<Action>,
        /// The WHERE condition (key equalities included).
        cond: Cond,
        /// The `RETURNING` clause.
        returning: Option<Returning>,
    },
    /// `DELETE FROM … WHERE …`.
    Delete {
        /// The table.
        table: String,
        /// The WHERE condition (key equalities included).
        cond: Cond,
        /// The `RETURNING` clause.
        returning: Option<Returning>,
    },
    /// `EXISTS(SELECT … WHERE …)`: a transaction's condition check.
    Exists {
        /// The table.
        table: String,
        /// The WHERE condition (key equalities included).
        cond: Cond,
    },
}

impl Stmt {
    /// Whether the statement reads (SELECT) rather than writes.
    pub(crate) fn is_read(&self) -> bool {
        matches!(self, Stmt::Select { .. })
    }

    /// The table the statement names.
    pub(crate) fn table(&self) -> &str {
        match self {
            Stmt::Select { table, .. }
            | Stmt::Insert { table, .. }
            | Stmt::Update { table, .. }
            | Stmt::Delete { table, .. }
            | Stmt::Exists { table, .. } => table,
        }
    }
}

/// Parses `src` with `params` for its `?`s (as many as it has).
pub(crate) fn parse(src: &str, params: &[AttrValue]) -> Result<Stmt, AwsError> {
    let mut p = P {
        t: lex(src)?,
        i: 0,
        params,
        used: 0,
        depth: 0,
    };
    let verb = match p.next() {
        T::Word(w) => w.to_ascii_uppercase(),
        // AWS's words for a statement that is not SELECT/INSERT/UPDATE/DELETE.
        _ => return Err(bad("Expected data manipulation")),
    };
    let stmt = match verb.as_str() {
        "SELECT" => select(&mut p)?,
        "INSERT" => insert(&mut p)?,
        "UPDATE" => update(&mut p)?,
        "DELETE" => delete(&mut p)?,
        "EXISTS" => {
            p.expect_sym("(")?;
            p.expect_word("SELECT")?;
            let Stmt::Select {
                table,
                cond: Some(cond),
                index: None,
                ..
            } = select(&mut p)?
            else {
                return Err(bad("EXISTS needs a SELECT with a WHERE clause on a table"));
            };
            p.expect_sym(")")?;
            Stmt::Exists { table, cond }
        }
        _ => return Err(bad("Expected data manipulation")),
    };
    if *p.peek() != T::End {
        return Err(bad(format!("unexpected {:?}", p.peek())));
    }
    if p.used != params.len() {
        return Err(validation(
            "Number of parameters in request and statement don't match.",
        ));
    }
    Ok(stmt)
}

fn select(p: &mut P<'_>) -> Result<Stmt, AwsError> {
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
    Ok(Stmt::Select {
        table,
        index,
        proj,
        cond,
    })
}

fn insert(p: &mut P<'_>) -> Result<Stmt, AwsError> {
    p.expect_word("INTO")?;
    let (table, _) = p.target()?;
    p.expect_word("VALUE")?;
    let AttrValue::M(item) = p.value()? else {
        return Err(bad("INSERT takes a map VALUE"));
    };
    Ok(Stmt::Insert { table, item })
}

fn update(p: &mut P<'_>) -> Result<Stmt, AwsError> {
    let (table, _) = p.target()?;
    let mut actions = vec![];
    loop {
        if p.word("SET") {
            p.next();
            actions.push(set_action(p)?);
        } else if p.word("REMOVE") {
            p.next();
            actions.push(Action::Remove(p.path()?));
        } else if p.sym(",") {
            p.next();
            // `SET a = 1, b = 2`: a comma continues the clause before it.
            match actions.last() {
                Some(Action::Remove(_)) => actions.push(Action::Remove(p.path()?)),
                _ => actions.push(set_action(p)?),
            }
        } else {
            break;
        }
    }
    if actions.is_empty() {
        return Err(bad("expected SET or REMOVE"));
    }
    p.expect_word("WHERE")?;
    let cond = p.cond()?;
    let returning = returning(p)?;
    Ok(Stmt::Update {
        table,
        actions,
        cond,
        returning,
    })
}

/// `path = operand [+|- operand]`, or `set_add`/`set_delete` on a set.
fn set_action(p: &mut P<'_>) -> Result<Action, AwsError> {
    let path = p.path()?;
    p.expect_sym("=")?;
    if let T::Word(f) = p.peek().clone() {
        let f = f.to_ascii_lowercase();
        if (f == "set_add" || f == "set_delete") && matches!(p.t.get(p.i + 1), Some(T::Sym("("))) {
            p.next();
            p.next();
            let target = p.path()?;
            if target != path {
                return Err(bad(format!("{f} must name the attribute it sets")));
            }
            p.expect_sym(",")?;
            let v = p.value()?;
            p.expect_sym(")")?;
            return Ok(if f == "set_add" {
                Action::Add(path, v)
            } else {
                Action::Delete(path, v)
            });
        }
    }
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
    Ok(Action::Set(path, v))
}

fn delete(p: &mut P<'_>) -> Result<Stmt, AwsError> {
    p.expect_word("FROM")?;
    let (table, _) = p.target()?;
    p.expect_word("WHERE")?;
    let cond = p.cond()?;
    let returning = returning(p)?;
    if returning.is_some_and(|r| r != Returning::AllOld) {
        return Err(validation(
            "DELETE statement only supports RETURNING ALL OLD *",
        ));
    }
    Ok(Stmt::Delete {
        table,
        cond,
        returning,
    })
}

/// `RETURNING (ALL|MODIFIED) (OLD|NEW) *`.
fn returning(p: &mut P<'_>) -> Result<Option<Returning>, AwsError> {
    if !p.word("RETURNING") {
        return Ok(None);
    }
    p.next();
    let all = if p.word("ALL") {
        true
    } else if p.word("MODIFIED") {
        false
    } else {
        return Err(bad("expected ALL or MODIFIED"));
    };
    p.next();
    let old = if p.word("OLD") {
        true
    } else if p.word("NEW") {
        false
    } else {
        return Err(bad("expected OLD or NEW"));
    };
    p.next();
    p.expect_sym("*")?;
    Ok(Some(match (all, old) {
        (true, true) => Returning::AllOld,
        (false, true) => Returning::ModifiedOld,
        (true, false) => Returning::AllNew,
        (false, false) => Returning::ModifiedNew,
    }))
}

/// The statement's parameters, from a request member.
pub(crate) fn params_of(v: Option<&Value>) -> Result<Vec<AttrValue>, AwsError> {
    v.and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(AttrValue::from_json)
        .collect()
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

    #[test]
    fn statements_parse_to_their_kinds() {
        let u = parse(
            "UPDATE t SET a = list_append(a, [1]), b = set_add(b, <<'x'>>) REMOVE c WHERE pk = 'k' RETURNING MODIFIED NEW *",
            &[],
        )
        .expect("update");
        let Stmt::Update {
            actions, returning, ..
        } = u
        else {
            panic!("not an update");
        };
        assert_eq!(actions.len(), 3);
        assert!(matches!(actions[1], Action::Add(..)));
        assert_eq!(returning, Some(Returning::ModifiedNew));
        assert!(matches!(
            parse("EXISTS(SELECT * FROM t WHERE pk = 'k')", &[]).expect("exists"),
            Stmt::Exists { .. }
        ));
        assert!(parse("DELETE FROM t WHERE pk = 'k' RETURNING ALL NEW *", &[]).is_err());
        assert!(parse("SELECT * FROM t WHERE pk = ?", &[]).is_err());
        assert!(parse("UPDATE t WHERE pk = 'k'", &[]).is_err());
    }
}
