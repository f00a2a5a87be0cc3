import type { Instance } from './instance.ts';
import { SPDX } from './rdf/index.ts';

/**
 * The SHA-256 values listed by any published catalog version of this instance: the bytes
 * anyone may download from `/blobs/` (sites follow the catalog's download URLs there).
 * Bytes uploaded but not yet in a published catalog are not public (threat: an embargoed
 * image, or one uploaded by mistake, read by anyone who learns or guesses its hash).
 *
 * Catalog versions are immutable and only ever appended, so the set is built once per
 * instance and extended by the versions with a higher id; every call asks the database
 * for the newest id, so a version published by another process (the CLI) counts at once.
 */
export async function isPublishedBlob(inst: Instance, sha256: string): Promise<boolean> {
  let index = INDEXES.get(inst);
  if (!index) {
    index = { upTo: 0, hashes: new Set(), pending: undefined };
    INDEXES.set(inst, index);
  }
  const newest = await inst.store.db
    .selectFrom('catalog_versions')
    .select((eb) => eb.fn.max('id').as('id'))
    .executeTakeFirst();
  const target = Number(newest?.id ?? 0);
  while (index.upTo < target) {
    // One scan at a time: concurrent requests wait for it instead of repeating it.
    index.pending ??= extend(inst, index, target).finally(() => {
      index.pending = undefined;
    });
    await index.pending;
  }
  return index.hashes.has(sha256);
}

interface Index {
  /** Versions with an id up to this one are in `hashes`. */
  upTo: number;
  hashes: Set<string>;
  pending: Promise<void> | undefined;
}

const INDEXES = new WeakMap<Instance, Index>();

/**
 * In canonical N-Quads a literal's own quotes are escaped, so `checksumValue> "` can only
 * be the predicate followed by its object: the match is exact, not a text search.
 */
const CHECKSUM = new RegExp(
  `<${SPDX.checksumValue.value.replace(/[.#/]/g, '\\$&')}> "([0-9a-f]{64})"`,
  'g',
);

async function extend(inst: Instance, index: Index, target: number): Promise<void> {
  // Version by version: a long history is never all in memory at once.
  let after = index.upTo;
  for (;;) {
    const row = await inst.store.db
      .selectFrom('catalog_versions')
      .select(['id', 'nquads_sha256'])
      .where('id', '>', after)
      .where('id', '<=', target)
      .orderBy('id')
      .limit(1)
      .executeTakeFirst();
    if (!row) break;
    if (row.nquads_sha256 !== null) await scanStored(inst, row.nquads_sha256, index.hashes);
    else await scanInline(inst, row.id, index.hashes);
    after = row.id;
  }
  index.upTo = target;
}

/** A version published before migration 0011: its N-Quads are in the row. */
async function scanInline(inst: Instance, id: number, into: Set<string>): Promise<void> {
  const { nquads } = await inst.store.db
    .selectFrom('catalog_versions')
    .select('nquads')
    .where('id', '=', id)
    .executeTakeFirstOrThrow();
  for (const m of nquads.matchAll(CHECKSUM)) into.add(m[1]!);
}

/**
 * The N-Quads in the blob store, read in chunks cut at line ends (a match never spans a
 * line), so a 100 MB catalog costs one chunk of memory.
 */
async function scanStored(inst: Instance, sha256: string, into: Set<string>): Promise<void> {
  let rest = '';
  const stream = await inst.blobs.open(sha256);
  stream.setEncoding('utf8');
  for await (const chunk of stream) {
    const text = rest + (chunk as string);
    const cut = text.lastIndexOf('\n') + 1;
    for (const m of text.slice(0, cut).matchAll(CHECKSUM)) into.add(m[1]!);
    rest = text.slice(cut);
  }
  for (const m of rest.matchAll(CHECKSUM)) into.add(m[1]!);
}
