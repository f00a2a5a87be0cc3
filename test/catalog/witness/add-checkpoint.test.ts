import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';
import type { Instance } from '../../../catalog/index.ts';
import { followCommandLog } from '../../../catalog/witness/follow.ts';
import { listEvidence, readFollowedLog } from '../../../catalog/log/log-views.ts';
import { startServer, type RunningServer } from '../../../server/index.ts';
import {
  checkpointText,
  openNote,
  parseCheckpoint,
  parseCosignerKey,
  signerFromSeed,
  treeHash,
  verifierKeyText,
  verifyCosignatures,
  type CosignerKey,
} from '../../../tlog/index.ts';
import { freePort } from '../../helpers/free-port.ts';
import { tempInstance } from '../../helpers/temp-instance.ts';
import { leaf } from '../../tlog/memory-tree.ts';
import {
  checkpointOf,
  get,
  post,
  proofOf,
  request,
  testLog,
  type Reply,
  type TestLog,
} from './helpers/witness-log.ts';

/*
 * The witness role's add-checkpoint (C2SP tlog-witness) against a real server on loopback:
 * a log of the test's own, followed by the instance, submitted to over HTTP.
 */
const ORIGIN = 'log.example/witnessed';
const signer = signerFromSeed(ORIGIN, randomBytes(32));
let inst: Instance;
let server: RunningServer;
let cleanup: () => Promise<void>;
let url: string;
let A: TestLog;
let B: TestLog;
let witnessKey: CosignerKey;
/** Server-side error lines (a 500); none is expected. */
const logs: string[] = [];

before(async () => {
  const port = await freePort();
  url = `http://127.0.0.1:${port}`;
  const t = await tempInstance({ publicUrl: url });
  inst = t.inst;
  server = await startServer(inst, { host: '127.0.0.1', port }, { log: (l) => logs.push(l) });
  cleanup = async () => {
    await server.close();
    await t.cleanup();
  };
  await followCommandLog(inst, { key: verifierKeyText(signer), actor: 'test' });
  A = await testLog(signer, 20, leaf);
  B = await testLog(signer, 20, (i) => Buffer.from(`fork-${i}`));
});
after(() => cleanup());

const heldView = async () => (await readFollowedLog(inst.store.db, ORIGIN))!.view;
const checkpointUrl = (origin: string) =>
  `/witness/checkpoint?origin=${encodeURIComponent(origin)}`;

/** A 409 carrying the held size, typed exactly `text/x.tlog.size` as clients compare it. */
function assertSize409(r: Reply, size: number, what: string): void {
  assert.equal(r.status, 409, `${what}: ${r.body}`);
  assert.equal(r.type, 'text/x.tlog.size', what);
  assert.equal(r.body, `${size}\n`, what);
}

/** The reply is one cosignature line by this witness over `note`, dated about now. */
function assertCosigned(note: string, body: string): void {
  assert.match(body, /^\u2014 \S+ \S+\n$/u);
  const found = verifyCosignatures(note + body, [witnessKey], new Date());
  assert.equal(found.length, 1);
  assert.ok(Math.abs(found[0]!.time - Date.now() / 1000) < 60, `time ${found[0]!.time}`);
}

test('before any checkpoint: GET /witness/checkpoint is a 404; the key is a cosigner vkey', async () => {
  assert.equal((await get(url, checkpointUrl(ORIGIN))).status, 404);
  const key = await get(url, '/witness/key');
  assert.equal(key.status, 200);
  assert.match(key.type, /^text\/plain/);
  witnessKey = parseCosignerKey(key.body);
  assert.equal(witnessKey.name, '127.0.0.1:' + new URL(url).port + '/witness');
});

test('old 0 with an empty proof for a size-5 checkpoint is cosigned', async () => {
  const note = await checkpointOf(A, 5);
  const r = await post(url, request(0, [], note));
  assert.equal(r.status, 200, r.body);
  assertCosigned(note, r.body);
  // The line is bound to this checkpoint: on the size-5 checkpoint of another tree it fails.
  const other = await checkpointOf(B, 5);
  assert.throws(() => verifyCosignatures(other + r.body, [witnessKey], new Date()), /not verify/);
  assert.equal((await heldView())?.size, 5);
});

