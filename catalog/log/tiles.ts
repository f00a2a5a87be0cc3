import type { Queryable } from '../store/database.ts';

/**
 * C2SP tlog-tiles (https://c2sp.org/tlog-tiles): the log as static, cacheable files.
 *
 *   tile/<L>/<N>[.p/<W>]         hashes of tree level 8·L, nodes 256·N …, 32 bytes each
 *   tile/entries/<N>[.p/<W>]     the leaves 256·N …, each a big-endian uint16 length + data
 *
 * N is written in groups of three digits, all but the last prefixed `x` (1234067 →
 * x001/x234/067). A full tile has 256 entries; a partial one has W < 256 and names it.
 */
export const TILE_WIDTH = 256;
export const TILE_HEIGHT = 8;

export interface TileRef {
  /** A hash tile's level, or 'entries'. */
  level: number | 'entries';
  index: number;
  /** 1–256: 256 is a full tile. */
  width: number;
}

/** `x001/x234/067` for 1234067. */
export function tileIndexPath(n: number): string {
  const digits = String(n);
  const padded = digits.padStart(Math.ceil(digits.length / 3) * 3, '0');
  const groups = padded.match(/\d{3}/g)!;
  return groups.map((g, i) => (i < groups.length - 1 ? `x${g}` : g)).join('/');
}

export function tilePath(t: TileRef): string {
  const base = `tile/${t.level}/${tileIndexPath(t.index)}`;
  return t.width === TILE_WIDTH ? base : `${base}.p/${t.width}`;
}

/** Parses the part after `tile/`; undefined for anything that is not a tile path. */
export function parseTilePath(path: string): TileRef | undefined {
  const m = /^(entries|[0-9]|[1-5][0-9]|6[0-3])\/((?:x\d{3}\/)*)(\d{3})(?:\.p\/(\d{1,3}))?$/.exec(
    path,
  );
  if (!m) return undefined;
  const index = Number(`${m[2]!.replace(/x|\//g, '')}${m[3]}`);
  const width = m[4] === undefined ? TILE_WIDTH : Number(m[4]);
  if (!Number.isSafeInteger(index) || width < 1 || width > TILE_WIDTH) return undefined;
  // The canonical spelling only: one tile, one URL (a cache keyed by path stays coherent).
  const ref: TileRef = { level: m[1] === 'entries' ? 'entries' : Number(m[1]), index, width };
  return tilePath(ref) === `tile/${path}` ? ref : undefined;
}

/** How many entries tile (level, index) has in a tree of `size`: 0 when it is not there yet. */
export function tileEntriesAt(level: number, index: number, size: number): number {
  const perNode = TILE_WIDTH ** level; // leaves under one node of tree level 8·level
  const nodes = Math.floor(size / perNode);
  return Math.max(0, Math.min(TILE_WIDTH, nodes - index * TILE_WIDTH));
}

/** The tile's bytes from the stored hashes or leaves, or undefined when the tree lacks them. */
export async function readTile(
  db: Queryable,
  t: TileRef,
  size: number,
): Promise<Buffer | undefined> {
  const have = tileEntriesAt(t.level === 'entries' ? 0 : t.level, t.index, size);
  if (have < t.width) return undefined;
  const first = t.index * TILE_WIDTH;
  if (t.level === 'entries') {
    const rows = await db
      .selectFrom('log_leaves')
      .select(['idx', 'data'])
      .where('idx', '>=', first)
      .where('idx', '<', first + t.width)
      .orderBy('idx')
      .execute();
    if (rows.length !== t.width) return undefined;
    return Buffer.concat(
      rows.flatMap((r) => {
        const len = Buffer.alloc(2);
        len.writeUInt16BE(r.data.length);
        return [len, Buffer.from(r.data)];
      }),
    );
  }
  const rows = await db
    .selectFrom('log_hashes')
    .select(['idx', 'hash'])
    .where('level', '=', t.level * TILE_HEIGHT)
    .where('idx', '>=', first)
    .where('idx', '<', first + t.width)
    .orderBy('idx')
    .execute();
  if (rows.length !== t.width) return undefined;
  return Buffer.concat(rows.map((r) => Buffer.from(r.hash)));
}
