//! DynamoDB's expression language: [`lexer`] → [`parser`] → [`eval`].
//! Every input yields a tree or AWS's `ValidationException` text, never a
//! panic (the parser is fuzzed); nesting is bounded.

pub mod eval;
pub mod lexer;
pub mod parser;
pub mod reserved;

#[cfg(test)]
mod tests;

/// Which request member an expression came from (it names the member in
/// error messages: `Invalid UpdateExpression: …`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// `ConditionExpression`.
    Condition,
    /// `FilterExpression`.
    Filter,
    /// `KeyConditionExpression`.
    KeyCondition,
    /// `UpdateExpression`.
    Update,
    /// `ProjectionExpression`.
    Projection,
}

impl Kind {
    /// The member's name.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Condition => "ConditionExpression",
            Kind::Filter => "FilterExpression",
            Kind::KeyCondition => "KeyConditionExpression",
            Kind::Update => "UpdateExpression",
            Kind::Projection => "ProjectionExpression",
        }
    }
}
