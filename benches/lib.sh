# shellcheck shell=bash
# Shared by the benchmark scripts (benches/binlog_decode.sh, benches/replica.sh); sourced,
# not run. Gives: logging, installing what is missing (apt-get), a release build of
# replicant, a temporary work directory removed on exit, private mariadbd servers on free
# loopback ports (stopped on exit), `timed` (wall clock + GNU time's CPU and peak RSS),
# and the machine / load lines of the reports.
#
# The caller sets `set -euo pipefail` before sourcing.

BENCH_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# The sysbench workload both scripts start from, and what to leave out (" a b " form).
TABLES=${BENCH_TABLES:-4}
ROWS=${BENCH_ROWS:-250000}
EVENTS=${BENCH_EVENTS:-100000}
THREADS=${BENCH_THREADS:-4}
SKIP=" ${BENCH_SKIP:-} "
DB_USER=bench
DB_PASS=bench-pw

log() { printf '[bench %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
die() { log "error: $*"; exit 1; }
skipped() { [[ "${SKIP:- }" == *" $1 "* ]]; }

SUDO=()
if [[ $(id -u) -ne 0 ]]; then
    command -v sudo >/dev/null && SUDO=(sudo) || true
fi

APT_UPDATED=0
apt_install() {
    command -v apt-get >/dev/null || die "missing $*, and no apt-get to install it with"
    if [[ $APT_UPDATED -eq 0 ]]; then
        log "apt-get update"
        "${SUDO[@]}" apt-get update -qq >&2
        APT_UPDATED=1
    fi
    log "apt-get install -y $*"
    DEBIAN_FRONTEND=noninteractive "${SUDO[@]}" apt-get install -y -qq "$@" >&2
}

# require_tools [TOOL PACKAGE]...: installs MariaDB server and client tools, sysbench,
# python3, and each extra TOOL (from PACKAGE) that is not on the PATH.
require_tools() {
    # Debian keeps mariadbd and mariadb-install-db outside a normal user's PATH sometimes.
    export PATH="$PATH:/usr/sbin:/usr/local/sbin"
    local need=() tool
    for tool in mariadbd mariadb-install-db mariadb-admin; do
        command -v "$tool" >/dev/null || { need+=(mariadb-server); break; }
    done
    for tool in mariadb mariadb-binlog mariadb-dump; do
        command -v "$tool" >/dev/null || { need+=(mariadb-client); break; }
    done
    command -v sysbench >/dev/null || need+=(sysbench)
    command -v python3 >/dev/null || need+=(python3)
    while [[ $# -ge 2 ]]; do
        command -v "$1" >/dev/null || need+=("$2")
        shift 2
    done
    if [[ ${#need[@]} -gt 0 ]]; then
        apt_install "${need[@]}"
    fi
}

# build_replicant: `cargo build --release --bin replicant`; sets REPLICANT (the binary),
# TARGET_DIR (cargo's target directory, CARGO_TARGET_DIR respected) and REPLICANT_REV.
build_replicant() {
    log "cargo build --release (replicant)"
    (cd "$BENCH_ROOT" && cargo build --release --bin replicant >&2)
    TARGET_DIR=$(cd "$BENCH_ROOT" && cargo metadata --format-version 1 --no-deps |
        python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')
    REPLICANT="$TARGET_DIR/release/replicant"
    [[ -x "$REPLICANT" ]] || die "no replicant binary at $REPLICANT"
    REPLICANT_REV=$(git -C "$BENCH_ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)
    if [[ -n "$(git -C "$BENCH_ROOT" status --porcelain -- src Cargo.toml Cargo.lock 2>/dev/null)" ]]; then
        REPLICANT_REV="$REPLICANT_REV+local-changes"
    fi
}

# ---------------------------------------------------------------------------------------
# The work directory and the processes started in it, all removed / stopped on exit.
# ---------------------------------------------------------------------------------------
BENCH_PIDS=()
stop_pid() {
    local pid=$1 _
    kill -0 "$pid" 2>/dev/null || return 0
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 300); do
        kill -0 "$pid" 2>/dev/null || return 0
        sleep 0.1
    done
    kill -9 "$pid" 2>/dev/null || true
}
bench_cleanup() {
    local rc=$? i
    for ((i = ${#BENCH_PIDS[@]} - 1; i >= 0; i--)); do
        stop_pid "${BENCH_PIDS[$i]}"
    done
    if [[ "${BENCH_KEEP:-0}" == 1 ]]; then
        log "kept $WORK"
    else
        rm -rf "$WORK"
    fi
    exit "$rc"
}
# make_workdir PREFIX: sets WORK and the exit traps.
make_workdir() {
    WORK=$(mktemp -d "${TMPDIR:-/tmp}/$1.XXXXXX")
    trap bench_cleanup EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
}

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Binary-log settings of a benchmark source: what replicant needs, durability off so that
# loading is quick.
SOURCE_ARGS=(--log-bin=mariadb-bin --binlog-format=ROW --binlog-row-metadata=FULL
    --binlog-row-image=FULL --innodb-flush-log-at-trx-commit=0 --sync-binlog=0)

# start_mariadbd NAME [MARIADBD ARGS...]: a private mariadbd with its data directory in
# $WORK/NAME, on a free port of 127.0.0.1 (PORT_OF[NAME]) and a socket (SOCK_OF[NAME]);
# 512 MB buffer pool and redo log unless the arguments say otherwise (later ones win).
# Anonymous users are dropped.
declare -A PORT_OF SOCK_OF PID_OF
start_mariadbd() {
    local name=$1 dir="$WORK/$1" port i
    shift
    port=$(free_port)
    # mariadbd runs as root when we are root (the usual case in CI containers), else as us.
    local os_user
    os_user=$(id -un)
    mkdir -p "$dir"
    log "mariadb-install-db in $dir/data"
    mariadb-install-db --no-defaults --datadir="$dir/data" --user="$os_user" \
        --auth-root-authentication-method=normal --skip-test-db \
        >"$dir/install-db.log" 2>&1 || { cat "$dir/install-db.log" >&2; die "mariadb-install-db failed"; }
    log "starting mariadbd '$name' on 127.0.0.1:$port"
    mariadbd --no-defaults \
        --datadir="$dir/data" --socket="$dir/mariadbd.sock" --port="$port" --bind-address=127.0.0.1 \
        --pid-file="$dir/mariadbd.pid" --log-error="$dir/mariadbd.err" --tmpdir="$dir" \
        --user="$os_user" --skip-name-resolve --max-connections=200 \
        --innodb-buffer-pool-size=512M --innodb-log-file-size=512M \
        "$@" >"$dir/mariadbd.out" 2>&1 &
    PID_OF[$name]=$!
    BENCH_PIDS+=("$!")
    PORT_OF[$name]=$port
    SOCK_OF[$name]="$dir/mariadbd.sock"
    for i in $(seq 1 300); do
        sql "$name" -e 'SELECT 1' >/dev/null 2>&1 && break
        kill -0 "${PID_OF[$name]}" 2>/dev/null || { cat "$dir/mariadbd.err" >&2; die "mariadbd '$name' exited"; }
        [[ $i -lt 300 ]] || { cat "$dir/mariadbd.err" >&2; die "mariadbd '$name' did not come up in 30 s"; }
        sleep 0.1
    done
    sql "$name" -e "SELECT CONCAT('DROP USER ', QUOTE(user), '@', QUOTE(host), ';') FROM mysql.user WHERE user = ''" \
        >"$dir/drop-anon.sql"
    sql "$name" <"$dir/drop-anon.sql"
}

# sql NAME [mariadb ARGS...]: the mariadb client as root on NAME's socket, tab-separated
# output without column names.
sql() {
    local name=$1
    shift
    mariadb --no-defaults --socket="${SOCK_OF[$name]}" --user=root --batch --skip-column-names "$@"
}

# create_bench_user NAME DB...: user $DB_USER@127.0.0.1 with what replicant needs on *.*
# and everything on each DB (created if missing).
create_bench_user() {
    local name=$1 db grants=""
    shift
    for db in "$@"; do
        grants+="CREATE DATABASE IF NOT EXISTS \`$db\`; GRANT ALL PRIVILEGES ON \`$db\`.* TO '$DB_USER'@'127.0.0.1';"
    done
    sql "$name" <<SQL
CREATE USER '$DB_USER'@'127.0.0.1' IDENTIFIED BY '$DB_PASS';
GRANT REPLICATION SLAVE, REPLICATION CLIENT, SELECT, RELOAD, SHOW DATABASES ON *.* TO '$DB_USER'@'127.0.0.1';
$grants
FLUSH PRIVILEGES;
SQL
}

# ---------------------------------------------------------------------------------------
# Timing.
# ---------------------------------------------------------------------------------------
HAVE_GNU_TIME=0
/usr/bin/time -f '%M' true >/dev/null 2>&1 && HAVE_GNU_TIME=1

# elapsed A B: B - A in seconds (3 decimals), both from `date +%s.%N`.
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }

# timed NAME STDOUT CMD...: runs CMD (a program, not a function: GNU time execs it) with
# stdout to STDOUT and stderr to $WORK/NAME.err; sets T_WALL (s, ns resolution), T_CPU
# (user+sys s of CMD) and T_RSS (peak KiB), the last two "" without GNU time.
timed() {
    local name=$1 stdout=$2
    shift 2
    local pre=()
    [[ $HAVE_GNU_TIME -eq 1 ]] && pre=(/usr/bin/time -f '%U %S %M' -o "$WORK/$name.time")
    local a b u s m rc=0
    a=$(date +%s.%N)
    "${pre[@]}" "$@" >"$stdout" 2>"$WORK/$name.err" || rc=$?
    b=$(date +%s.%N)
    if [[ $rc -ne 0 ]]; then
        log "$name failed (exit $rc):"
        tail -n 20 "$WORK/$name.err" >&2
        return "$rc"
    fi
    T_WALL=$(elapsed "$a" "$b")
    if [[ $HAVE_GNU_TIME -eq 1 ]]; then
        read -r u s m <"$WORK/$name.time"
        T_CPU=$(awk -v u="$u" -v s="$s" 'BEGIN { printf "%.2f", u + s }')
        T_RSS=$m
    else
        T_CPU=""
        T_RSS=""
    fi
}

loadavg() { cut -d' ' -f1-3 /proc/loadavg; }

machine_line() {
    echo "machine:   $(nproc) cores, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)," \
        "$(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo), $(uname -sr)"
}

strip_ansi() { sed 's/\x1b\[[0-9;]*m//g' "$@"; }
