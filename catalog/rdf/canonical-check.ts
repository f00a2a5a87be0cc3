import { isUtf8 } from 'node:buffer';
import { parseCanonicalCatalog, textChunks } from './canonical.ts';
import { catalogFromGraph, TypedNodeIndex, type Objects, type ReadTerm } from './graph-reader.ts';
import { checkImportBounds } from './import-limits.ts';
import { malformed } from './malformed.ts';
import type { CatalogDocument } from './model.ts';
import type { NamedNode } from 'n3';
import { DCAT, DCTERMS, FOAF, RDF, SPDX, VMIC, XSD } from './vocabulary.ts';

/**
 * docs/design.md §6 step 7 for imports, fast: the same verdicts as `parseCanonicalCatalog`
 * (canonical.ts), which stays the reference. For a graph without blank nodes the canonical
 * N-Quads are each statement's one serialisation, sorted; this reads content that is
 * exactly that, line by line, without the general parser (n3) and without serialising
 * every statement again (rdf-canonize): together half the time of a 10,000-image import.
 *
 * It only ever says yes to bytes the reference also accepts, with the same graph: every
 * line must be `<iri> <iri> object .` with single spaces, IRIs that need no escape and
 * that the general parser takes as they are (absolute, no character it refuses), literals
 * whose escapes are exactly the ones the canonical serialiser writes (checked by writing
 * the value again), no language tag, no blank node, no graph name, lines strictly
 * ascending as the reference compares them. Anything else, valid or not, goes to the
 * reference, which then decides with its own precedence (MALFORMED syntax, MALFORMED
 * structure, NOT_CANONICAL): no verdict, reason code or rule changes.
 */
export async function readImportedCatalog(bytes: Uint8Array): Promise<CatalogDocument> {
  const content = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  // The same order as the reference: the byte bounds, then UTF-8, before any line is read.
  checkImportBounds(content);
  if (!isUtf8(content)) throw malformed('utf8', 'catalog content is not valid UTF-8');
  const graph = readExactCanonical(content);
  if (graph === undefined) return parseCanonicalCatalog(bytes);
  return catalogFromGraph(graph);
}

