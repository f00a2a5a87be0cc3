import type { Selectable } from 'kysely';
import { VmicError } from '../errors/index.ts';
import type { Instance } from './instance.ts';
import { metadataOfColumns, type ImageMetadata } from './image-fields.ts';
import { SHA256_HEX } from './blobs/digest.ts';
import type { ImageTable } from './store/schema.ts';
import type { Queryable } from './store/database.ts';
import { signedDerivation, type Derivation, type SbomMediaType } from './rdf/model.ts';

export interface Image extends ImageMetadata {
  id: number;
  endorser: string;
  identifier: string;
  byteSize: number;
  sha256: string;
  /** Known for bytes hashed here (upload or file); not for images registered by URL. */
  sha512: string | undefined;
  /** Where sites download the bytes: an external URL, or this instance's blob path. */
  downloadUrl: string;
  storedHere: boolean;
  status: 'endorsed' | 'withdrawn';
  createdAt: string;
  updatedAt: string;
  /** The software inventory attached (a blob here), listed in the catalog with its hash. */
  sbom?: { sha256: string; mediaType: SbomMediaType; byteSize: number };
  /** Policy IRIs this image is claimed to conform to (`dcterms:conformsTo`). */
  conformsTo?: string[];
  /** Where an adopted image comes from (PROV-O); the catalog states it as signed here. */
  derivedFrom?: Omit<Derivation, 'iri'>;
}

function imageQuery(db: Queryable) {
  return db
    .selectFrom('images')
    .innerJoin('endorsers', 'endorsers.id', 'images.endorser_id')
    .selectAll('images')
    .select('endorsers.name as endorser_name');
}

export async function listImages(
  inst: Instance,
  filter: { endorser?: string | undefined; status?: 'endorsed' | 'withdrawn' } = {},
  db: Queryable = inst.store.db,
): Promise<Image[]> {
  let q = imageQuery(db);
  if (filter.endorser) q = q.where('endorsers.name', '=', filter.endorser);
  if (filter.status) q = q.where('images.status', '=', filter.status);
  const rows = await q.orderBy('endorsers.name').orderBy('images.identifier').execute();
  return rows.map((r) => toImage(inst, r));
}

export async function getImage(
  inst: Instance,
  endorser: string,
  identifier: string,
  db: Queryable = inst.store.db,
): Promise<Image> {
  const row = await imageQuery(db)
    .where('endorsers.name', '=', endorser)
    .where('images.identifier', '=', identifier)
    .executeTakeFirst();
  if (!row) throw new VmicError('NOT_FOUND', `no image ${identifier} for endorser ${endorser}`);
  return toImage(inst, row);
}

/** IMAGE as in docs/design.md §5: an identifier or `sha256:HEX`; ambiguous matches are refused. */
export async function findImage(
  inst: Instance,
  ref: string,
  endorser?: string,
  db: Queryable = inst.store.db,
): Promise<Image> {
  let q = imageQuery(db);
  if (ref.startsWith('sha256:')) {
    const hex = ref.slice(7).toLowerCase();
    if (!SHA256_HEX.test(hex))
      throw new VmicError('BAD_REQUEST', 'sha256: must be followed by 64 hex digits');
    q = q.where('images.sha256', '=', hex);
  } else {
    q = q.where('images.identifier', '=', ref);
  }
  if (endorser) q = q.where('endorsers.name', '=', endorser);
  const rows = await q.limit(2).execute();
  if (rows.length === 0) throw new VmicError('NOT_FOUND', `no image ${ref}`);
  if (rows.length > 1)
    throw new VmicError('CONFLICT', `${ref} matches several images; name the endorser`);
  return toImage(inst, rows[0]!);
}

export function blobUrl(publicUrl: string, sha256: string): string {
  return `${publicUrl}/blobs/sha256/${sha256}`;
}

function toImage(inst: Instance, r: Selectable<ImageTable> & { endorser_name: string }): Image {
  return {
    id: r.id,
    endorser: r.endorser_name,
    identifier: r.identifier,
    ...metadataOfColumns(r),
    byteSize: r.byte_size,
    sha256: r.sha256,
    sha512: r.sha512 ?? undefined,
    downloadUrl: r.download_url ?? blobUrl(inst.config.publicUrl, r.sha256),
    storedHere: r.download_url === null,
    status: r.status,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    ...chainOfRow(r),
  };
}

/** The chain-of-trust columns (migration 0022) as the Image's optional parts. */
function chainOfRow(r: Selectable<ImageTable>): Pick<Image, 'sbom' | 'conformsTo' | 'derivedFrom'> {
  const out: Pick<Image, 'sbom' | 'conformsTo' | 'derivedFrom'> = {};
  if (r.sbom_sha256 !== null && r.sbom_media_type !== null && r.sbom_byte_size !== null)
    out.sbom = {
      sha256: r.sbom_sha256,
      mediaType: r.sbom_media_type as SbomMediaType,
      byteSize: Number(r.sbom_byte_size),
    };
  if (r.conforms_to !== null) out.conformsTo = JSON.parse(r.conforms_to) as string[];
  if (r.derived_from !== null) out.derivedFrom = signedDerivation(r.derived_from);
  return out;
}
