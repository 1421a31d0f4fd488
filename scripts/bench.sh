#!/usr/bin/env bash
# Builds the release binary and runs Gureum's benchmark (and moto_server's,
# when installed) in one run. Extra arguments go to scripts/bench.py.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/gureum/target}
cargo build --release --quiet -p gureum
echo "== authorization cost (IAM user with 10 attached policies)"
cargo test --release --quiet -p gureum-authz --test authorize_cost -- --ignored --nocapture 2>&1 | grep 'authorize,'
echo "== start-up, footprint, request path"
exec python3 scripts/bench.py --gureum "$CARGO_TARGET_DIR/release/gureum" "$@"
