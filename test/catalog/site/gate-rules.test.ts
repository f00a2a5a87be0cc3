import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { decide, type GateFacts, type ListingFacts } from '../../../catalog/site/gate-rules.ts';

// The pure half of the gate (docs/design.md §7), from plain fact objects: no database.

const NOW = new Date('2030-01-10T00:00:00Z');
const DAY = 86400_000;
const iso = (offsetDays: number) => new Date(NOW.getTime() + offsetDays * DAY).toISOString();

/** A listing that passes every rule; each test breaks one fact. */
function deployable(over: Partial<ListingFacts> = {}): ListingFacts {
  return {
    listed: true,
    image: { status: 'endorsed', subscription: 'fx', subscription_enabled: 1, expires_at: null },
    catalog: { sequence: 3, issued_at: iso(-1), expires_at: iso(9), format: 'rdf' },
    maxCatalogAgeSeconds: undefined,
    approval: {
      id: 1,
      subscription: 'fx',
      kind: 'image',
      identifier: 'img',
      sha256: 'ab'.repeat(32),
      approvedBy: 'ops',
      approvedAt: iso(-1),
    },
    cacheEntry: { state: 'verified', actual_sha256: null },
    bytesOnDisk: true,
    signer: { outcome: 'trusted' },
    ...over,
  };
}

const codes = (facts: GateFacts) => decide(facts, NOW).map((r) => r.code);

