#!/usr/bin/env bash
# The replica, side by side with MariaDB's own tools in one run: replicant's initial copy
# vs. mariadb-dump, replicant applying a binlog vs. a MariaDB replica applying the same
# binlog, commit-to-visible lag under load vs. that MariaDB replica, and peak memory of a
# large copy. Prints one table of figures and ratios; it judges nothing (no thresholds,
# exit 0 unless something could not run). See docs/benchmarks.md.
#
#   bash benches/replica.sh                                  # full size (~5 min here)
#   BENCH_TABLES=2 BENCH_ROWS=20000 BENCH_EVENTS=5000 BENCH_BIG_ROWS=200000 \
#       BENCH_PROBES=200 bash benches/replica.sh             # quick check
#
# Environment:
#   BENCH_TABLES       sysbench tables                               (default 4)
#   BENCH_ROWS         rows per table                                (default 250000)
#   BENCH_EVENTS       oltp_write_only transactions applied          (default 100000)
#   BENCH_THREADS      sysbench threads                              (default 4)
#   BENCH_LAG_RATE     sysbench --rate during the lag probes (tx/s); several, space-
#                      separated, measure at each                    (default "5000 1000")
#   BENCH_PROBES       lag probes, one every 10 ms                   (default 1000)
#   BENCH_BIG_ROWS     rows of the large copy                        (default 10000000)
#   BENCH_BIG_TABLES   tables the large copy is split into           (default 1)
#   BENCH_SLAVE_THREADS  slave_parallel_threads of the MariaDB replica (default 0: serial)
#   BENCH_OUT          also write the report to this file
#   BENCH_SKIP         space-separated steps to leave out: snapshot apply buffered nolog
#                      lag big (lag needs apply: it reuses its replicas)
#   BENCH_KEEP=1       keep the temporary directory (its path is printed)
#   CARGO_TARGET_DIR is respected for the replicant build.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
LAG_RATE=${BENCH_LAG_RATE:-5000 1000}
PROBES=${BENCH_PROBES:-1000}
BIG_ROWS=${BENCH_BIG_ROWS:-10000000}
BIG_TABLES=${BENCH_BIG_TABLES:-1}
SLAVE_THREADS=${BENCH_SLAVE_THREADS:-0}
# shellcheck source=benches/lib.sh
source "$ROOT/benches/lib.sh"
skipped apply && SKIP+="lag "

