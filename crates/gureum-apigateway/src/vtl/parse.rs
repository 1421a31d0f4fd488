//! Template text → nodes; directive arguments → expressions.

use gureum_core::Value;

/// One piece of a template.
#[derive(Debug, Clone)]
pub(crate) enum Node {
    Text(String),
    /// A reference; `raw` is printed when it is undefined and not quiet.
    Ref {
        r: Reference,
        quiet: bool,
        raw: String,
    },
    Set(String, Expr),
    If(Vec<(Expr, Vec<Node>)>, Option<Vec<Node>>),
    Foreach(String, Expr, Vec<Node>),
}

/// `$root.a.b(…)[i]`.
#[derive(Debug, Clone)]
pub(crate) struct Reference {
    pub root: String,
    pub chain: Vec<Access>,
}

/// One step after a reference's root.
#[derive(Debug, Clone)]
pub(crate) enum Access {
    Prop(String),
    Call(String, Vec<Expr>),
    Index(Expr),
}

/// An expression in a directive or argument list.
#[derive(Debug, Clone)]
pub(crate) enum Expr {
    Lit(Value),
    /// A double-quoted string: interpolated when evaluated.
    Interp(Vec<Node>),
    Ref(Reference),
    List(Vec<Expr>),
    Map(Vec<(Expr, Expr)>),
    Not(Box<Expr>),
    Bin(String, Box<Expr>, Box<Expr>),
}

struct Parser<'a> {
    s: &'a [u8],
    src: &'a str,
    i: usize,
}

/// Parses a whole template.
pub(crate) fn template(src: &str) -> Result<Vec<Node>, String> {
    let mut p = Parser {
        s: src.as_bytes(),
        src,
        i: 0,
    };
    let (nodes, end) = p.block()?;
    match end {
        None => Ok(nodes),
        Some(word) => Err(format!("unexpected #{word}")),
    }
}

fn ident_start(b: u8) -> bool {
    b.is_ascii_alphabetic() || b == b'_'
}

fn ident_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'-'
}