const SCHEME = /^[A-Za-z][A-Za-z0-9+.-]*:/;
// What the canonical serialiser escapes in an IRI (rdf-canonize `_iriEscape`), which is
// also what the general parser refuses unescaped: such IRIs go to the reference.
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const IRI_ESCAPED = /[\x00-\x20<>"{}|^`\\]/;
// What it escapes in a literal (`_stringLiteralEscape`).
// eslint-disable-next-line no-control-regex -- as above
const LITERAL_ESCAPED = /[\x00-\x1f\x7f"\\]/;
// eslint-disable-next-line no-control-regex -- as above
const LITERAL_ESCAPED_ALL = /[\x00-\x1f\x7f"\\]/g;
const ECHAR: Record<string, string> = {
  '\b': '\\b',
  '\t': '\\t',
  '\n': '\\n',
  '\f': '\\f',
  '\r': '\\r',
  '"': '\\"',
  '\\': '\\\\',
};
const UNESCAPE = /\\(?:([btnfr"\\])|u([0-9A-F]{4}))/g;
const UNECHAR: Record<string, string> = {
  b: '\b',
  t: '\t',
  n: '\n',
  f: '\f',
  r: '\r',
  '"': '"',
  '\\': '\\',
};

/** rdf-canonize's literal escaping, character for character (the tests hold them equal). */
export function escapeCanonicalLiteral(value: string): string {
  if (!LITERAL_ESCAPED.test(value)) return value;
  return value.replace(
    LITERAL_ESCAPED_ALL,
    (c) => ECHAR[c] ?? `\\u${c.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`,
  );
}

/** The value of a literal's text if its escapes are canonical ones, else undefined. */
function literalValue(raw: string): string | undefined {
  if (!LITERAL_ESCAPED.test(raw)) return raw;
  const value = raw.replace(UNESCAPE, (_m, e: string | undefined, u: string | undefined) =>
    e !== undefined ? UNECHAR[e]! : String.fromCharCode(parseInt(u!, 16)),
  );
  // Written again it must give the same text: no stray backslash, raw control character
  // or escape the serialiser would not write (`\u0041`, `\'`, lowercase hex).
  return escapeCanonicalLiteral(value) === raw ? value : undefined;
}

function plainIri(iri: string): boolean {
  return SCHEME.test(iri) && !IRI_ESCAPED.test(iri);
}

/**
 * The typed-node index of the content when every line is in the exact form described
 * above, else undefined. One chunk of text at a time, like the reference. Exported for
 * the tests, which hold it to the reference.
 */
export function readExactCanonical(content: Buffer): Map<string, Objects> | undefined {
  if (content.length === 0 || content[content.length - 1] !== 0x0a) return undefined;
  const lines = new LineReader();
  for (const text of textChunks(content)) {
    for (let start = 0; start < text.length;) {
      const end = text.indexOf('\n', start) + 1;
      if (end === 0 || !lines.read(text.slice(start, end))) return undefined;
      start = end;
    }
  }
  return lines.index.finish();
}

/**
 * IRIs met before, checked once: the predicates, types and datatypes that repeat on every
 * image. Bounded, since the set is the feed's choice; past the bound an IRI is simply
 * checked again.
 */
class KnownIris<T> {
  private readonly known: Map<string, T>;

  /**
   * Seeded with the vocabulary's own terms, so that the index holds the very strings and
   * terms the reader compares with: equal by identity, unequal by their cached hashes.
   */
  constructor(seeds: readonly NamedNode[], valueOf: (term: NamedNode) => T) {
    this.known = new Map(seeds.map((t) => [t.value, valueOf(t)]));
  }

  get(iri: string): T | undefined {
    return this.known.get(iri);
  }

  remember(iri: string, value: T): T {
    if (this.known.size < 256) this.known.set(iri, value);
    return value;
  }
}

const RDF_TYPE = RDF.type.value;
const VOCABULARY = [RDF, XSD, DCAT, DCTERMS, SPDX, FOAF, VMIC].flatMap((v) =>
  Object.values(v).filter((t): t is NamedNode => t instanceof Object && 'termType' in t),
);
// Never a datatype in canonical form (see `datatype`): not seeded, so they stay refused.
const DATATYPES = VOCABULARY.filter((t) => !t.equals(XSD.string) && !t.equals(RDF.langString));

/** Reads one canonical line at a time; `read` is false for anything not in the exact form. */
class LineReader {
  readonly index = new TypedNodeIndex();
  private previous = '';
  private subject = '';
  private subjectPrefix = '';
  private readonly predicates = new KnownIris(VOCABULARY, (t) => t.value);
  private readonly types = new KnownIris<ReadTerm>(VOCABULARY, (t) => t);
  private readonly datatypes = new KnownIris<ReadTerm>(DATATYPES, (t) => t);

  read(line: string): boolean {
    // Strictly ascending as the reference compares its lines (UTF-16 code units), which
    // also refuses duplicates; the first line has nothing before it.
    if (this.previous !== '' && !(this.previous < line)) return false;
    this.previous = line;
    // The subject ends at the first `> ` (a plain IRI has neither character). Compared as
    // a slice: `startsWith` on a slice of a large string was a fifth of this reader's time.
    const at = line.indexOf('> ') + 2;
    if (at !== this.subjectPrefix.length || line.slice(0, at) !== this.subjectPrefix) {
      if (line.charCodeAt(0) !== 0x3c || at === 1) return false;
      const subject = line.slice(1, at - 2);
      if (!plainIri(subject)) return false;
      this.subject = subject;
      this.subjectPrefix = line.slice(0, at);
    }
    const end = line.indexOf('> ', at) + 1;
    if (line.charCodeAt(at) !== 0x3c || end === 0) return false;
    const iri = line.slice(at + 1, end - 1);
    const predicate = this.predicates.get(iri) ?? this.predicate(iri);
    if (predicate === undefined) return false;
    const object = this.object(line, end + 1, predicate === RDF_TYPE);
    if (object === undefined) return false;
    this.index.addStatement(this.subject, predicate, object);
    return true;
  }

  private predicate(iri: string): string | undefined {
    return plainIri(iri) ? this.predicates.remember(iri, iri) : undefined;
  }

  /** The object at `at`, which must end the line with ` .\n`. */
  private object(line: string, at: number, isType: boolean): ReadTerm | undefined {
    const tail = line.length - 3; // where ` .\n` must start
    if (!line.endsWith(' .\n')) return undefined;
    const first = line.charCodeAt(at);
    if (first === 0x3c) {
      if (line.charCodeAt(tail - 1) !== 0x3e) return undefined;
      const iri = line.slice(at + 1, tail - 1);
      const known = isType ? this.types.get(iri) : undefined;
      if (known !== undefined) return known;
      if (!plainIri(iri)) return undefined;
      const term = { termType: 'NamedNode', value: iri };
      return isType ? this.types.remember(iri, term) : term;
    }
    if (first !== 0x22) return undefined;
    const close = closingQuote(line, at + 1);
    if (close < 0) return undefined;
    const value = literalValue(line.slice(at + 1, close));
    if (value === undefined) return undefined;
    if (close + 1 === tail) return { termType: 'Literal', value, datatype: XSD.string };
    // `^^<datatype>`; a language tag or anything else goes to the reference.
    if (!line.startsWith('^^<', close + 1) || line.charCodeAt(tail - 1) !== 0x3e) return undefined;
    const iri = line.slice(close + 4, tail - 1);
    const datatype = this.datatypes.get(iri) ?? this.datatype(iri);
    return datatype && { termType: 'Literal', value, datatype };
  }

  private datatype(iri: string): ReadTerm | undefined {
    // xsd:string and rdf:langString are never written as a datatype in canonical form.
    if (!plainIri(iri) || iri === XSD.string.value || iri === RDF.langString.value)
      return undefined;
    return this.datatypes.remember(iri, { termType: 'NamedNode', value: iri });
  }
}

/** The first `"` after `from` not escaped by a backslash, or -1. */
function closingQuote(line: string, from: number): number {
  for (let q = line.indexOf('"', from); q >= 0; q = line.indexOf('"', q + 1)) {
    let backslashes = 0;
    while (line.charCodeAt(q - 1 - backslashes) === 0x5c) backslashes++;
    if (backslashes % 2 === 0) return q;
  }
  return -1;
}
