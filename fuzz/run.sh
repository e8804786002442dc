#!/usr/bin/env bash
# Bounded fuzzing run of replicant's binlog decoder (see docs/fuzzing.md).
#
#   fuzz/run.sh [SECONDS]     total fuzzing time, split evenly over the targets (default 60)
#
# Environment:
#   REPLICANT_BINLOG_CORPUS   real binlog files used as seeds
#                             (default ../shared/binlog-corpus, relative to the repo root;
#                             absent: a notice and no seeds, or an error with
#                             REPLICANT_REQUIRE_CORPUS=1)
#   REPLICANT_FUZZ_SANITIZER  cargo-fuzz sanitizer (default: address; "none" to disable)
#   REPLICANT_FUZZ_TARGETS    space-separated subset of the targets (default: all)
#   CARGO_TARGET_DIR          build directory (default: fuzz/target)
#
# Needs only a stable Rust toolchain: cargo-fuzz's nightly-only flags are allowed through
# RUSTC_BOOTSTRAP=1. Installs cargo-fuzz if missing. Exits non-zero when a target crashed
# (or the build failed), after printing each crashing input and how to reproduce it.
set -euo pipefail

total_seconds="${1:-60}"
if ! [[ "$total_seconds" =~ ^[0-9]+$ ]] || [ "$total_seconds" -lt 1 ]; then
    echo "usage: fuzz/run.sh [SECONDS]   (SECONDS: a positive integer)" >&2
    exit 2
fi

fuzz_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$fuzz_dir")"
cd "$root"

export RUSTC_BOOTSTRAP=1
targets=(${REPLICANT_FUZZ_TARGETS:-binlog_file binlog_event json bodies})
sanitizer="${REPLICANT_FUZZ_SANITIZER:-address}"
rss_limit_mb=2048

fuzz_args=(--sanitizer "$sanitizer")
if [ -n "${CARGO_TARGET_DIR:-}" ]; then
    fuzz_args+=(--target-dir "$CARGO_TARGET_DIR")
fi

say() { echo "fuzz/run.sh: $*"; }

# --- cargo-fuzz -------------------------------------------------------------------------
if ! cargo fuzz --version >/dev/null 2>&1; then
    say "cargo-fuzz is missing; installing it (cargo install cargo-fuzz --locked)"
    cargo install cargo-fuzz --locked
    export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
fi
say "$(cargo fuzz --version), $(rustc --version), sanitizer: $sanitizer"

# --- build (once, all targets) ----------------------------------------------------------
say "building ${targets[*]}"
for t in "${targets[@]}"; do
    cargo fuzz build "${fuzz_args[@]}" "$t"
done

