#!/usr/bin/env bash
# The test command (npm test runs tools.sh first). Starts a throwaway PostgreSQL, a
# Ceph RADOS Gateway, an OpenStack Glance (no-auth) and a Keystone with a second Glance
# behind it on loopback for the whole run, then runs
#   1. every test on the embedded defaults (SQLite file, blob directories), and the
#      scale-out integration test (nginx in front of replicas on PostgreSQL + RGW);
#   2. the suites that touch storage (store, publish, import, fetch, gate, migration, web,
#      API) again, each test instance on a fresh PostgreSQL database and RGW bucket.
# Both passes run even when the first fails; the servers are stopped and their
# directories removed on any exit.
#
#   bash test/setup/run-tests.sh                 # both passes
#   bash test/setup/run-tests.sh FILE...         # only FILEs, on $VMIC_TEST_BACKEND (default SQLite)
set -euo pipefail
cd "$(dirname "$0")/../.."

# Storage-touching suites run on both backends.
BOTH=(
  test/catalog/store
  test/catalog/audit-log.test.ts
  test/catalog/endorsers.test.ts
  test/catalog/images.test.ts
  test/catalog/publish.test.ts
  test/catalog/publish-blobs.test.ts
  test/catalog/publish-cms.test.ts
  test/catalog/publish-migration.test.ts
  test/catalog/blobs
  test/catalog/site
  test/catalog/migration
  test/catalog/log
  test/catalog/witness
  test/server/log.test.ts
  test/server/site-api
  test/server/api.test.ts
  test/server/blobs.test.ts
  test/server/feeds.test.ts
  test/server/feeds-blobs.test.ts
  test/server/transfers.test.ts
  test/web
)

WORK=$(mktemp -d /tmp/vmic-backends.XXXXXX)
# PostgreSQL runs as the postgres user, which must reach its directory inside WORK.
chmod 755 "$WORK"
KEYSTONE_PID=
stop_servers() {
  set +e
  # A Keystone still starting is waited for (it cleans up after a failed start itself).
  [ -n "$KEYSTONE_PID" ] && wait "$KEYSTONE_PID"
  bash test/setup/keystone.sh stop "$WORK/keystone"
  bash test/setup/glance.sh stop "$WORK/glance"
  bash test/setup/softhsm.sh stop "$WORK/softhsm"
  bash test/setup/ceph-rgw.sh stop "$WORK/rgw"
  bash test/setup/postgres.sh stop "$WORK/pg"
  rm -rf "$WORK"
}
trap stop_servers EXIT

# Keystone (with its Glance) takes the longest: it starts meanwhile.
bash test/setup/keystone.sh start "$WORK/keystone" >"$WORK/keystone.env" &
KEYSTONE_PID=$!
bash test/setup/postgres.sh start "$WORK/pg" >"$WORK/pg.env"
bash test/setup/ceph-rgw.sh start "$WORK/rgw" >"$WORK/rgw.env"
bash test/setup/glance.sh start "$WORK/glance" >"$WORK/glance.env"
bash test/setup/softhsm.sh start "$WORK/softhsm" >"$WORK/softhsm.env"
wait "$KEYSTONE_PID"
KEYSTONE_PID=
set -a
. "$WORK/pg.env"
. "$WORK/rgw.env"
. "$WORK/glance.env"
. "$WORK/keystone.env"
. "$WORK/softhsm.env"
set +a

# The AWS SDK is pinned to one version (package.json); its notice that later versions
# will need Node 22 would otherwise be printed by every test process that uses S3.
export AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED=true

run() { node --import tsx --test --test-concurrency=3 "$@"; }
# Test files under the given files and directories that exist (a suite may be empty).
files() { for f in "$@"; do [ -e "$f" ] && find "$f" -name '*.test.ts'; done | sort; }

if [ $# -gt 0 ]; then
  run "$@"
  exit
fi

status=0
echo "# pass 1: SQLite and local disk (every test)"
run $(files test) || status=1
echo "# pass 2: PostgreSQL and Ceph RGW (storage suites)"
VMIC_TEST_BACKEND=postgres-rgw run $(files "${BOTH[@]}") || status=1
exit $status
