//! Domain names as Route 53 keeps them: lowercase, ending in a dot, with
//! characters other than `a-z 0-9 - _` written as octal escapes (`*` is
//! `\052`), the form `ListResourceRecordSets` answers.

/// A name in Route 53's form, or `None` when it is not a domain name
/// (an empty label, a label over 63 bytes, over 255 bytes in all).
pub fn normalize(name: &str) -> Option<String> {
    let bytes = wire_bytes(name)?;
    let mut out = String::with_capacity(name.len() + 1);
    for label in &bytes {
        for &b in label {
            let b = b.to_ascii_lowercase();
            if b.is_ascii_alphanumeric() || b == b'-' || b == b'_' {
                out.push(char::from(b));
            } else {
                out.push_str(&format!("\\{b:03o}"));
            }
        }
        out.push('.');
    }
    if out.is_empty() {
        out.push('.');
    }
    Some(out)
}

/// The labels' bytes of a name in Route 53's form (octal `\ooo` escapes,
/// or `\c` for a character).
pub fn wire_bytes(name: &str) -> Option<Vec<Vec<u8>>> {
    let name = name.strip_suffix('.').unwrap_or(name);
    if name.is_empty() {
        return Some(Vec::new());
    }
    let mut labels = Vec::new();
    let mut label = Vec::new();
    let b = name.as_bytes();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'.' => {
                if label.is_empty() {
                    return None;
                }
                labels.push(std::mem::take(&mut label));
                i += 1;
            }
            b'\\' => {
                let oct = b.get(i + 1..i + 4);
                match oct {
                    Some(o) if o.iter().all(|c| (b'0'..=b'7').contains(c)) => {
                        let v = u32::from(o[0] - b'0') * 64
                            + u32::from(o[1] - b'0') * 8
                            + u32::from(o[2] - b'0');
                        label.push(u8::try_from(v).ok()?);
                        i += 4;
                    }
                    _ => {
                        label.push(*b.get(i + 1)?);
                        i += 2;
                    }
                }
            }
            c => {
                label.push(c);
                i += 1;
            }
        }
        if label.len() > 63 {
            return None;
        }
    }
    if label.is_empty() {
        return None;
    }
    labels.push(label);
    let total: usize = labels.iter().map(|l| l.len() + 1).sum::<usize>() + 1;
    (total <= 255).then_some(labels)
}

/// The name in the DNS codec's presentation form (decimal escapes, `*`
/// as itself), from Route 53's form.
pub fn to_dns(name: &str) -> String {
    let Some(labels) = wire_bytes(name) else {
        return ".".to_string();
    };
    let mut out = String::with_capacity(name.len());
    for label in labels {
        for b in label {
            if b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'*' {
                out.push(char::from(b.to_ascii_lowercase()));
            } else {
                out.push_str(&format!("\\{b:03}"));
            }
        }
        out.push('.');
    }
    if out.is_empty() {
        out.push('.');
    }
    out
}

/// Whether `name` is `zone` or below it (both in Route 53's form).
pub fn in_zone(name: &str, zone: &str) -> bool {
    name == zone
        || (name.ends_with(zone) && name[..name.len() - zone.len()].ends_with('.'))
        || zone == "."
}

/// The sort key of a name: its labels reversed, so a zone's names list
/// as Route 53 lists them (the apex first, then each subtree together).
pub fn sort_key(name: &str) -> String {
    let trimmed = name.strip_suffix('.').unwrap_or(name);
    let mut labels: Vec<&str> = trimmed.split('.').collect();
    labels.reverse();
    labels.join("\u{2}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_gain_a_dot_and_lose_case_and_wildcards_are_escaped() {
        assert_eq!(
            normalize("WWW.Example.com").as_deref(),
            Some("www.example.com.")
        );
        assert_eq!(
            normalize("*.example.com.").as_deref(),
            Some("\\052.example.com.")
        );
        assert_eq!(
            normalize("\\052.example.com").as_deref(),
            Some("\\052.example.com.")
        );
        assert_eq!(normalize("a..b"), None);
    }

    #[test]
    fn the_dns_form_uses_decimal_escapes_and_a_bare_wildcard() {
        assert_eq!(to_dns("\\052.example.com."), "*.example.com.");
        assert_eq!(to_dns("a\\040b.example.com."), "a\\032b.example.com.");
    }

    #[test]
    fn a_name_is_in_a_zone_only_on_a_label_boundary() {
        assert!(in_zone("www.example.com.", "example.com."));
        assert!(in_zone("example.com.", "example.com."));
        assert!(!in_zone("badexample.com.", "example.com."));
    }
}
