#!/usr/bin/env bash
# postgres.sh start DIR | stop DIR
#
# A throwaway PostgreSQL server for the tests, on 127.0.0.1 with a free port, everything
# (data, socket, logs) inside DIR. Started as root without systemd: initdb and the server
# run as the `postgres` system user, because PostgreSQL refuses to run as root.
#
# `start` prints shell assignments (also kept in DIR/env):
#   VMIC_TEST_PG_URL   postgres://vmic:PASSWORD@127.0.0.1:PORT/postgres — a role that may
#                      create databases, so that every test instance gets a database of its own
#   VMIC_TEST_PG_DIR   DIR
# `stop` shuts the server down (fast shutdown, then SIGKILL after 15 s) and removes DIR.
#
# Written for this project after the field notes on running PostgreSQL 15 from Debian's
# packages on loopback; fsync and synchronous commit are off: the data is thrown away.
set -euo pipefail

usage() { echo "usage: postgres.sh start DIR | stop DIR" >&2; exit 2; }
[ $# = 2 ] || usage
CMD=$1
DIR=$2
# running, stop_pid
. "$(dirname "$0")/lib.sh"

stop() {
  [ -d "$DIR" ] || return 0
  # This directory's postmaster: fast shutdown (SIGINT), SIGKILL after 15 s.
  stop_pid "$DIR/postgres.pid" "-D $DIR/data" INT no 150 0
  rm -rf "$DIR"
}

if [ "$CMD" = stop ]; then
  [ -d "$DIR/data" ] || [ ! -e "$DIR" ] || { echo "postgres.sh: $DIR is not a server directory" >&2; exit 1; }
  stop
  exit 0
fi
[ "$CMD" = start ] || usage

mkdir -p "$DIR/log"
DIR=$(cd "$DIR" && pwd)
[ -z "$(ls -A "$DIR/log")" ] || { echo "postgres.sh: $DIR is not empty" >&2; exit 1; }

BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
if [ ! -x "$BIN/initdb" ] && command -v initdb >/dev/null; then
  BIN=$(dirname "$(readlink -f "$(command -v initdb)")")
fi
[ -x "$BIN/initdb" ] || { echo "postgres.sh: initdb not found (apt-get install postgresql)" >&2; exit 1; }

OK=0
on_exit() {
  [ "$OK" = 1 ] && return
  set +e
  echo "postgres.sh: start failed" >&2
  tail -n 20 "$DIR/log/postgres.log" "$DIR/log/initdb.log" 2>/dev/null >&2
  # The server may have started before the failure: stop it by its recorded PID.
  [ -f "$DIR/data/postmaster.pid" ] && head -n 1 "$DIR/data/postmaster.pid" >"$DIR/postgres.pid"
  stop
}
trap on_exit EXIT

id -u postgres >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin postgres
chown postgres "$DIR" "$DIR/log"
chmod 755 "$DIR"
as_postgres() { runuser -u postgres -- "$@"; }

free_port() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
PORT=
for _ in $(seq 1 100); do
  PORT=$((20000 + RANDOM % 30000))
  free_port "$PORT" && break
done
PASSWORD=$(tr -d - </proc/sys/kernel/random/uuid)

as_postgres "$BIN/initdb" -D "$DIR/data" -U postgres -E UTF8 --locale=C.UTF-8 \
  --auth-local=trust --auth-host=scram-sha-256 --no-sync >"$DIR/log/initdb.log" 2>&1
# max_connections: every test instance opens a small pool, and two test files run at once.
as_postgres "$BIN/pg_ctl" -D "$DIR/data" -l "$DIR/log/postgres.log" -w -t 60 -o "\
 -c listen_addresses=127.0.0.1 -c port=$PORT -c unix_socket_directories=$DIR\
 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300" \
  start >"$DIR/log/pg_ctl.log" 2>&1
head -n 1 "$DIR/data/postmaster.pid" >"$DIR/postgres.pid"

"$BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$DIR" -p "$PORT" -U postgres -d postgres \
  -c "CREATE ROLE vmic LOGIN CREATEDB PASSWORD '$PASSWORD'" >/dev/null

cat >"$DIR/env" <<ENV
VMIC_TEST_PG_URL=postgres://vmic:$PASSWORD@127.0.0.1:$PORT/postgres
VMIC_TEST_PG_DIR=$DIR
ENV
OK=1
cat "$DIR/env"
