#!/usr/bin/env bash
# The whole test suite: unit tests, binlog conformance against the real-binlog corpus,
# end-to-end tests against private MariaDB servers, and a bounded fuzz run of the binlog
# decoder. Installs missing system packages first (apt; needs root or sudo).
set -euo pipefail
cd "$(dirname "$0")/.."

./scripts/install-deps.sh

cargo build --workspace --all-targets
cargo test --workspace --no-fail-fast
if [ "${REPLICANT_SKIP_FUZZ:-0}" != 1 ]; then
  ./fuzz/run.sh "${REPLICANT_FUZZ_SECONDS:-60}"
fi
