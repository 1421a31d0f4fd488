//! A user's test, as the README shows it: needs the gureum binary
//! (`GUREUM_BIN`) and the aws CLI, so it is run by `scripts/test.sh` after
//! the binary is built (`cargo test -p gureum-testing -- --ignored`).

use gureum_testing::Gureum;

#[test]
#[ignore = "needs the gureum binary and the aws CLI; scripts/test.sh runs it"]
fn a_test_gets_its_own_gureum_and_the_aws_cli_reaches_it() {
    let gureum = Gureum::start().expect("gureum starts");
    let out = gureum
        .command("aws")
        .args(["s3api", "create-bucket", "--bucket", "sample-test-bucket"])
        .output()
        .expect("aws runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = gureum
        .command("aws")
        .args([
            "s3api",
            "list-buckets",
            "--query",
            "Buckets[].Name",
            "--output",
            "text",
        ])
        .output()
        .expect("aws runs");
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "sample-test-bucket"
    );
    assert!(gureum
        .drain_log()
        .iter()
        .any(|l| l.contains("CreateBucket")));
}

#[test]
#[ignore = "needs the gureum binary; scripts/test.sh runs it"]
fn two_servers_never_share_a_port_or_state() {
    let a = Gureum::start().expect("a");
    let b = Gureum::start().expect("b");
    assert_ne!(a.endpoint(), b.endpoint());
    assert!(a.healthy() && b.healthy());
}

#[test]
fn a_missing_binary_is_reported_with_what_to_do() {
    let e =
        Gureum::start_binary("/nonexistent/gureum".into(), ["--strict"]).expect_err("no binary");
    assert!(
        e.to_string()
            .contains("set GUREUM_BIN or install gureum on PATH"),
        "{e}"
    );
}
