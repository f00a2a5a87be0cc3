import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';
import {
  checkCatalogLogged,
  LogForkError,
  type LogFetcher,
} from '../../../catalog/site/log-check.ts';
import { httpLogFetcher, logBaseOf } from '../../../catalog/site/log-fetcher.ts';
import { logSigner } from '../../../catalog/log/log-key.ts';
import {
  checkpointText,
  consistencyProof,
  inclusionProof,
  parseVerifierKey,
  signNote,
  signerFromSeed,
  treeHash,
  verifierKeyText,
  type NoteSigner,
} from '../../../tlog/index.ts';
import { catalogLeaf } from '../../../catalog/log/leaves.ts';
import { publishTitled, sha256, startHarness, type Harness } from '../../server/harness.ts';
import { MemoryTree } from '../../tlog/memory-tree.ts';

/*
 * The site's check of a catalog against its endorser's log: against a real endorser
 * instance over HTTP, and against forks built from the log's own primitives and key.
 */
let h: Harness;
before(async () => {
  h = await startHarness();
});
after(() => h.close());

const publish = (title: string) => publishTitled(h, title);

test('the log base of a feed URL', () => {
  assert.equal(logBaseOf('https://e.example/feeds/cern/'), 'https://e.example/log/');
  assert.equal(
    logBaseOf('https://e.example/vmic/feeds/cern/catalog.p7m'),
    'https://e.example/vmic/log/',
  );
  assert.equal(logBaseOf('https://e.example/lists/image.list'), undefined);
});

test('a published catalog checks; the next one checks against the first view; other bytes are NOT_LOGGED', async () => {
  const verifier = parseVerifierKey(verifierKeyText(await logSigner(h.inst)));
  const fetcher = httpLogFetcher(logBaseOf(`${h.url}/feeds/${h.endorser}/`)!, 10_000);
  const one = await publish('one');
  const first = await checkCatalogLogged({
    endorser: h.endorser,
    ...one,
    verifier,
    fetch: fetcher,
  });
  const two = await publish('two');
  const second = await checkCatalogLogged({
    endorser: h.endorser,
    ...two,
    verifier,
    lastSeen: first.view,
    fetch: fetcher,
  });
  assert.ok(second.view.size > first.view.size);
  // The view may stand still: the same checkpoint again is consistent with itself.
  await checkCatalogLogged({
    endorser: h.endorser,
    ...two,
    verifier,
    lastSeen: second.view,
    fetch: fetcher,
  });

  const notLogged = { code: 'NOT_LOGGED' };
  await assert.rejects(
    checkCatalogLogged({
      endorser: h.endorser,
      ...two,
      p7mSha256: sha256('other'),
      verifier,
      fetch: fetcher,
    }),
    notLogged,
  );
  await assert.rejects(
    checkCatalogLogged({
      endorser: h.endorser,
      sequence: 99,
      p7mSha256: two.p7mSha256,
      verifier,
      fetch: fetcher,
    }),
    notLogged,
  );
  const stranger = signerFromSeed(verifier.name, randomBytes(32));
  await assert.rejects(
    checkCatalogLogged({ endorser: h.endorser, ...two, verifier: stranger, fetch: fetcher }),
    notLogged,
  );
  const nowhere = httpLogFetcher('http://127.0.0.1:9/log/', 2_000);
  await assert.rejects(
    checkCatalogLogged({ endorser: h.endorser, ...two, verifier, fetch: nowhere }),
    notLogged,
  );
});

/** A log of its own, signed with `signer`: a fork when two share the key but not the leaves. */
async function forkedLog(
  signer: NoteSigner,
  leaves: Uint8Array[],
): Promise<LogFetcher & { note: string; tree: MemoryTree }> {
  const tree = await MemoryTree.of(leaves);
  const root = await treeHash(tree.size, tree.read);
  const note = signNote(
    checkpointText({ origin: signer.name, size: tree.size, root, extensions: [] }),
    [signer],
  );
  const b64 = (x: Uint8Array) => Buffer.from(x).toString('base64');
  return {
    note,
    tree,
    async inclusion(endorser, sequence) {
      const index = leaves.findIndex((l) =>
        Buffer.from(l).toString().startsWith(`catalog ${endorser} ${sequence} `),
      );
      if (index < 0) throw new Error('404');
      return {
        index,
        leaf: b64(leaves[index]!),
        treeSize: tree.size,
        proof: (await inclusionProof(index, tree.size, tree.read)).map(b64),
        checkpoint: note,
      };
    },
    async consistency(from, to) {
      return (await consistencyProof(from, to, tree.read)).map(b64);
    },
  };
}

test('a split view: the same sequence with other bytes in a fork of the log is LOG_INCONSISTENT, with both checkpoints', async () => {
  const signer = signerFromSeed('endorser.example', randomBytes(32));
  const common = [
    Buffer.from('audit 1 ' + 'a'.repeat(64) + '\n'),
    Buffer.from('audit 2 ' + 'b'.repeat(64) + '\n'),
  ];
  const clean = catalogLeaf('cern', 7, sha256('clean'));
  const evil = catalogLeaf('cern', 7, sha256('backdoored'));
  const a = await forkedLog(signer, [
    ...common,
    clean,
    Buffer.from('audit 3 ' + 'c'.repeat(64) + '\n'),
  ]);
  const b = await forkedLog(signer, [
    ...common,
    evil,
    Buffer.from('audit 3 ' + 'd'.repeat(64) + '\n'),
    Buffer.from('audit 4 ' + 'e'.repeat(64) + '\n'),
  ]);
  // Each fork alone proves its catalog: only a site that saw the other can tell.
  const seenA = await checkCatalogLogged({
    endorser: 'cern',
    sequence: 7,
    p7mSha256: sha256('clean'),
    verifier: signer,
    fetch: a,
  });
  await checkCatalogLogged({
    endorser: 'cern',
    sequence: 7,
    p7mSha256: sha256('backdoored'),
    verifier: signer,
    fetch: b,
  });
  const err = await checkCatalogLogged({
    endorser: 'cern',
    sequence: 7,
    p7mSha256: sha256('backdoored'),
    verifier: signer,
    lastSeen: seenA.view,
    fetch: b,
  }).then(
    () => undefined,
    (e: unknown) => e,
  );
  assert.ok(err instanceof LogForkError, String(err));
  assert.equal(err.code, 'LOG_INCONSISTENT');
  assert.equal(err.held, a.note);
  assert.equal(err.served, b.note);
});

test('a log that dropped entries (a shorter tree after a longer one) is LOG_INCONSISTENT', async () => {
  const signer = signerFromSeed('endorser.example', randomBytes(32));
  const leaves = [
    catalogLeaf('cern', 1, sha256('v1')),
    Buffer.from('audit 1 ' + 'a'.repeat(64) + '\n'),
    Buffer.from('audit 2 ' + 'b'.repeat(64) + '\n'),
  ];
  const long = await forkedLog(signer, leaves);
  const short = await forkedLog(signer, leaves.slice(0, 2));
  const seen = await checkCatalogLogged({
    endorser: 'cern',
    sequence: 1,
    p7mSha256: sha256('v1'),
    verifier: signer,
    fetch: long,
  });
  await assert.rejects(
    checkCatalogLogged({
      endorser: 'cern',
      sequence: 1,
      p7mSha256: sha256('v1'),
      verifier: signer,
      lastSeen: seen.view,
      fetch: short,
    }),
    (e: Error & { code?: string }) =>
      e.code === 'LOG_INCONSISTENT' && /fewer than the 3 seen before/.test(e.message),
  );
});
