#!/usr/bin/env bash
# softhsm.sh start DIR | stop DIR
#
# A throwaway PKCS#11 token for the tests: Debian's SoftHSM2 with its token directory and
# configuration in DIR (nothing of /etc/softhsm or /var/lib/softhsm is read or written),
# one token initialised with a random user PIN and SO PIN. No server runs: the module is
# a library that each test process loads, finding the token through $SOFTHSM2_CONF.
#
# `start` prints shell assignments (also kept in DIR/env):
#   SOFTHSM2_CONF             DIR/softhsm2.conf — read by libsofthsm2 when it is loaded
#   VMIC_TEST_PKCS11_MODULE   the module path
#   VMIC_TEST_PKCS11_TOKEN    the token label
#   VMIC_TEST_PKCS11_PIN      the user PIN (tests hand it to vmic as $VMIC_PKCS11_PIN, never
#                             on a command line)
# `stop` removes DIR.
set -euo pipefail

usage() { echo "usage: softhsm.sh start DIR | stop DIR" >&2; exit 2; }
[ $# = 2 ] || usage
CMD=$1
DIR=$2
MODULE=/usr/lib/softhsm/libsofthsm2.so
TOKEN=vmic-test

case "$CMD" in
start)
  [ -r "$MODULE" ] || { echo "softhsm.sh: $MODULE missing: apt-get install -y softhsm2" >&2; exit 1; }
  mkdir -p "$DIR/tokens"
  chmod 700 "$DIR"
  cat >"$DIR/softhsm2.conf" <<CONF
directories.tokendir = $DIR/tokens
objectstore.backend = file
log.level = ERROR
slots.removable = false
CONF
  PIN=$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')
  SO_PIN=$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')
  SOFTHSM2_CONF=$DIR/softhsm2.conf softhsm2-util --init-token --free --label "$TOKEN" \
    --pin "$PIN" --so-pin "$SO_PIN" >/dev/null
  {
    echo "SOFTHSM2_CONF=$DIR/softhsm2.conf"
    echo "VMIC_TEST_PKCS11_MODULE=$MODULE"
    echo "VMIC_TEST_PKCS11_TOKEN=$TOKEN"
    echo "VMIC_TEST_PKCS11_PIN=$PIN"
  } | tee "$DIR/env"
  ;;
stop)
  rm -rf "$DIR"
  ;;
*) usage ;;
esac
