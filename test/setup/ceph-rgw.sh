#!/usr/bin/env bash
# ceph-rgw.sh start DIR | stop DIR
#
# A throwaway single-node Ceph cluster with the RADOS Gateway (a real S3 service) for the
# tests: one monitor, one OSD and radosgw on 127.0.0.1, no manager and no cephx (nothing
# is reachable from outside loopback). Run as root, without systemd; every file is in DIR.
#
# `start` prints shell assignments (also kept in DIR/env):
#   VMIC_TEST_S3_ENDPOINT  http://127.0.0.1:PORT
#   AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION   an RGW user's keys
#   VMIC_TEST_CEPH_DIR     DIR
# `stop` stops radosgw, the OSD and the monitor (SIGTERM, SIGKILL after 10 s) and removes DIR.
#
# OSD_STORE=memstore (default, objects in RAM) or bluestore (a sparse file in DIR, for
# tests and benchmarks that store GiBs: memstore does not enforce its capacity).
#
# Written for this project after the field notes on Ceph 16 (Debian bookworm) on loopback.
# Settings that matter, each learnt the hard way:
# - `ms mon client mode = crc`: radosgw defaults to `secure`, which needs cephx, and gives up
#   after five minutes.
# - `paxos propose interval = 0.1`: every pool creation waits one interval (default 1 s);
#   radosgw creates its pools lazily, so first requests were seconds slow.
# - `rgw gc obj min wait = 10`: deleted data otherwise stays (in RAM, with memstore) for 2 h.
# - ready means: an anonymous `GET /` answers RGW's bucket list *and* radosgw is alive; a
#   bare TCP connect can be answered by another program that took the port.
set -euo pipefail

