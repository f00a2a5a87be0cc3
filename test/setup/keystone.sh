#!/usr/bin/env bash
# keystone.sh start DIR | stop DIR
#
# A throwaway OpenStack Keystone (Debian's keystone, the real identity service, served by
# uwsgi as Debian does) on 127.0.0.1 with a free port, and next to it a second real Glance
# (test/setup/glance.sh in DIR/glance) that authenticates requests against this Keystone,
# registered in its catalog as the `image` service. SQLite database, Fernet tokens; every
# file is in DIR. Run as root, without systemd.
#
# Keystone holds, beside what `keystone-manage bootstrap` creates (admin user and project,
# the admin/member/reader roles, RegionOne, the identity endpoints):
#   - project `service`, user `glance` with the admin role on it (Glance's service user:
#     it validates the tokens it is sent);
#   - project `vmic`, user `vmic` with the member role on it, and an application credential
#     of that user (unrestricted roles: member on `vmic`).
#
# `start` prints shell assignments (also kept in DIR/env):
#   VMIC_TEST_KEYSTONE_URL            http://127.0.0.1:PORT/v3
#   VMIC_TEST_KEYSTONE_USER           vmic (domain Default)
#   VMIC_TEST_KEYSTONE_PASSWORD       its password
#   VMIC_TEST_KEYSTONE_PROJECT        vmic (domain Default)
#   VMIC_TEST_KEYSTONE_APP_CRED_ID, VMIC_TEST_KEYSTONE_APP_CRED_SECRET
#   VMIC_TEST_GLANCE_KEYSTONE_URL     http://127.0.0.1:PORT2 — that Glance's endpoint root
#   VMIC_TEST_KEYSTONE_DIR            DIR
# `stop` stops Glance, then uwsgi's process group (SIGTERM, SIGKILL after 10 s), and
# removes DIR.
#
# Settings that matter:
# - the configuration is passed as uwsgi's --pyargv (`--config-file`, and an empty
#   `--config-dir`), so nothing of /etc/keystone is read.
# - the SQLite database is in WAL mode: in the default rollback-journal mode, a worker that
#   leaves a SELECT unfinished keeps a shared lock, and the other workers' commits fail
#   with `database is locked` after 5 s (seen when creating users and application
#   credentials).
# - `password_hash_rounds = 4`: bcrypt's default cost (12) makes every password check
#   take half a second.
# - uwsgi: several single-threaded workers. With threads, SQLAlchemy connections (NullPool
#   for SQLite) end up used from other threads than their own ("SQLite objects created in
#   a thread can only be used in that same thread") and stay open, holding their locks.
# - Glance starts while keystone-manage prepares the database, and uwsgi's workers load
#   while bootstrap runs: Glance contacts Keystone only when the first token arrives, and
#   Keystone reads its database only per request.
set -euo pipefail

