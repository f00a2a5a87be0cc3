import { canonize } from 'rdf-canonize';
import { Parser } from 'n3';
import type { Quad } from 'n3';
import { VmicError } from '../../pki/errors.ts';
import { quadsToCatalog } from './graph-reader.ts';
import { malformed } from './malformed.ts';
import type { CatalogDocument } from './model.ts';

/** RDFC-1.0 canonical N-Quads (W3C RDF Dataset Canonicalization): the signed bytes of §2. */
export function canonicalNQuads(quads: readonly Quad[]): Promise<string> {
  // rejectURDNA2015: the deprecated alias differs from RDFC-1.0 in escaping edge cases.
  return canonize(quads, { algorithm: 'RDFC-1.0', rejectURDNA2015: true });
}

export function parseNQuads(text: string): Quad[] {
  try {
    return new Parser({ format: 'N-Quads' }).parse(text);
  } catch (e) {
    throw malformed('syntax', `not valid N-Quads: ${(e as Error).message}`, e);
  }
}

// fatal: a lossy decode would replace bad bytes with U+FFFD and could make two different
// byte strings "equal" after decoding. ignoreBOM keeps a BOM in the text, so it is a
// syntax error instead of being silently dropped.
const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * DESIGN §6 step 7: the signed content must be exactly the canonical N-Quads of a
 * well-formed catalog. Using only the bytes the signature covered, in the one form a
 * verifier can reproduce, rules out parser-differential tricks (duplicate quads, escapes,
 * comments, alternative spellings) between vmic and outside auditors.
 *
 * Taxonomy: bytes that are not UTF-8 N-Quads at all are MALFORMED (there is no graph to be
 * canonical); a valid graph in any other byte form is NOT_CANONICAL.
 */
export async function parseCanonicalCatalog(bytes: Uint8Array): Promise<CatalogDocument> {
  let text: string;
  try {
    text = UTF8.decode(bytes);
  } catch (e) {
    throw malformed('utf8', 'catalog content is not valid UTF-8', e);
  }
  const quads = parseNQuads(text);
  // Checked before canonicalisation: blank-node graphs are the only costly RDFC-1.0 inputs.
  if (
    quads.some(
      (q) =>
        q.subject.termType === 'BlankNode' ||
        q.object.termType === 'BlankNode' ||
        q.graph.termType === 'BlankNode',
    )
  ) {
    throw malformed('blankNode', 'the catalog graph must not contain blank nodes');
  }
  const canonical = Buffer.from(await canonicalNQuads(quads), 'utf8');
  if (!canonical.equals(bytes)) {
    throw new VmicError('NOT_CANONICAL', 'catalog content is not RDFC-1.0 canonical N-Quads', {
      rule: 'RDFC-1.0',
    });
  }
  return quadsToCatalog(quads);
}
