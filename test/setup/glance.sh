#!/usr/bin/env bash
# glance.sh start DIR | stop DIR
#
# A throwaway OpenStack Glance image service (Debian's glance-api, the real server, not a
# stand-in) for the tests, on 127.0.0.1 with a free port. No authentication (the paste
# pipeline without keystone: every request runs under an anonymous context), the database
# is an SQLite file and images go to the `file` store; every file is in DIR. Run without
# systemd; nothing of /etc/glance is read but the stock paste pipeline definitions.
#
# `start` prints shell assignments (also kept in DIR/env):
#   VMIC_TEST_GLANCE_URL   http://127.0.0.1:PORT — the endpoint root (the API is under /v2)
#   VMIC_TEST_GLANCE_DIR   DIR
# `stop` stops the server's process group (SIGTERM, SIGKILL after 10 s) and removes DIR.
#
# With GLANCE_KEYSTONE_AUTH_URL set (test/setup/keystone.sh does it), the server is the
# `keystone` paste flavor instead: keystonemiddleware's auth_token checks X-Auth-Token
# against that Keystone as the service user GLANCE_KEYSTONE_USER / GLANCE_KEYSTONE_PASSWORD
# of project GLANCE_KEYSTONE_PROJECT (domain Default), with its in-process token cache (no
# memcached). The user need not exist yet: the middleware only authenticates on the first
# request that carries a token. GLANCE_AVOID_PORT, if set, is a port not to take (one
# that the caller has picked but not bound yet).
#
# Settings that matter:
# - `--config-dir DIR/conf.d` (empty): otherwise oslo.config also reads
#   /etc/glance/glance.conf.d/ or glance-api.conf.d/ when they exist (next to our file).
# - the anonymous context has no roles, so the policy file lets it publicize and
#   communitize images; `policy_dirs` points into DIR so that /etc/glance/policy.d is not
#   read (oslo.policy finds relative policy dirs in /etc/glance).
# - ready means: `GET /v2/images` answers 200 (the database works; 401 with Keystone, which
#   needs no token to refuse) *and* glance-api is the process that answers; a bare TCP
#   connect can be answered by another program.
set -euo pipefail

usage() { echo "usage: glance.sh start DIR | stop DIR" >&2; exit 2; }
[ $# = 2 ] || usage
CMD=$1
DIR=$2
# running, stop_pid
. "$(dirname "$0")/lib.sh"

stop() {
  [ -d "$DIR" ] || return 0
  # The server started with this directory's config file; the group holds the parent and
  # its worker (a last SIGKILL to the group reaches a worker that outlives its parent).
  stop_pid "$DIR/glance-api.pid" "--config-file $DIR/glance-api.conf" TERM yes 100 50
  rm -rf "$DIR"
}

if [ "$CMD" = stop ]; then
  [ -f "$DIR/glance-api.conf" ] || [ ! -e "$DIR" ] || { echo "glance.sh: $DIR is not a Glance directory" >&2; exit 1; }
  [ -e "$DIR" ] && DIR=$(cd "$DIR" && pwd)
  stop
  exit 0
fi
[ "$CMD" = start ] || usage

command -v glance-api >/dev/null || { echo "glance.sh: glance-api not found (apt-get install glance-api)" >&2; exit 1; }
mkdir -p "$DIR"
DIR=$(cd "$DIR" && pwd)
[ -z "$(ls -A "$DIR")" ] || { echo "glance.sh: $DIR is not empty" >&2; exit 1; }
mkdir -p "$DIR"/{conf.d,policy.d,images,staging,tasks,lock,log}

OK=0
fail() {
  echo "glance.sh: $*" >&2
  for f in "$DIR"/log/*; do
    [ -s "$f" ] && { echo "--- $f" >&2; tail -n 20 "$f" >&2; }
  done
  exit 1
}
on_exit() {
  [ "$OK" = 1 ] && return
  set +e
  echo "glance.sh: start failed, cleaning up" >&2
  stop
}
trap on_exit EXIT

free_port() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
PORT=
for i in $(seq 1 100); do
  PORT=$((20000 + RANDOM % 30000))
  [ "$PORT" != "${GLANCE_AVOID_PORT:-}" ] && free_port "$PORT" && break
  [ "$i" = 100 ] && fail "no free port"
done

FLAVOR=
READY=200
if [ -n "${GLANCE_KEYSTONE_AUTH_URL:-}" ]; then
  FLAVOR=keystone
  READY=401
fi

cat >"$DIR/glance-api.conf" <<CONF
[DEFAULT]
bind_host = 127.0.0.1
bind_port = $PORT
workers = 1
enabled_backends = local:file
log_file = $DIR/log/glance-api.log
use_stderr = false

[database]
connection = sqlite:///$DIR/glance.sqlite

[paste_deploy]
config_file = /etc/glance/glance-api-paste.ini
flavor = $FLAVOR

[glance_store]
default_backend = local

[local]
filesystem_store_datadir = $DIR/images

[os_glance_staging_store]
filesystem_store_datadir = $DIR/staging

[os_glance_tasks_store]
filesystem_store_datadir = $DIR/tasks

[oslo_concurrency]
lock_path = $DIR/lock

[oslo_policy]
enforce_new_defaults = false
enforce_scope = false
policy_file = $DIR/policy.yaml
policy_dirs = $DIR/policy.d
CONF
if [ -n "$FLAVOR" ]; then
  cat >>"$DIR/glance-api.conf" <<CONF

[keystone_authtoken]
www_authenticate_uri = $GLANCE_KEYSTONE_AUTH_URL
auth_url = $GLANCE_KEYSTONE_AUTH_URL
auth_type = password
username = ${GLANCE_KEYSTONE_USER:?}
password = ${GLANCE_KEYSTONE_PASSWORD:?}
project_name = ${GLANCE_KEYSTONE_PROJECT:?}
user_domain_id = default
project_domain_id = default
service_token_roles_required = true
CONF
fi
cat >"$DIR/policy.yaml" <<'POLICY'
"publicize_image": ""
"communitize_image": ""
POLICY

ARGS=(--config-file "$DIR/glance-api.conf" --config-dir "$DIR/conf.d")
glance-manage "${ARGS[@]}" db_sync >"$DIR/log/db_sync.out" 2>&1 || fail "glance-manage db_sync failed"

# A process group of its own (setsid), so that stop reaches the worker too.
setsid nohup glance-api "${ARGS[@]}" </dev/null >"$DIR/log/glance-api.out" 2>&1 &
echo $! >"$DIR/glance-api.pid"
alive() { running "$(cat "$DIR/glance-api.pid")"; }

for i in $(seq 1 300); do
  code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "http://127.0.0.1:$PORT/v2/images?limit=1" || true)
  [ "$code" = "$READY" ] && alive && break
  alive || fail "glance-api exited"
  [ "$i" = 300 ] && fail "glance-api does not answer on 127.0.0.1:$PORT (last status $code)"
  sleep 0.1
done

cat >"$DIR/env" <<ENV
VMIC_TEST_GLANCE_URL=http://127.0.0.1:$PORT
VMIC_TEST_GLANCE_DIR=$DIR
ENV
OK=1
cat "$DIR/env"
