import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';
import { spawnSync } from 'node:child_process';
import { openInstance, resolveConfig, type Instance } from '../../catalog/index.ts';
import { setLogKeyInToken, setWitnessKeyInToken } from '../../catalog/log/log-key.ts';
import { followCommandLog } from '../../catalog/witness/follow.ts';
import { startServer, type RunningServer } from '../../server/index.ts';
import {
  addPublishedEndorser,
  demoEndorserIdentity,
} from '../../scripts/fixtures/published-endorser.ts';
import {
  openNote,
  parseCheckpoint,
  parseCosignerKey,
  parseNote,
  parseVerifierKey,
  verifyCosignatures,
} from '../../tlog/index.ts';
import { vmicAsync } from '../helpers/cli.ts';
import { freePort } from '../helpers/free-port.ts';
import { goTlogCheck, goTlogCheckBinary } from '../helpers/go-tlog.ts';
import { buildDemoHierarchy, removeDirs, tempDir } from './helpers/log-instances.ts';

/*
 * The log key and the witness key in a PKCS#11 token (SoftHSM2, made by
 * test/setup/softhsm.sh): `vmic pki keygen --key-algorithm Ed25519` makes them in the
 * token, sensitive and never extractable (as `pkcs11-tool` shows); `vmic log key
 * --pkcs11` and `vmic witness key --pkcs11` make them the instance's, the database
 * holding their URIs and nothing sealed; the checkpoint the server then serves verifies
 * under the printed key with vmic's verifier and Go's (golang.org/x/mod/sumdb/note), and
 * the witness's add-checkpoint answer is a cosignature by the token key. Once the log has
 * entries (or the witness has cosigned), replacing either key is refused.
 */
const MODULE = process.env.VMIC_TEST_PKCS11_MODULE;
const TOKEN = process.env.VMIC_TEST_PKCS11_TOKEN;
const PIN = process.env.VMIC_TEST_PKCS11_PIN;
/** Labels of this run: a token reused by another run already holds the last ones. */
const RUN = randomBytes(4).toString('hex');
const label = (role: string) => `note-${role}-${RUN}`;
let dir: string;
let url: string;
let port: number;
let inst: Instance | undefined;
let server: RunningServer | undefined;
const keys: { log?: string; witness?: string; logUri?: string; witnessUri?: string } = {};

before(async () => {
  assert.ok(
    MODULE && TOKEN && PIN && process.env.SOFTHSM2_CONF,
    'run through npm test: test/setup/softhsm.sh makes the token and sets VMIC_TEST_PKCS11_*',
  );
  // vmic reads the module and PIN from its configuration (here: the environment).
  process.env.VMIC_PKCS11_MODULE = MODULE;
  process.env.VMIC_PKCS11_PIN = PIN;
  dir = tempDir('hsm-notes');
  port = await freePort();
  url = `http://127.0.0.1:${port}`;
  await goTlogCheckBinary();
});

after(async () => {
  await server?.close();
  await inst?.close();
  removeDirs(dir);
});

async function keygen(role: 'log' | 'witness'): Promise<string> {
  const r = await vmicAsync([
    'pki',
    'keygen',
    '--pkcs11',
    `pkcs11:token=${TOKEN};object=${label(role)}`,
    '--key-algorithm',
    'Ed25519',
    '--for',
    role,
  ]);
  assert.equal(r.status, 0, r.stderr);
  const m = new RegExp(
    `(pkcs11:token=${TOKEN};object=${label(role)};id=(?:%[0-9A-F]{2}){16};type=private)`,
  ).exec(r.stdout);
  assert.ok(m, r.stdout);
  assert.match(
    r.stdout,
    new RegExp(`vmic ${role} key --pkcs11 '${m[1]!.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}'`),
  );
  return m[1]!;
}

