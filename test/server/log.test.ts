import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { leafHash } from '../../tlog/index.ts';
import { goTlogCheck, goTlogCheckBinary } from '../helpers/go-tlog.ts';
import { publishTitled, sha256, startHarness, type Harness } from './harness.ts';

/*
 * The instance's transparency log as a stranger reads it over HTTP, checked with Go's
 * golang.org/x/mod/sumdb code (test/helpers/go-tlog.ts), not with vmic's.
 */
describe('transparency log', () => {
  let h: Harness;
  const ORIGIN = 'vmic.test';

  const publish = async (title: string) => (await publishTitled(h, title)).sequence;
  const get = async (path: string) => {
    const r = await fetch(`${h.url}${path}`);
    return { status: r.status, headers: r.headers, body: Buffer.from(await r.arrayBuffer()) };
  };

  before(async () => {
    await goTlogCheckBinary();
    h = await startHarness();
  });
  after(() => h.close());

  test('key and checkpoint: Go verifies the checkpoint; one changed byte is refused', async () => {
    await publish('one');
    const key = await get('/log/key');
    assert.equal(key.status, 200);
    const vkey = key.body.toString().trim();
    assert.match(vkey, /^vmic\.test\+[0-9a-f]{8}\+/);
    const cp = await get('/log/checkpoint');
    assert.equal(cp.status, 200);
    assert.equal(cp.headers.get('cache-control'), 'no-cache');
    const ok = goTlogCheck(['checkpoint', vkey, ORIGIN], cp.body);
    assert.equal(ok.status, 0, ok.stderr);
    const [, size] = ok.stdout.trim().split(' ');
    // endorser.added audit, catalog leaf, HEPiX leaf, catalog.published audit (at least)
    assert.ok(Number(size) >= 4, ok.stdout);
    const bad = Buffer.from(cp.body);
    bad[ORIGIN.length + 1] = bad[ORIGIN.length + 1]! ^ 1;
    assert.equal(goTlogCheck(['checkpoint', vkey, ORIGIN], bad).status, 1);
  });

  test('a catalog inclusion proof checks with Go against the served checkpoint; a changed one does not', async () => {
    const sequence = await publish('two');
    const r = await get(`/log/proof/catalog/${h.endorser}/${sequence}`);
    assert.equal(r.status, 200);
    const p = JSON.parse(r.body.toString()) as {
      index: number;
      leaf: string;
      treeSize: number;
      proof: string[];
      checkpoint: string;
    };
    const leafText = Buffer.from(p.leaf, 'base64').toString();
    const p7m = await get(`/feeds/${h.endorser}/${sequence}/catalog.p7m`);
    assert.equal(
      leafText,
      `catalog ${h.endorser} ${sequence} ${sha256(p7m.body)}\n`,
      'the leaf names the served catalog.p7m',
    );
    const vkey = (await get('/log/key')).body.toString().trim();
    const cp = goTlogCheck(['checkpoint', vkey, ORIGIN], p.checkpoint);
    assert.equal(cp.status, 0, cp.stderr);
    const [, size, root] = cp.stdout.trim().split(' ');
    assert.equal(Number(size), p.treeSize);
    const args = ['inclusion', size!, root!, String(p.index), p.leaf];
    assert.equal(goTlogCheck([...args, ...p.proof]).status, 0);
    const other = Buffer.from(p.leaf, 'base64');
    other[other.length - 2] = other[other.length - 2]! ^ 1; // the last hex digit of the SHA-256
    assert.equal(
      goTlogCheck([
        'inclusion',
        size!,
        root!,
        String(p.index),
        other.toString('base64'),
        ...p.proof,
      ]).status,
      1,
    );
    assert.equal((await get(`/log/proof/catalog/${h.endorser}/999`)).status, 404);
    assert.equal((await get(`/log/proof/catalog/${h.endorser}/01`)).status, 400);
  });

  test('two checkpoints are consistent by a Go-checked proof; tiles hold the leaves and their hashes', async () => {
    const vkey = (await get('/log/key')).body.toString().trim();
    const first = goTlogCheck(['checkpoint', vkey, ORIGIN], (await get('/log/checkpoint')).body)
      .stdout.trim()
      .split(' ');
    await publish('three');
    const second = goTlogCheck(['checkpoint', vkey, ORIGIN], (await get('/log/checkpoint')).body)
      .stdout.trim()
      .split(' ');
    assert.ok(Number(second[1]) > Number(first[1]));
    const r = await get(`/log/proof/consistency?from=${first[1]}&to=${second[1]}`);
    assert.equal(r.status, 200);
    const { proof } = JSON.parse(r.body.toString()) as { proof: string[] };
    assert.equal(
      goTlogCheck(['consistency', first[1]!, first[2]!, second[1]!, second[2]!, ...proof]).status,
      0,
    );
    assert.equal(
      goTlogCheck(['consistency', first[1]!, second[2]!, second[1]!, second[2]!, ...proof]).status,
      1,
    );
    assert.equal((await get(`/log/proof/consistency?from=5&to=999999`)).status, 400);

    const size = Number(second[1]);
    const entries = await get(`/log/tile/entries/000.p/${size}`);
    const hashes = await get(`/log/tile/0/000.p/${size}`);
    assert.equal(entries.status, 200);
    assert.equal(hashes.headers.get('cache-control'), 'public, max-age=31536000, immutable');
    assert.equal(hashes.body.length, 32 * size);
    let off = 0;
    for (let i = 0; i < size; i++) {
      const len = entries.body.readUInt16BE(off);
      const data = entries.body.subarray(off + 2, off + 2 + len);
      off += 2 + len;
      assert.deepEqual(
        Buffer.from(leafHash(data)),
        hashes.body.subarray(32 * i, 32 * (i + 1)),
        `leaf ${i}`,
      );
    }
    assert.equal(off, entries.body.length);
    assert.equal((await get(`/log/tile/0/000.p/${size + 1}`)).status, 404, 'not in the tree yet');
    assert.equal((await get(`/log/tile/0/000.p/256`)).status, 404, 'not the canonical spelling');
    assert.equal((await get(`/log/tile/0/0`)).status, 404);
  });
});
