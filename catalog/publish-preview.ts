import { IMAGE_FIELD_KEYS, type ImageMetadata } from './image-fields.ts';
import { listImages } from './image-queries.ts';
import {
  getCatalogVersionRefs,
  readVersionFile,
  type CatalogVersionSummary,
} from './catalog-versions.ts';
import type { Instance } from './instance.ts';
import { parseCanonicalCatalog, type CatalogImage } from './rdf/index.ts';
import { metadataOfGraph } from './rdf/image-fields.ts';
import { VmicError } from '../errors/index.ts';
import { getEndorserClaims } from './policy-claims.ts';
import { getEndorser } from './endorsers.ts';
import { judgeAdopted, type UpstreamLapse } from './adopted-upstream.ts';

/** One image's difference between the last published catalog and what publish would sign. */
export interface ImageChange {
  identifier: string;
  title: string;
  /** For `changed`: the fields whose signed values differ. */
  fields: string[];
}

export interface PublishPreview {
  last: CatalogVersionSummary | undefined;
  nextSequence: number;
  added: ImageChange[];
  changed: ImageChange[];
  withdrawn: ImageChange[];
  unchanged: number;
  /** The catalog-level policy claims, when publishing now would change them. */
  catalogClaims?: { published: string[]; next: string[] };
  /**
   * Adopted images that publishing now withdraws because their upstream no longer endorses
   * them (catalog/adopted-upstream.ts); also listed in `withdrawn`.
   */
  withdrawnUpstream: UpstreamLapse[];
}

/**
 * The signed values of an image, as publish writes them into the graph (docs/design.md §2):
 * the descriptive fields of catalog/image-fields.ts, then the bytes, then the policy claims
 * (a claim added or dropped changes what sites requiring that policy decide).
 */
function signedFields(
  m: ImageMetadata,
  bytes: { downloadUrl: string; byteSize: number; sha256: string },
  conformsTo: readonly string[] | undefined,
  chain: { sbom?: { sha256: string } | undefined; derivedFrom?: { image: string } | undefined },
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const field of IMAGE_FIELD_KEYS) out[field] = m[field] ?? '';
  return {
    ...out,
    downloadUrl: bytes.downloadUrl,
    byteSize: String(bytes.byteSize),
    sha256: bytes.sha256,
    conformsTo: claimsText(conformsTo),
    // The inventory and the origin are signed too: attaching an SBOM, or adopting under an
    // identifier that had other provenance, changes what sites verify.
    sbom: chain.sbom?.sha256 ?? '',
    derivedFrom: chain.derivedFrom?.image ?? '',
  };
}

/** Claims compared as publish signs them: distinct and sorted. */
function claimsText(claims: readonly string[] | undefined): string {
  return [...new Set(claims ?? [])].sort().join(' ');
}

export function fromGraph(i: CatalogImage): Record<string, string> {
  return signedFields(metadataOfGraph(i), i.distribution, i.conformsTo, i);
}

/** The images of the last published version, from its own signed graph; none if nothing is published. */
export async function lastPublishedImages(
  inst: Instance,
  endorser: string,
): Promise<{
  last: CatalogVersionSummary | undefined;
  images: CatalogImage[];
  conformsTo?: string[];
}> {
  try {
    const version = await getCatalogVersionRefs(inst, endorser);
    const nquads = await version.file('nquads');
    if (nquads === undefined)
      throw new Error(`catalog version ${version.summary.sequence} has no N-Quads`);
    const doc = await parseCanonicalCatalog(await readVersionFile(inst, nquads));
    return { last: version.summary, images: doc.images, conformsTo: doc.conformsTo ?? [] };
  } catch (e) {
    if (!(e instanceof VmicError && e.code === 'NOT_FOUND')) throw e;
    return { last: undefined, images: [] };
  }
}

/** Images added, changed (with the fields whose signed values differ) and withdrawn. */
export function compareImages(
  previous: CatalogImage[],
  next: { identifier: string; title: string; signed: Record<string, string> }[],
): Pick<PublishPreview, 'added' | 'changed' | 'withdrawn' | 'unchanged'> {
  const before = new Map(previous.map((i) => [i.identifier, i]));
  const now = new Set(next.map((i) => i.identifier));
  const out = {
    added: [] as ImageChange[],
    changed: [] as ImageChange[],
    withdrawn: [] as ImageChange[],
    unchanged: 0,
  };
  for (const img of next) {
    const old = before.get(img.identifier);
    if (!old) {
      out.added.push({ identifier: img.identifier, title: img.title, fields: [] });
      continue;
    }
    const a = fromGraph(old);
    const fields = Object.keys(img.signed).filter((k) => a[k] !== img.signed[k]);
    if (fields.length > 0)
      out.changed.push({ identifier: img.identifier, title: img.title, fields });
    else out.unchanged++;
  }
  for (const old of previous) {
    if (!now.has(old.identifier))
      out.withdrawn.push({ identifier: old.identifier, title: old.title, fields: [] });
  }
  return out;
}

/**
 * What publishing now would change, read from the last published version's own signed
 * graph rather than from the images table, so the preview compares against exactly
 * what sites have verified.
 */
export async function previewPublish(inst: Instance, endorser: string): Promise<PublishPreview> {
  const { id } = await getEndorser(inst, endorser);
  const { lapses } = await judgeAdopted(inst.store.db, id, inst.now());
  const lapsed = new Set(lapses.map((l) => l.identifier));
  const current = (await listImages(inst, { endorser, status: 'endorsed' })).filter(
    (img) => !lapsed.has(img.identifier),
  );
  const { last, images, conformsTo } = await lastPublishedImages(inst, endorser);
  const published = conformsTo ?? [];
  const next = await getEndorserClaims(inst.store.db, endorser);
  return {
    ...(claimsText(published) !== claimsText(next) ? { catalogClaims: { published, next } } : {}),
    last,
    nextSequence: (last?.sequence ?? 0) + 1,
    ...compareImages(
      images,
      current.map((img) => ({
        identifier: img.identifier,
        title: img.title,
        signed: signedFields(img, img, img.conformsTo, img),
      })),
    ),
    withdrawnUpstream: lapses,
  };
}
