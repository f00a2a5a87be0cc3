import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { goTlogCheck, goTlogCheckBinary } from '../helpers/go-tlog.ts';
import { tempInstance } from '../helpers/temp-instance.ts';
import { vmic } from '../helpers/cli.ts';
import { audited, rewriteChain } from '../catalog/log/helpers/audit-tamper.ts';

before(() => goTlogCheckBinary());

test('vmic audit verify and prove: a proof Go checks; a rewritten chain exits 1 naming the entry', async () => {
  const t = await tempInstance({ publicUrl: 'https://vmic.example.org' });
  try {
    await audited(t.inst, 5);
    const ok = vmic(['audit', 'verify', '--data', t.dir]);
    assert.equal(ok.status, 0, ok.stderr);
    assert.match(ok.stdout, /audit log intact: 5 entries/);
    assert.match(
      ok.stdout,
      /transparency log agrees: 5 entries logged; checkpoints 5 \(latest signed checkpoint\)/,
    );

    const proved = vmic(['audit', 'prove', '3', '--data', t.dir]);
    assert.equal(proved.status, 0, proved.stderr);
    const p = JSON.parse(proved.stdout) as {
      index: number;
      leaf: string;
      proof: string[];
      checkpoint: string;
      verifierKey: string;
    };
    const cp = goTlogCheck(['checkpoint', p.verifierKey, 'vmic.example.org'], p.checkpoint);
    assert.equal(cp.status, 0, cp.stderr);
    const [, size, root] = cp.stdout.trim().split(' ');
    assert.equal(
      goTlogCheck(['inclusion', size!, root!, String(p.index), p.leaf, ...p.proof]).status,
      0,
    );
    assert.match(Buffer.from(p.leaf, 'base64').toString(), /^audit 3 [0-9a-f]{64}\n$/);

    await rewriteChain(t.inst, 2);
    const bad = vmic(['audit', 'verify', '--data', t.dir]);
    assert.equal(bad.status, 1);
    assert.match(bad.stdout, /audit log intact/, 'the chain alone looks fine');
    assert.match(
      bad.stdout,
      /transparency log DISAGREES:\n {2}audit entry 2 is not the entry the log recorded/,
    );
    assert.match(bad.stderr, /does not match the transparency log/);
    const gone = vmic(['audit', 'prove', '2', '--data', t.dir]);
    assert.equal(gone.status, 1);
    assert.match(gone.stderr, /NOT_FOUND: audit entry 2 is not in the log/);
    assert.equal(vmic(['audit', 'prove', 'x', '--data', t.dir]).status, 2);
  } finally {
    await t.cleanup();
  }
});
