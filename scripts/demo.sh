#!/usr/bin/env bash
# Runs `replicant demo`: installs MariaDB if missing, builds replicant, and starts a
# throwaway MariaDB source with sample data whose changes replicant tails live.
# Extra arguments go to `replicant demo` (e.g. --seconds 20, --format csv).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
cargo build --release --quiet
exec "${CARGO_TARGET_DIR:-target}/release/replicant" demo "$@"
