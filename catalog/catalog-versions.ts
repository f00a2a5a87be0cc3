import { VmicError } from '../errors/index.ts';
import type { Instance } from './instance.ts';

export interface CatalogVersionSummary {
  endorser: string;
  sequence: number;
  issuedAt: string;
  expiresAt: string;
  imageCount: number;
  contentSha256: string;
}

export interface CatalogVersionFiles extends CatalogVersionSummary {
  nquads: string;
  turtle: string;
  jsonld: string;
  p7m: Uint8Array;
  p7s: Uint8Array;
  /** The HEPiX image list (S/MIME); undefined for versions published before it existed. */
  imageList: Uint8Array | undefined;
}

const SUMMARY = [
  'catalog_versions.sequence',
  'catalog_versions.issued_at',
  'catalog_versions.expires_at',
  'catalog_versions.image_count',
  'catalog_versions.content_sha256',
] as const;

function versions(inst: Instance, endorser: string) {
  return inst.store.db
    .selectFrom('catalog_versions')
    .innerJoin('endorsers', 'endorsers.id', 'catalog_versions.endorser_id')
    .where('endorsers.name', '=', endorser);
}

export async function listCatalogVersions(
  inst: Instance,
  endorser: string,
): Promise<CatalogVersionSummary[]> {
  const rows = await versions(inst, endorser)
    .select(SUMMARY)
    .orderBy('catalog_versions.sequence', 'desc')
    .execute();
  return rows.map((r) => ({
    endorser,
    sequence: r.sequence,
    issuedAt: r.issued_at,
    expiresAt: r.expires_at,
    imageCount: r.image_count,
    contentSha256: r.content_sha256,
  }));
}

/** A published version's files; `sequence` undefined means the latest. */
export async function getCatalogVersion(
  inst: Instance,
  endorser: string,
  sequence?: number,
): Promise<CatalogVersionFiles> {
  let q = versions(inst, endorser).select([
    ...SUMMARY,
    'nquads',
    'turtle',
    'jsonld',
    'p7m',
    'p7s',
    'image_list',
  ]);
  q =
    sequence === undefined
      ? q.orderBy('catalog_versions.sequence', 'desc').limit(1)
      : q.where('catalog_versions.sequence', '=', sequence);
  const r = await q.executeTakeFirst();
  if (!r) {
    throw new VmicError(
      'NOT_FOUND',
      sequence === undefined
        ? `endorser ${endorser} has published no catalog`
        : `endorser ${endorser} has no catalog version ${sequence}`,
    );
  }
  return {
    endorser,
    sequence: r.sequence,
    issuedAt: r.issued_at,
    expiresAt: r.expires_at,
    imageCount: r.image_count,
    contentSha256: r.content_sha256,
    nquads: r.nquads,
    turtle: r.turtle,
    jsonld: r.jsonld,
    p7m: r.p7m,
    p7s: r.p7s,
    imageList: r.image_list ?? undefined,
  };
}
