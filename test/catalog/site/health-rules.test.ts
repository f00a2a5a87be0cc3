import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  catalogMarks,
  countImages,
  imageStates,
  lastImportOf,
  problemsOf,
  verdictOf,
} from '../../../catalog/site/health-rules.ts';
import type { SiteHealth, SubscriptionHealth } from '../../../catalog/site/health-types.ts';
import { catalogLapse } from '../../../catalog/site/freshness.ts';

const NOW = new Date('2030-06-01T12:00:00Z');
const at = (seconds: number) => new Date(NOW.getTime() + seconds * 1000).toISOString();

test('catalog marks: expiry at the very second is expired; 24 h left is near-expiry', () => {
  const issued = at(-3600);
  assert.deepEqual(catalogMarks({ issuedAt: issued, expiresAt: at(0) }, NOW, undefined), [
    'expired',
  ]);
  assert.deepEqual(catalogMarks({ issuedAt: issued, expiresAt: at(86400) }, NOW, undefined), [
    'near-expiry',
  ]);
  assert.deepEqual(catalogMarks({ issuedAt: issued, expiresAt: at(86401) }, NOW, undefined), []);
  assert.deepEqual(catalogMarks(undefined, NOW, undefined), ['no-catalog']);
});

test('too-old agrees with the gate: marked exactly when catalogLapse names max-catalog-age', () => {
  for (const age of [3599, 3600, 3601]) {
    const held = {
      sequence: 1,
      issued_at: at(-age),
      expires_at: at(30 * 86400),
      format: 'rdf' as const,
    };
    const marks = catalogMarks({ issuedAt: held.issued_at, expiresAt: held.expires_at }, NOW, 3600);
    assert.equal(
      marks.includes('too-old'),
      catalogLapse(held, NOW, 3600)?.rule === 'max-catalog-age',
      `age ${age}`,
    );
  }
});

test('the last import: a recorded error is the latest word; a later 304 reads as not-modified', () => {
  const none = {
    last_success_at: null,
    last_error_code: null,
    last_error_message: null,
    last_error_at: null,
    last_not_modified_at: null,
  };
  assert.equal(lastImportOf(none), undefined);
  assert.deepEqual(lastImportOf({ ...none, last_success_at: at(-60) }), {
    result: 'verified',
    message: 'catalog verified and applied',
    at: at(-60),
  });
  const refused = lastImportOf({
    ...none,
    last_success_at: at(-600),
    last_error_code: 'ROLLBACK',
    last_error_message: 'sequence 3 is lower than 4',
    last_error_at: at(-60),
  });
  assert.equal(refused?.result, 'refused');
  assert.equal(refused?.code, 'ROLLBACK');
  const unchanged = lastImportOf({
    ...none,
    last_success_at: at(-600),
    last_not_modified_at: at(-60),
  });
  assert.equal(unchanged?.result, 'not-modified');
  assert.equal(unchanged?.at, at(-60));
});

test('image states follow the gate reasons; fetch-scope approved does not count unapproved as not fetched', () => {
  assert.deepEqual(imageStates([], 'endorsed'), ['deployable']);
  assert.deepEqual(imageStates(['NOT_APPROVED', 'NOT_FETCHED'], 'endorsed'), [
    'awaiting-approval',
    'not-fetched',
  ]);
  assert.deepEqual(imageStates(['NOT_APPROVED', 'NOT_FETCHED'], 'approved'), ['awaiting-approval']);
  assert.deepEqual(imageStates(['NOT_FETCHED'], 'approved'), ['not-fetched']);
  assert.deepEqual(imageStates(['HASH_MISMATCH'], 'endorsed'), ['quarantined']);
  assert.deepEqual(imageStates(['CATALOG_EXPIRED'], 'endorsed'), []);
  assert.deepEqual(countImages([[], ['HASH_MISMATCH'], ['NOT_APPROVED']], 'endorsed'), {
    awaitingApproval: 1,
    quarantined: 1,
    notFetched: 0,
    deployable: 1,
    total: 3,
  });
});

function site(
  subscriptions: SubscriptionHealth[],
  images: Partial<SiteHealth['images']> = {},
): SiteHealth {
  return {
    subscriptions,
    images: {
      awaitingApproval: 0,
      quarantined: 0,
      notFetched: 0,
      deployable: 0,
      total: 0,
      ...images,
    },
    cache: { bytes: 0, entries: 0 },
    schedule: null,
    maxCatalogAgeSeconds: undefined,
    logForks: 0,
  };
}
const sub = (
  name: string,
  marks: SubscriptionHealth['marks'],
  enabled = true,
): SubscriptionHealth => ({
  name,
  enabled,
  format: 'rdf',
  marks,
});

test('verdict: errors before warnings; disabled subscriptions are not judged', () => {
  assert.equal(verdictOf(problemsOf(site([sub('a', [])]), [])), 'ok');
  assert.equal(verdictOf(problemsOf(site([sub('a', ['near-expiry'])]), [])), 'warning');
  assert.equal(verdictOf(problemsOf(site([sub('a', [])], { notFetched: 2 }), [])), 'warning');
  assert.equal(verdictOf(problemsOf(site([sub('a', ['expired'], false)]), [])), 'ok');
  for (const m of ['expired', 'too-old', 'refused'] as const)
    assert.equal(verdictOf(problemsOf(site([sub('a', [m])]), [])), 'error', m);
  const p = problemsOf(
    site([sub('a', ['near-expiry']), sub('b', ['no-catalog', 'refused'])], { quarantined: 1 }),
    [{ name: 'cern', changedSinceLastPublish: 0, marks: ['expired'] }],
  );
  assert.deepEqual(
    p.map((x) => x.level),
    ['error', 'error', 'error', 'warning'],
  );
  assert.ok(!p.some((x) => x.text.includes('no verified catalog')), 'a refusal says it once');
  assert.equal(p[2]?.text, 'endorser cern: its catalog has expired');
});
