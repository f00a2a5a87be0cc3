#!/bin/sh
# Makes sure the outside tools the tests use are present: stock OpenSSL (verifies what
# we sign), raptor's rapper and python3-rdflib (RDF parsers that are not ours), Python
# cryptography (certificates, CRLs and DNs written by a library that is not ours), and for
# the web admin a real SAML IdP (SimpleSAMLphp under php-cli; php-xml is not pulled in by
# the package but required), Debian's Chromium for browser tests, and Prometheus's promtool
# (checks what /metrics serves and the shipped alert rules). For the scale-out suites: a
# PostgreSQL server, a single-node Ceph cluster with its RADOS Gateway (a real S3 service)
# and nginx in front of several replicas (test/setup/postgres.sh, ceph-rgw.sh). For the
# Glance sync: a real Glance image service (glance-api, no-auth, SQLite and the file
# store; test/setup/glance.sh; its only Recommends, python3-glanceclient, is not needed)
# and a real Keystone (keystone, served by uwsgi's python3 plugin, both Depends of the
# package) with a second Glance that checks its tokens (test/setup/keystone.sh).
# A Go program built against golang.org/x/mod checks the transparency log's notes,
# checkpoints and proofs (golang-go, golang-golang-x-mod-dev; test/helpers/go-tlog.ts).
# Installs what is missing with apt-get when running as root on Debian; otherwise stops
# with the exact command to run. No test is skipped for a missing tool.
set -eu

missing=""
command -v openssl >/dev/null 2>&1 || missing="$missing openssl"
command -v rapper >/dev/null 2>&1 || missing="$missing raptor2-utils"
/usr/bin/python3 -c 'import rdflib' >/dev/null 2>&1 || missing="$missing python3-rdflib"
/usr/bin/python3 -c 'import cryptography' >/dev/null 2>&1 || missing="$missing python3-cryptography"
[ -d /usr/share/simplesamlphp/www ] || missing="$missing simplesamlphp"
command -v php >/dev/null 2>&1 || missing="$missing php-cli"
php -r 'exit(class_exists("DOMDocument") ? 0 : 1);' >/dev/null 2>&1 || missing="$missing php-xml"
[ -x /usr/bin/chromium ] || missing="$missing chromium"
command -v promtool >/dev/null 2>&1 || missing="$missing prometheus"
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing="$missing postgresql"
command -v ceph-mon >/dev/null 2>&1 || missing="$missing ceph-mon"
command -v ceph-osd >/dev/null 2>&1 || missing="$missing ceph-osd"
command -v radosgw >/dev/null 2>&1 || missing="$missing radosgw"
command -v radosgw-admin >/dev/null 2>&1 || missing="$missing ceph-common"
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || missing="$missing nginx"
command -v curl >/dev/null 2>&1 || missing="$missing curl"
command -v glance-api >/dev/null 2>&1 || missing="$missing glance-api"
command -v glance-manage >/dev/null 2>&1 || missing="$missing glance-common"
command -v keystone-manage >/dev/null 2>&1 || missing="$missing keystone"
[ -f /usr/lib/uwsgi/plugins/python3_plugin.so ] || missing="$missing uwsgi-plugin-python3"
command -v go >/dev/null 2>&1 || missing="$missing golang-go"
[ -d /usr/share/gocode/src/golang.org/x/mod/sumdb/tlog ] || missing="$missing golang-golang-x-mod-dev"
[ -r /usr/lib/softhsm/libsofthsm2.so ] || missing="$missing softhsm2"
command -v pkcs11-tool >/dev/null 2>&1 || missing="$missing opensc"

[ -z "$missing" ] && exit 0

cmd="apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends$missing"
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "test setup: installing$missing" >&2
  sh -c "$cmd" >&2
  exit 0
fi
echo "test setup: missing tools:$missing" >&2
echo "run as root:  $cmd" >&2
exit 1