usage() { echo "usage: keystone.sh start DIR | stop DIR" >&2; exit 2; }
[ $# = 2 ] || usage
CMD=$1
DIR=$2
HERE=$(cd "$(dirname "$0")" && pwd)
# running, stop_pid
. "$HERE/lib.sh"

stop() {
  [ -d "$DIR" ] || return 0
  bash "$HERE/glance.sh" stop "$DIR/glance" || true
  # The uwsgi master started for this directory, with its workers (its process group).
  stop_pid "$DIR/uwsgi.pid" "--config-file $DIR/keystone.conf" TERM yes 100 50
  rm -rf "$DIR"
}

if [ "$CMD" = stop ]; then
  [ -f "$DIR/keystone.conf" ] || [ ! -e "$DIR" ] || { echo "keystone.sh: $DIR is not a Keystone directory" >&2; exit 1; }
  [ -e "$DIR" ] && DIR=$(cd "$DIR" && pwd)
  stop
  exit 0
fi
[ "$CMD" = start ] || usage

command -v keystone-manage >/dev/null || { echo "keystone.sh: keystone-manage not found (apt-get install keystone)" >&2; exit 1; }
command -v uwsgi >/dev/null || { echo "keystone.sh: uwsgi not found (apt-get install uwsgi-plugin-python3)" >&2; exit 1; }
mkdir -p "$DIR"
DIR=$(cd "$DIR" && pwd)
[ -z "$(ls -A "$DIR")" ] || { echo "keystone.sh: $DIR is not empty" >&2; exit 1; }
mkdir -p "$DIR"/{conf.d,log}

OK=0
GLANCE_PID=
FERNET=
CREDENTIAL=
fail() {
  echo "keystone.sh: $*" >&2
  for f in "$DIR"/log/*; do
    [ -s "$f" ] && { echo "--- $f" >&2; tail -n 20 "$f" >&2; }
  done
  exit 1
}
on_exit() {
  [ "$OK" = 1 ] && return
  set +e
  echo "keystone.sh: start failed, cleaning up" >&2
  # Background steps still running are waited for before DIR goes (glance.sh cleans up
  # after itself when its start fails).
  for pid in $GLANCE_PID $FERNET $CREDENTIAL; do wait "$pid"; done
  stop
}
trap on_exit EXIT

free_port() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
PORT=
for i in $(seq 1 100); do
  PORT=$((20000 + RANDOM % 30000))
  free_port "$PORT" && break
  [ "$i" = 100 ] && fail "no free port"
done
secret() { tr -d - </proc/sys/kernel/random/uuid; }
ADMIN_PASSWORD=$(secret)
GLANCE_PASSWORD=$(secret)
USER_PASSWORD=$(secret)
URL=http://127.0.0.1:$PORT/v3

cat >"$DIR/keystone.conf" <<CONF
[DEFAULT]
log_file = $DIR/log/keystone.log
use_stderr = false

[database]
connection = sqlite:///$DIR/keystone.sqlite

[identity]
password_hash_rounds = 4

[token]
provider = fernet

[fernet_tokens]
key_repository = $DIR/fernet-keys

[fernet_receipts]
key_repository = $DIR/fernet-keys

[credential]
key_repository = $DIR/credential-keys
CONF

# Glance in the background, while keystone-manage runs (it picks a free port of its own,
# not Keystone's, which is not bound yet).
GLANCE_AVOID_PORT=$PORT GLANCE_KEYSTONE_AUTH_URL=$URL GLANCE_KEYSTONE_USER=glance GLANCE_KEYSTONE_PASSWORD=$GLANCE_PASSWORD \
  GLANCE_KEYSTONE_PROJECT=service bash "$HERE/glance.sh" start "$DIR/glance" \
  >"$DIR/glance.env" 2>"$DIR/log/glance.sh.err" &
GLANCE_PID=$!

KM=(keystone-manage --config-file "$DIR/keystone.conf" --config-dir "$DIR/conf.d")
# keystone-manage prints harmless eventlet tracebacks when it exits: kept in the log.
"${KM[@]}" fernet_setup --keystone-user root --keystone-group root >"$DIR/log/fernet_setup.out" 2>&1 &
FERNET=$!
"${KM[@]}" credential_setup --keystone-user root --keystone-group root >"$DIR/log/credential_setup.out" 2>&1 &
CREDENTIAL=$!
"${KM[@]}" db_sync >"$DIR/log/db_sync.out" 2>&1 || fail "keystone-manage db_sync failed"
python3 -c 'import sqlite3, sys; sqlite3.connect(sys.argv[1]).execute("PRAGMA journal_mode=WAL")' \
  "$DIR/keystone.sqlite" || fail "cannot switch the database to WAL"
wait "$FERNET" || fail "keystone-manage fernet_setup failed"
wait "$CREDENTIAL" || fail "keystone-manage credential_setup failed"
# A process group of its own (setsid), so that stop reaches the workers too.
# `Connection: close` on every answer: uwsgi's http-socket ends each connection after one
# answer, and Glance's keystonemiddleware, which reuses connections, then met
# RemoteDisconnected now and then, could not validate a good token and answered 401.
setsid uwsgi --plugins python3 --http-socket "127.0.0.1:$PORT" \
  --add-header "Connection: close" \
  --wsgi-file /usr/bin/keystone-wsgi-public \
  --pyargv "--config-file $DIR/keystone.conf --config-dir $DIR/conf.d" \
  --master --processes 2 --enable-threads --lazy-apps --need-app \
  --die-on-term --buffer-size 65535 --chdir "$DIR" \
  </dev/null >"$DIR/log/uwsgi.log" 2>&1 &
echo $! >"$DIR/uwsgi.pid"
alive() { running "$(cat "$DIR/uwsgi.pid")"; }
# The workers load Keystone (seconds) while bootstrap fills the database.
"${KM[@]}" bootstrap --bootstrap-password "$ADMIN_PASSWORD" \
  --bootstrap-admin-url "$URL" --bootstrap-internal-url "$URL" --bootstrap-public-url "$URL" \
  --bootstrap-region-id RegionOne >"$DIR/log/bootstrap.out" 2>&1 || fail "keystone-manage bootstrap failed"
for i in $(seq 1 300); do
  code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$URL" || true)
  [ "$code" = 200 ] && alive && break
  alive || fail "uwsgi (keystone) exited"
  [ "$i" = 300 ] && fail "keystone does not answer on $URL (last status $code)"
  sleep 0.1
done

# api METHOD PATH TOKEN [JSON] — the response body; fails unless the status is 2xx.
# The response headers go to $DIR/headers.
api() {
  local out code
  out=$(curl -s -D "$DIR/headers" -w '\n%{http_code}' --max-time 30 -X "$1" \
    -H 'Content-Type: application/json' ${3:+-H "X-Auth-Token: $3"} ${4:+--data "$4"} "$URL$2") ||
    fail "$1 $2: curl failed"
  code=${out##*$'\n'}
  out=${out%$'\n'*}
  case $code in 2??) ;; *) fail "$1 $2: HTTP $code: $out" ;; esac
  printf '%s' "$out"
}
# json PATH… — a value from the JSON on stdin (`a.b` walks objects).
json() { python3 -c 'import json, sys
d = json.load(sys.stdin)
for k in sys.argv[1].split("."): d = d[k]
print(d)' "$1"; }
token() { # user password project
  api POST /auth/tokens "" "{\"auth\":{\"identity\":{\"methods\":[\"password\"],\"password\":{\"user\":\
{\"name\":\"$1\",\"domain\":{\"id\":\"default\"},\"password\":\"$2\"}}},\"scope\":{\"project\":\
{\"name\":\"$3\",\"domain\":{\"id\":\"default\"}}}}}" >/dev/null
  tr -d '\r' <"$DIR/headers" | sed -n 's/^[Xx]-[Ss]ubject-[Tt]oken: //p'
}
role_id() { api GET "/roles?name=$1" "$ADMIN_TOKEN" | python3 -c 'import json, sys
print(json.load(sys.stdin)["roles"][0]["id"])'; }

ADMIN_TOKEN=$(token admin "$ADMIN_PASSWORD" admin)
[ -n "$ADMIN_TOKEN" ] || fail "no admin token"
ADMIN_ROLE=$(role_id admin)
MEMBER_ROLE=$(role_id member)

SERVICE_PROJECT=$(api POST /projects "$ADMIN_TOKEN" \
  '{"project":{"name":"service","domain_id":"default"}}' | json project.id)
GLANCE_USER=$(api POST /users "$ADMIN_TOKEN" \
  "{\"user\":{\"name\":\"glance\",\"domain_id\":\"default\",\"password\":\"$GLANCE_PASSWORD\"}}" | json user.id)
api PUT "/projects/$SERVICE_PROJECT/users/$GLANCE_USER/roles/$ADMIN_ROLE" "$ADMIN_TOKEN" >/dev/null

VMIC_PROJECT=$(api POST /projects "$ADMIN_TOKEN" \
  '{"project":{"name":"vmic","domain_id":"default"}}' | json project.id)
VMIC_USER=$(api POST /users "$ADMIN_TOKEN" \
  "{\"user\":{\"name\":\"vmic\",\"domain_id\":\"default\",\"password\":\"$USER_PASSWORD\"}}" | json user.id)
api PUT "/projects/$VMIC_PROJECT/users/$VMIC_USER/roles/$MEMBER_ROLE" "$ADMIN_TOKEN" >/dev/null

# An application credential is created by its own user, with a token of that user.
USER_TOKEN=$(token vmic "$USER_PASSWORD" vmic)
[ -n "$USER_TOKEN" ] || fail "no token for user vmic"
APP_CRED=$(api POST "/users/$VMIC_USER/application_credentials" "$USER_TOKEN" \
  '{"application_credential":{"name":"vmic-test","description":"vmic tests"}}')
APP_CRED_ID=$(json application_credential.id <<<"$APP_CRED")
APP_CRED_SECRET=$(json application_credential.secret <<<"$APP_CRED")

wait "$GLANCE_PID" || { GLANCE_PID=; cat "$DIR/log/glance.sh.err" >&2; fail "glance.sh start failed"; }
GLANCE_PID=
GLANCE_URL=$(sed -n 's/^VMIC_TEST_GLANCE_URL=//p' "$DIR/glance.env")
[ -n "$GLANCE_URL" ] || fail "glance.sh printed no URL"

IMAGE_SERVICE=$(api POST /services "$ADMIN_TOKEN" \
  '{"service":{"type":"image","name":"glance","description":"OpenStack Image"}}' | json service.id)
for interface in public internal; do
  api POST /endpoints "$ADMIN_TOKEN" "{\"endpoint\":{\"service_id\":\"$IMAGE_SERVICE\",\
\"interface\":\"$interface\",\"region_id\":\"RegionOne\",\"url\":\"$GLANCE_URL\"}}" >/dev/null
done
alive || fail "uwsgi (keystone) exited"

cat >"$DIR/env" <<ENV
VMIC_TEST_KEYSTONE_URL=$URL
VMIC_TEST_KEYSTONE_USER=vmic
VMIC_TEST_KEYSTONE_PASSWORD=$USER_PASSWORD
VMIC_TEST_KEYSTONE_PROJECT=vmic
VMIC_TEST_KEYSTONE_APP_CRED_ID=$APP_CRED_ID
VMIC_TEST_KEYSTONE_APP_CRED_SECRET=$APP_CRED_SECRET
VMIC_TEST_GLANCE_KEYSTONE_URL=$GLANCE_URL
VMIC_TEST_KEYSTONE_DIR=$DIR
ENV
OK=1
cat "$DIR/env"
