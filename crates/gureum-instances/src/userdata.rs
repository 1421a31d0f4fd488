//! User data as the first boot runs it: a script (`#!…`) as it is, a
//! `#cloud-config` document's `write_files` and `runcmd` as the shell
//! script cloud-init would amount to (package keys are reported skipped).
//!
//! The cloud-config reader understands the block YAML these keys are
//! written in (lists of maps, `|` literal blocks, quoted scalars, flow
//! lists of strings); it is no general YAML parser.

/// The script the first boot runs, or `None` for user data Gureum does
/// not run (it is logged as cloud-init logs it).
pub fn to_script(data: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(data);
    if text.starts_with("#!") {
        return Some(text.into_owned());
    }
    if text.starts_with("#cloud-config") {
        return Some(cloud_config_script(&text));
    }
    None
}

/// Single-quotes `s` for `sh`.
pub fn quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

fn unquote(s: &str) -> String {
    let s = s.trim();
    if s.len() >= 2
        && ((s.starts_with('"') && s.ends_with('"')) || (s.starts_with('\'') && s.ends_with('\'')))
    {
        let inner = &s[1..s.len() - 1];
        if s.starts_with('"') {
            return inner.replace("\\\"", "\"").replace("\\n", "\n");
        }
        return inner.replace("''", "'");
    }
    s.to_string()
}

fn indent_of(line: &str) -> usize {
    line.len() - line.trim_start().len()
}

/// The lines of top-level key `name`'s block.
fn block<'a>(lines: &[&'a str], name: &str) -> Vec<&'a str> {
    let head = format!("{name}:");
    let Some(start) = lines.iter().position(|l| l.trim_end() == head) else {
        return Vec::new();
    };
    lines[start + 1..]
        .iter()
        .take_while(|l| l.trim().is_empty() || indent_of(l) > 0 || l.starts_with('-'))
        .copied()
        .collect()
}

/// The items of a block list: each item's lines, the `- ` removed.
fn items(lines: &[&str]) -> Vec<Vec<String>> {
    let mut out: Vec<Vec<String>> = Vec::new();
    let mut dash_indent = None;
    for l in lines {
        let ind = indent_of(l);
        let t = l.trim_start();
        let is_item = t.starts_with("- ") || t == "-";
        if is_item && (dash_indent.is_none() || dash_indent == Some(ind)) {
            dash_indent = Some(ind);
            let rest = t.trim_start_matches('-');
            let rest = rest.strip_prefix(' ').unwrap_or(rest);
            // The item's own lines keep the column after the dash.
            out.push(vec![format!("{}{rest}", " ".repeat(ind + 2))]);
            continue;
        }
        if let Some(last) = out.last_mut() {
            last.push(l.to_string());
        }
    }
    out
}

/// A `runcmd` item as a shell line.
fn command_line(item: &[String]) -> String {
    let first = item.first().map(|s| s.trim()).unwrap_or_default();
    if let Some(inner) = first.strip_prefix('[').and_then(|s| s.strip_suffix(']')) {
        return inner
            .split(',')
            .map(|w| quote(&unquote(w)))
            .collect::<Vec<_>>()
            .join(" ");
    }
    if first.is_empty() && item.len() > 1 {
        // A block list of words.
        return items(&item[1..].iter().map(String::as_str).collect::<Vec<_>>())
            .iter()
            .map(|w| quote(&unquote(w.first().map(String::as_str).unwrap_or_default())))
            .collect::<Vec<_>>()
            .join(" ");
    }
    unquote(first)
}

/// A `write_files` item's keys; `content: |` keeps its block.
fn file_entry(item: &[String]) -> (Option<String>, String, Option<String>, bool) {
    let (mut path, mut content, mut perms, mut append) = (None, String::new(), None, false);
    let base = item.first().map(|l| indent_of(l)).unwrap_or(0);
    let mut i = 0;
    while i < item.len() {
        let line = &item[i];
        let t = line.trim();
        i += 1;
        let Some((k, v)) = t.split_once(':') else {
            continue;
        };
        let v = v.trim();
        match k.trim() {
            "path" => path = Some(unquote(v)),
            "permissions" => perms = Some(unquote(v)),
            "append" => append = v == "true",
            "content" if v.starts_with('|') => {
                let mut body = Vec::new();
                let mut inner = None;
                while i < item.len() {
                    let l = &item[i];
                    if !l.trim().is_empty() && indent_of(l) <= base {
                        break;
                    }
                    let ind = *inner.get_or_insert(indent_of(l));
                    body.push(l.get(ind.min(l.len())..).unwrap_or_default().to_string());
                    i += 1;
                }
                while body.last().is_some_and(|l| l.is_empty()) {
                    body.pop();
                }
                content = body.join("\n");
                if !v.starts_with("|-") {
                    content.push('\n');
                }
            }
            "content" => content = unquote(v),
            _ => {}
        }
    }
    (path, content, perms, append)
}

/// The shell script a cloud-config document amounts to.
fn cloud_config_script(text: &str) -> String {
    let lines: Vec<&str> = text
        .lines()
        .filter(|l| !l.trim_start().starts_with('#'))
        .collect();
    let mut out = String::from("#!/bin/sh\n");
    for item in items(&block(&lines, "write_files")) {
        let (path, content, perms, append) = file_entry(&item);
        let Some(path) = path else { continue };
        let redirect = if append { ">>" } else { ">" };
        out.push_str(&format!(
            "mkdir -p \"$(dirname {p})\"\nprintf '%s' {c} {redirect} {p}\n",
            p = quote(&path),
            c = quote(&content)
        ));
        if let Some(m) = perms {
            out.push_str(&format!("chmod {} {}\n", quote(&m), quote(&path)));
        }
    }
    for key in ["packages", "package_update", "package_upgrade"] {
        if lines.iter().any(|l| l.starts_with(&format!("{key}:"))) {
            out.push_str(&format!(
                "echo 'cloud-init: {key} skipped (Gureum instances share the host's packages)'\n"
            ));
        }
    }
    for item in items(&block(&lines, "runcmd")) {
        out.push_str(&command_line(&item));
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_script_runs_as_written() {
        assert_eq!(
            to_script(b"#!/bin/bash\necho hi\n").as_deref(),
            Some("#!/bin/bash\necho hi\n")
        );
        assert_eq!(to_script(b"just text"), None);
    }

    #[test]
    fn cloud_config_writes_files_then_runs_commands_in_order() {
        let doc = "#cloud-config\nwrite_files:\n  - path: /tmp/a b.txt\n    permissions: '0600'\n    content: |\n      line one\n      it's two\nruncmd:\n  - echo first\n  - [sh, -c, \"echo second\"]\npackages:\n  - httpd\n";
        let s = to_script(doc.as_bytes()).expect("script");
        let write = s.find("printf '%s' 'line one\nit'\\''s two\n' > '/tmp/a b.txt'");
        assert!(write.is_some(), "{s}");
        assert!(s.contains("chmod '0600' '/tmp/a b.txt'"), "{s}");
        let first = s.find("echo first\n").expect("first");
        let second = s.find("'sh' '-c' 'echo second'").expect("second");
        assert!(write < Some(first) && first < second, "{s}");
        assert!(s.contains("packages skipped"), "{s}");
    }
}
