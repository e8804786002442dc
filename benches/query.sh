#!/usr/bin/env bash
# The query server, side by side with the source MariaDB in one run, on the same data:
# sysbench oltp_point_select (qps, p95 latency) and oltp_read_only (tps), both with
# server-side prepared statements, and an analytic GROUP BY over one sysbench table. Prints
# one table of figures and ratios; it judges nothing (no thresholds, exit 0 unless
# something could not run). See docs/benchmarks.md.
#
#   bash benches/query.sh                                   # full size
#   BENCH_TABLES=2 BENCH_ROWS=20000 BENCH_SECONDS=5 bash benches/query.sh   # quick check
#
# Environment:
#   BENCH_TABLES     sysbench tables                                  (default 4)
#   BENCH_ROWS       rows per table (the GROUP BY reads one table)    (default 250000)
#   BENCH_THREADS    sysbench threads                                 (default 4)
#   BENCH_SECONDS    seconds per sysbench run                         (default 20)
#   BENCH_REPEAT     runs of the GROUP BY per server                  (default 20)
#   BENCH_OUT        also write the report to this file
#   BENCH_KEEP=1     keep the temporary directory
#   CARGO_TARGET_DIR is respected for the replicant build.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SECONDS_PER_RUN=${BENCH_SECONDS:-20}
REPEAT=${BENCH_REPEAT:-20}
# shellcheck source=benches/lib.sh
source "$ROOT/benches/lib.sh"

require_tools
build_replicant
make_workdir replicant-query-bench
start_mariadbd src "${SOURCE_ARGS[@]}" --server-id=1
create_bench_user src sbtest
SRC_URL="mysql://$DB_USER:$DB_PASS@127.0.0.1:${PORT_OF[src]}"
MARIADB_VERSION=$(sql src -e 'SELECT VERSION()')

log "sysbench prepare: $TABLES tables x $ROWS rows"
sysbench oltp_read_only --db-driver=mysql --mysql-host=127.0.0.1 --mysql-port="${PORT_OF[src]}" \
    --mysql-user="$DB_USER" --mysql-password="$DB_PASS" --mysql-db=sbtest \
    --tables="$TABLES" --table-size="$ROWS" --threads="$THREADS" prepare >"$WORK/prepare.log" 2>&1 ||
    { tail -n 20 "$WORK/prepare.log" >&2; die "sysbench prepare failed"; }

# The replica: copy, then follow and serve.
REPLICA_PORT=$(free_port)
log "replicant run: copy of sbtest.*, serving on 127.0.0.1:$REPLICA_PORT"
env NO_COLOR=1 REPLICANT_LOG=warn "$REPLICANT" run --source "$SRC_URL" --tables 'sbtest.*' \
    --data-dir "$WORK/replica" --server-id 4202 --listen "127.0.0.1:$REPLICA_PORT" \
    >"$WORK/replicant.log" 2>&1 &
REPLICANT_PID=$!
for i in $(seq 1 1200); do
    if grep -q '"state": "streaming"' "$WORK/replica/status.json" 2>/dev/null; then break; fi
    kill -0 "$REPLICANT_PID" 2>/dev/null || { cat "$WORK/replicant.log" >&2; die "replicant run exited"; }
    [[ $i -lt 1200 ]] || die "the copy did not finish in 10 minutes"
    sleep 0.5
done
trap 'kill "$REPLICANT_PID" 2>/dev/null || true; bench_cleanup' EXIT

# run_sysbench WORKLOAD PORT USER PASSWORD: sets QPS, TPS, P95 (ms).
run_sysbench() {
    local out="$WORK/$1-$2.log"
    sysbench "$1" --db-driver=mysql --mysql-host=127.0.0.1 --mysql-port="$2" \
        --mysql-user="$3" --mysql-password="$4" --mysql-db=sbtest --tables="$TABLES" \
        --table-size="$ROWS" --threads="$THREADS" --time="$SECONDS_PER_RUN" --db-ps-mode=auto \
        --percentile=95 run >"$out" 2>&1 || { tail -n 20 "$out" >&2; die "sysbench $1 on port $2 failed"; }
    QPS=$(sed -n 's/.*queries: *[0-9]* *(\([0-9.]*\) per sec.).*/\1/p' "$out")
    TPS=$(sed -n 's/.*transactions: *[0-9]* *(\([0-9.]*\) per sec.).*/\1/p' "$out")
    P95=$(sed -n 's/.*95th percentile: *\([0-9.]*\).*/\1/p' "$out")
}

