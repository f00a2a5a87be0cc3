/**
 * What one leaf of the instance log says (docs/design.md §13): one line of UTF-8 text,
 * ending in a newline, so that anyone holding a proof can read what it proves:
 *
 *   catalog <endorser> <sequence> <SHA-256 of catalog.p7m, hex>
 *   hepix <endorser> <sequence> <SHA-256 of image.list, hex>
 *   audit <seq> <chain hash, hex>
 *
 * Endorser names are `[a-z0-9-]` (names.ts): no field can hold a space or a newline.
 */
export type LeafKind = 'catalog' | 'hepix' | 'audit';

const HEX64 = /^[0-9a-f]{64}$/;

function line(fields: (string | number)[]): Uint8Array {
  return Buffer.from(`${fields.join(' ')}\n`, 'utf8');
}

function checkHex(h: string): string {
  if (!HEX64.test(h)) throw new Error(`not a SHA-256 hex digest: ${h}`);
  return h;
}

export function catalogLeaf(endorser: string, sequence: number, p7mSha256: string): Uint8Array {
  return line(['catalog', endorser, sequence, checkHex(p7mSha256)]);
}

export function hepixLeaf(endorser: string, sequence: number, listSha256: string): Uint8Array {
  return line(['hepix', endorser, sequence, checkHex(listSha256)]);
}

export function auditLeaf(seq: number, chainHash: string): Uint8Array {
  return line(['audit', seq, checkHex(chainHash)]);
}
