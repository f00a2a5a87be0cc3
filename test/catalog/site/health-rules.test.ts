import { before, test } from 'node:test';
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
import {
  identityMarks,
  identityOf,
  identityProblems,
} from '../../../catalog/site/health-identities.ts';
import { FULL_SCOPE, healthSummary, type HealthScope } from '../../../catalog/site/health.ts';
import { addEndorser } from '../../../catalog/endorsers.ts';
import { setSiteIdentity } from '../../../catalog/migration/site-identity.ts';
import {
  buildDemoHierarchy,
  derToPem,
  generateKeyPair,
  issueCertificate,
} from '../../../pki/index.ts';
import { tempInstance } from '../../helpers/temp-instance.ts';
import { expiringIdentity } from '../../helpers/expiring-identity.ts';

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

test('identity expiry: 31 d ok, 29 d warning with the command to run, expired error', () => {
  const cern = (days: number) => identityOf('endorser', 'cern', certEnding(days), NOW);
  assert.deepEqual(cern(31).marks, []);
  assert.deepEqual(identityProblems([cern(31)]), []);
  assert.deepEqual(cern(29).marks, ['near-expiry']);
  assert.equal(cern(29).expiresInSeconds, 29 * 86400);
  assert.deepEqual(identityMarks(30 * 86400), ['near-expiry'], '30 d to the second warns');
  assert.deepEqual(identityMarks(30 * 86400 + 1), []);
  assert.deepEqual(identityMarks(0), ['expired'], 'expiry at the very second is expired');
  const [warn] = identityProblems([cern(29)]);
  assert.equal(warn?.level, 'warning');
  assert.equal(
    warn?.text,
    "endorser cern's certificate expires in 29 d (2030-06-30): vmic endorser rotate cern --cert NEW.pem (--key NEW-KEY.pem | --pkcs11 URI)",
  );
  const [err] = identityProblems([cern(-2)]);
  assert.equal(err?.level, 'error');
  assert.match(
    err?.text ?? '',
    /^endorser cern's certificate expired 2 d ago \(2030-05-30\): no site accepts a catalog it signs; vmic endorser rotate cern/,
  );
  const siteId = identityOf('site', 'site', certEnding(12), NOW);
  assert.match(
    identityProblems([siteId])[0]?.text ?? '',
    /^the site certificate expires in 12 d .*: vmic site identity set --cert NEW.pem/,
  );
  // Ranked with the rest: an expired identity is an error before any warning.
  const ranked = problemsOf(site([sub('a', ['near-expiry'])]), [], identityProblems([cern(-2)]));
  assert.deepEqual(
    ranked.map((p) => p.level),
    ['error', 'warning'],
  );
  assert.equal(verdictOf(problemsOf(undefined, [], identityProblems([cern(29)]))), 'warning');
  assert.equal(verdictOf(problemsOf(undefined, [], identityProblems([cern(31)]))), 'ok');
});

test('identity scope: endorsers the viewer may see, the site identity only with the site', async () => {
  const h = await buildDemoHierarchy({ keyAlgorithm: 'ECDSA-P256', now: new Date() });
  const t = await tempInstance();
  try {
    for (const name of ['cern', 'desy'])
      await addEndorser(t.inst, { name, ...(await expiringIdentity(h, 10)), actor: 'test' });
    const site = await expiringIdentity(h, 40, 'CN=Site A,O=vmic test,C=CH');
    await setSiteIdentity(t.inst, { ...site, actor: 'test' });
    const names = (s: HealthScope) =>
      healthSummary(t.inst, s).then((x) => x.identities.map((i) => `${i.kind}:${i.name}`));
    assert.deepEqual(await names(FULL_SCOPE), ['endorser:cern', 'endorser:desy', 'site:site']);
    assert.deepEqual(await names({ site: false, audit: false, endorsers: ['desy'] }), [
      'endorser:desy',
    ]);
    assert.deepEqual(await names({ site: true, audit: false, endorsers: [] }), ['site:site']);
    const full = await healthSummary(t.inst, FULL_SCOPE);
    assert.equal(full.identities[2]?.notAfter, site.notAfter.toISOString());
    assert.deepEqual(full.identities[2]?.marks, []);
    assert.equal(full.verdict, 'warning');
    assert.deepEqual(
      full.problems.filter((p) => p.text.includes('certificate')).map((p) => p.text.slice(0, 40)),
      ["endorser cern's certificate expires in 9", "endorser desy's certificate expires in 9"],
    );
    const desyOnly = await healthSummary(t.inst, {
      site: false,
      audit: false,
      endorsers: ['desy'],
    });
    assert.ok(!desyOnly.problems.some((p) => p.text.includes('cern')), 'no word of cern');
  } finally {
    await t.cleanup();
  }
});

/** A certificate ending `days` after NOW (no key needed: only its dates are read). */
function certEnding(days: number): string {
  return certs.get(days)!;
}
const certs = new Map<number, string>();
before(async () => {
  const keys = await generateKeyPair('ECDSA-P256');
  for (const days of [31, 29, -2, 12])
    certs.set(
      days,
      derToPem(
        await issueCertificate({
          subject: 'CN=vmic Demo Endorser,O=vmic demo,C=CH',
          publicKey: keys.publicKey,
          signingKey: keys.privateKey,
          notBefore: new Date(NOW.getTime() - 400 * 86400_000),
          notAfter: new Date(NOW.getTime() + days * 86400_000),
          keyUsage: ['digitalSignature'],
        }),
        'CERTIFICATE',
      ),
    );
});