GROUP_BY="SELECT k % 100 AS bucket, COUNT(*), SUM(k), AVG(LENGTH(c)) FROM sbtest.sbtest1 GROUP BY bucket ORDER BY bucket"
# group_by PORT USER PASSWORD: sets GB_MS, the mean of $REPEAT runs in one session.
group_by() {
    local script="$WORK/group-by.sql" a b
    : >"$script"
    for _ in $(seq 1 "$REPEAT"); do echo "$GROUP_BY;" >>"$script"; done
    # One warm-up run, then the timed batch.
    mariadb --no-defaults -h 127.0.0.1 -P "$1" -u "$2" ${3:+-p"$3"} -e "$GROUP_BY" >/dev/null
    a=$(date +%s.%N)
    mariadb --no-defaults -h 127.0.0.1 -P "$1" -u "$2" ${3:+-p"$3"} --batch <"$script" >"$WORK/group-by-$1.out"
    b=$(date +%s.%N)
    GB_MS=$(awk -v a="$a" -v b="$b" -v n="$REPEAT" 'BEGIN { printf "%.1f", (b - a) * 1000 / n }')
}

declare -A R
for target in source replicant; do
    if [[ $target == source ]]; then port=${PORT_OF[src]} user=$DB_USER pass=$DB_PASS
    else port=$REPLICA_PORT user=root pass=""; fi
    log "$target: oltp_point_select, ${SECONDS_PER_RUN}s"
    run_sysbench oltp_point_select "$port" "$user" "$pass"
    R[$target.point_qps]=$QPS R[$target.point_p95]=$P95
    log "$target: oltp_read_only, ${SECONDS_PER_RUN}s"
    run_sysbench oltp_read_only "$port" "$user" "$pass"
    R[$target.ro_tps]=$TPS R[$target.ro_p95]=$P95
    log "$target: GROUP BY over sbtest1, $REPEAT runs"
    group_by "$port" "$user" "$pass"
    R[$target.gb_ms]=$GB_MS
done
cmp -s "$WORK/group-by-${PORT_OF[src]}.out" "$WORK/group-by-$REPLICA_PORT.out" && GB_SAME=yes || GB_SAME=NO

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }
report() {
    echo "replicant query server vs. the source MariaDB, same data ($TABLES x $ROWS sysbench rows)"
    machine_line
    echo "replicant: $REPLICANT_REV    MariaDB: $MARIADB_VERSION    threads: $THREADS    ${SECONDS_PER_RUN}s per sysbench run"
    echo
    printf '%-34s %14s %14s %10s\n' "measure" "source" "replicant" "ratio"
    printf '%-34s %14s %14s %10s\n' "oltp_point_select qps" "${R[source.point_qps]}" "${R[replicant.point_qps]}" \
        "$(ratio "${R[replicant.point_qps]}" "${R[source.point_qps]}")x"
    printf '%-34s %14s %14s %10s\n' "oltp_point_select p95 (ms)" "${R[source.point_p95]}" "${R[replicant.point_p95]}" \
        "$(ratio "${R[source.point_p95]}" "${R[replicant.point_p95]}")x"
    printf '%-34s %14s %14s %10s\n' "oltp_read_only tps" "${R[source.ro_tps]}" "${R[replicant.ro_tps]}" \
        "$(ratio "${R[replicant.ro_tps]}" "${R[source.ro_tps]}")x"
    printf '%-34s %14s %14s %10s\n' "oltp_read_only p95 (ms)" "${R[source.ro_p95]}" "${R[replicant.ro_p95]}" \
        "$(ratio "${R[source.ro_p95]}" "${R[replicant.ro_p95]}")x"
    printf '%-34s %14s %14s %10s\n' "GROUP BY over $ROWS rows (ms)" "${R[source.gb_ms]}" "${R[replicant.gb_ms]}" \
        "$(ratio "${R[source.gb_ms]}" "${R[replicant.gb_ms]}")x"
    echo "GROUP BY answers identical: $GB_SAME    (ratios > 1 mean replicant is better)"
}
report | tee ${BENCH_OUT:+"$BENCH_OUT"}
