import { canonize, NQuads } from 'rdf-canonize';
import { isUtf8 } from 'node:buffer';
import { Readable } from 'node:stream';
import { Parser } from 'n3';
import type { Quad } from 'n3';
import { VmicError } from '../../errors/index.ts';
import { catalogFromGraph, TypedNodeIndex, type Objects } from './graph-reader.ts';
import { checkImportBounds } from './import-limits.ts';
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

/**
 * docs/design.md §6 step 7: the signed content must be exactly the canonical N-Quads of a
 * well-formed catalog. Using only the bytes the signature covered, in the one form a
 * verifier can reproduce, rules out parser-differential tricks (duplicate quads, escapes,
 * comments, alternative spellings) between vmic and outside auditors.
 *
 * Taxonomy: bytes that are not UTF-8 N-Quads at all are MALFORMED (there is no graph to be
 * canonical); a valid graph in any other byte form is NOT_CANONICAL.
 */
export async function parseCanonicalCatalog(bytes: Uint8Array): Promise<CatalogDocument> {
  const content = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  checkImportBounds(content);
  // Validated whole before anything is parsed, so a bad byte anywhere is `utf8`, never a
  // syntax error found earlier. A BOM is valid UTF-8 and stays in the text: the parser
  // refuses it rather than silently dropping it.
  if (!isUtf8(content)) throw malformed('utf8', 'catalog content is not valid UTF-8');
  const graph = await readCanonicalGraph(content);
  return catalogFromGraph(graph);
}

const CHUNK_BYTES = 1024 * 1024;

/** The text in chunks that end at line ends, so no UTF-8 sequence is ever split. */
export function* textChunks(content: Buffer): Generator<string> {
  for (let start = 0; start < content.length;) {
    let end = content.indexOf(0x0a, Math.min(start + CHUNK_BYTES, content.length - 1));
    end = end < 0 ? content.length : end + 1;
    yield content.toString('utf8', start, end);
    start = end;
  }
}

/**
 * Parses the content one statement at a time from chunks of text, checking as it goes
 * that each line is its statement's canonical form, and keeping only the nodes the reader
 * can use: neither the whole text nor a list of statements is ever held (threat: a large
 * signed feed costing many times its size). The verdicts keep their precedence: not
 * N-Quads at all (MALFORMED), then a structural rule of the graph (MALFORMED, e.g. blank
 * nodes), then NOT_CANONICAL.
 */
function readCanonicalGraph(content: Buffer): Promise<Map<string, Objects>> {
  const index = new TypedNodeIndex();
  const lines = new CanonicalLines(content);
  let structural: unknown;
  return new Promise((resolve, reject) => {
    new Parser({ format: 'N-Quads' }).parse(Readable.from(textChunks(content)), (error, quad) => {
      if (error) {
        reject(malformed('syntax', `not valid N-Quads: ${error.message}`, error));
        return;
      }
      if (quad) {
        lines.next(quad);
        if (structural === undefined) {
          try {
            index.add(quad);
          } catch (e) {
            structural = e;
          }
        }
        return;
      }
      // Rejects with exactly what the index threw (its VmicError MALFORMED), unchanged.
      // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors
      if (structural !== undefined) reject(structural);
      else if (!lines.end()) reject(notCanonical());
      else resolve(index.finish());
    });
  });
}

/**
 * For a graph without blank nodes, RDFC-1.0 relabels nothing: the canonical form is each
 * quad's N-Quads line, as rdf-canonize serialises it, in rdf-canonize's sort order. So
 * the signed bytes are canonical exactly when every line is its quad's serialisation and
 * the lines strictly ascend (which also rules out duplicates). This checks that in one
 * pass, without building the canonical dataset a second time (threat: a large signed feed
 * doubling the memory of its import); `canonicalNQuads` remains what publish uses, and
 * the tests hold both to the same bytes.
 */
class CanonicalLines {
  private at = 0;
  private previous = '';
  private canonical = true;

  constructor(private readonly content: Buffer) {}

  next(quad: Quad): void {
    if (!this.canonical) return;
    const line = NQuads.serializeQuad(quad);
    const encoded = Buffer.from(line, 'utf8');
    const same =
      this.at + encoded.length <= this.content.length &&
      this.content.compare(encoded, 0, encoded.length, this.at, this.at + encoded.length) === 0;
    if (!same || (this.at > 0 && !(this.previous < line))) this.canonical = false;
    this.previous = line;
    this.at += encoded.length;
  }

  /** True when every statement was canonical and nothing follows the last one. */
  end(): boolean {
    return this.canonical && this.at === this.content.length;
  }
}

function notCanonical(): VmicError {
  return new VmicError('NOT_CANONICAL', 'catalog content is not RDFC-1.0 canonical N-Quads', {
    rule: 'RDFC-1.0',
  });
}