/** OpenSC's view of the private key the label names. */
function listedPrivateKey(objectLabel: string): string {
  const listed = spawnSync(
    'pkcs11-tool',
    [
      '--module',
      MODULE!,
      '--token-label',
      TOKEN!,
      '--login',
      '--pin',
      PIN!,
      '--list-objects',
      '--type',
      'privkey',
    ],
    { encoding: 'utf8' },
  );
  assert.equal(listed.status, 0, listed.stderr);
  const entry = listed.stdout
    .split(/(?=Private Key Object)/)
    .find((b) => b.includes(`label:      ${objectLabel}`));
  assert.ok(entry, listed.stdout);
  return entry;
}

const cli = (args: string[]) => vmicAsync([...args, '--data', dir, '--public-url', url]);

test('keygen makes Ed25519 keys in the token, sensitive and never extractable', async () => {
  keys.logUri = await keygen('log');
  keys.witnessUri = await keygen('witness');
  for (const role of ['log', 'witness']) {
    const entry = listedPrivateKey(label(role));
    assert.match(entry, /EC_EDWARDS|EDDSA|Ed25519/i);
    assert.match(entry, /Access:\s+sensitive, always sensitive, never extractable, local/);
    assert.match(entry, /Usage:\s+sign\n/, 'it signs, and does nothing else');
  }
  // A label already used is refused: a URI names one key.
  const again = await vmicAsync([
    'pki',
    'keygen',
    '--pkcs11',
    `pkcs11:token=${TOKEN};object=${label('log')}`,
    '--key-algorithm',
    'Ed25519',
    '--for',
    'log',
  ]);
  assert.notEqual(again.status, 0);
  assert.match(again.stderr, /already holds an object named/);
});

test('log key --pkcs11 and witness key --pkcs11 set the token keys; nothing is sealed', async () => {
  assert.ok(keys.logUri && keys.witnessUri, 'keygen ran');
  const log = await cli(['log', 'key', '--pkcs11', keys.logUri]);
  assert.equal(log.status, 0, log.stderr);
  keys.log = log.stdout.trim();
  assert.equal(parseVerifierKey(keys.log).name, `127.0.0.1:${port}`);
  const witness = await cli(['witness', 'key', '--pkcs11', keys.witnessUri]);
  assert.equal(witness.status, 0, witness.stderr);
  keys.witness = witness.stdout.trim();
  assert.equal(parseCosignerKey(keys.witness).name, `127.0.0.1:${port}/witness`);
  // Plain `log key` / `witness key` print the same keys: the instance uses the token's.
  assert.equal((await cli(['log', 'key'])).stdout.trim(), keys.log);
  assert.equal((await cli(['witness', 'key'])).stdout.trim(), keys.witness);

  inst = await openInstance(resolveConfig({ dataDir: dir, publicUrl: url, env: {} }), {
    env: {},
  });
  server = await startServer(inst, { host: '127.0.0.1', port });
  const rows = await inst.store.db
    .selectFrom('instance_meta')
    .select(['key', 'value'])
    .where('key', 'in', ['log-key', 'witness-key'])
    .execute();
  assert.equal(rows.length, 2);
  for (const r of rows) {
    const v = JSON.parse(r.value) as Record<string, unknown>;
    assert.equal(v.sealed, undefined, `${r.key} holds nothing sealed`);
    assert.deepEqual(Object.keys(v).sort(), ['name', 'uri']);
    assert.equal(v.uri, r.key === 'log-key' ? keys.logUri : keys.witnessUri);
  }
});

test('the served checkpoint verifies under the token key, with vmic and with Go', async () => {
  assert.ok(inst && keys.log, 'the keys were set');
  const h = await buildDemoHierarchy({ keyAlgorithm: 'ECDSA-P256', now: new Date() });
  await addPublishedEndorser(inst, {
    name: 'cern',
    identity: await demoEndorserIdentity(h),
    images: {
      synthetic: [{ identifier: 'alma9', metadata: { title: 'AlmaLinux 9' }, size: 4096 }],
    },
    actor: 'test',
  });
  const note = await (await fetch(`${url}/log/checkpoint`)).text();
  const verifier = parseVerifierKey(keys.log);
  const cp = parseCheckpoint(openNote(note, [verifier]).text, verifier.name);
  assert.ok(cp.size >= 2, `the log holds the endorser and its catalog: size ${cp.size}`);
  const go = goTlogCheck(['checkpoint', keys.log, verifier.name], note);
  assert.equal(go.status, 0, go.stderr);
  assert.match(go.stdout, new RegExp(`^ok ${cp.size} `));
  // One byte changed: Go refuses it (the check is real).
  const bad = Buffer.from(note);
  bad[0] = bad[0]! ^ 0x01;
  assert.equal(goTlogCheck(['checkpoint', keys.log, verifier.name], bad).status, 1);
});

