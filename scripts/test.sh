#!/usr/bin/env bash
# The whole test suite: unit tests, binlog conformance against the real-binlog corpus,
# end-to-end tests against private MariaDB servers, and a bounded fuzz run of the binlog
# decoder. Installs missing system packages first (apt; needs root or sudo).
# Ends with one summary line: "total: N passed, M failed".
set -euo pipefail
cd "$(dirname "$0")/.."

./scripts/install-deps.sh

cargo build --workspace --all-targets
log=$(mktemp)
trap 'rm -f "$log"' EXIT
set +e
cargo test --workspace --no-fail-fast 2>&1 | tee "$log"
test_status=${PIPESTATUS[0]}
set -e
counts=$(awk '/^test result:/ {
    for (i = 1; i <= NF; i++) { if ($i ~ /^passed;?$/) p += $(i-1); if ($i ~ /^failed;?$/) f += $(i-1) }
  } END { printf "%d %d", p, f }' "$log")
passed=${counts% *}
failed=${counts#* }

fuzz_status=0
if [ "${REPLICANT_SKIP_FUZZ:-0}" != 1 ]; then
  ./fuzz/run.sh "${REPLICANT_FUZZ_SECONDS:-60}" || fuzz_status=$?
else
  echo "fuzz: skipped (REPLICANT_SKIP_FUZZ=1)"
fi

if [ "$test_status" != 0 ] && [ "$failed" = 0 ]; then
  failed=1 # cargo failed without a failing test (e.g. a test binary crashed)
fi
echo "total: $passed passed, $failed failed"
[ "$test_status" = 0 ] && [ "$fuzz_status" = 0 ]
