#!/usr/bin/env bash
# Builds the release binary and runs Gureum's benchmarks (and moto_server's,
# when installed, in the same run). Extra arguments go to scripts/bench.py.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/gureum/target}
cargo build --release --quiet -p gureum
echo "== authorization cost (IAM user with 10 attached policies)"
cargo test --release --quiet -p gureum-authz --test authorize_cost -- --ignored --nocapture 2>&1 | grep 'authorize,'
echo "== DescribeInstances over 10,000 instances"
cargo test --release --quiet -p gureum-ec2 describe_instances_over_10000 -- --ignored --nocapture 2>&1 | grep -iE 'ms|MB' || true
echo "== ListObjectsV2 page of 1,000 from a 1,000,000-key bucket"
cargo test --release --quiet -p gureum-s3 list_page_in_a_million_key_bucket -- --ignored --nocapture 2>&1 | grep -iE 'ms' || true
echo "== start-up, footprint, request path"
python3 scripts/bench.py --gureum "$CARGO_TARGET_DIR/release/gureum" "$@"
echo "== S3 objects"
python3 scripts/bench_s3.py --gureum "$CARGO_TARGET_DIR/release/gureum"
if command -v valgrind >/dev/null && command -v callgrind_annotate >/dev/null; then
  echo "== instructions per request (callgrind; steady whatever the VM's phase)"
  python3 scripts/bench_instructions.py --gureum "$CARGO_TARGET_DIR/release/gureum"
fi
