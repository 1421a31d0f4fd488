//! Data protection: what a group's data protection policy masks.
//!
//! As on AWS, sensitive data is found when events are ingested (events
//! stored before the policy are not masked) and every way out shows it as
//! asterisks — `GetLogEvents`, `FilterLogEvents` (which also matches on the
//! masked text), Logs Insights, metric filters and subscription filters —
//! unless the caller asks for `unmask` (which IAM checks as `logs:Unmask`).
//! Each event keeps the byte ranges to mask beside its original message.
//!
//! The policy's `Deidentify` statement names what to mask: AWS managed
//! data identifiers Gureum recognises (`EmailAddress`, `IpAddress`,
//! `AwsSecretKey`, `CreditCardNumber`, `PhoneNumber-US`, `Ssn-US`) and the
//! custom identifiers of `Configuration.CustomDataIdentifier` (a name and a
//! regular expression each).

use regex_automata::meta::Regex;
use serde_json::Value;

/// How a match becomes a masked range.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Rule {
    /// The whole match.
    Whole,
    /// The whole match, when its digits pass the Luhn check (cards).
    Luhn,
    /// The last 40 characters (a secret key after its keyword).
    Last40,
}

/// What one policy masks.
pub(crate) struct Masker {
    patterns: Vec<(Regex, Rule)>,
}

/// The managed identifiers Gureum recognises, with their expressions and
/// how a match is masked.
const MANAGED: [(&str, &str, Rule); 6] = [
    (
        "EmailAddress",
        r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}",
        Rule::Whole,
    ),
    (
        "IpAddress",
        r"\b(?:(?:25[0-5]|2[0-4][0-9]|1?[0-9]?[0-9])\.){3}(?:25[0-5]|2[0-4][0-9]|1?[0-9]?[0-9])\b",
        Rule::Whole,
    ),
    // A secret key is recognised next to its keyword, as AWS's identifier
    // requires, so that any 40-character token (a SHA-1) is not masked.
    (
        "AwsSecretKey",
        r#"(?i)(?:aws_?secret_?access_?key|secret_?access_?key|aws_?secret_?key)["']?\s*[:=]\s*["']?[A-Za-z0-9/+]{40}"#,
        Rule::Last40,
    ),
    (
        "CreditCardNumber",
        r"\b(?:[0-9][ -]?){12,18}[0-9]\b",
        Rule::Luhn,
    ),
    (
        "PhoneNumber-US",
        r"(?:\+1[ .-]?)?\(?\b[2-9][0-9]{2}\)?[ .-]?[0-9]{3}[ .-]?[0-9]{4}\b",
        Rule::Whole,
    ),
    ("Ssn-US", r"\b[0-9]{3}-[0-9]{2}-[0-9]{4}\b", Rule::Whole),
];

fn luhn(text: &str) -> bool {
    let digits: Vec<u32> = text.chars().filter_map(|c| c.to_digit(10)).collect();
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &d)| {
            if i % 2 == 1 {
                let x = d * 2;
                if x > 9 {
                    x - 9
                } else {
                    x
                }
            } else {
                d
            }
        })
        .sum();
    digits.len() >= 13 && sum.is_multiple_of(10)
}

