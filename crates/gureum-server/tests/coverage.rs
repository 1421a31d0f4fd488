//! `docs/COVERAGE.md` is generated from the service models and the
//! registry's operation tables, and this test keeps it current:
//! `GUREUM_BLESS=1 cargo test -p gureum-server --test coverage` rewrites it.

use gureum_core::Clock;
use gureum_server::registry::Registry;
use gureum_store::Store;
use std::fmt::Write;

fn render() -> String {
    let store = Store::in_memory().expect("in-memory store");
    let registry = Registry::build(&store, &Clock::system());
    let mut summary = String::new();
    let mut details = String::new();
    let (mut total_ops, mut total_done) = (0, 0);
    for entry in gureum_model::index() {
        let model = gureum_model::load(&entry.name).expect("vendored model");
        let implemented = registry.implemented(&entry.name);
        let mut done: Vec<&str> = Vec::new();
        let mut missing: Vec<&str> = Vec::new();
        for name in model.operations.keys() {
            if implemented.contains(&name.as_str()) {
                done.push(name);
            } else {
                missing.push(name);
            }
        }
        total_ops += model.operations.len();
        total_done += done.len();
        let protocols: Vec<&str> = model.protocols().iter().map(|p| p.name()).collect();
        let _ = writeln!(
            summary,
            "| [{name}](#{name}) | {full} | {proto} | {d} / {t} |",
            name = entry.name,
            full = model.metadata.service_full_name,
            proto = protocols.join(", "),
            d = done.len(),
            t = model.operations.len(),
        );
        let _ = writeln!(details, "## {}\n", entry.name);
        let _ = writeln!(
            details,
            "**Implemented ({}):** {}\n",
            done.len(),
            if done.is_empty() {
                "none".to_string()
            } else {
                done.join(", ")
            }
        );
        let _ = writeln!(
            details,
            "**Missing ({}):** {}\n",
            missing.len(),
            if missing.is_empty() {
                "none".to_string()
            } else {
                missing.join(", ")
            }
        );
    }
    format!(
        "# Coverage\n\n\
         Generated from the vendored service models (`models/`) and each service's \
         operation table; regenerate with \
         `GUREUM_BLESS=1 cargo test -p gureum-server --test coverage`.\n\n\
         Every operation listed as missing answers `NotImplemented` (HTTP 501) \
         in the protocol the request spoke. In all: {total_done} of {total_ops} operations.\n\n\
         | service | name | protocols accepted | implemented |\n|---|---|---|---|\n{summary}\n{details}"
    )
}

#[test]
fn coverage_doc_is_current() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/COVERAGE.md");
    let want = render();
    if std::env::var_os("GUREUM_BLESS").is_some() {
        std::fs::write(path, &want).expect("write docs/COVERAGE.md");
        return;
    }
    let have = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        have == want,
        "docs/COVERAGE.md is stale: run `GUREUM_BLESS=1 cargo test -p gureum-server --test coverage`"
    );
}