# ---------------------------------------------------------------------------------------
# 1. Tools, the replicant binary and the Rust helper (benches/replica.rs), the source.
# ---------------------------------------------------------------------------------------
require_tools
build_replicant
log "cargo bench --no-run --bench replica (the lag / check helper)"
HELPER=$(cd "$ROOT" && cargo bench --no-run --bench replica --message-format=json 2>/dev/null |
    python3 -c 'import json,sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m["target"]["name"] == "replica" and m.get("executable"):
        print(m["executable"])')
[[ -x "$HELPER" ]] || die "could not build benches/replica.rs (cargo bench --no-run --bench replica)"

make_workdir replicant-replica-bench
start_mariadbd src "${SOURCE_ARGS[@]}" --server-id=1
create_bench_user src sbtest stage big
SRC_URL="mysql://$DB_USER:$DB_PASS@127.0.0.1:${PORT_OF[src]}"
MARIADB_VERSION=$(sql src -e 'SELECT VERSION()')

# sysbench oltp_write_only against the source; sb DB TABLES SIZE ARGS... runs it.
SB=(sysbench oltp_write_only --db-driver=mysql --mysql-host=127.0.0.1 --mysql-port="${PORT_OF[src]}"
    --mysql-user="$DB_USER" --mysql-password="$DB_PASS")
sb() { "${SB[@]}" --mysql-db="$1" --tables="$2" --table-size="$3" "${@:4}"; }
# prepare DB TABLES SIZE: sysbench prepare; sets PREPARE_S.
prepare() {
    local threads=$((THREADS < $2 ? THREADS : $2)) a
    log "sysbench prepare: $1, $2 tables x $3 rows"
    a=$(date +%s.%N)
    sb "$@" --threads="$threads" prepare >"$WORK/prepare-$1.log" 2>&1 ||
        { tail -n 20 "$WORK/prepare-$1.log" >&2; die "sysbench prepare failed"; }
    PREPARE_S=$(elapsed "$a" "$(date +%s.%N)")
}

# replicant_run NAME DATA_DIR [ARGS...]: `replicant run --stop-at-end`, timed.
replicant_run() {
    local name=$1 dir=$2
    shift 2
    timed "$name" /dev/null env NO_COLOR=1 REPLICANT_LOG=info "$REPLICANT" run \
        --source "$SRC_URL" --data-dir "$dir" --server-id 4201 \
        --listen "127.0.0.1:$(free_port)" --stop-at-end "$@"
}
# copy_log NAME: "SECONDS ROWS" of the "initial copy done" line of NAME's log.
copy_log() {
    strip_ansi "$WORK/$1.err" | sed -n 's/.*initial copy done.* rows=\([0-9]*\) seconds=\([0-9.]*\).*/\2 \1/p' | tail -n 1
}
# dump NAME DB: mariadb-dump --single-transaction DB > file, timed; sets DUMP_ROWS (rows
# in the dump's INSERTs) and removes the file.
dump() {
    timed "$1" "$WORK/$1.sql" mariadb-dump --no-defaults --host=127.0.0.1 --port="${PORT_OF[src]}" \
        --user="$DB_USER" --password="$DB_PASS" --single-transaction "$2"
    # MariaDB 10.11 writes `INSERT INTO t VALUES` and then a line per row; older dumps all
    # rows on the INSERT's line.
    DUMP_ROWS=$(awk '/^INSERT INTO .* VALUES \(/ { n += 1 + gsub(/\),\(/, ""); next }
        /^INSERT INTO/ { inside = 1; next }
        inside && /^\(/ { n++; if (/;$/) inside = 0 }
        END { print n + 0 }' "$WORK/$1.sql")
    DUMP_BYTES=$(stat -c %s "$WORK/$1.sql")
    rm -f "$WORK/$1.sql"
}
# check NAME ARGS...: the helper's `check` (row counts + checksums against the source),
# output in $WORK/NAME.check; prints "same" / "DIFFERENT" per copy into CHECKS.
CHECKS=()
check() {
    local name=$1
    shift
    log "checking the copies against the source ($name)"
    "$HELPER" check --source "$SRC_URL" "$@" >"$WORK/$name.check" 2>"$WORK/$name.check.err" ||
        { cat "$WORK/$name.check.err" >&2; die "check $name failed"; }
    local src_rows line
    src_rows=$(sed -n 's/^check source .*rows=\([0-9]*\).*/\1/p' "$WORK/$name.check")
    while read -r line; do
        CHECKS+=("$name: $line (source: $src_rows rows)")
    done < <(sed -n 's/^check \([^ ]*\) rows=\([0-9]*\) same=\(.*\)$/\1 has \2 rows, same as source: \3/p' \
        "$WORK/$name.check" | grep -v '^source ')
}
# copy_vs_dump NAME DB LABEL TIME_TARGET RSS_TARGET: replicant's initial copy of DB.* into a
# fresh data dir vs. mariadb-dump --single-transaction DB, one after the other, no writes
# running; then the copy is checked against the source and removed.
copy_vs_dump() {
    local name=$1 db=$2 label=$3 time_target=$4 rss_target=$5 s cpu rss copy_s copy_rows
    note_load "$name"
    log "replicant run --stop-at-end: initial copy of $db.*"
    replicant_run "$name" "$WORK/$name" --tables "$db.*"
    s=$T_WALL cpu=$T_CPU rss=$T_RSS
    read -r copy_s copy_rows < <(copy_log "$name")
    copy_s=$(printf '%.3f' "$copy_s")
    log "  $s s (copy $copy_s s, $copy_rows rows), peak RSS $(mb "$rss") MB"
    log "mariadb-dump --single-transaction $db"
    dump "$name-dump" "$db"
    log "  $T_WALL s, $DUMP_ROWS rows, $DUMP_BYTES bytes"
    result "$label: wall s" "$s" "mariadb-dump" "$T_WALL" "$time_target"
    result "  copy phase alone (replicant's log)" "$copy_s" "mariadb-dump" "$T_WALL" "$time_target"
    result "  CPU s" "$cpu" "mariadb-dump" "$T_CPU" ""
    result "  peak RSS MB" "$(mb "$rss")" "mariadb-dump" "$(mb "$T_RSS")" "$rss_target"
    CHECKS+=("$name: mariadb-dump wrote $DUMP_ROWS rows; replicant's log says $copy_rows rows copied")
    check "$name" --schema "$db" --prefix sbtest --data-dir "replicant=$WORK/$name"
    rm -rf "$WORK/$name"
}
mb() { awk -v k="$1" 'BEGIN { if (k != "") printf "%.0f", k / 1024; else printf "-" }'; }
# cpu_of PID: user+sys seconds of a running process.
cpu_of() { awk -v t="$(getconf CLK_TCK)" '{ printf "%.2f", ($14 + $15) / t }' "/proc/$1/stat"; }
hwm_of() { awk '/^VmHWM/ { print $2 }' "/proc/$1/status"; }

# The report's rows: measurement | replicant | peer | peer figure | ratio | target.
RESULTS=()
LOADS=()
LAG_NOTES=()
# result LABEL REPLICANT PEER_NAME PEER TARGET [R P]: ratio = PEER / REPLICANT, or P / R
# when given (above 1: replicant takes less: time, memory, lag).
result() {
    local ratio
    ratio=$(awk -v r="${6:-$2}" -v p="${7:-$4}" 'BEGIN { if (r + 0 > 0 && p != "" && p != "-") printf "%.2fx", p / r; else printf "-" }')
    RESULTS+=("$1|$2|$3|$4|$ratio|$5")
}
note_load() { LOADS+=("$1: $(loadavg)"); }

# ---------------------------------------------------------------------------------------
# 2. Snapshot: replicant's initial copy of the 1M rows vs. mariadb-dump, no writes running.
# ---------------------------------------------------------------------------------------
prepare sbtest "$TABLES" "$ROWS"
LOAD_PREPARE=$PREPARE_S
# A table for the lag probes; empty until then.
sql src -e 'CREATE TABLE sbtest.probe (id BIGINT PRIMARY KEY, ts DATETIME(6) NOT NULL)'
# (Not `skipped X || f …`: errexit is off inside a function called from a || list.)
if ! skipped snapshot; then
    copy_vs_dump snapshot sbtest "snapshot ${TABLES}x$ROWS rows" ">= 2x" ""
fi

# ---------------------------------------------------------------------------------------
# 3. Apply: the same binlog applied by replicant and by a MariaDB replica, both starting
#    from a copy of the empty tables at P0.
# ---------------------------------------------------------------------------------------
if ! skipped apply; then
    # The prepared rows move to `stage`; sbtest gets the same tables, empty.
    for i in $(seq 1 "$TABLES"); do
        echo "RENAME TABLE sbtest.sbtest$i TO stage.sbtest$i; CREATE TABLE sbtest.sbtest$i LIKE stage.sbtest$i;"
    done | sql src
    log "replicant run --stop-at-end: copy of the empty tables (P0)"
    replicant_run p0 "$WORK/apply-sync" --tables 'sbtest.*'
    # One copy per variant below; apply-p0 is kept (with BENCH_KEEP=1) for profiling later.
    for key in buffered nolog p0; do
        cp -a "$WORK/apply-sync" "$WORK/apply-$key"
    done
    P0=$("$REPLICANT" status --data-dir "$WORK/apply-sync" --format json |
        python3 -c 'import json,sys; print(json.load(sys.stdin)["position"].split()[0])')
    P0_FILE=${P0%:*} P0_POS=${P0##*:}
    read -r MASTER_FILE MASTER_POS _ < <(sql src -e 'SHOW MASTER STATUS')
    [[ "$MASTER_FILE:$MASTER_POS" == "$P0" ]] ||
        die "replicant's position $P0 is not the source's $MASTER_FILE:$MASTER_POS (nothing writes now)"
    log "P0 = $P0"
    mariadb-dump --no-defaults --host=127.0.0.1 --port="${PORT_OF[src]}" --user="$DB_USER" \
        --password="$DB_PASS" --no-data --databases sbtest >"$WORK/schema.sql"

    log "load after P0: INSERT … SELECT of the prepared rows in 10,000-row transactions"
    a=$(date +%s.%N)
    for i in $(seq 1 "$TABLES"); do
        for ((lo = 1; lo <= ROWS; lo += 10000)); do
            echo "INSERT INTO sbtest.sbtest$i SELECT * FROM stage.sbtest$i WHERE id BETWEEN $lo AND $((lo + 9999));"
        done
    done | sql src
    LOAD_FILL=$(elapsed "$a" "$(date +%s.%N)")
    log "sysbench run: $EVENTS oltp_write_only transactions, $THREADS threads"
    a=$(date +%s.%N)
    sb sbtest "$TABLES" "$ROWS" --threads="$THREADS" --events="$EVENTS" --time=0 run >"$WORK/sysbench-run.log" 2>&1 ||
        { tail -n 20 "$WORK/sysbench-run.log" >&2; die "sysbench run failed"; }
    LOAD_RUN=$(elapsed "$a" "$(date +%s.%N)")
    SB_TPS=$(sed -n 's/.*transactions: *[0-9]* *(\([0-9.]*\) per sec.*/\1/p' "$WORK/sysbench-run.log")
    read -r END_FILE END_POS _ < <(sql src -e 'SHOW MASTER STATUS')
    BINLOG_BYTES=$(sql src -e 'SHOW BINARY LOGS' | awk -v f="$P0_FILE" -v p="$P0_POS" \
        '$1 >= f { s += $2 } END { printf "%d", s - p }')
    log "binlog after P0: $P0 .. $END_FILE:$END_POS, $BINLOG_BYTES bytes"

    # apply_variant KEY WHAT ARGS...: replicant from P0 on $WORK/apply-KEY.
    declare -A APPLY_S APPLY_CPU APPLY_RSS APPLY_WHAT
    APPLY_KEYS=()
    apply_variant() {
        local key=$1 what=$2
        shift 2
        note_load "apply (replicant, $what)"
        log "replicant run --stop-at-end $*: apply from P0"
        replicant_run "apply-$key" "$WORK/apply-$key" --tables 'sbtest.*' "$@"
        APPLY_S[$key]=$T_WALL APPLY_CPU[$key]=$T_CPU APPLY_RSS[$key]=$T_RSS APPLY_WHAT[$key]=$what
        APPLY_KEYS+=("$key")
        log "  $T_WALL s"
    }
    apply_variant sync "sync" --durability sync
    if ! skipped buffered; then
        apply_variant buffered "buffered" --durability buffered
    fi
    if ! skipped nolog; then
        apply_variant nolog "buffered, no change log" --durability buffered --changelog-retention 0
    fi

    # The MariaDB replica: no binary log of its own, redo log flushed once a second.
    start_mariadbd rep --server-id=2 --innodb-flush-log-at-trx-commit=2 --sync-binlog=0 \
        --skip-slave-start --relay-log=relay-bin --replicate-wild-do-table=sbtest.% \
        --slave-parallel-threads="$SLAVE_THREADS"
    sql rep <"$WORK/schema.sql"
    create_bench_user rep sbtest
    sql rep -e "CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT=${PORT_OF[src]},
        MASTER_USER='$DB_USER', MASTER_PASSWORD='$DB_PASS', MASTER_LOG_FILE='$P0_FILE',
        MASTER_LOG_POS=$P0_POS, MASTER_USE_GTID=no"
    note_load "apply (MariaDB replica)"
    log "MariaDB replica: START SLAVE until $END_FILE:$END_POS"
    cpu0=$(cpu_of "${PID_OF[rep]}")
    timed rep-apply "$WORK/rep-apply.out" mariadb --no-defaults --socket="${SOCK_OF[rep]}" --user=root \
        --batch --skip-column-names -e "START SLAVE; SELECT MASTER_POS_WAIT('$END_FILE', $END_POS, 3600)"
    REP_S=$T_WALL
    REP_CPU=$(awk -v a="$cpu0" -v b="$(cpu_of "${PID_OF[rep]}")" 'BEGIN { printf "%.2f", b - a }')
    REP_RSS=$(hwm_of "${PID_OF[rep]}")
    [[ "$(cat "$WORK/rep-apply.out")" =~ ^[0-9]+$ ]] ||
        { sql rep --column-names -e 'SHOW SLAVE STATUS\G' >&2; die "MASTER_POS_WAIT returned '$(cat "$WORK/rep-apply.out")'"; }
    sql rep --column-names -e 'SHOW SLAVE STATUS\G' >"$WORK/rep-status.txt"
    grep -q 'Slave_SQL_Running: Yes' "$WORK/rep-status.txt" || { cat "$WORK/rep-status.txt" >&2; die "the replica's SQL thread stopped"; }
    log "  $REP_S s ($(grep -E 'Relay_Master_Log_File|Exec_Master_Log_Pos' "$WORK/rep-status.txt" | tr -s ' ' | tr '\n' ' '))"

    what="apply $(awk -v b="$BINLOG_BYTES" 'BEGIN { printf "%.0f", b / 1e6 }') MB binlog: wall s"
    dirs=()
    for key in "${APPLY_KEYS[@]}"; do
        result "$what, ${APPLY_WHAT[$key]}" "${APPLY_S[$key]}" "MariaDB replica" "$REP_S" ">= 3x"
        dirs+=(--data-dir "replicant-$key=$WORK/apply-$key")
    done
    for key in "${APPLY_KEYS[@]}"; do
        result "  CPU s, ${APPLY_WHAT[$key]}" "${APPLY_CPU[$key]}" "MariaDB replica" "$REP_CPU" ""
    done
    for key in "${APPLY_KEYS[@]}"; do
        result "  peak RSS MB, ${APPLY_WHAT[$key]}" "$(mb "${APPLY_RSS[$key]}")" "MariaDB replica" "$(mb "$REP_RSS")" ""
    done
    REP_URL="mysql://$DB_USER:$DB_PASS@127.0.0.1:${PORT_OF[rep]}"
    check apply --schema sbtest --prefix sbtest "${dirs[@]}" --peer "mariadb-replica=$REP_URL"
fi

# ---------------------------------------------------------------------------------------
# 4. Lag: probes committed every 10 ms while sysbench runs at BENCH_LAG_RATE, seen by
#    replicant (in-process, its visible position) and by the MariaDB replica (polled).
# ---------------------------------------------------------------------------------------
if ! skipped lag; then
    # lag_run RATE DURABILITY DATA_DIR
    lag_run() {
        local rate=$1 durability=$2 dir=$3 name="lag-$1-$2"
        # Both replicas start level with the source, with no backlog from the previous run.
        log "catching up before the probes: replicant ($durability) and the MariaDB replica"
        replicant_run "$name-catchup" "$dir" --tables 'sbtest.*' --durability "$durability"
        read -r end_file end_pos _ < <(sql src -e 'SHOW MASTER STATUS')
        sql rep -e "SELECT MASTER_POS_WAIT('$end_file', $end_pos, 600)" >/dev/null
        log "sysbench run --rate=$rate in the background; $PROBES probes ($durability)"
        # Not through `sb`: $! must be sysbench itself, to stop it.
        "${SB[@]}" --mysql-db=sbtest --tables="$TABLES" --table-size="$ROWS" --threads="$THREADS" \
            --rate="$rate" --time=3600 --report-interval=1 run >"$WORK/sysbench-$name.log" 2>&1 &
        local sb_pid=$!
        BENCH_PIDS+=("$sb_pid")
        sleep 2
        note_load "lag, --rate=$rate, $durability"
        "$HELPER" lag --source "$SRC_URL" --data-dir "$dir" --tables 'sbtest.*' --durability "$durability" \
            --probes "$PROBES" --peer "$REP_URL" >"$WORK/$name.out" 2>"$WORK/$name.err" ||
            { tail -n 20 "$WORK/$name.err" >&2; stop_pid "$sb_pid"; die "lag helper failed"; }
        stop_pid "$sb_pid"
        cat "$WORK/$name.out" >&2
        local achieved batches rep peer figures r p
        achieved=$(sed -n 's/^source .*tx_per_s=\([0-9]*\).*/\1/p' "$WORK/$name.out")
        batches=$(sed -n 's/^source .*batches=\([0-9]*\).*/\1/p' "$WORK/$name.out")
        rep=$(grep '^lag replicant ' "$WORK/$name.out")
        peer=$(grep '^lag mariadb-replica ' "$WORK/$name.out")
        # "p50/p90/p99/max" of a helper line.
        figures() { sed -n 's/.* p50_ms=\([^ ]*\) p90_ms=\([^ ]*\) p99_ms=\([^ ]*\) max_ms=\([^ ]*\).*/\1\/\2\/\3\/\4/p' <<<"$1"; }
        r=$(figures "$rep")
        p=$(figures "$peer")
        result "lag ms p50/p90/p99/max, $durability, $achieved tx/s" "$r" "MariaDB replica" "$p" "p99 <= 50 ms" \
            "$(cut -d/ -f3 <<<"$r")" "$(cut -d/ -f3 <<<"$p")"
        LAG_NOTES+=("lag, sysbench --rate=$rate ($THREADS threads) + the probes: the source ran $achieved tx/s;" \
            "  replicant ($durability, $batches commit groups meanwhile): ${rep#lag replicant }" \
            "  MariaDB replica: ${peer#lag mariadb-replica }")
    }
    for rate in $LAG_RATE; do
        lag_run "$rate" sync "$WORK/apply-sync"
        if ! skipped buffered; then
            lag_run "$rate" buffered "$WORK/apply-buffered"
        fi
    done
    stop_pid "${PID_OF[rep]}"
fi

# ---------------------------------------------------------------------------------------
# 5. Memory: replicant's initial copy of BIG_ROWS rows vs. mariadb-dump.
# ---------------------------------------------------------------------------------------
if ! skipped big; then
    [[ -z "${PID_OF[rep]:-}" ]] || stop_pid "${PID_OF[rep]}"
    prepare big "$BIG_TABLES" $((BIG_ROWS / BIG_TABLES))
    LOAD_BIG=$PREPARE_S
    copy_vs_dump big big "copy $BIG_TABLES x $((BIG_ROWS / BIG_TABLES)) rows" "" "<= 512 MiB"
fi

# ---------------------------------------------------------------------------------------
# 6. The report.
# ---------------------------------------------------------------------------------------
REPORT="$WORK/report.txt"
{
    echo "# replicant replica benchmark — $(date -u '+%Y-%m-%d %H:%M UTC')"
    echo
    machine_line
    echo "source:    MariaDB $MARIADB_VERSION (private mariadbd, binlog_format=ROW, binlog_row_metadata=FULL," \
        "innodb_flush_log_at_trx_commit=0, sync_binlog=0, 512 MB buffer pool)"
    echo "replicant: $REPLICANT_REV (cargo build --release), snapshot chunks and parallelism at their defaults"
    echo "workload:  sysbench oltp_write_only, $TABLES tables x $ROWS rows (prepare $LOAD_PREPARE s)"
    if [[ -n "${END_POS:-}" ]]; then
        echo "apply:     after P0=$P0: the $((TABLES * ROWS)) rows again by INSERT … SELECT in 10,000-row transactions" \
            "(${LOAD_FILL} s), then $EVENTS transactions on $THREADS threads (${LOAD_RUN} s, ${SB_TPS:-?} tps);"
        echo "           $BINLOG_BYTES bytes of binlog up to $END_FILE:$END_POS"
        echo "durability: replicant sync = RocksDB WAL fsynced per commit group; buffered = WAL written, not fsynced;"
        echo "           both keep the change log (every change with its images, default retention 7d);" \
            "'no change log' is --changelog-retention 0"
        echo "           MariaDB replica: innodb_flush_log_at_trx_commit=2, no binlog, slave_parallel_threads=$SLAVE_THREADS," \
            "replicate-wild-do-table=sbtest.%"
    fi
    [[ -z "${LOAD_BIG:-}" ]] || echo "big:       $BIG_TABLES table(s), $BIG_ROWS rows in all (prepare $LOAD_BIG s)"
    echo "load average before each measurement:"
    printf '           %s\n' "${LOADS[@]}"
    echo
    fmt='| %-52s | %27s | %-15s | %27s | %14s | %-12s |\n'
    # shellcheck disable=SC2059
    printf "$fmt" "measurement" "replicant" "peer" "peer" "peer/replicant" "target"
    # shellcheck disable=SC2059
    printf "$fmt" "$(printf -- '-%.0s' {1..52})" "$(printf -- '-%.0s' {1..26}):" "---------------" \
        "$(printf -- '-%.0s' {1..26}):" "-------------:" "------------"
    for r in "${RESULTS[@]}"; do
        IFS='|' read -r label rep peer_name peer ratio target <<<"$r"
        # shellcheck disable=SC2059
        printf "$fmt" "$label" "${rep:--}" "$peer_name" "${peer:--}" "$ratio" "$target"
    done
    echo
    echo "peer/replicant: the peer's figure divided by replicant's; above 1 means replicant took less"
    echo "(time, CPU, memory, lag; for lag lines, of p99). CPU s of the MariaDB replica is its mariadbd's user+sys time during the"
    echo "apply; its peak RSS is that server's VmHWM (buffer pool included)."
    if [[ ${#LAG_NOTES[@]} -gt 0 ]]; then
        echo
        printf '%s\n' "${LAG_NOTES[@]}"
    fi
    echo
    echo "copies checked against the source (row count + checksum of every row's text):"
    printf '  %s\n' "${CHECKS[@]}"
} >"$REPORT"

cat "$REPORT"
if [[ -n "${BENCH_OUT:-}" ]]; then
    cp "$REPORT" "$BENCH_OUT"
    log "report written to $BENCH_OUT"
fi