impl Parser<'_> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }

    fn at(&self, lit: &str) -> bool {
        self.s[self.i..].starts_with(lit.as_bytes())
    }

    fn ident(&mut self) -> String {
        let start = self.i;
        while self.peek().is_some_and(ident_char) {
            self.i += 1;
        }
        self.src[start..self.i].to_string()
    }

    /// Nodes up to `#end`, `#else`, `#elseif` or the end of input; returns
    /// the directive word that stopped it.
    fn block(&mut self) -> Result<(Vec<Node>, Option<String>), String> {
        let mut nodes = Vec::new();
        let mut text = String::new();
        while let Some(b) = self.peek() {
            if b == b'#' {
                if self.at("##") {
                    while self.peek().is_some_and(|c| c != b'\n') {
                        self.i += 1;
                    }
                    continue;
                }
                if self.at("#*") {
                    match self.src[self.i..].find("*#") {
                        Some(end) => self.i += end + 2,
                        None => self.i = self.s.len(),
                    }
                    continue;
                }
                let save = self.i;
                self.i += 1;
                let braced = self.peek() == Some(b'{');
                if braced {
                    self.i += 1;
                }
                let word = self.ident();
                if braced {
                    if self.peek() == Some(b'}') {
                        self.i += 1;
                    } else {
                        self.i = save;
                    }
                }
                let known = matches!(
                    word.as_str(),
                    "set" | "if" | "elseif" | "else" | "end" | "foreach"
                );
                if self.i == save || !known {
                    self.i = save + 1;
                    text.push('#');
                    continue;
                }
                if !text.is_empty() {
                    nodes.push(Node::Text(std::mem::take(&mut text)));
                }
                match word.as_str() {
                    "end" | "else" | "elseif" => return Ok((nodes, Some(word))),
                    "set" => {
                        self.open()?;
                        self.ws();
                        if self.peek() != Some(b'$') {
                            return Err("#set needs a $variable".into());
                        }
                        self.i += 1;
                        let name = self.ident();
                        self.ws();
                        if self.peek() != Some(b'=') {
                            return Err("#set needs =".into());
                        }
                        self.i += 1;
                        let e = self.expr()?;
                        self.close()?;
                        nodes.push(Node::Set(name, e));
                    }
                    "if" => nodes.push(self.if_chain()?),
                    _ => {
                        self.open()?;
                        self.ws();
                        if self.peek() != Some(b'$') {
                            return Err("#foreach needs a $variable".into());
                        }
                        self.i += 1;
                        let var = self.ident();
                        self.ws();
                        if !self.at("in") {
                            return Err("#foreach needs `in`".into());
                        }
                        self.i += 2;
                        let e = self.expr()?;
                        self.close()?;
                        let (body, end) = self.block()?;
                        if end.as_deref() != Some("end") {
                            return Err("#foreach without #end".into());
                        }
                        self.gobble();
                        nodes.push(Node::Foreach(var, e, body));
                    }
                }
                continue;
            }
            if b == b'$' {
                if let Some(node) = self.reference_node()? {
                    if !text.is_empty() {
                        nodes.push(Node::Text(std::mem::take(&mut text)));
                    }
                    nodes.push(node);
                    continue;
                }
                text.push('$');
                self.i += 1;
                continue;
            }
            if b == b'\\' && self.s.get(self.i + 1) == Some(&b'$') {
                text.push('$');
                self.i += 2;
                continue;
            }
            let ch = self.src[self.i..].chars().next().unwrap_or('\0');
            text.push(ch);
            self.i += ch.len_utf8();
        }
        if !text.is_empty() {
            nodes.push(Node::Text(text));
        }
        Ok((nodes, None))
    }

    fn if_chain(&mut self) -> Result<Node, String> {
        let mut arms = Vec::new();
        let mut otherwise = None;
        let mut cond = self.paren_expr()?;
        loop {
            let (body, end) = self.block()?;
            arms.push((cond, body));
            match end.as_deref() {
                Some("elseif") => cond = self.paren_expr()?,
                Some("else") => {
                    self.gobble();
                    let (body, end) = self.block()?;
                    if end.as_deref() != Some("end") {
                        return Err("#else without #end".into());
                    }
                    self.gobble();
                    otherwise = Some(body);
                    break;
                }
                Some("end") => {
                    self.gobble();
                    break;
                }
                _ => return Err("#if without #end".into()),
            }
        }
        Ok(Node::If(arms, otherwise))
    }

    fn paren_expr(&mut self) -> Result<Expr, String> {
        self.open()?;
        let e = self.expr()?;
        self.close()?;
        Ok(e)
    }

    fn open(&mut self) -> Result<(), String> {
        self.ws();
        if self.peek() != Some(b'(') {
            return Err("expected (".into());
        }
        self.i += 1;
        Ok(())
    }

    fn close(&mut self) -> Result<(), String> {
        self.ws();
        if self.peek() != Some(b')') {
            return Err("expected )".into());
        }
        self.i += 1;
        self.gobble();
        Ok(())
    }

    /// A directive alone on its line takes its line break with it.
    fn gobble(&mut self) {
        let mut j = self.i;
        while matches!(self.s.get(j), Some(b' ' | b'\t' | b'\r')) {
            j += 1;
        }
        if self.s.get(j) == Some(&b'\n') {
            self.i = j + 1;
        }
    }

    fn ws(&mut self) {
        while self.peek().is_some_and(|b| b.is_ascii_whitespace()) {
            self.i += 1;
        }
    }

    /// `$…` in text: `None` when what follows is not a reference.
    fn reference_node(&mut self) -> Result<Option<Node>, String> {
        let start = self.i;
        self.i += 1;
        let quiet = self.peek() == Some(b'!');
        if quiet {
            self.i += 1;
        }
        let braced = self.peek() == Some(b'{');
        if braced {
            self.i += 1;
        }
        if !self.peek().is_some_and(ident_start) {
            self.i = start;
            return Ok(None);
        }
        let r = self.reference_rest()?;
        if braced {
            if self.peek() != Some(b'}') {
                return Err("expected } after ${reference".into());
            }
            self.i += 1;
        }
        let raw = self.src[start..self.i].to_string();
        Ok(Some(Node::Ref { r, quiet, raw }))
    }

    /// The root identifier and its accessors (the `$` already read).
    fn reference_rest(&mut self) -> Result<Reference, String> {
        let root = self.ident();
        let mut chain = Vec::new();
        loop {
            match self.peek() {
                Some(b'.') if self.s.get(self.i + 1).copied().is_some_and(ident_start) => {
                    self.i += 1;
                    let name = self.ident();
                    if self.peek() == Some(b'(') {
                        self.i += 1;
                        let args = self.args(b')')?;
                        chain.push(Access::Call(name, args));
                    } else {
                        chain.push(Access::Prop(name));
                    }
                }
                Some(b'[') => {
                    self.i += 1;
                    let e = self.expr()?;
                    self.ws();
                    if self.peek() != Some(b']') {
                        return Err("expected ]".into());
                    }
                    self.i += 1;
                    chain.push(Access::Index(e));
                }
                _ => break,
            }
        }
        Ok(Reference { root, chain })
    }

    /// Comma-separated expressions up to `close` (consumed).
    fn args(&mut self, close: u8) -> Result<Vec<Expr>, String> {
        let mut out = Vec::new();
        self.ws();
        if self.peek() == Some(close) {
            self.i += 1;
            return Ok(out);
        }
        loop {
            out.push(self.expr()?);
            self.ws();
            match self.peek() {
                Some(b',') => self.i += 1,
                Some(c) if c == close => {
                    self.i += 1;
                    return Ok(out);
                }
                _ => return Err("expected , or closing bracket".into()),
            }
        }
    }

    fn expr(&mut self) -> Result<Expr, String> {
        self.binary(0)
    }

    /// Operators by precedence, loosest first.
    fn op_here(&mut self, level: usize) -> Option<String> {
        self.ws();
        let table: &[&[(&str, &str)]] = &[
            &[("||", "||"), ("or ", "||")],
            &[("&&", "&&"), ("and ", "&&")],
            &[("==", "=="), ("!=", "!="), ("eq ", "=="), ("ne ", "!=")],
            &[
                ("<=", "<="),
                (">=", ">="),
                ("<", "<"),
                (">", ">"),
                ("lt ", "<"),
                ("gt ", ">"),
                ("le ", "<="),
                ("ge ", ">="),
            ],
            &[("+", "+"), ("-", "-")],
            &[("*", "*"), ("/", "/"), ("%", "%")],
        ];
        for (lit, op) in table[level] {
            if self.at(lit) {
                self.i += lit.len();
                return Some(op.to_string());
            }
        }
        None
    }

    fn binary(&mut self, level: usize) -> Result<Expr, String> {
        if level == 6 {
            return self.unary();
        }
        let mut left = self.binary(level + 1)?;
        while let Some(op) = self.op_here(level) {
            let right = self.binary(level + 1)?;
            left = Expr::Bin(op, Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn unary(&mut self) -> Result<Expr, String> {
        self.ws();
        if self.peek() == Some(b'!') && self.s.get(self.i + 1) != Some(&b'=') {
            self.i += 1;
            return Ok(Expr::Not(Box::new(self.unary()?)));
        }
        if self.at("not ") {
            self.i += 4;
            return Ok(Expr::Not(Box::new(self.unary()?)));
        }
        self.primary()
    }

    fn primary(&mut self) -> Result<Expr, String> {
        self.ws();
        match self.peek() {
            Some(b'(') => {
                self.i += 1;
                let e = self.expr()?;
                self.ws();
                if self.peek() != Some(b')') {
                    return Err("expected )".into());
                }
                self.i += 1;
                Ok(e)
            }
            Some(b'$') => {
                self.i += 1;
                if self.peek() == Some(b'!') {
                    self.i += 1;
                }
                let braced = self.peek() == Some(b'{');
                if braced {
                    self.i += 1;
                }
                let r = self.reference_rest()?;
                if braced {
                    if self.peek() != Some(b'}') {
                        return Err("expected }".into());
                    }
                    self.i += 1;
                }
                Ok(Expr::Ref(r))
            }
            Some(q @ (b'\'' | b'"')) => {
                self.i += 1;
                let start = self.i;
                while self.peek().is_some_and(|c| c != q) {
                    self.i += 1;
                }
                if self.peek() != Some(q) {
                    return Err("unterminated string".into());
                }
                let body = &self.src[start..self.i];
                self.i += 1;
                if q == b'"' && body.contains('$') {
                    Ok(Expr::Interp(template(body)?))
                } else {
                    Ok(Expr::Lit(Value::String(body.to_string())))
                }
            }
            Some(b'[') => {
                self.i += 1;
                Ok(Expr::List(self.args(b']')?))
            }
            Some(b'{') => {
                self.i += 1;
                let mut pairs = Vec::new();
                self.ws();
                if self.peek() == Some(b'}') {
                    self.i += 1;
                    return Ok(Expr::Map(pairs));
                }
                loop {
                    let k = self.expr()?;
                    self.ws();
                    if self.peek() != Some(b':') {
                        return Err("expected : in map".into());
                    }
                    self.i += 1;
                    let v = self.expr()?;
                    pairs.push((k, v));
                    self.ws();
                    match self.peek() {
                        Some(b',') => self.i += 1,
                        Some(b'}') => {
                            self.i += 1;
                            return Ok(Expr::Map(pairs));
                        }
                        _ => return Err("expected , or } in map".into()),
                    }
                }
            }
            Some(c) if c.is_ascii_digit() || c == b'-' => {
                let start = self.i;
                self.i += 1;
                while self.peek().is_some_and(|c| c.is_ascii_digit() || c == b'.') {
                    self.i += 1;
                }
                let text = &self.src[start..self.i];
                let n: Value =
                    serde_json::from_str(text).map_err(|_| format!("bad number {text}"))?;
                Ok(Expr::Lit(n))
            }
            _ => {
                let word = self.ident();
                match word.as_str() {
                    "true" => Ok(Expr::Lit(Value::Bool(true))),
                    "false" => Ok(Expr::Lit(Value::Bool(false))),
                    "null" => Ok(Expr::Lit(Value::Null)),
                    _ => Err(format!("unexpected `{word}` in expression")),
                }
            }
        }
    }
}
