/**
 * contrib/nginx/vmic.conf as it ships, TLS included: Debian's nginx accepts it (`nginx -t`)
 * once the certificate and cache paths exist. The scale-out test runs the same file with
 * TLS replaced by a loopback port; this covers the lines that replacement removes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { opensslSelfSigned } from '../helpers/openssl/index.ts';
import { NGINX_CONF } from './nginx.ts';

test('contrib/nginx/vmic.conf as shipped passes nginx -t', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vmic-nginx-conf-'));
  try {
    const certFile = path.join(dir, 'fullchain.pem');
    const keyFile = path.join(dir, 'privkey.pem');
    opensslSelfSigned({ keyFile, certFile, subject: '/CN=vmic.example.org', days: 1, alg: 'ec' });
    fs.mkdirSync(path.join(dir, 'cache'));
    const shipped = fs.readFileSync(NGINX_CONF, 'utf8');
    // Only paths move; every directive stays as documented.
    const conf = shipped
      .replaceAll('/etc/ssl/vmic/fullchain.pem', certFile)
      .replaceAll('/etc/ssl/vmic/privkey.pem', keyFile)
      .replaceAll('/var/cache/nginx/vmic/', `${dir}/cache/`);
    assert.notEqual(conf, shipped);
    fs.writeFileSync(path.join(dir, 'vmic.conf'), conf);
    const main = path.join(dir, 'nginx.conf');
    fs.writeFileSync(
      main,
      `error_log ${dir}/error.log;\npid ${dir}/nginx.pid;\nevents {}\n` +
        `http {\n  include /etc/nginx/mime.types;\n  include ${dir}/vmic.conf;\n}\n`,
    );
    const r = spawnSync(
      '/usr/sbin/nginx',
      ['-p', dir, '-e', `${dir}/error.log`, '-c', main, '-t'],
      {
        encoding: 'utf8',
      },
    );
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, /test is successful/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
