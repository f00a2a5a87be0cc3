import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { vmic } from '../../helpers/cli.ts';
import { opensslCmsVerify, opensslOk } from '../../helpers/openssl/index.ts';
import { getCatalogVersion } from '../../../catalog/index.ts';
import { cosignFixture } from './cosign-fixture.ts';

test('the commands: publish pending, list, diff, N-Quads out, external sign, threshold bounds', async () => {
  const f = await cosignFixture(2);
  const run = (...args: string[]) =>
    vmic([...args, '--data', f.dir, '--public-url', 'https://endorser.example'], {
      VMIC_RUNTIME: 'source',
    });
  try {
    const published = run('publish', '--endorser', 'cern');
    assert.equal(published.status, 0, published.stderr);
    assert.match(published.stdout, /sequence 1 .* is pending: 1 of 2 signatures/);
    const nq = path.join(f.dir, 'out.nq');
    const pending = run('catalog', 'pending', 'cern', '--nquads', nq);
    assert.equal(pending.status, 0, pending.stderr);
    assert.match(pending.stdout, /1 of 2 signatures, 1 more needed/);
    assert.match(pending.stdout, /not yet: dept, partner/);
    const diff = run('catalog', 'diff', 'cern');
    assert.match(diff.stdout, /\+ alma\tAlmaLinux 9/);
    const list = run('endorser', 'cosigner', 'list', 'cern');
    assert.match(list.stdout, /dept\tsealed\t/);
    assert.match(list.stdout, /partner\texternal\t/);
    assert.notEqual(run('endorser', 'threshold', 'cern', '4').status, 0);

    const sig = path.join(f.dir, 'partner.p7s');
    opensslOk(
      ['cms', '-sign', '-binary', '-in', nq, '-signer', f.ids.partner.certFile, '-inkey'].concat([
        f.ids.partner.keyFile,
        '-outform',
        'DER',
        '-out',
        sig,
        '-nosmimecap',
      ]),
    );
    const signed = run('catalog', 'sign', 'cern', '--as', 'partner', '--signature', sig);
    assert.equal(signed.status, 0, signed.stderr);
    assert.match(signed.stdout, /published cern catalog sequence 1/);
    const again = run('catalog', 'sign', 'cern', '--as', 'dept');
    assert.notEqual(again.status, 0);
    assert.match(again.stderr, /no pending catalog/);
    const p7m = path.join(f.dir, 'cli.p7m');
    fs.writeFileSync(p7m, (await getCatalogVersion(f.inst, 'cern')).p7m);
    const verified = opensslCmsVerify(p7m, f.anchors);
    assert.ok(verified.ok, verified.stderr.toString());
    assert.equal(verified.stdout.toString(), fs.readFileSync(nq, 'utf8'));
  } finally {
    await f.cleanup();
  }
});