test('growing 5 to 9 with its consistency proof is cosigned; old 0 then is a 409 with the size', async () => {
  const note = await checkpointOf(A, 9);
  const r = await post(url, request(5, await proofOf(A, 5, 9), note));
  assert.equal(r.status, 200, r.body);
  assertCosigned(note, r.body);
  for (const old of [0, 5]) {
    const stale = await post(url, request(old, old ? await proofOf(A, old, 9) : [], note));
    assertSize409(stale, 9, `old ${old}`);
  }
  assert.equal((await heldView())?.note, note);
});

test('a fork from 9 to 12 with its own proof is a 422, kept as evidence', async () => {
  assert.deepEqual(await listEvidence(inst.store.db), []);
  const fork = await checkpointOf(B, 12);
  const r = await post(url, request(9, await proofOf(B, 9, 12), fork));
  assert.equal(r.status, 422, r.body);
  assert.match(r.body, /consistency proof from 9 to 12 does not verify/);
  const evidence = (await listEvidence(inst.store.db)).filter((e) => e.foundBy === 'witness');
  assert.equal(evidence.length, 1);
  assert.equal(evidence[0]!.origin, ORIGIN);
  assert.equal(evidence[0]!.held, await checkpointOf(A, 9));
  assert.equal(parseCheckpoint(openNote(evidence[0]!.held, [signer]).text).size, 9);
  assert.equal(evidence[0]!.served, fork);
  assert.equal((await heldView())?.size, 9, 'the view did not move');
});

test('another root at the held size is a 409 with the held size', async () => {
  const other = await checkpointOf(B, 9);
  const r = await post(url, request(9, [], other));
  assertSize409(r, 9, 'same size, other root');
  const evidence = await listEvidence(inst.store.db);
  assert.equal(evidence.length, 2);
  assert.equal(evidence[0]!.served, other);
  // The same checkpoint again, at the held size, is cosigned.
  const same = await checkpointOf(A, 9);
  const again = await post(url, request(9, [], same));
  assert.equal(again.status, 200, again.body);
  assertCosigned(same, again.body);
});

test('unknown origin 404, another key 403, old past the size 400, malformed bodies 400', async () => {
  const held = await heldView();
  const note12 = await checkpointOf(A, 12);
  const proof = await proofOf(A, 9, 12);
  const stranger = await testLog(signerFromSeed('log.example/stranger', randomBytes(32)), 5, leaf);
  const unknown = await post(url, request(0, [], await checkpointOf(stranger, 5)));
  assert.equal(unknown.status, 404, unknown.body);
  assert.match(unknown.body, /does not follow the log log\.example\/stranger/);
  const impostor = signerFromSeed(ORIGIN, randomBytes(32));
  const forged = await post(url, request(9, proof, await checkpointOf(A, 12, impostor)));
  assert.equal(forged.status, 403, forged.body);
  assert.match(forged.body, /no valid signature by the key of log\.example\/witnessed/);
  const past = await post(url, request(13, [], note12));
  assert.equal(past.status, 400, past.body);
  assert.match(past.body, /old size 13 is past the checkpoint 12/);

  const hash = randomBytes(32);
  const malformed: Array<[string, string | Buffer, RegExp]> = [
    [
      'no empty line',
      `old 9\n${proof.map((p) => Buffer.from(p).toString('base64')).join('\n')}\n`,
      /no empty line/,
    ],
    ['no old line', request('', proof, note12), /not "old <size>"/],
    ['a leading zero', request('old 09', proof, note12), /not "old <size>"/],
    ['a negative size', request('old -1', proof, note12), /not "old <size>"/],
    ['another word', request('new 9', proof, note12), /not "old <size>"/],
    ['64 proof lines', request(9, Array(64).fill(hash), note12), /more than 63 proof lines/],
    ['non-base64 proof', request(9, ['not base64!'], note12), /a proof line is not a hash/],
    ['a short hash', request(9, [randomBytes(31)], note12), /a proof line is not a hash/],
    [
      'not UTF-8',
      Buffer.concat([Buffer.from(request(9, proof, note12)), Buffer.of(0xff)]),
      /not UTF-8/,
    ],
    [
      'no signed note',
      request(9, proof, checkpointText({ origin: ORIGIN, size: 12, root: hash, extensions: [] })),
      /bad checkpoint/,
    ],
  ];
  for (const [what, body, why] of malformed) {
    const r = await post(url, body);
    assert.equal(r.status, 400, `${what}: ${r.status} ${r.body}`);
    assert.match(r.body, why, what);
  }
  // 63 proof lines get past the parser (refused later, for old 0 with a proof).
  const bound = await post(url, request(0, Array(63).fill(hash), note12));
  assert.equal(bound.status, 400);
  assert.match(bound.body, /a proof from size 0 must be empty/);

  // Over 64 KiB: Express's body limit answers first, a 413 problem, before any check.
  const big = request(9, proof, note12) + 'x'.repeat(64 * 1024);
  const tooBig = await post(url, big);
  assert.equal(tooBig.status, 413, tooBig.body);
  assert.match(tooBig.type, /^application\/problem\+json/);
  assert.equal((JSON.parse(tooBig.body) as { code: string }).code, 'TOO_LARGE');

  assert.deepEqual(await heldView(), held, 'nothing was cosigned');
  assert.equal((await listEvidence(inst.store.db)).length, 2, 'no evidence from refusals');
});

