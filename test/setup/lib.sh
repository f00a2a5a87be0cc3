# test/setup/lib.sh — sourced (not run) by the throwaway-server scripts of test/setup
# (postgres.sh, ceph-rgw.sh, glance.sh, keystone.sh): how they tell whether a server process
# still runs, and how they stop one by the PID they recorded. Defines functions, runs nothing.

# running PID — the process is running and not a zombie: daemons left to init linger as
# <defunct> (their /proc/PID stays) until they are reaped.
running() { [ -r "/proc/$1/stat" ] && [ "$(sed 's/.*) //' "/proc/$1/stat" | cut -c1)" != Z ]; }

# stop_pid PIDFILE MARKER SIGNAL GROUP TERM_TENTHS KILL_TENTHS
# Stops the process whose PID is in PIDFILE (nothing to do when there is no PIDFILE): sends
# SIGNAL (TERM, INT, KILL…), waits up to TERM_TENTHS tenths of a second for it to end, then
# sends SIGKILL if it still runs and waits up to KILL_TENTHS tenths more (0: not at all).
# GROUP=yes signals the process group whose ID is that PID (a server started with setsid,
# so that its workers are reached too), GROUP=no the process alone. Returns 0; PIDFILE stays.
# - Signals go only while /proc/PID/cmdline still contains MARKER (an argument that names
#   this server's directory): a PID can be reused by another process once ours has ended.
# - With GROUP=yes the group gets a last SIGKILL in any case: a worker outlives a parent
#   killed with SIGKILL (or one that died before, which fails the MARKER check) and stays in
#   the same group.
stop_pid() {
  local file=$1 marker=$2 signal=$3 group=$4 term_tenths=$5 kill_tenths=$6 pid target
  [ -f "$file" ] || return 0
  pid=$(cat "$file")
  target=$pid
  if [ "$group" = yes ]; then target=-$pid; fi
  if tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline" | grep -qF -- "$marker" &&
    kill "-$signal" -- "$target" 2>/dev/null; then
    for _ in $(seq 1 "$term_tenths"); do running "$pid" || break; sleep 0.1; done
    running "$pid" && kill -KILL -- "$target" 2>/dev/null
    for _ in $(seq 1 "$kill_tenths"); do running "$pid" || break; sleep 0.1; done
  fi
  if [ "$group" = yes ]; then kill -KILL -- "$target" 2>/dev/null || true; fi
  return 0
}