# --- seeds ------------------------------------------------------------------------------
corpus_src="${REPLICANT_BINLOG_CORPUS:-../shared/binlog-corpus}"
case "$corpus_src" in
    /*) ;;
    *) corpus_src="$root/$corpus_src" ;;
esac
for t in "${targets[@]}"; do
    mkdir -p "fuzz/corpus/$t" "fuzz/artifacts/$t"
done

crashes=()
repro_prefix="RUSTC_BOOTSTRAP=1 cargo fuzz run ${fuzz_args[*]}"

# Records a crashing input found in a libFuzzer log.
note_crashes() {
    local target="$1" log="$2" found=0 path
    while IFS= read -r path; do
        crashes+=("$target|$path")
        found=1
    done < <(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | grep -v '/slow-unit-' || true)
    if [ "$found" = 0 ]; then
        crashes+=("$target|(no input written: see $log)")
    fi
}

binlogs=()
if [ -d "$corpus_src" ]; then
    while IFS= read -r -d '' f; do
        binlogs+=("$f")
    done < <(find "$corpus_src" -maxdepth 1 -type f ! -name '*.md' -print0 | sort -z)
    say "seeding from ${#binlogs[@]} files in $corpus_src"
elif [ "${REPLICANT_REQUIRE_CORPUS:-0}" = 1 ]; then
    say "no seed corpus at $corpus_src, and REPLICANT_REQUIRE_CORPUS=1" >&2
    exit 1
else
    say "NOTICE: no seed corpus at $corpus_src (set REPLICANT_BINLOG_CORPUS); fuzzing from scratch"
fi

log_dir="fuzz/artifacts/logs"
mkdir -p "$log_dir"
if [ "${#binlogs[@]}" -gt 0 ]; then
    for t in "${targets[@]}"; do
        case "$t" in
            binlog_file)
                cp "${binlogs[@]}" "fuzz/corpus/$t/"
                ;;
            binlog_event)
                # The target itself converts real files into its structured format when
                # REPLICANT_FUZZ_SEED_DIR is set (each file is decoded once on the way).
                log="$log_dir/$t-seed.log"
                if ! REPLICANT_FUZZ_SEED_DIR="$root/fuzz/corpus/$t" \
                    cargo fuzz run "${fuzz_args[@]}" "$t" "${binlogs[@]}" \
                    -- -rss_limit_mb="$rss_limit_mb" >"$log" 2>&1; then
                    tail -n 40 "$log"
                    note_crashes "$t" "$log"
                fi
                ;;
        esac
    done
fi

# Small hand-made seeds for the targets that take no whole events.
seed() { printf "$2" >"fuzz/corpus/$1/$3"; }
for t in "${targets[@]}"; do
    case "$t" in
        json)
            # {"a": "b"} as MySQL binary JSON; an array [1, "x", 2.5]; a diff list.
            seed json '\x00\x00\x01\x00\x0e\x00\x0b\x00\x01\x00\x0c\x0c\x00a\x01b' object
            seed json '\x00\x02\x03\x00\x17\x00\x05\x01\x00\x0c\x0d\x00\x0b\x0f\x00\x01x\x00\x00\x00\x00\x00\x00\x04\x40' array
            seed json '\x01\x00\x05$.age\x03\x05\x1a\x00\x02\x03$.a' diffs
            seed json '\x00\x0f\xf6\x06\x06\x03\x80\x7b\x01\xc8' opaque-decimal
            ;;
        bodies)
            seed bodies '\x09\x07\x00\x00\x00\x00\x00\x01\x00\x02db\x00\x01t\x00\x04\x03\x0f\xfe\xf6\x06\x40\x00\xf7\x01\x0a\x02\x0e\x01\x01\x80\x02\x01\x2d\x04\x09\x02id\x01v\x01e\x01d\x08\x01\x00' table-map
            seed bodies '\x08\x01\x01\x05\x02\x03\xfc\xff\x00\x00hello' payload
            seed bodies '\x05\x2a\x00\x00\x00\x00\x00\x00\x00\x03\x00\x00\x00\x01' maria-gtid
            seed bodies '\x00\x01\x00\x00\x00\x00\x00\x00\x00\x02\x00\x00\x00\x00\x00\x00db\x00BEGIN' query
            ;;
    esac
done

# --- fuzz -------------------------------------------------------------------------------
share=$((total_seconds / ${#targets[@]}))
[ "$share" -ge 1 ] || share=1
summary=()
for t in "${targets[@]}"; do
    log="$log_dir/$t.log"
    say "fuzzing $t for ${share}s (log: $log)"
    rc=0
    cargo fuzz run "${fuzz_args[@]}" "$t" "fuzz/corpus/$t" -- \
        -max_total_time="$share" -rss_limit_mb="$rss_limit_mb" -timeout=30 \
        -print_final_stats=1 >"$log" 2>&1 || rc=$?
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
    speed=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)
    cov=$(grep -oE '(cov|ft|corp): [0-9]+(/[0-9]+[bKM]?b)?' "$log" | tail -n 3 | tr '\n' ' ')
    if [ "$rc" -ne 0 ]; then
        tail -n 60 "$log"
        note_crashes "$t" "$log"
        summary+=("$t: CRASH (exit $rc) after ${execs:-?} execs; ${cov}")
    else
        summary+=("$t: ok, ${execs:-?} execs in ${share}s (${speed:-?}/s); ${cov}")
    fi
done

echo
say "summary"
for line in "${summary[@]}"; do
    echo "  $line"
done
if [ "${#crashes[@]}" -gt 0 ]; then
    echo
    say "FAILED: ${#crashes[@]} crash(es)"
    for c in "${crashes[@]}"; do
        t="${c%%|*}"
        path="${c#*|}"
        echo "  target $t: $path"
        echo "    reproduce: $repro_prefix $t $path"
        echo "    minimize:  RUSTC_BOOTSTRAP=1 cargo fuzz tmin ${fuzz_args[*]} $t $path"
    done
    exit 1
fi
say "no crashes"
