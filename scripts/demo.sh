#!/usr/bin/env bash
# Runs `replicant demo`: installs MariaDB if missing, builds replicant, starts a throwaway
# MariaDB source with sample data, replicates it and serves the copy on 127.0.0.1:3307
# (the command to connect is printed). Extra arguments go to `replicant demo` (e.g.
# --seconds 60, --tail csv, --rows 1000000).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
cargo build --release --quiet
exec "${CARGO_TARGET_DIR:-target}/release/replicant" demo "$@"
