//! The composite alarm rule language: `ALARM(name)`, `OK(name)`,
//! `INSUFFICIENT_DATA(name)` (a name or ARN, quoted or not), `TRUE`,
//! `FALSE`, `AND`, `OR`, `NOT` and parentheses (`NOT` binds tightest,
//! then `AND`, then `OR`).

/// A parsed rule.
#[derive(Clone, Debug, PartialEq)]
pub enum Rule {
    /// `TRUE` or `FALSE`.
    Const(bool),
    /// `STATE(alarm)`: whether the alarm is in that state.
    State(String, String),
    /// `NOT r`.
    Not(Box<Rule>),
    /// `a AND b`.
    And(Box<Rule>, Box<Rule>),
    /// `a OR b`.
    Or(Box<Rule>, Box<Rule>),
}

struct P<'a> {
    s: &'a [u8],
    at: usize,
}

impl P<'_> {
    fn ws(&mut self) {
        while self.at < self.s.len() && self.s[self.at].is_ascii_whitespace() {
            self.at += 1;
        }
    }

    fn word(&mut self) -> String {
        self.ws();
        let st = self.at;
        while self.at < self.s.len()
            && (self.s[self.at].is_ascii_alphanumeric() || self.s[self.at] == b'_')
        {
            self.at += 1;
        }
        String::from_utf8_lossy(&self.s[st..self.at]).into_owned()
    }

    fn peek_word(&mut self) -> String {
        let at = self.at;
        let w = self.word();
        self.at = at;
        w
    }

    fn or(&mut self) -> Result<Rule, String> {
        let mut l = self.and()?;
        while self.peek_word() == "OR" {
            self.word();
            l = Rule::Or(Box::new(l), Box::new(self.and()?));
        }
        Ok(l)
    }

    fn and(&mut self) -> Result<Rule, String> {
        let mut l = self.not()?;
        while self.peek_word() == "AND" {
            self.word();
            l = Rule::And(Box::new(l), Box::new(self.not()?));
        }
        Ok(l)
    }

    fn not(&mut self) -> Result<Rule, String> {
        if self.peek_word() == "NOT" {
            self.word();
            return Ok(Rule::Not(Box::new(self.not()?)));
        }
        self.atom()
    }

    fn atom(&mut self) -> Result<Rule, String> {
        self.ws();
        if self.s.get(self.at) == Some(&b'(') {
            self.at += 1;
            let r = self.or()?;
            self.ws();
            if self.s.get(self.at) != Some(&b')') {
                return Err("Missing closing parenthesis".into());
            }
            self.at += 1;
            return Ok(r);
        }
        let w = self.word();
        match w.as_str() {
            "TRUE" => Ok(Rule::Const(true)),
            "FALSE" => Ok(Rule::Const(false)),
            "ALARM" | "OK" | "INSUFFICIENT_DATA" => {
                self.ws();
                if self.s.get(self.at) != Some(&b'(') {
                    return Err(format!("Expected '(' after {w}"));
                }
                self.at += 1;
                self.ws();
                let name = if self.s.get(self.at) == Some(&b'"') {
                    self.at += 1;
                    let st = self.at;
                    while self.at < self.s.len() && self.s[self.at] != b'"' {
                        self.at += 1;
                    }
                    if self.at >= self.s.len() {
                        return Err("Unterminated alarm name".into());
                    }
                    let n = String::from_utf8_lossy(&self.s[st..self.at]).into_owned();
                    self.at += 1;
                    n
                } else {
                    let st = self.at;
                    while self.at < self.s.len() && self.s[self.at] != b')' {
                        self.at += 1;
                    }
                    String::from_utf8_lossy(&self.s[st..self.at])
                        .trim()
                        .to_string()
                };
                self.ws();
                if self.s.get(self.at) != Some(&b')') || name.is_empty() {
                    return Err(format!("Invalid {w} function"));
                }
                self.at += 1;
                Ok(Rule::State(w, name))
            }
            "" => Err("Unexpected end of rule or character".into()),
            other => Err(format!("Unknown token {other}")),
        }
    }
}

/// Parses a rule; the error says what is wrong.
pub fn parse(rule: &str) -> Result<Rule, String> {
    let mut p = P {
        s: rule.as_bytes(),
        at: 0,
    };
    let r = p.or()?;
    p.ws();
    if p.at != p.s.len() {
        return Err("Unexpected characters after the end of the rule".into());
    }
    Ok(r)
}

impl Rule {
    /// The alarms it names (names or ARNs, as written).
    pub fn children(&self, out: &mut Vec<String>) {
        match self {
            Rule::Const(_) => {}
            Rule::State(_, n) => out.push(n.clone()),
            Rule::Not(r) => r.children(out),
            Rule::And(a, b) | Rule::Or(a, b) => {
                a.children(out);
                b.children(out);
            }
        }
    }

    /// Its value, given each child's state (`None`: unknown child, which
    /// matches no state).
    pub fn eval(&self, state_of: &dyn Fn(&str) -> Option<String>) -> bool {
        match self {
            Rule::Const(b) => *b,
            Rule::State(s, n) => state_of(n).as_deref() == Some(s.as_str()),
            Rule::Not(r) => !r.eval(state_of),
            Rule::And(a, b) => a.eval(state_of) && b.eval(state_of),
            Rule::Or(a, b) => a.eval(state_of) || b.eval(state_of),
        }
    }
}

/// The alarm name an `ALARM(…)` argument names (the last part of an ARN).
pub fn child_name(reference: &str) -> &str {
    match reference.strip_prefix("arn:") {
        Some(_) => reference.rsplit(":alarm:").next().unwrap_or(reference),
        None => reference,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn states(n: &str) -> Option<String> {
        match n {
            "a" => Some("ALARM".into()),
            "b" => Some("OK".into()),
            "c d" => Some("INSUFFICIENT_DATA".into()),
            _ => None,
        }
    }

    fn holds(rule: &str) -> bool {
        parse(rule).expect(rule).eval(&states)
    }

    #[test]
    fn rules_evaluate_with_precedence_and_parentheses() {
        assert!(holds("ALARM(a)"));
        assert!(holds("ALARM(\"a\") AND OK(b)"));
        assert!(!holds("ALARM(a) AND ALARM(b)"));
        assert!(holds("ALARM(b) OR ALARM(a) AND OK(b)"));
        assert!(!holds("(ALARM(b) OR ALARM(a)) AND NOT OK(b)"));
        assert!(holds("INSUFFICIENT_DATA(\"c d\")"));
        assert!(holds("TRUE"));
        assert!(!holds("FALSE OR NOT TRUE"));
        assert!(holds("ALARM( a )"));
    }

    #[test]
    fn malformed_rules_are_refused() {
        for bad in [
            "",
            "ALARM(a",
            "ALARM a",
            "ALARM(a) AND",
            "MAYBE(a)",
            "(ALARM(a)",
            "ALARM()",
        ] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn children_and_arn_names() {
        let mut c = Vec::new();
        parse("ALARM(a) OR OK(arn:aws:cloudwatch:us-east-1:1:alarm:b)")
            .expect("parse")
            .children(&mut c);
        assert_eq!(c, ["a", "arn:aws:cloudwatch:us-east-1:1:alarm:b"]);
        assert_eq!(child_name(&c[1]), "b");
    }
}