describe('gate rules', () => {
  test('deployable: every rule passes, no reasons', () => {
    assert.deepEqual(decide(deployable(), NOW), []);
  });

  test('UNKNOWN_IMAGE: nothing lists it and the bytes were never seen here', () => {
    assert.deepEqual(decide({ listed: false, bytesKnownHere: false }, NOW), [
      { code: 'UNKNOWN_IMAGE', message: 'no imported catalog lists this image' },
    ]);
  });

  test('NOT_ENDORSED: bytes known here but in no current catalog', () => {
    const reasons = decide({ listed: false, bytesKnownHere: true }, NOW);
    assert.deepEqual(
      reasons.map((r) => r.code),
      ['NOT_ENDORSED'],
    );
    assert.match(reasons[0]!.message, /not in any current catalog \(an earlier version/);
  });

  test('NOT_ENDORSED: the listing was withdrawn', () => {
    const image = { ...deployable().image, status: 'withdrawn' as const };
    assert.deepEqual(decide(deployable({ image }), NOW), [
      { code: 'NOT_ENDORSED', message: 'withdrawn: not in the latest verified catalog' },
    ]);
  });

  test("CATALOG_EXPIRED: the catalog's own expiry has passed", () => {
    const catalog = { ...deployable().catalog!, expires_at: iso(-0.5) };
    const reasons = decide(deployable({ catalog }), NOW);
    assert.deepEqual(
      reasons.map((r) => r.code),
      ['CATALOG_EXPIRED'],
    );
    assert.match(reasons[0]!.message, /latest catalog \(sequence 3\) expired at .*its own expiry/);
  });

  test("CATALOG_EXPIRED: a HEPiX list's own expiry names the image list", () => {
    const catalog = { ...deployable().catalog!, format: 'hepix' as const, expires_at: iso(0) };
    assert.match(decide(deployable({ catalog }), NOW)[0]!.message, /latest image list/);
  });

  test("CATALOG_EXPIRED: older than the site's max-catalog-age", () => {
    const reasons = decide(deployable({ maxCatalogAgeSeconds: 3600 }), NOW);
    assert.deepEqual(
      reasons.map((r) => r.code),
      ['CATALOG_EXPIRED'],
    );
    assert.match(reasons[0]!.message, /older than the site's max-catalog-age of 1 h \(3600 s\)/);
  });

  test("CATALOG_EXPIRED: the image's own expiry (dc:date:expires) has passed", () => {
    const image = { ...deployable().image, expires_at: iso(-2) };
    const reasons = decide(deployable({ image }), NOW);
    assert.deepEqual(
      reasons.map((r) => r.code),
      ['CATALOG_EXPIRED'],
    );
    assert.match(reasons[0]!.message, /this image's own expiry \(dc:date:expires\) passed/);
  });

  test('CATALOG_EXPIRED: no verified catalog is held (and no signer to re-check)', () => {
    assert.deepEqual(decide(deployable({ catalog: undefined, signer: undefined }), NOW), [
      { code: 'CATALOG_EXPIRED', message: 'no verified catalog' },
    ]);
  });

  test('CATALOG_EXPIRED: catalog and image lapses are both listed, catalog first', () => {
    const image = { ...deployable().image, expires_at: iso(-2) };
    const reasons = decide(deployable({ image, catalog: undefined, signer: undefined }), NOW);
    assert.deepEqual(
      reasons.map((r) => r.message.slice(0, 20)),
      ['no verified catalog', "this image's own exp"],
    );
  });

  test('SUBSCRIPTION_DISABLED', () => {
    const image = { ...deployable().image, subscription_enabled: 0 };
    assert.deepEqual(decide(deployable({ image }), NOW), [
      { code: 'SUBSCRIPTION_DISABLED', message: 'subscription fx is disabled' },
    ]);
  });

  test('NOT_APPROVED', () => {
    assert.deepEqual(decide(deployable({ approval: undefined }), NOW), [
      {
        code: 'NOT_APPROVED',
        message: 'no approval of this SHA-256 and no approval of its endorser',
      },
    ]);
  });

  test('HASH_MISMATCH: quarantined bytes (and not also NOT_FETCHED)', () => {
    const cacheEntry = { state: 'quarantined' as const, actual_sha256: 'cd'.repeat(32) };
    assert.deepEqual(decide(deployable({ cacheEntry, bytesOnDisk: false }), NOW), [
      {
        code: 'HASH_MISMATCH',
        message: `bytes fetched for this image hashed to ${'cd'.repeat(32)}; kept in quarantine`,
      },
    ]);
  });

  test('NOT_FETCHED: no cache entry, or a verified entry whose bytes are gone', () => {
    const notFetched = [{ code: 'NOT_FETCHED', message: 'no verified copy in the site cache' }];
    assert.deepEqual(
      decide(deployable({ cacheEntry: undefined, bytesOnDisk: false }), NOW),
      notFetched,
    );
    assert.deepEqual(decide(deployable({ bytesOnDisk: false }), NOW), notFetched);
  });

  test('SIGNER_REVOKED', () => {
    const signer = { outcome: 'revoked' as const, message: 'CN=Signer: revoked' };
    assert.deepEqual(decide(deployable({ signer }), NOW), [
      {
        code: 'SIGNER_REVOKED',
        message: 'revoked since the catalog was imported: CN=Signer: revoked',
      },
    ]);
  });

  test('CRL_INVALID, CERT_EXPIRED: any failure of the signer path judged now, with its code', () => {
    for (const code of ['CRL_INVALID', 'CERT_EXPIRED', 'CRL_STALE', 'CHAIN_UNTRUSTED'] as const) {
      const signer = { outcome: 'refused' as const, code, message: 'why' };
      assert.deepEqual(decide(deployable({ signer }), NOW), [
        { code, message: "the catalog signer's path no longer validates: why" },
      ]);
    }
  });

  test('every failing rule is listed, in the order of the checklist', () => {
    const facts = deployable({
      image: { status: 'withdrawn', subscription: 'fx', subscription_enabled: 0, expires_at: null },
      maxCatalogAgeSeconds: 60,
      approval: undefined,
      cacheEntry: undefined,
      bytesOnDisk: false,
      signer: { outcome: 'revoked', message: 'CN=Signer: revoked' },
    });
    assert.deepEqual(codes(facts), [
      'NOT_ENDORSED',
      'CATALOG_EXPIRED',
      'SUBSCRIPTION_DISABLED',
      'NOT_APPROVED',
      'NOT_FETCHED',
      'SIGNER_REVOKED',
    ]);
  });

  test('pure: the same facts at the same time give the same answer', () => {
    const facts = deployable({ maxCatalogAgeSeconds: 2 * 86400 });
    assert.deepEqual(codes(facts), []);
    assert.deepEqual(
      decide(facts, new Date(NOW.getTime() + 2 * DAY)).map((r) => r.code),
      ['CATALOG_EXPIRED'],
    );
    assert.deepEqual(codes(facts), []);
  });
});
