#!/usr/bin/env bash
# The whole test suite: formatting, lints, unit and conformance tests, and
# end-to-end tests that drive the real binary with the aws CLI and boto3.
# Installs the Python clients it needs when they are missing.
set -euo pipefail
cd "$(dirname "$0")/.."

export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/gureum/target}
export CARGO_TERM_COLOR=${CARGO_TERM_COLOR:-never}

step() { printf '\n==> %s\n' "$*"; }

step "python clients (aws CLI, boto3, pytest)"
if ! python3 -c 'import boto3, botocore, pytest' 2>/dev/null || ! command -v aws >/dev/null; then
  python3 -m pip install --quiet awscli boto3 pytest
fi
aws --version

step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy (warnings denied)"
cargo clippy --workspace --all-targets --quiet -- -D warnings

step "fuzz targets compile (they run with cargo +nightly fuzz; see fuzz/README.md)"
cargo fmt --manifest-path fuzz/Cargo.toml -- --check
cargo check --manifest-path fuzz/Cargo.toml --bins --quiet

step "cargo test (unit, protocol conformance)"
cargo test --workspace --quiet

step "end-to-end (aws CLI + boto3 against the real binary)"
cargo build --quiet -p gureum
GUREUM_BIN="$CARGO_TARGET_DIR/debug/gureum" python3 -m pytest tests/e2e -q -p no:cacheprovider
