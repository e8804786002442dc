#!/usr/bin/env bash
# Binlog decoding, side by side: replicant vs. the raw transport (mariadb-binlog --raw)
# vs. python-mysql-replication, all reading the same binary log of a private MariaDB
# in one run. Prints a table of figures; it judges nothing (no thresholds, exit 0 unless
# something could not run). See docs/benchmarks.md.
#
#   bash benches/binlog_decode.sh                       # full size: 4 x 250k rows + 100k txns
#   BENCH_TABLES=2 BENCH_ROWS=20000 BENCH_EVENTS=5000 bash benches/binlog_decode.sh   # quick
#
# Environment:
#   BENCH_TABLES   sysbench tables                         (default 4)
#   BENCH_ROWS     rows per table (sysbench --table-size)  (default 250000)
#   BENCH_EVENTS   oltp_write_only transactions            (default 100000)
#   BENCH_THREADS  sysbench threads                        (default 4)
#   BENCH_REPEAT   runs of each reader; the best is shown  (default 1)
#   BENCH_OUT      also write the report to this file
#   BENCH_SKIP     space-separated readers to leave out: raw none csv python
#   BENCH_CACHE    where the Python venv lives   (default ${XDG_CACHE_HOME:-~/.cache}/replicant-bench)
#   BENCH_KEEP=1   keep the temporary server directory (its path is printed)
#   CARGO_TARGET_DIR is respected for the replicant build.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
REPEAT=${BENCH_REPEAT:-1}
CACHE=${BENCH_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/replicant-bench}
# shellcheck source=benches/lib.sh
source "$ROOT/benches/lib.sh"

# ---------------------------------------------------------------------------------------
# 1. What the benchmark needs: MariaDB server and client tools, sysbench, a Python venv
#    with python-mysql-replication, and a release build of replicant.
# ---------------------------------------------------------------------------------------
require_tools
VENV="$CACHE/venv"
PY="$VENV/bin/python"
if ! { [[ -x "$PY" ]] && "$PY" -c 'import pymysqlreplication' 2>/dev/null; }; then
    log "creating a Python venv with mysql-replication in $VENV"
    mkdir -p "$CACHE"
    rm -rf "$VENV"
    if ! python3 -m venv "$VENV" >&2; then
        # Debian's python3 ships venv (ensurepip) in a separate package.
        apt_install python3-venv
        rm -rf "$VENV"
        python3 -m venv "$VENV" >&2
    fi
    "$VENV/bin/pip" install -q --disable-pip-version-check mysql-replication >&2
fi
PYREPL_VERSION=$("$PY" -c 'import importlib.metadata as m; print(m.version("mysql-replication"))')
build_replicant

# ---------------------------------------------------------------------------------------
# 2. A private mariadbd on a free loopback port, removed on exit.
# ---------------------------------------------------------------------------------------
make_workdir replicant-bench
start_mariadbd src "${SOURCE_ARGS[@]}" --server-id=1
PORT=${PORT_OF[src]}
as_root() { sql src "$@"; }
MARIADB_VERSION=$(as_root -e 'SELECT VERSION()')
create_bench_user src sbtest

# ---------------------------------------------------------------------------------------
# 3. Load: sysbench oltp_write_only prepare, then EVENTS transactions.
# ---------------------------------------------------------------------------------------
FIRST_FILE=$(as_root -e 'SHOW BINARY LOGS' | head -n 1 | cut -f1)
[[ -n "$FIRST_FILE" ]] || die "the server has no binary log"

SB=(sysbench oltp_write_only --db-driver=mysql --mysql-host=127.0.0.1 --mysql-port="$PORT"
    --mysql-user="$DB_USER" --mysql-password="$DB_PASS" --mysql-db=sbtest
    --tables="$TABLES" --table-size="$ROWS")
prepare_threads=$((TABLES < THREADS ? TABLES : THREADS))
log "sysbench prepare: $TABLES tables x $ROWS rows"
t0=$(date +%s.%N)
"${SB[@]}" --threads="$prepare_threads" prepare >"$WORK/sysbench-prepare.log" 2>&1 ||
    { cat "$WORK/sysbench-prepare.log" >&2; die "sysbench prepare failed"; }
t1=$(date +%s.%N)
log "sysbench run: $EVENTS oltp_write_only transactions, $THREADS threads"
"${SB[@]}" --threads="$THREADS" --events="$EVENTS" --time=0 run >"$WORK/sysbench-run.log" 2>&1 ||
    { cat "$WORK/sysbench-run.log" >&2; die "sysbench run failed"; }
t2=$(date +%s.%N)
LOAD_PREPARE=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')
LOAD_RUN=$(awk -v a="$t1" -v b="$t2" 'BEGIN { printf "%.1f", b - a }')
SB_TPS=$(sed -n 's/.*transactions: *[0-9]* *(\([0-9.]*\) per sec.*/\1/p' "$WORK/sysbench-run.log")

