import { sql } from 'kysely';
import { VmicError } from '../errors/index.ts';
import { FreshReads } from './fresh-reads.ts';
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

/** The files of a version, by their column name in `catalog_versions`. */
export type VersionFileName = 'nquads' | 'turtle' | 'jsonld' | 'p7m' | 'p7s' | 'image_list';

/**
 * Where a version's file is: in the blob store, named by its SHA-256 (published since
 * migration 0011), or inline in its row (published before; see migration-0011.ts).
 */
export type VersionFile =
  { kind: 'blob'; sha256: string; size: number } | { kind: 'inline'; bytes: Buffer };

const SUMMARY = [
  'catalog_versions.id',
  'catalog_versions.sequence',
  'catalog_versions.issued_at',
  'catalog_versions.expires_at',
  'catalog_versions.image_count',
  'catalog_versions.content_sha256',
] as const;

const REFS = [
  'nquads_sha256',
  'nquads_size',
  'turtle_sha256',
  'turtle_size',
  'jsonld_sha256',
  'jsonld_size',
  'p7m_sha256',
  'p7m_size',
  'p7s_sha256',
  'p7s_size',
  'image_list_sha256',
  'image_list_size',
] as const;

/**
 * The endorser's versions. The endorser's id comes from a scalar subquery rather than a
 * join: the latest is then one backward step in the (endorser_id, sequence) index on
 * PostgreSQL too, where the join sorted every version of the endorser on each request for
 * a latest feed path (the path every site polls; it is read from the database each time,
 * so that a publish through any replica is served at once).
 */
function versions(inst: Instance, endorser: string) {
  return inst.store.db
    .selectFrom('catalog_versions')
    .where('catalog_versions.endorser_id', '=', (eb) =>
      eb.selectFrom('endorsers').select('endorsers.id').where('endorsers.name', '=', endorser),
    );
}

interface SummaryRow {
  sequence: number;
  issued_at: string;
  expires_at: string;
  image_count: number;
  content_sha256: string;
}

function summaryOf(endorser: string, r: SummaryRow): CatalogVersionSummary {
  return {
    endorser,
    sequence: r.sequence,
    issuedAt: r.issued_at,
    expiresAt: r.expires_at,
    imageCount: r.image_count,
    contentSha256: r.content_sha256,
  };
}

export async function listCatalogVersions(
  inst: Instance,
  endorser: string,
): Promise<CatalogVersionSummary[]> {
  const rows = await versions(inst, endorser)
    .select(SUMMARY)
    .orderBy('catalog_versions.sequence', 'desc')
    .execute();
  return rows.map((r) => summaryOf(endorser, r));
}

function versionRow(inst: Instance, endorser: string, sequence: number | undefined) {
  let q = versions(inst, endorser).select([...SUMMARY, ...REFS]);
  // `limit 1` as text, not a bound parameter: SQLite runs it in a third of the time.
  q =
    sequence === undefined
      ? q.orderBy('catalog_versions.sequence', 'desc').limit(sql.lit(1))
      : q.where('catalog_versions.sequence', '=', sequence);
  return q.executeTakeFirst();
}

type VersionRow = Awaited<ReturnType<typeof versionRow>>;
// Per instance: each has its own database (the tests open several in one process).
const SHARED_READS = new WeakMap<Instance, FreshReads<VersionRow>>();

function sharedVersionRow(inst: Instance, endorser: string, sequence: number | undefined) {
  let reads = SHARED_READS.get(inst);
  if (!reads) SHARED_READS.set(inst, (reads = new FreshReads()));
  return reads.read(`${endorser}/${sequence ?? 'latest'}`, () =>
    versionRow(inst, endorser, sequence),
  );
}

/**
 * A version's summary and where each of its files is; `sequence` undefined means the
 * latest. Inline files (older versions) are read only when asked for, one at a time.
 * `shareRead`: concurrent callers share the database read, each still answered by a read
 * that began after it asked (fresh-reads.ts); for the feeds, which every site polls.
 */
export async function getCatalogVersionRefs(
  inst: Instance,
  endorser: string,
  sequence?: number,
  opts: { shareRead?: boolean } = {},
): Promise<{
  summary: CatalogVersionSummary;
  file(name: VersionFileName): Promise<VersionFile | undefined>;
}> {
  const r = await (opts.shareRead
    ? sharedVersionRow(inst, endorser, sequence)
    : versionRow(inst, endorser, sequence));
  if (!r) {
    throw new VmicError(
      'NOT_FOUND',
      sequence === undefined
        ? `endorser ${endorser} has published no catalog`
        : `endorser ${endorser} has no catalog version ${sequence}`,
    );
  }
  return {
    summary: summaryOf(endorser, r),
    file: async (name) => {
      const sha256 = r[`${name}_sha256`];
      const size = r[`${name}_size`];
      if (sha256 !== null && size !== null) return { kind: 'blob', sha256, size };
      const row = await inst.store.db
        .selectFrom('catalog_versions')
        .select(name)
        .where('id', '=', r.id)
        .executeTakeFirstOrThrow();
      const value: string | Uint8Array | null = row[name];
      if (value === null) return undefined;
      return {
        kind: 'inline',
        bytes:
          typeof value === 'string'
            ? Buffer.from(value, 'utf8')
            : Buffer.from(value.buffer, value.byteOffset, value.byteLength),
      };
    },
  };
}

/** A file's bytes, in memory: for the callers that need them whole (tests, small catalogs). */
export async function readVersionFile(inst: Instance, file: VersionFile): Promise<Buffer> {
  if (file.kind === 'inline') return file.bytes;
  const pieces: Buffer[] = [];
  for await (const piece of await inst.blobs.open(file.sha256)) pieces.push(piece as Buffer);
  return Buffer.concat(pieces);
}

/**
 * A published version's files in memory; `sequence` undefined means the latest. The feeds
 * stream them instead (server/feeds.ts): a large catalog's files are hundreds of MB.
 */
export async function getCatalogVersion(
  inst: Instance,
  endorser: string,
  sequence?: number,
): Promise<CatalogVersionFiles> {
  const v = await getCatalogVersionRefs(inst, endorser, sequence);
  const read = async (name: VersionFileName): Promise<Buffer | undefined> => {
    const file = await v.file(name);
    return file === undefined ? undefined : readVersionFile(inst, file);
  };
  const must = async (name: VersionFileName): Promise<Buffer> => {
    const bytes = await read(name);
    if (bytes === undefined)
      throw new Error(`catalog version ${v.summary.sequence} has no ${name}`);
    return bytes;
  };
  return {
    ...v.summary,
    nquads: (await must('nquads')).toString('utf8'),
    turtle: (await must('turtle')).toString('utf8'),
    jsonld: (await must('jsonld')).toString('utf8'),
    p7m: await must('p7m'),
    p7s: await must('p7s'),
    imageList: await read('image_list'),
  };
}
