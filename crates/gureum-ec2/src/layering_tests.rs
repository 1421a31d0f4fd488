//! The families' direction, checked on the sources: a module may use its
//! own family and the ones below it (`common ← vpc ← ebs ← images ←
//! compute`), never one above. Test files are exempt: they drive the
//! whole service. The crate root (`lib.rs`, the operations table) sits
//! above every family.

use std::path::{Path, PathBuf};

const ORDER: [&str; 5] = ["common", "vpc", "ebs", "images", "compute"];

/// Uses of a higher family that are known and not yet moved, as
/// (file under `src/`, family used). The list only shrinks: a new
/// crossing fails the test.
const NOT_YET: &[(&str, &str)] = &[];

fn rank(family: &str) -> Option<usize> {
    ORDER.iter().position(|f| *f == family)
}

fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("read src") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

fn is_test_file(rel: &str) -> bool {
    rel.ends_with("_tests.rs") || rel.ends_with("/tests.rs")
}

/// The families a line of code names as `crate::<family>` or, inside a
/// `use crate::{…}` group, as `<family>::`.
fn families_named(line: &str, in_group: bool) -> Vec<&'static str> {
    let mut found = Vec::new();
    for family in ORDER {
        let direct = format!("crate::{family}::");
        let grouped = format!("{family}::");
        let hit = line.contains(&direct)
            || (in_group
                && line.match_indices(&grouped).any(|(i, _)| {
                    // A whole path segment, not the tail of another one.
                    i == 0
                        || !line[..i]
                            .ends_with(|c: char| c.is_alphanumeric() || c == '_' || c == ':')
                }));
        if hit {
            found.push(family);
        }
    }
    found
}

/// Every use of a family above the file's own: `file:line: …`.
fn crossings() -> Vec<(String, &'static str, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&root, &mut files);
    files.sort();
    let mut out = Vec::new();
    for path in files {
        let rel = path
            .strip_prefix(&root)
            .expect("under src")
            .to_string_lossy()
            .replace('\\', "/");
        let Some(own) = rel.split('/').next().and_then(rank) else {
            continue;
        };
        if is_test_file(&rel) {
            continue;
        }
        let text = std::fs::read_to_string(&path).expect("read");
        let mut in_group = false;
        for (n, line) in text.lines().enumerate() {
            let code = line.trim_start();
            if code.starts_with("//") {
                continue;
            }
            if code.contains("crate::{") {
                in_group = true;
            }
            for family in families_named(code, in_group) {
                if rank(family).is_some_and(|r| r > own) {
                    out.push((
                        rel.clone(),
                        family,
                        format!("{rel}:{}: uses {family}, above {}", n + 1, ORDER[own]),
                    ));
                }
            }
            if in_group && code.contains('}') && code.contains(';') {
                in_group = false;
            }
        }
    }
    out
}

#[test]
fn no_module_uses_a_family_above_its_own() {
    let new: Vec<String> = crossings()
        .into_iter()
        .filter(|(file, family, _)| !NOT_YET.contains(&(file.as_str(), *family)))
        .map(|(_, _, line)| line)
        .collect();
    assert!(
        new.is_empty(),
        "imports against the direction:\n{}",
        new.join("\n")
    );
}

#[test]
fn the_not_yet_list_holds_only_crossings_that_still_exist() {
    let all = crossings();
    for (file, family) in NOT_YET {
        assert!(
            all.iter().any(|(f, fam, _)| f == file && fam == family),
            "{file} no longer uses {family}: drop it from NOT_YET"
        );
    }
}

#[test]
fn the_check_sees_both_import_forms() {
    assert_eq!(
        families_named("use crate::compute::instances;", false),
        ["compute"]
    );
    assert_eq!(
        families_named("use crate::{common::tags, images::amis, Ec2Service};", true),
        ["common", "images"]
    );
    assert!(families_named("let x = my_vpc::thing;", true).is_empty());
}
