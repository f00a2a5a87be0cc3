import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { buildDemoHierarchy, derToPem } from '../../../pki/index.ts';
import { FIXTURE_TIME } from '../../fixtures/pki-fixtures.ts';
import { expectProblem, siteForTests } from './setup.ts';

describe('site API: trust', () => {
  const site = siteForTests();

  test('trust: add a demo hierarchy as PEM, list it; JSON form; refusals', async () => {
    const s = site();
    const admin = await s.token('admin');
    const h = await buildDemoHierarchy({ keyAlgorithm: 'ECDSA-P256', now: FIXTURE_TIME });
    const pem =
      derToPem(h.root.certificate, 'CERTIFICATE') +
      derToPem(h.intermediate.certificate, 'CERTIFICATE') +
      derToPem(h.crl, 'X509 CRL');
    let res = await s.call('POST', '/site/trust', {
      token: admin,
      body: pem,
      type: 'application/x-pem-file',
    });
    assert.equal(res.status, 200);
    const added = (await res.json()) as {
      anchors: string[];
      intermediates: string[];
      crls: string[];
    };
    assert.equal(added.anchors.length, 1);
    assert.equal(added.intermediates.length, 1);
    assert.equal(added.crls.length, 1);

    res = await s.call('GET', '/site/trust', { token: await s.token('auditor') });
    assert.equal(res.status, 200);
    const listing = (await res.json()) as {
      certificates: { kind: string; subject: string }[];
      crls: unknown[];
    };
    assert.deepEqual(listing.certificates.map((c) => c.kind).sort(), ['anchor', 'intermediate']);
    assert.ok(listing.certificates.some((c) => c.subject.includes('vmic Demo Root CA')));
    assert.equal(listing.crls.length, 1);

    // The same material again, as JSON: nothing new.
    res = await s.call('POST', '/site/trust', { token: admin, body: { pem } });
    assert.equal(res.status, 200);
    const again = (await res.json()) as { anchors: string[]; crls: string[]; unchanged: number };
    assert.deepEqual([again.anchors.length, again.crls.length, again.unchanged], [0, 0, 3]);

    res = await s.call('POST', '/site/trust', { token: admin, body: 'no pem here' });
    await expectProblem(res, 400, 'MALFORMED');
    res = await s.call('POST', '/site/trust', { token: admin, body: { pem, extra: 1 } });
    await expectProblem(res, 400, 'BAD_REQUEST');
    res = await s.call('POST', '/site/trust', { token: admin, body: { pem: 42 } });
    await expectProblem(res, 400, 'BAD_REQUEST');
    res = await s.call('POST', '/site/trust', {
      token: admin,
      body: pem,
      type: 'application/octet-stream',
    });
    await expectProblem(res, 400, 'BAD_REQUEST');
    res = await s.call('POST', '/site/trust', {
      token: admin,
      body: 'A'.repeat(1024 * 1024 + 1),
      type: 'application/x-pem-file',
    });
    await expectProblem(res, 413, 'TOO_LARGE');
    res = await s.call('POST', '/site/trust', {
      token: admin,
      body: derToPem(h.endorser.certificate, 'CERTIFICATE'),
      type: 'application/x-pem-file',
    });
    await expectProblem(res, 422, 'KEY_USAGE');
  });
});
