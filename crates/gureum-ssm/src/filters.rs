//! `ParameterFilters` (and `DescribeParameters`' older `Filters`): keys,
//! options and values, checked as AWS checks them, then matched against
//! a stored parameter's newest version.

use crate::{Parameter, SsmError};
use gureum_core::member::str_member;
use gureum_core::{AwsError, Value};

/// Which operation the filters are for (they accept different keys).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    /// `GetParametersByPath`: `Type`, `KeyId`, `Label`, `tag:…`.
    ByPath,
    /// `DescribeParameters`: also `Name`, `Path`, `Tier`, `DataType`.
    Describe,
}

/// One parsed filter.
#[derive(Clone, Debug, PartialEq)]
pub struct ParamFilter {
    /// The key (`Name`, `tag:env`, …).
    pub key: String,
    /// The option (`Equals`, `BeginsWith`, `Contains`, `Recursive`, `OneLevel`).
    pub option: String,
    /// The values (any one matches).
    pub values: Vec<String>,
}

/// The options each key takes; the first is the default.
fn options(key: &str, target: Target) -> Option<&'static [&'static str]> {
    if key.starts_with("tag:") {
        return Some(&["Equals"]);
    }
    let describe = target == Target::Describe;
    match key {
        "Type" | "KeyId" | "Label" => Some(&["Equals"]),
        "Name" if describe => Some(&["Equals", "BeginsWith", "Contains"]),
        "Path" if describe => Some(&["OneLevel", "Recursive"]),
        "Tier" | "DataType" if describe => Some(&["Equals"]),
        _ => None,
    }
}

fn strings(v: Option<&Value>) -> Vec<String> {
    v.and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

/// The filters of an input, or the error AWS gives for the first bad one.
pub fn parse(input: &Value, target: Target) -> Result<Vec<ParamFilter>, AwsError> {
    let mut out = vec![];
    let given = input.get("ParameterFilters").and_then(Value::as_array);
    for f in given.into_iter().flatten() {
        let key = str_member(f, "Key").unwrap_or_default().to_string();
        let allowed = options(&key, target).ok_or(SsmError::BadFilterKey)?;
        let option = match str_member(f, "Option") {
            None => allowed[0].to_string(),
            Some(o) if allowed.contains(&o) => o.to_string(),
            Some(o) => {
                return Err(SsmError::BadFilterOption {
                    option: o.to_string(),
                    key,
                }
                .into())
            }
        };
        let values = strings(f.get("Values"));
        let legal: Option<&[&str]> = match key.as_str() {
            "Type" => Some(&["String", "StringList", "SecureString"]),
            "Tier" => Some(&["Standard", "Advanced", "Intelligent-Tiering"]),
            _ => None,
        };
        if let Some(legal) = legal {
            if let Some(bad) = values.iter().find(|v| !legal.contains(&v.as_str())) {
                return Err(SsmError::BadFilterValue {
                    value: bad.clone(),
                    key,
                }
                .into());
            }
        }
        out.push(ParamFilter {
            key,
            option,
            values,
        });
    }
    // `DescribeParameters`' older form: `Filters` of Name/Type/KeyId, Equals.
    if target == Target::Describe {
        for f in input
            .get("Filters")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let key = str_member(f, "Key").unwrap_or_default().to_string();
            out.push(ParamFilter {
                key,
                option: "Equals".into(),
                values: strings(f.get("Values")),
            });
        }
    }
    Ok(out)
}

impl ParamFilter {
    /// Whether `p`'s newest version passes.
    pub fn matches(&self, p: &Parameter) -> bool {
        let v = p.latest();
        let any = |actual: &str| self.values.iter().any(|want| want == actual);
        if let Some(tag) = self.key.strip_prefix("tag:") {
            return p
                .tags
                .iter()
                .any(|(k, val)| k == tag && (self.values.is_empty() || any(val)));
        }
        match self.key.as_str() {
            "Type" => any(&v.kind),
            "KeyId" => v.key_id.as_deref().is_some_and(any),
            "Tier" => any(&v.tier),
            "DataType" => any(&v.data_type),
            "Label" => p
                .versions
                .iter()
                .any(|ver| ver.labels.iter().any(|l| any(l))),
            "Name" => self.values.iter().any(|want| {
                let (name, want) = (bare(&p.name), bare(want));
                match self.option.as_str() {
                    "BeginsWith" => name.starts_with(want),
                    "Contains" => name.contains(want),
                    _ => name == want,
                }
            }),
            "Path" => self
                .values
                .iter()
                .any(|path| crate::read_paths::under(path, &p.name, self.option == "Recursive")),
            _ => false,
        }
    }
}

/// A name without its leading slash (AWS compares names either way).
fn bare(name: &str) -> &str {
    name.strip_prefix('/').unwrap_or(name)
}
