import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { SUMMARY_MAX, summarizeDetails } from '../../../server/web/pages/audit-summary.ts';
import { imageStatesOf, stateParam } from '../../../server/web/pages/site-image-states.ts';

describe('audit details summary and site image states', () => {
  test('a summary cuts hashes, reads sizes in binary units, quotes and cuts texts', () => {
    const sha = '3f2a1b0c'.repeat(8);
    assert.equal(
      summarizeDetails({ sha256: sha, byteSize: 3 * 1024 * 1024, title: 'Alma 9' }),
      'sha256 3f2a1b0c…, byteSize 3 MiB, title "Alma 9"',
    );
    assert.equal(summarizeDetails({ key: `sha256:${sha}` }), 'key sha256:3f2a1b0c…');
    assert.equal(
      summarizeDetails({ fields: ['title', 'arch'], n: 7, ok: true, x: null }),
      'fields title, arch, n 7, ok true, x null',
    );
    assert.equal(
      summarizeDetails({ nested: { a: 1 }, list: [{ a: 1 }, { b: 2 }] }),
      'nested {…}, list 2 items',
    );
    assert.equal(
      summarizeDetails({ expires: '2026-12-28T18:54:52.000Z' }),
      'expires 2026-12-28 18:54 UTC',
    );
    assert.equal(summarizeDetails({}), '');
  });

  test('a summary stays within its bound however large the details', () => {
    const details: Record<string, unknown> = {};
    for (let i = 0; i < 100; i++) details[`field${i}`] = 'x'.repeat(500);
    const s = summarizeDetails(details);
    assert.equal(s.length, SUMMARY_MAX);
    assert.ok(s.endsWith('…'));
    assert.ok(!s.includes('x'.repeat(41)), 'each text is cut to 40 characters');
  });

  test('states come from the gate reasons; an unknown state is refused', () => {
    assert.deepEqual(
      imageStatesOf(
        {
          reasons: [{ code: 'NOT_APPROVED' }, { code: 'NOT_FETCHED' }],
        },
        'endorsed',
      ),
      ['awaiting-approval', 'not-fetched'],
    );
    // Under fetch-scope approved an unapproved image is not meant to be fetched yet: it
    // waits for approval only, as the dashboard counts it.
    assert.deepEqual(
      imageStatesOf({ reasons: [{ code: 'NOT_APPROVED' }, { code: 'NOT_FETCHED' }] }, 'approved'),
      ['awaiting-approval'],
    );
    assert.deepEqual(imageStatesOf({ reasons: [{ code: 'HASH_MISMATCH' }] }, 'endorsed'), [
      'quarantined',
    ]);
    assert.deepEqual(imageStatesOf({ reasons: [] }, 'endorsed'), ['deployable']);
    assert.equal(stateParam(undefined), undefined);
    assert.equal(stateParam('quarantined'), 'quarantined');
    assert.throws(() => stateParam('toString'), { code: 'BAD_REQUEST' });
    assert.throws(() => stateParam(['deployable']), { code: 'BAD_REQUEST' });
  });
});