read -r END_FILE END_POS _ < <(as_root -e 'SHOW MASTER STATUS')
BINLOG_BYTES=$(as_root -e 'SHOW BINARY LOGS' |
    awk -v first="$FIRST_FILE" '$1 >= first { s += $2 } END { printf "%d", s }')
BINLOG_FILES=$(as_root -e 'SHOW BINARY LOGS' | awk -v first="$FIRST_FILE" '$1 >= first' | wc -l)
BINLOG_MB=$(awk -v b="$BINLOG_BYTES" 'BEGIN { printf "%.1f", b / 1e6 }')
log "binlog: $FIRST_FILE:4 .. $END_FILE:$END_POS, $BINLOG_MB MB in $BINLOG_FILES file(s)"

# ---------------------------------------------------------------------------------------
# 4. The readers. Each reads from FIRST_FILE:4 to the end of the binary log.
# ---------------------------------------------------------------------------------------
LOAD_BEFORE=$(loadavg)

# Results, by reader key.
declare -A LABEL SECS CPU RSS ROWCOUNT ALLRUNS
ORDER=()

# measure KEY LABEL PARSER STDOUT CMD...: best of REPEAT runs. PARSER is a function that
# prints the row-change count from $WORK/KEY.out / .err ("" when the reader decodes nothing).
measure() {
    local key=$1 label=$2 parser=$3 stdout=$4
    shift 4
    local best="" best_cpu="" best_rss="" rows="" r all=""
    for r in $(seq 1 "$REPEAT"); do
        log "run $r/$REPEAT: $label"
        [[ "$key" != raw ]] || { rm -rf "$WORK/raw" && mkdir "$WORK/raw"; }
        timed "$key" "$stdout" "$@"
        local n
        n=$("$parser" "$key")
        log "  $T_WALL s${n:+, $n row changes}"
        all+="${all:+ }$T_WALL"
        if [[ -z "$best" ]] || awk -v a="$T_WALL" -v b="$best" 'BEGIN { exit !(a < b) }'; then
            best=$T_WALL best_cpu=$T_CPU best_rss=$T_RSS rows=$n
        fi
    done
    LABEL[$key]=$label SECS[$key]=$best CPU[$key]=$best_cpu RSS[$key]=$best_rss ROWCOUNT[$key]=$rows
    ALLRUNS[$key]=$all
    ORDER+=("$key")
}

rows_none() { strip_ansi "$WORK/$1.err" | sed -n 's/.*decoded [0-9]* transactions, \([0-9]*\) row changes.*/\1/p' | tail -n 1; }
rows_csv() { strip_ansi "$WORK/$1.err" | sed -n 's/.*tail finished.* rows=\([0-9]*\).*/\1/p' | tail -n 1; }
rows_py() { sed -n 's/^decoded \([0-9]*\) row changes.*/\1/p' "$WORK/$1.out" | tail -n 1; }
rows_raw() { echo ""; }

RAW=(mariadb-binlog --no-defaults --read-from-remote-server --raw
    --host=127.0.0.1 --port="$PORT" --user="$DB_USER" --password="$DB_PASS"
    --result-file="$WORK/raw/" "$FIRST_FILE" --to-last-log)
# The summary comes on stderr (NO_COLOR: plain text to parse).
TAIL=(env NO_COLOR=1 REPLICANT_LOG=info "$REPLICANT" tail
    --source "mysql://$DB_USER:$DB_PASS@127.0.0.1:$PORT"
    --from "$FIRST_FILE:4" --stop-at-end --server-id 4201)
PYREPL=("$PY" "$ROOT/benches/pymysqlrepl_decode.py" --host 127.0.0.1 --port "$PORT"
    --user "$DB_USER" --password "$DB_PASS" --log-file "$FIRST_FILE" --log-pos 4
    --server-id 4202)

# (Not `skipped X || measure …`: errexit is off inside a function called from a || list.)
if ! skipped raw; then
    measure raw "mariadb-binlog --raw (transport only)" rows_raw /dev/null "${RAW[@]}"
    RAW_BYTES=$(du -sb "$WORK/raw" | cut -f1)
    rm -rf "$WORK/raw"
fi
if ! skipped none; then
    measure none "replicant tail --format none" rows_none /dev/null "${TAIL[@]}" --format none
fi
if ! skipped csv; then
    measure csv "replicant tail --format csv >/dev/null" rows_csv /dev/null "${TAIL[@]}" --format csv
fi
if ! skipped python; then
    measure python "python-mysql-replication $PYREPL_VERSION" rows_py "$WORK/python.out" "${PYREPL[@]}"
fi