test('GET /witness/checkpoint serves the held checkpoint with this witness cosignature', async () => {
  const r = await get(url, checkpointUrl(ORIGIN));
  assert.equal(r.status, 200, r.body);
  const root = await treeHash(9, A.tree.read);
  const opened = openNote(r.body, [signer]);
  assert.equal(opened.text, checkpointText({ origin: ORIGIN, size: 9, root, extensions: [] }));
  assert.equal(verifyCosignatures(r.body, [witnessKey], new Date()).length, 1);
  const unknown = await get(url, checkpointUrl('log.example/stranger'));
  assert.equal(unknown.status, 404);
  assert.equal((JSON.parse(unknown.body) as { code: string }).code, 'NOT_FOUND');
});

test('two concurrent growths from the same old size: one is cosigned, the other is a 409', async () => {
  for (let round = 0; round < 3; round++) {
    const from = (await heldView())!.size;
    const sizes = [from + 1, from + 2];
    const notes = await Promise.all(sizes.map((s) => checkpointOf(A, s)));
    const proofs = await Promise.all(sizes.map((s) => proofOf(A, from, s)));
    const replies = await Promise.all(
      sizes.map((_, i) => post(url, request(from, proofs[i]!, notes[i]!))),
    );
    const won = replies.findIndex((r) => r.status === 200);
    assert.notEqual(won, -1, JSON.stringify(replies));
    const lost = replies[1 - won]!;
    assertSize409(lost, sizes[won]!, `round ${round}: ${JSON.stringify(replies)}`);
    assertCosigned(notes[won]!, replies[won]!.body);
    const view = await heldView();
    assert.equal(view?.size, sizes[won], 'the view is the one cosigned, never rolled back');
    assert.equal(view?.note, notes[won]);
  }
});

test('the server logged no error', () => {
  assert.deepEqual(logs, []);
});

test('a 409 has the Content-Type text/x.tlog.size exactly, as clients compare it', async () => {
  const r = await post(url, request(0, [], (await heldView())!.note));
  assert.equal(r.status, 409);
  assert.equal(r.type, 'text/x.tlog.size');
});

test("a line under this witness's name in a submitted note is never served as its cosignature", async () => {
  const held = (await heldView())!;
  const forged = Buffer.alloc(4 + 8 + 64);
  forged.writeUInt32BE(witnessKey.keyHash, 0);
  const note = `${await checkpointOf(A, held.size + 1)}\u2014 ${witnessKey.name} ${forged.toString('base64')}\n`;
  const r = await post(url, request(held.size, await proofOf(A, held.size, held.size + 1), note));
  assert.equal(r.status, 200, r.body);
  const served = await get(url, checkpointUrl(ORIGIN));
  assert.equal(verifyCosignatures(served.body, [witnessKey], new Date()).length, 1);
});
