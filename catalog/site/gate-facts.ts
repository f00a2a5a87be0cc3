import type { Selectable } from 'kysely';
import { isVmicError } from '../../errors/index.ts';
import { pemToDers, validatePath } from '../../pki/index.ts';
import type { Instance } from '../instance.ts';
import type { Queryable } from '../store/database.ts';
import type { CacheEntryTable } from '../store/schema.ts';
import { approvalFor } from './approvals.ts';
import type { HeldCatalog } from './freshness.ts';
import type { ListingFacts, SignerRecheck, UnlistedFacts } from './gate-rules.ts';
import { ImageCache } from './image-cache.ts';
import { readPolicy } from './policy.ts';
import { ambiguousImage, findSiteImages, parseImageRef, type SiteImageRow } from './site-images.ts';
import type { TrustMaterial } from './trust-store.ts';
import { cachedSignerRecheck } from './signer-recheck-cache.ts';

/** The newest verified catalog of a subscription, as the gate re-checks and reports it. */
export interface GateCatalog extends HeldCatalog {
  signer_subject: string;
  verified_at: string;
}

/** The facts of one listing, with the full rows the decision reports. */
export interface GatheredListing extends ListingFacts {
  image: SiteImageRow;
  catalog: GateCatalog | undefined;
  cacheEntry: Selectable<CacheEntryTable> | undefined;
}

/**
 * Gathers what the gate rules (gate-rules.ts) are judged on: the listing, its newest
 * catalog, the policy, the approval, the cache and the signer re-validated at `now`.
 *
 * An identifier listed by more than one subscription is refused as ambiguous (CONFLICT,
 * naming the candidates) unless `subscription` picks one (threat: a second endorser
 * publishing a well-known name so that the gate answers for its bytes instead).
 */
export async function gatherGateFacts(
  inst: Instance,
  ref: string,
  subscription: string | undefined,
  now: Date,
): Promise<UnlistedFacts | GatheredListing> {
  const parsed = parseImageRef(ref);
  const db = inst.store.db;
  const rows = await findSiteImages(db, parsed, subscription);
  if (parsed.kind === 'identifier' && rows.length > 1) throw ambiguousImage(ref, rows);
  // The same bytes (sha256:HEX) in two subscriptions are one image: decided for a
  // currently endorsed listing, whose subscription the answer names.
  const row = rows.find((r) => r.status === 'endorsed') ?? rows[0];
  if (!row) {
    const bytesKnownHere = parsed.kind === 'sha256' && (await knownHash(db, parsed.sha256));
    return { listed: false, bytesKnownHere };
  }
  return gatherListing(inst, row, now);
}

/** The facts of one listing already in hand (a row of the site images list). */
export async function gatherRowFacts(
  inst: Instance,
  row: SiteImageRow,
  now: Date,
): Promise<GatheredListing> {
  return gatherListing(inst, row, now);
}

async function gatherListing(
  inst: Instance,
  image: SiteImageRow,
  now: Date,
): Promise<GatheredListing> {
  const db = inst.store.db;
  const catalog = await db
    .selectFrom('site_catalogs')
    .select(['sequence', 'issued_at', 'expires_at', 'format', 'signer_subject', 'verified_at'])
    .where('subscription_id', '=', image.subscription_id)
    .orderBy('sequence', 'desc')
    .limit(1)
    .executeTakeFirst();
  const { maxCatalogAgeSeconds } = await readPolicy(db);
  const approval = await approvalFor(db, image.subscription_id, image.sha256);
  const cacheEntry = await db
    .selectFrom('cache_entries')
    .selectAll()
    .where('sha256', '=', image.sha256)
    .executeTakeFirst();
  const bytesOnDisk =
    cacheEntry?.state === 'verified' &&
    image.sha256 !== null &&
    ImageCache.of(inst).has(image.sha256);
  const signer = catalog
    ? await cachedSignerRecheck(
        inst,
        {
          subscriptionId: image.subscription_id,
          sequence: catalog.sequence,
          verifiedAt: catalog.verified_at,
        },
        now,
        async (trust) =>
          recheckSigner(await signerOf(db, image.subscription_id, catalog), trust, now),
      )
    : undefined;
  return {
    listed: true,
    image,
    catalog,
    maxCatalogAgeSeconds,
    approval,
    cacheEntry,
    bytesOnDisk,
    signer,
  };
}

/**
 * Re-checks the catalog signer against the CRLs held now. The path is validated at the
 * time it was verified, so that only revocation (not the later expiry of a certificate)
 * can change the answer, but the CRLs are judged at `now` (threat: a signer key
 * compromised after import). A CRL held for an issuer in the path that cannot be used
 * is reported too: revocation never fails open at the gate either.
 */
async function recheckSigner(
  catalog: GateCatalog & { signer_der: Uint8Array; chain_pem: string },
  trust: TrustMaterial,
  now: Date,
): Promise<SignerRecheck> {
  try {
    await validatePath({
      leaf: catalog.signer_der,
      intermediates: [
        ...(catalog.chain_pem ? pemToDers(catalog.chain_pem, 'CERTIFICATE') : []),
        ...trust.intermediates,
      ],
      anchors: trust.anchors,
      crls: trust.crls,
      time: new Date(catalog.verified_at),
      revocationTime: now,
      revocation: 'best-effort',
      leafKeyUsage: 'digitalSignature',
    });
    return { outcome: 'not-revoked' };
  } catch (e) {
    if (!isVmicError(e)) throw e;
    if (e.code === 'CERT_REVOKED') return { outcome: 'revoked', subject: catalog.signer_subject };
    if (e.code === 'CRL_INVALID') return { outcome: 'crl-invalid', message: e.message };
    // Any other failure of the path was judged at import; the gate re-checks revocation.
    return { outcome: 'not-revoked' };
  }
}

/** The signer's certificate and chain, read only when the kept re-check must be redone. */
async function signerOf(
  db: Queryable,
  subscriptionId: number,
  catalog: GateCatalog,
): Promise<GateCatalog & { signer_der: Uint8Array; chain_pem: string }> {
  const row = await db
    .selectFrom('site_catalogs')
    .select(['signer_der', 'chain_pem'])
    .where('subscription_id', '=', subscriptionId)
    .where('sequence', '=', catalog.sequence)
    .executeTakeFirstOrThrow();
  return { ...catalog, ...row };
}

async function knownHash(db: Queryable, sha256: string): Promise<boolean> {
  const approval = await db
    .selectFrom('approvals')
    .select('id')
    .where('sha256', '=', sha256)
    .limit(1)
    .executeTakeFirst();
  const cached = await db
    .selectFrom('cache_entries')
    .select('sha256')
    .where('sha256', '=', sha256)
    .executeTakeFirst();
  return approval !== undefined || cached !== undefined;
}
