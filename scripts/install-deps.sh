#!/usr/bin/env bash
# Installs the system packages replicant's build and tests need on Debian/Ubuntu:
# clang + libclang-dev (RocksDB bindings, from the store stage on), MariaDB server and
# client (the test harness starts private mariadbd processes), sysbench (the write load of
# integration/tests/crash.rs, and benchmarks), and the real clients the query server is
# tested with: PyMySQL, SQLAlchemy, mysqlclient (python3-mysqldb), MariaDB Connector/J
# with a JDK, and tmux (the interactive mariadb CLI test).
# Safe to run repeatedly: installs only what is missing. Needs root (or sudo).
set -euo pipefail

need=()
have() { command -v "$1" >/dev/null 2>&1; }
have clang || need+=(clang)
[ -e /usr/lib/llvm-14/lib/libclang.so ] || ls /usr/lib/llvm-*/lib/libclang*.so >/dev/null 2>&1 || need+=(libclang-dev)
{ have mariadbd || [ -x /usr/sbin/mariadbd ]; } || need+=(mariadb-server)
have mariadb || need+=(mariadb-client)
have mariadb-install-db || need+=(mariadb-server)
have sysbench || need+=(sysbench)
have tmux || need+=(tmux)
have javac || need+=(default-jdk-headless)
[ -e /usr/share/java/mariadb-java-client.jar ] || need+=(libmariadb-java)
# The Debian python (the tests use /usr/bin/python3, whatever else is first on PATH).
pymod() { [ -x /usr/bin/python3 ] && /usr/bin/python3 -c "import $1" >/dev/null 2>&1; }
pymod pymysql || need+=(python3-pymysql)
pymod sqlalchemy || need+=(python3-sqlalchemy)
pymod MySQLdb || need+=(python3-mysqldb)

if [ ${#need[@]} -eq 0 ]; then
  echo "install-deps: everything is installed"
  exit 0
fi
sudo=""
if [ "$(id -u)" != 0 ]; then sudo="sudo"; fi
echo "install-deps: installing ${need[*]}"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
# The packaged server must not hold the default port or run as a service: tests start
# their own servers in temporary directories.
$sudo systemctl disable --now mariadb >/dev/null 2>&1 || true
echo "install-deps: done"