impl Masker {
    /// The masker of several policy documents together (a group's and the
    /// account's), when they mask anything.
    pub(crate) fn from_policies<'a>(
        documents: impl IntoIterator<Item = &'a str>,
    ) -> Option<Masker> {
        let patterns: Vec<(Regex, Rule)> = documents
            .into_iter()
            .filter_map(Masker::from_policy)
            .flat_map(|m| m.patterns)
            .collect();
        (!patterns.is_empty()).then_some(Masker { patterns })
    }

    /// The masker of a policy document, when it masks anything.
    pub(crate) fn from_policy(document: &str) -> Option<Masker> {
        let doc: Value = serde_json::from_str(document).ok()?;
        let custom: Vec<(String, String)> = doc["Configuration"]["CustomDataIdentifier"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|c| {
                        Some((
                            c["Name"].as_str()?.to_string(),
                            c["Regex"].as_str()?.to_string(),
                        ))
                    })
                    .collect()
            })
            .unwrap_or_default();
        let mut patterns = Vec::new();
        for statement in doc["Statement"].as_array()? {
            if statement["Operation"].get("Deidentify").is_none() {
                continue;
            }
            for id in statement["DataIdentifier"].as_array().into_iter().flatten() {
                let Some(id) = id.as_str() else { continue };
                let name = id.rsplit('/').next().unwrap_or(id);
                if let Some((_, re, rule)) = MANAGED.iter().find(|(n, _, _)| *n == name) {
                    if let Ok(r) = Regex::new(re) {
                        patterns.push((r, *rule));
                    }
                } else if let Some((_, re)) = custom.iter().find(|(n, _)| n == id) {
                    if let Ok(r) = Regex::new(re) {
                        patterns.push((r, Rule::Whole));
                    }
                }
            }
        }
        (!patterns.is_empty()).then_some(Masker { patterns })
    }

    /// The byte ranges of `message` to mask, sorted and merged.
    pub(crate) fn spans(&self, message: &str) -> Vec<(u32, u32)> {
        let mut spans: Vec<(u32, u32)> = Vec::new();
        for (re, rule) in &self.patterns {
            for m in re.find_iter(message) {
                let start = match rule {
                    Rule::Luhn if !luhn(&message[m.range()]) => continue,
                    // The key is ASCII, so 40 characters are 40 bytes.
                    Rule::Last40 => m.end() - 40,
                    _ => m.start(),
                };
                spans.push((start as u32, m.end() as u32));
            }
        }
        spans.sort_unstable();
        let mut merged: Vec<(u32, u32)> = Vec::new();
        for (s, e) in spans {
            match merged.last_mut() {
                Some(last) if s <= last.1 => last.1 = last.1.max(e),
                _ => merged.push((s, e)),
            }
        }
        merged
    }
}

/// `message` with each character inside `spans` replaced by `*`.
pub(crate) fn masked(message: &str, spans: &[(u32, u32)]) -> String {
    let mut out = String::with_capacity(message.len());
    for (i, c) in message.char_indices() {
        let inside = spans
            .iter()
            .any(|&(s, e)| (s as usize) <= i && i < e as usize);
        out.push(if inside { '*' } else { c });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const POLICY: &str = r#"{"Name":"p","Version":"2021-06-01","Statement":[
        {"Sid":"audit","DataIdentifier":["arn:aws:dataprotection::aws:data-identifier/EmailAddress"],
         "Operation":{"Audit":{"FindingsDestination":{}}}},
        {"Sid":"redact","DataIdentifier":["arn:aws:dataprotection::aws:data-identifier/EmailAddress",
                                          "arn:aws:dataprotection::aws:data-identifier/CreditCardNumber",
                                          "EmployeeId"],
         "Operation":{"Deidentify":{"MaskConfig":{}}}}],
        "Configuration":{"CustomDataIdentifier":[{"Name":"EmployeeId","Regex":"EMP-[0-9]{6}"}]}}"#;

    #[test]
    fn managed_and_custom_identifiers_are_masked_with_asterisks() {
        let m = Masker::from_policy(POLICY).expect("masks");
        let text = "user bob@example.com paid 4111 1111 1111 1111 as EMP-123456";
        let out = masked(text, &m.spans(text));
        assert_eq!(
            out,
            "user *************** paid ******************* as **********"
        );
    }

    #[test]
    fn numbers_that_fail_the_luhn_check_are_not_cards() {
        let m = Masker::from_policy(POLICY).expect("masks");
        assert!(m.spans("order 1234 5678 9012 3456").is_empty());
    }

    #[test]
    fn secret_keys_are_masked_next_to_their_keyword_only() {
        let policy = r#"{"Statement":[{"DataIdentifier":["arn:aws:dataprotection::aws:data-identifier/AwsSecretKey"],"Operation":{"Deidentify":{"MaskConfig":{}}}}]}"#;
        let m = Masker::from_policy(policy).expect("masks");
        let key = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
        let text =
            format!("aws_secret_access_key={key} sha=da39a3ee5e6b4b0d3255bfef95601890afd80709");
        assert_eq!(
            masked(&text, &m.spans(&text)),
            format!(
                "aws_secret_access_key={} sha=da39a3ee5e6b4b0d3255bfef95601890afd80709",
                "*".repeat(40)
            )
        );
    }

    #[test]
    fn a_policy_without_deidentify_masks_nothing() {
        let audit_only = r#"{"Statement":[{"DataIdentifier":["arn:aws:dataprotection::aws:data-identifier/EmailAddress"],"Operation":{"Audit":{}}}]}"#;
        assert!(Masker::from_policy(audit_only).is_none());
    }
}