# ---------------------------------------------------------------------------------------
# 5. The report.
# ---------------------------------------------------------------------------------------
REF_ROWS=${ROWCOUNT[none]:-${ROWCOUNT[csv]:-${ROWCOUNT[python]:-}}}
REPORT="$WORK/report.txt"
{
    echo "# replicant binlog decoding benchmark — $(date -u '+%Y-%m-%d %H:%M UTC')"
    echo
    machine_line
    echo "source:    MariaDB $MARIADB_VERSION (private mariadbd, binlog_format=ROW, binlog_row_metadata=FULL, binlog_row_image=FULL)"
    echo "replicant: $REPLICANT_REV (cargo build --release); python-mysql-replication $PYREPL_VERSION on $("$PY" -c 'import platform; print("Python", platform.python_version())')"
    echo "workload:  sysbench oltp_write_only, $TABLES tables x $ROWS rows (prepare ${LOAD_PREPARE} s)," \
        "then $EVENTS transactions on $THREADS threads (${LOAD_RUN} s${SB_TPS:+, $SB_TPS tps})"
    echo "binlog:    $FIRST_FILE:4 .. $END_FILE:$END_POS = $BINLOG_BYTES bytes ($BINLOG_MB MB) in $BINLOG_FILES file(s);" \
        "${REF_ROWS:-?} row changes"
    echo "runs:      best of $REPEAT per reader; wall clock; every reader reads the whole range over TCP on 127.0.0.1;"
    echo "           load average before the readers: $LOAD_BEFORE, after: $(loadavg)"
    echo
    fmt='| %-42s | %8s | %7s | %7s | %11s | %10s | %6s | %12s | %8s |\n'
    # shellcheck disable=SC2059
    printf "$fmt" "reader" "seconds" "CPU s" "RSS MB" "row changes" "rows/s" "MB/s" "vs replicant" "vs raw"
    # shellcheck disable=SC2059
    printf "$fmt" "$(printf -- '-%.0s' {1..42})" "-------:" "------:" "------:" "----------:" \
        "---------:" "-----:" "-----------:" "-------:"
    for key in "${ORDER[@]}"; do
        s=${SECS[$key]}
        rows=${ROWCOUNT[$key]}
        shown_rows=${rows:-"(${REF_ROWS:-?})"}
        count_for_rate=${rows:-$REF_ROWS}
        rate=$(awk -v n="${count_for_rate:-0}" -v s="$s" 'BEGIN { if (n > 0) printf "%.0f", n / s; else printf "-" }')
        mbps=$(awk -v b="$BINLOG_BYTES" -v s="$s" 'BEGIN { printf "%.0f", b / 1e6 / s }')
        vs_rep=$(awk -v s="$s" -v r="${SECS[none]:-}" 'BEGIN { if (r > 0) printf "%.2fx", s / r; else printf "-" }')
        vs_raw=$(awk -v s="$s" -v r="${SECS[raw]:-}" 'BEGIN { if (r > 0) printf "%.2fx", s / r; else printf "-" }')
        rss=$(awk -v k="${RSS[$key]:-}" 'BEGIN { if (k != "") printf "%.0f", k / 1024; else printf "-" }')
        # shellcheck disable=SC2059
        printf "$fmt" "${LABEL[$key]}" "$s" "${CPU[$key]:--}" "$rss" "$shown_rows" "$rate" "$mbps" "$vs_rep" "$vs_raw"
    done
    echo
    echo "vs replicant / vs raw: this reader's seconds divided by replicant --format none's / the raw"
    echo "transport's (above 1 = slower). rows/s of the raw transport is the decoded row count over"
    echo "its time, for scale only: it decodes nothing. CPU s is the reader process's user+sys time"
    echo "(the server's dump thread runs on the same cores and is not included)."
    if [[ $REPEAT -gt 1 ]]; then
        echo
        echo "all runs (s):"
        for key in "${ORDER[@]}"; do
            printf '  %-42s %s\n' "${LABEL[$key]}" "${ALLRUNS[$key]}"
        done
    fi
    mismatch=""
    for key in "${ORDER[@]}"; do
        rows=${ROWCOUNT[$key]}
        if [[ -n "$rows" && -n "$REF_ROWS" && "$rows" != "$REF_ROWS" ]]; then
            mismatch+=" ${LABEL[$key]}=$rows"
        fi
    done
    if [[ -n "$mismatch" ]]; then
        echo
        echo "NOTE: the readers counted different row changes (replicant: $REF_ROWS):$mismatch"
    fi
    if [[ -n "${RAW_BYTES:-}" ]]; then
        echo "raw transport wrote $RAW_BYTES bytes of binlog files."
    fi
} >"$REPORT"

cat "$REPORT"
if [[ -n "${BENCH_OUT:-}" ]]; then
    cp "$REPORT" "$BENCH_OUT"
    log "report written to $BENCH_OUT"
fi
