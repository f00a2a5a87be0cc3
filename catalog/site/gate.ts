import { isVmicError, type ReasonCode } from '../../pki/errors.ts';
import { pemToDers, validatePath } from '../../pki/index.ts';
import type { Instance } from '../instance.ts';
import type { Queryable } from '../store/database.ts';
import { approvalFor, type Approval } from './approvals.ts';
import { catalogLapse, imageLapse } from './freshness.ts';
import { ImageCache } from './image-cache.ts';
import { readPolicy } from './policy.ts';
import { ambiguousImage, findSiteImages, parseImageRef, type SiteImageRow } from './site-images.ts';
import { loadTrustMaterial, type TrustMaterial } from './trust-store.ts';

export interface GateReason {
  code: ReasonCode;
  message: string;
}

/** The answer to "may this image be deployed here?" (docs/design.md §7), with every failing reason. */
export interface DeployDecision {
  image: string;
  deployable: boolean;
  reasons: GateReason[];
  subscription?: string;
  identifier?: string;
  title?: string;
  sha256?: string;
  byteSize?: number;
  catalog?: {
    sequence: number;
    issuedAt: string;
    expiresAt: string;
    /** When this site verified it; a `304 Not Modified` since then verifies nothing. */
    verifiedAt: string;
    signer: string;
  };
  /** The image's own expiry (HEPiX `dc:date:expires`), when its list gave one. */
  expiresAt?: string;
  approval?: Approval;
  /** Where the verified bytes came from: a fetch from the endorser's URL or a migration from a peer. */
  bytes?: { source: string; detail: string | null; verifiedAt: string };
  decidedAt: string;
}

/**
 * The deploy gate. Every rule is evaluated (not just the first failure) so that an
 * operator sees at once everything that stands between an image and deployment.
 *
 * An identifier listed by more than one subscription is refused as ambiguous (CONFLICT,
 * naming the candidates) unless `subscription` picks one (threat: a second endorser
 * publishing a well-known name so that the gate answers for its bytes instead).
 */
export async function decideDeployment(
  inst: Instance,
  ref: string,
  opts: { subscription?: string | undefined } = {},
): Promise<DeployDecision> {
  const now = inst.now();
  const parsed = parseImageRef(ref);
  const db = inst.store.db;
  const rows = await findSiteImages(db, parsed, opts.subscription);
  if (parsed.kind === 'identifier' && rows.length > 1) throw ambiguousImage(ref, rows);
  // The same bytes (sha256:HEX) in two subscriptions are one image: decided for a
  // currently endorsed listing, whose subscription the answer names.
  const row = rows.find((r) => r.status === 'endorsed') ?? rows[0];
  const base = { image: ref, decidedAt: now.toISOString() };
  if (!row) {
    const once = parsed.kind === 'sha256' && (await knownHash(db, parsed.sha256));
    const reason: GateReason = once
      ? {
          code: 'NOT_ENDORSED',
          message: 'these bytes are not in any current catalog (an earlier version, or withdrawn)',
        }
      : { code: 'UNKNOWN_IMAGE', message: 'no imported catalog lists this image' };
    return { ...base, deployable: false, reasons: [reason] };
  }
  return decideFor(inst, row, base, now, await loadTrustMaterial(db));
}

async function decideFor(
  inst: Instance,
  row: SiteImageRow,
  base: { image: string; decidedAt: string },
  now: Date,
  trust: TrustMaterial,
): Promise<DeployDecision> {
  const db = inst.store.db;
  const reasons: GateReason[] = [];
  if (row.status !== 'endorsed')
    reasons.push({
      code: 'NOT_ENDORSED',
      message: 'withdrawn: not in the latest verified catalog',
    });

  const catalog = await db
    .selectFrom('site_catalogs')
    .select([
      'sequence',
      'issued_at',
      'expires_at',
      'format',
      'signer_subject',
      'signer_der',
      'chain_pem',
      'verified_at',
    ])
    .where('subscription_id', '=', row.subscription_id)
    .orderBy('sequence', 'desc')
    .limit(1)
    .executeTakeFirst();
  // Freshness at decision time, not only at import: the catalog's own expiry, the site's
  // max-catalog-age counted from its issue time, and the image's own expiry.
  const { maxCatalogAgeSeconds } = await readPolicy(db);
  const lapses = catalog
    ? [catalogLapse(catalog, now, maxCatalogAgeSeconds), imageLapse(row, now)]
    : [{ rule: 'catalog', message: 'no verified catalog' }, imageLapse(row, now)];
  for (const lapse of lapses)
    if (lapse) reasons.push({ code: 'CATALOG_EXPIRED', message: lapse.message });
  if (row.subscription_enabled !== 1)
    reasons.push({
      code: 'SUBSCRIPTION_DISABLED',
      message: `subscription ${row.subscription} is disabled`,
    });

  const approval = await approvalFor(db, row.subscription_id, row.sha256);
  if (!approval)
    reasons.push({
      code: 'NOT_APPROVED',
      message: 'no approval of this SHA-256 and no approval of its endorser',
    });

  const entry = await db
    .selectFrom('cache_entries')
    .selectAll()
    .where('sha256', '=', row.sha256)
    .executeTakeFirst();
  const cached = entry?.state === 'verified' && ImageCache.of(inst).has(row.sha256);
  if (entry?.state === 'quarantined') {
    reasons.push({
      code: 'HASH_MISMATCH',
      message: `bytes fetched for this image hashed to ${entry.actual_sha256 ?? 'something else'}; kept in quarantine`,
    });
  } else if (!cached) {
    reasons.push({ code: 'NOT_FETCHED', message: 'no verified copy in the site cache' });
  }

  const revocation = catalog ? await signerRevoked(catalog, trust, now) : undefined;
  if (revocation) reasons.push(revocation);

  return {
    ...base,
    deployable: reasons.length === 0,
    reasons,
    subscription: row.subscription,
    identifier: row.identifier,
    title: row.title,
    sha256: row.sha256,
    byteSize: row.byte_size,
    ...(row.expires_at !== null ? { expiresAt: row.expires_at } : {}),
    ...(catalog
      ? {
          catalog: {
            sequence: catalog.sequence,
            issuedAt: catalog.issued_at,
            expiresAt: catalog.expires_at,
            verifiedAt: catalog.verified_at,
            signer: catalog.signer_subject,
          },
        }
      : {}),
    ...(approval ? { approval } : {}),
    ...(entry?.state === 'verified'
      ? {
          bytes: {
            source: entry.source,
            detail: entry.source_detail,
            verifiedAt: entry.updated_at,
          },
        }
      : {}),
  };
}

/**
 * Re-checks the catalog signer against the CRLs held now. The path is validated at the
 * time it was verified, so that only revocation (not the later expiry of a certificate)
 * can change the answer, but the CRLs are judged at `now` (threat: a signer key
 * compromised after import). A CRL held for an issuer in the path that cannot be used
 * stops deployment too (CRL_INVALID): revocation never fails open at the gate either.
 */
async function signerRevoked(
  catalog: {
    signer_der: Uint8Array;
    chain_pem: string;
    verified_at: string;
    signer_subject: string;
  },
  trust: TrustMaterial,
  now: Date,
): Promise<GateReason | undefined> {
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
    return undefined;
  } catch (e) {
    if (!isVmicError(e)) throw e;
    if (e.code === 'CERT_REVOKED') {
      const message = `${catalog.signer_subject} has been revoked since the catalog was imported`;
      return { code: 'SIGNER_REVOKED', message };
    }
    if (e.code === 'CRL_INVALID') return { code: 'CRL_INVALID', message: e.message };
    return undefined;
  }
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
