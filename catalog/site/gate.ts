import { isVmicError, type ReasonCode } from '../../pki/errors.ts';
import { pemToDers, validatePath } from '../../pki/index.ts';
import type { Instance } from '../instance.ts';
import type { Queryable } from '../store/database.ts';
import { approvalFor, type Approval } from './approvals.ts';
import { ImageCache } from './image-cache.ts';
import { findSiteImages, parseImageRef, type SiteImageRow } from './site-images.ts';
import { loadTrustMaterial, type TrustMaterial } from './trust-store.ts';

export interface GateReason {
  code: ReasonCode;
  message: string;
}

/** The answer to "may this image be deployed here?" (DESIGN.md §7), with every failing reason. */
export interface DeployDecision {
  image: string;
  deployable: boolean;
  reasons: GateReason[];
  subscription?: string;
  identifier?: string;
  title?: string;
  sha256?: string;
  byteSize?: number;
  catalog?: { sequence: number; expiresAt: string; signer: string };
  approval?: Approval;
  /** Where the verified bytes came from: a fetch from the endorser's URL or a migration from a peer. */
  bytes?: { source: string; detail: string | null; verifiedAt: string };
  decidedAt: string;
}

/**
 * The deploy gate. Every rule is evaluated (not just the first failure) so that an
 * operator sees at once everything that stands between an image and deployment.
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
  // Prefer a currently endorsed match; an identifier in two subscriptions is decided for
  // the first endorsed one and its subscription named in the answer.
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
    .select(['sequence', 'expires_at', 'signer_subject', 'signer_der', 'chain_pem', 'verified_at'])
    .where('subscription_id', '=', row.subscription_id)
    .orderBy('sequence', 'desc')
    .limit(1)
    .executeTakeFirst();
  if (!catalog || Date.parse(catalog.expires_at) <= now.getTime()) {
    reasons.push({
      code: 'CATALOG_EXPIRED',
      message: catalog
        ? `the latest catalog (sequence ${catalog.sequence}) expired at ${catalog.expires_at}`
        : 'no verified catalog',
    });
  }
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

  if (catalog && (await signerRevoked(catalog, trust))) {
    reasons.push({
      code: 'SIGNER_REVOKED',
      message: `${catalog.signer_subject} has been revoked since the catalog was imported`,
    });
  }

  return {
    ...base,
    deployable: reasons.length === 0,
    reasons,
    subscription: row.subscription,
    identifier: row.identifier,
    title: row.title,
    sha256: row.sha256,
    byteSize: row.byte_size,
    ...(catalog
      ? {
          catalog: {
            sequence: catalog.sequence,
            expiresAt: catalog.expires_at,
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
 * can change the answer (threat: a signer key compromised after import).
 */
async function signerRevoked(
  catalog: { signer_der: Uint8Array; chain_pem: string; verified_at: string },
  trust: TrustMaterial,
): Promise<boolean> {
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
      revocation: 'best-effort',
      leafKeyUsage: 'digitalSignature',
    });
    return false;
  } catch (e) {
    if (isVmicError(e)) return e.code === 'CERT_REVOKED';
    throw e;
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
