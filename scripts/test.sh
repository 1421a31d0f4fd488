#!/usr/bin/env bash
# The whole test suite: formatting, lints, unit and conformance tests, and
# end-to-end tests that drive the real binary with the aws CLI and boto3.
# Installs the Python clients it needs when they are missing (into a virtual
# environment under ~/.cache/gureum). A cold run takes about 15-20 minutes on
# two cores (most of it compiling); a warm one about 5.
set -euo pipefail
cd "$(dirname "$0")/.."

export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/gureum/target}
export CARGO_TERM_COLOR=${CARGO_TERM_COLOR:-never}

step() { printf '\n==> %s\n' "$*"; }

need() { # need TOOL HOW-TO-INSTALL
  command -v "$1" >/dev/null 2>&1 || { echo "scripts/test.sh needs $1: $2" >&2; exit 2; }
}
need cargo "install Rust with rustup (https://rustup.rs)"
cargo fmt --version >/dev/null 2>&1 || { echo "scripts/test.sh needs rustfmt: rustup component add rustfmt" >&2; exit 2; }
cargo clippy --version >/dev/null 2>&1 || { echo "scripts/test.sh needs clippy: rustup component add clippy" >&2; exit 2; }
need c++ "the fuzz targets' libFuzzer builds C++ (apt-get install g++)"
need python3 "apt-get install python3"
need openssl "KMS tests verify signatures with it (apt-get install openssl)"

step "python clients (aws CLI, boto3, pytest, cryptography, websockets)"
# Use the clients already installed; otherwise install them into a virtual
# environment of our own (a system Python refuses pip under PEP 668).
# websockets: the WebSocket echo server and client of test_elbv2_traffic.py.
if ! python3 -c 'import boto3, botocore, pytest, xdist, cryptography, selenium, websockets' 2>/dev/null || ! command -v aws >/dev/null; then
  VENV=${GUREUM_TEST_VENV:-$HOME/.cache/gureum/venv}
  if [ ! -x "$VENV/bin/python3" ]; then
    python3 -m venv "$VENV" || { echo "cannot create a virtual environment: apt-get install python3-venv" >&2; exit 2; }
  fi
  "$VENV/bin/python3" -m pip install --quiet awscli boto3 pytest pytest-xdist cryptography selenium websockets
  export PATH="$VENV/bin:$PATH"
fi
aws --version

step "host programs the e2e tests drive (from the distribution's packages)"
# Installed when missing and apt-get can (root); otherwise the tests that
# need them skip, saying which program is missing.
# redis-server, memcached: ElastiCache's nodes (test_elasticache.py);
# openssh-server: real EC2 instances' sshd (test_ec2_instances_real.py);
# nftables: security groups, network ACLs and NAT (test_ec2_network_real.py);
# dnsutils: dig asks Gureum's DNS server (test_route53_dns.py);
# postgresql, mariadb-server and their clients: RDS's engines (test_rds.py);
# curl: verifies ELB's HTTPS listeners with Gureum's CA (test_acm.py);
# libnfs-utils: nfs-cp, nfs-cat, nfs-ls reach EFS over NFS (test_efs.py);
# chromium, chromium-driver: the web console in a real browser (test_console.py);
# nghttp2-server: nghttpd, an HTTP/2-only target of ELB (test_elbv2_traffic.py).
APT_PACKAGES="redis-server memcached openssh-server dnsutils postgresql postgresql-client mariadb-server mariadb-client nftables curl libnfs-utils chromium chromium-driver nghttp2-server"
missing=""
for p in $APT_PACKAGES; do dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"; done
if [ -n "$missing" ] && command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
  # shellcheck disable=SC2086
  { DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing \
      || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing; }; } >/dev/null 2>&1 \
    || echo "could not install$missing: their e2e tests skip" >&2
fi

step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy (warnings denied)"
cargo clippy --workspace --all-targets --quiet -- -D warnings

step "fuzz targets compile (they run with cargo +nightly fuzz; see fuzz/README.md)"
cargo fmt --manifest-path fuzz/Cargo.toml -- --check
cargo check --manifest-path fuzz/Cargo.toml --bins --quiet

step "docs/PARAMETERS.md is current (accepted parameters nobody reads)"
python3 scripts/audit_parameters.py --check

step "cargo test (unit, protocol conformance)"
cargo test --workspace --quiet

step "end-to-end (aws CLI + boto3 against the real binary)"
cargo build --quiet -p gureum
GUREUM_BIN="$CARGO_TARGET_DIR/debug/gureum" cargo test --quiet -p gureum-testing -- --ignored
# The AWS SDK for Rust (its own workspace: the SDK stays out of the main build;
# compiling it cold adds about 12 minutes on two cores).
GUREUM_BIN="$CARGO_TARGET_DIR/debug/gureum" cargo test --quiet --manifest-path tests/rust-sdk/Cargo.toml
# Two test files at a time (pytest-xdist, whole files per worker): each file
# starts its own Gureum on a free port with its own data directory and
# namespace tag, so files are independent; on two cores this halves the
# suite's wall time.
GUREUM_BIN="$CARGO_TARGET_DIR/debug/gureum" python3 -m pytest tests/e2e -q -p no:cacheprovider -n 2 --dist loadfile