usage() { echo "usage: ceph-rgw.sh start DIR | stop DIR" >&2; exit 2; }
[ $# = 2 ] || usage
CMD=$1
DIR=$2
# running, stop_pid
. "$(dirname "$0")/lib.sh"

stop_daemon() { # name [signal]
  local file=$DIR/run/$1.pid
  # The daemon started with this directory's ceph.conf: SIGKILL after 10 s, then up to 5 s more.
  stop_pid "$file" "-c $DIR/ceph.conf" "${2:-TERM}" no 100 50
  rm -f "$file"
}

stop() {
  [ -d "$DIR" ] || return 0
  # The gateway and the OSD first (the OSD reports its shutdown to the monitor), the monitor last.
  stop_daemon rgw.a "${1:-TERM}"
  stop_daemon osd.0 "${1:-TERM}"
  stop_daemon mon.a "${1:-TERM}"
  rm -rf "$DIR"
}

if [ "$CMD" = stop ]; then
  [ -f "$DIR/ceph.conf" ] || [ ! -e "$DIR" ] || { echo "ceph-rgw.sh: $DIR is not a cluster directory" >&2; exit 1; }
  [ -e "$DIR" ] && DIR=$(cd "$DIR" && pwd)
  stop
  exit 0
fi
[ "$CMD" = start ] || usage

mkdir -p "$DIR"
DIR=$(cd "$DIR" && pwd)
[ -z "$(ls -A "$DIR")" ] || { echo "ceph-rgw.sh: $DIR is not empty" >&2; exit 1; }
mkdir -p "$DIR"/{run,log,crash,mon.a,osd.0,rgw.a}
CONF=$DIR/ceph.conf
export CEPH_CONF=$CONF

OK=0
fail() {
  echo "ceph-rgw.sh: $*" >&2
  for f in "$DIR"/log/*.out "$DIR"/log/*.log; do
    [ -s "$f" ] && { echo "--- $f" >&2; tail -n 15 "$f" >&2; }
  done
  exit 1
}
on_exit() {
  [ "$OK" = 1 ] && return
  set +e
  echo "ceph-rgw.sh: start failed, cleaning up" >&2
  stop KILL
}
trap on_exit EXIT

free_port() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
pick_port() {
  local p
  for _ in $(seq 1 100); do
    p=$((20000 + RANDOM % 30000))
    free_port "$p" && { echo "$p"; return; }
  done
  fail "no free port"
}
MON_PORT=$(pick_port)
RGW_PORT=$(pick_port)
while [ "$RGW_PORT" = "$MON_PORT" ]; do RGW_PORT=$(pick_port); done
uuid() { cat /proc/sys/kernel/random/uuid; }
hex() { local u; u=$(uuid)$(uuid); u=${u//-/}; echo "${u:0:$1}"; }
ACCESS_KEY=VMIC$(hex 16 | tr a-f A-F)
SECRET_KEY=$(hex 40)
FSID=$(uuid)
OSD_UUID=$(uuid)

cat >"$CONF" <<CONF
[global]
fsid = $FSID
mon host = v2:127.0.0.1:$MON_PORT
public addr = 127.0.0.1
auth cluster required = none
auth service required = none
auth client required = none
ms mon client mode = crc
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
osd crush chooseleaf type = 0
mon allow pool size one = true
mon allow pool delete = true
mon max pg per osd = 1000
paxos propose interval = 0.1
mon warn on pool no redundancy = false
mon warn on insecure global id reclaim = false
mon warn on insecure global id reclaim allowed = false
mon data avail warn = 2
mon data avail crit = 1
run dir = $DIR/run
admin socket = $DIR/run/\$name.asok
log file = $DIR/log/\$name.log
mon cluster log file = $DIR/log/cluster.log
crash dir = $DIR/crash
mon data = $DIR/mon.\$id
osd data = $DIR/osd.\$id
CONF
if [ "${OSD_STORE:-memstore}" = bluestore ]; then
  cat >>"$CONF" <<CONF
osd objectstore = bluestore
bluestore block create = true
bluestore block size = ${BLUESTORE_BYTES:-10737418240}
bluestore fsck on mkfs = false
osd memory target = 1073741824
CONF
else
  cat >>"$CONF" <<CONF
osd objectstore = memstore
memstore device bytes = ${MEMSTORE_BYTES:-4294967296}
CONF
fi
cat >>"$CONF" <<CONF

[client.rgw.a]
rgw frontends = beast endpoint=127.0.0.1:$RGW_PORT
rgw data = $DIR/rgw.a
rgw thread pool size = 64
rgw gc obj min wait = 10
rgw gc processor period = 10
CONF

daemon() { # name command... — in the foreground (-f) so that $! is the daemon itself
  local name=$1
  shift
  nohup "$@" -c "$CONF" -f </dev/null >>"$DIR/log/$name.out" 2>&1 &
  echo $! >"$DIR/run/$name.pid"
}
alive() { running "$(cat "$DIR/run/$1.pid")"; }

monmaptool --create --fsid "$FSID" --addv a "[v2:127.0.0.1:$MON_PORT]" "$DIR/monmap" >/dev/null
ceph-mon -i a --mkfs --monmap "$DIR/monmap" -c "$CONF" >"$DIR/log/mon-mkfs.out" 2>&1 || fail "ceph-mon --mkfs failed"
daemon mon.a ceph-mon -i a
for i in $(seq 1 100); do
  timeout 5 ceph --connect-timeout 5 mon stat >/dev/null 2>&1 && break
  alive mon.a || fail "ceph-mon exited"
  [ "$i" = 100 ] && fail "ceph-mon does not answer"
  sleep 0.2
done

[ "$(timeout 20 ceph osd new "$OSD_UUID")" = 0 ] || fail "ceph osd new failed"
ceph-osd -i 0 --mkfs --osd-uuid "$OSD_UUID" -c "$CONF" >"$DIR/log/osd-mkfs.out" 2>&1 || fail "ceph-osd --mkfs failed"
daemon osd.0 ceph-osd -i 0
for i in $(seq 1 150); do
  timeout 5 ceph osd stat -f json 2>/dev/null | grep -q '"num_up_osds":1' && break
  alive osd.0 || fail "ceph-osd exited"
  [ "$i" = 150 ] && fail "osd.0 is not up"
  sleep 0.2
done

daemon rgw.a radosgw -n client.rgw.a
for i in $(seq 1 300); do
  if (exec 3<>"/dev/tcp/127.0.0.1/$RGW_PORT" &&
    printf 'GET / HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n' >&3 &&
    timeout 5 cat <&3 | grep -q ListAllMyBucketsResult) 2>/dev/null && alive rgw.a; then
    break
  fi
  alive rgw.a || fail "radosgw exited"
  [ "$i" = 300 ] && fail "radosgw does not answer on 127.0.0.1:$RGW_PORT"
  sleep 0.2
done

timeout 60 radosgw-admin user create --uid=vmic --display-name=vmic \
  --access-key="$ACCESS_KEY" --secret-key="$SECRET_KEY" >"$DIR/log/user-create.out" 2>&1 ||
  fail "radosgw-admin user create failed"
alive rgw.a || fail "radosgw exited"

cat >"$DIR/env" <<ENV
VMIC_TEST_S3_ENDPOINT=http://127.0.0.1:$RGW_PORT
AWS_ACCESS_KEY_ID=$ACCESS_KEY
AWS_SECRET_ACCESS_KEY=$SECRET_KEY
AWS_REGION=us-east-1
VMIC_TEST_CEPH_DIR=$DIR
ENV
OK=1
cat "$DIR/env"