test('the witness cosigns with the token key (add-checkpoint)', async () => {
  assert.ok(inst && keys.log && keys.witness, 'the keys were set');
  // The witness follows this instance's own log: its checkpoint is signed by the token too.
  await followCommandLog(inst, { key: keys.log, actor: 'test' });
  const note = await (await fetch(`${url}/log/checkpoint`)).text();
  const r = await fetch(`${url}/witness/add-checkpoint`, {
    method: 'POST',
    body: `old 0\n\n${note}`,
  });
  const line = await r.text();
  assert.equal(r.status, 200, line);
  const found = verifyCosignatures(note + line, [parseCosignerKey(keys.witness)], new Date());
  assert.equal(found.length, 1);
  assert.equal(parseNote(note + line).signatures.length, 2);
});

test('replacing the log key once the log has entries is refused; so is the witness key', async () => {
  assert.ok(inst && keys.log, 'the keys were set');
  const other = `pkcs11:token=${TOKEN};object=${label('other')}`;
  const made = await vmicAsync([
    'pki',
    'keygen',
    '--pkcs11',
    other,
    '--key-algorithm',
    'Ed25519',
    '--for',
    'log',
  ]);
  assert.equal(made.status, 0, made.stderr);
  const r = await cli(['log', 'key', '--pkcs11', other]);
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /cannot be replaced: the log already has entries/);
  await assert.rejects(setLogKeyInToken(inst, other), (e: Error & { code?: string }) => {
    assert.equal(e.code, 'CONFLICT');
    return true;
  });
  await assert.rejects(setWitnessKeyInToken(inst, other), (e: Error & { code?: string }) => {
    assert.equal(e.code, 'CONFLICT');
    assert.match(e.message, /holds a view of the log/);
    return true;
  });
  // Setting the key it already has is no change, and allowed.
  assert.equal((await cli(['log', 'key', '--pkcs11', keys.logUri!])).stdout.trim(), keys.log);
  assert.equal((await cli(['log', 'key'])).stdout.trim(), keys.log);
});

test('a URI naming no key is refused; an empty log’s sealed key gives way to a token key', async () => {
  const fresh = tempDir('hsm-notes-fresh');
  try {
    const r = await vmicAsync([
      'log',
      'key',
      '--pkcs11',
      `pkcs11:token=${TOKEN};object=no-such-key-${RUN}`,
      '--data',
      fresh,
    ]);
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /no Ed25519 private key in the token matches/);
    const w = await vmicAsync([
      'witness',
      'key',
      '--pkcs11',
      `pkcs11:token=${TOKEN};object=no-such-key-${RUN}`,
      '--data',
      fresh,
    ]);
    assert.notEqual(w.status, 0);
    assert.match(w.stderr, /no Ed25519 private key in the token matches/);

    // While its log is empty, the instance's sealed key may still give way to a token key;
    // the empty log's checkpoint is then signed again, by the token.
    const at = (args: string[]) => vmicAsync([...args, '--data', fresh]);
    const sealed = (await at(['log', 'key'])).stdout.trim();
    const before = await at(['log', 'checkpoint']);
    assert.equal(before.status, 0, before.stderr);
    openNote(before.stdout, [parseVerifierKey(sealed)]);
    const set = await at(['log', 'key', '--pkcs11', keys.logUri!]);
    assert.equal(set.status, 0, set.stderr);
    const token = set.stdout.trim();
    assert.notEqual(token, sealed);
    const now = await at(['log', 'checkpoint']);
    assert.equal(parseCheckpoint(openNote(now.stdout, [parseVerifierKey(token)]).text).size, 0);
  } finally {
    removeDirs(fresh);
  }
});
