//! Hierarchy arithmetic shared by `GetParametersByPath` and the `Path`
//! filter.

/// Whether `name` sits under `path` (directly unless `recursive`).
pub fn under(path: &str, name: &str, recursive: bool) -> bool {
    let base = if path.ends_with('/') {
        path.to_string()
    } else {
        format!("{path}/")
    };
    match name.strip_prefix(&base) {
        Some(rest) => !rest.is_empty() && (recursive || !rest.contains('/')),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::under;

    #[test]
    fn one_level_takes_only_direct_children() {
        assert!(under("/a", "/a/b", false));
        assert!(!under("/a", "/a/b/c", false));
        assert!(under("/a/", "/a/b/c", true));
        assert!(!under("/a", "/ab", true));
        assert!(under("/", "/x", false));
    }
}
