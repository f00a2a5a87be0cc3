import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { cosignerFromSeed, cosignerKeyText } from '../../tlog/index.ts';
import { vmic } from '../helpers/cli.ts';

// `vmic subscribe --log/--witness` and `vmic subscription list` through the real command.
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vmic-sublog-'));
const data = path.join(dir, 'data');
const WITNESS = cosignerKeyText(cosignerFromSeed('witness.example', randomBytes(32)));
const WITNESS_URL = 'http://127.0.0.1:9/witness/';
const URL = 'http://127.0.0.1:9/feeds/acme/';
const SUBJECT = 'CN=Acme Endorser,O=Acme,C=CH';
after(() => fs.rmSync(dir, { recursive: true, force: true }));

test('vmic subscribe --log warn --witness KEY,URL; subscription list shows them', () => {
  const args = ['subscribe', URL, '--data', data, '--expect-subject', SUBJECT];
  const r = vmic([...args, '--log', 'warn', '--witness', `${WITNESS},${WITNESS_URL}`, '--json']);
  assert.equal(r.status, 0, r.stderr);
  const sub = JSON.parse(r.stdout) as { log: unknown };
  assert.deepEqual(sub.log, {
    policy: 'warn',
    witnesses: [{ key: WITNESS, url: WITNESS_URL }],
    quorum: 1,
  });

  const list = vmic(['subscription', 'list', '--data', data]);
  assert.equal(list.status, 0, list.stderr);
  assert.match(list.stdout, /^acme\tenabled/m);
  assert.match(list.stdout, /^ {2}transparency log: warn; key not yet known/m);
  assert.match(list.stdout, /^ {2}witnesses: 1 of 1 must cosign$/m);
  assert.ok(list.stdout.includes(`\n    ${WITNESS} at ${WITNESS_URL}\n`), list.stdout);
});

test('vmic subscribe --log bogus is a usage error (exit 2) and subscribes nothing', () => {
  const r = vmic([
    'subscribe',
    'http://127.0.0.1:9/feeds/bogus/',
    '--data',
    data,
    '--expect-subject',
    SUBJECT,
    '--log',
    'bogus',
  ]);
  assert.equal(r.status, 2, r.stdout + r.stderr);
  assert.match(r.stderr, /--log must be require, warn or off, not bogus/);
  const list = vmic(['subscription', 'list', '--data', data, '--json']);
  assert.deepEqual(
    (JSON.parse(list.stdout) as { name: string }[]).map((s) => s.name),
    ['acme'],
  );
  // Checked before the instance opens: a typo on a fresh machine leaves no data directory.
  const fresh = path.join(data, 'never-made');
  const typo = vmic([
    'subscribe',
    'http://127.0.0.1:9/feeds/x/',
    '--data',
    fresh,
    '--expect-subject',
    SUBJECT,
    '--witness-quorum',
    'two',
  ]);
  assert.equal(typo.status, 2, typo.stderr);
  assert.equal(fs.existsSync(fresh), false);
});
