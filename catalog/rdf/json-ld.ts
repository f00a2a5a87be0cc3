import jsonld from 'jsonld';
import type { RdfJsQuad } from 'jsonld';
import { DataFactory } from 'n3';
import type { Quad, Term } from 'n3';
import { malformed } from './malformed.ts';
import { CONTEXT_KEYS, TERMS, VMIC_CONTEXT } from './json-ld-context.ts';
import { RDF, XSD } from './vocabulary.ts';

export type JsonValue =
  string | { '@id': string } | { '@value': string; '@type'?: string; '@language'?: string };
export type NodeObject = Record<string, JsonValue | JsonValue[] | string[]>;

/**
 * JSON-LD in compacted form with the vmic context inline, as a flat `@graph` of nodes.
 *
 * Built directly rather than through jsonld.compact, which takes ~2 s for a 10,000-image
 * catalog (the publish budget is 3 s for everything). The shortcut is only taken for graphs
 * it can write unambiguously (default graph, IRIs that cannot be read as compact IRIs of
 * our context); anything else goes through the library. Tests prove both paths give the
 * same canonical N-Quads as the source graph.
 */
export async function toJsonLd(quads: readonly Quad[]): Promise<string> {
  const document = quads.every(isDirectlyWritable)
    ? compactDirectly(quads)
    : await compactWithLibrary(quads);
  return JSON.stringify(document, null, 2) + '\n';
}

/** The generic path through jsonld.fromRDF + compact; exported for equivalence tests. */
export async function compactWithLibrary(quads: readonly Quad[]): Promise<object> {
  try {
    const expanded = await jsonld.fromRDF(quads);
    const compacted = await jsonld.compact(expanded, VMIC_CONTEXT, {
      documentLoader: refuseRemoteDocument,
    });
    return { ...compacted, '@context': VMIC_CONTEXT };
  } catch (e) {
    // e.g. an absolute IRI "dcat:x" that any reader would take for a compact IRI.
    throw malformed(
      'json-ld',
      `graph cannot be written as JSON-LD with the vmic context: ${(e as Error).message}`,
      e,
    );
  }
}

function isSafeIri(iri: string): boolean {
  const colon = iri.indexOf(':');
  return (
    colon > 0 &&
    !iri.startsWith('_:') &&
    !iri.startsWith('@') &&
    !CONTEXT_KEYS.has(iri.slice(0, colon))
  );
}

/** Whether `compactDirectly` writes this statement exactly as jsonld.compact would. */
export function isDirectlyWritable(q: Quad): boolean {
  const { subject: s, predicate: p, object: o } = q;
  if (q.graph.termType !== 'DefaultGraph' || p.termType !== 'NamedNode' || !isSafeIri(p.value))
    return false;
  if (s.termType !== 'BlankNode' && !(s.termType === 'NamedNode' && isSafeIri(s.value)))
    return false;
  if (p.equals(RDF.type)) return o.termType === 'NamedNode' && isSafeIri(o.value);
  if (o.termType === 'NamedNode') return isSafeIri(o.value);
  if (o.termType === 'Literal') return o.language !== '' || isSafeIri(o.datatype.value);
  return o.termType === 'BlankNode';
}

function nodeId(term: Term): string {
  return term.termType === 'BlankNode' ? `_:${term.value}` : term.value;
}

function compactValue(o: Term, coerce: string | undefined): JsonValue {
  if (o.termType === 'NamedNode' || o.termType === 'BlankNode') {
    return coerce === '@id' ? nodeId(o) : { '@id': nodeId(o) };
  }
  if (o.termType !== 'Literal') throw new Error(`unexpected ${o.termType} object`);
  if (o.language !== '') return { '@value': o.value, '@language': o.language };
  const datatype = o.datatype.value;
  if (datatype === coerce || (coerce === undefined && datatype === XSD.string.value))
    return o.value;
  // A value object is never re-typed by the term's coercion (JSON-LD 1.1 §4.2.2).
  return datatype === XSD.string.value
    ? { '@value': o.value }
    : { '@value': o.value, '@type': datatype };
}

function compactDirectly(quads: readonly Quad[]): object {
  const nodes = new Map<string, NodeObject>();
  for (const q of quads) addToNode(nodes, q);
  return { '@context': VMIC_CONTEXT, '@graph': [...nodes.values()] };
}

/** Adds one statement to the node of its subject (created on first use, in that order). */
export function addToNode(nodes: Map<string, NodeObject>, q: Quad): void {
  const { subject, predicate, object } = q;
  const id = nodeId(subject);
  let node = nodes.get(id);
  if (node === undefined) nodes.set(id, (node = { '@id': id }));
  let key: string;
  let value: JsonValue;
  if (predicate.equals(RDF.type)) {
    key = '@type';
    value = TERMS.get(object.value)?.term ?? object.value;
  } else {
    const def = TERMS.get(predicate.value);
    key = def?.term ?? predicate.value;
    value = compactValue(object, def?.coerce);
  }
  const existing = node[key];
  if (existing === undefined) node[key] = value;
  else if (Array.isArray(existing)) (existing as JsonValue[]).push(value);
  else node[key] = [existing, value];
}

// SSRF: a JSON-LD document naming a remote @context would make the server fetch any URL
// (internal services included). vmic ships its only context inline; nothing is fetched.
function refuseRemoteDocument(url: string): Promise<never> {
  return Promise.reject(new Error(`remote JSON-LD documents are not loaded: ${url}`));
}

function toTerm(t: RdfJsQuad['object']): Quad['object'] {
  switch (t.termType) {
    case 'NamedNode':
      return DataFactory.namedNode(t.value);
    case 'BlankNode':
      return DataFactory.blankNode(t.value.replace(/^_:/, ''));
    case 'Literal':
      return DataFactory.literal(
        t.value,
        t.language !== undefined && t.language !== ''
          ? t.language
          : DataFactory.namedNode(t.datatype!.value),
      );
    default:
      throw malformed('json-ld', `unexpected term type ${t.termType}`);
  }
}

/**
 * JSON-LD to quads. `safe` mode makes constructs that would silently drop data (terms that
 * map to no IRI, invalid values) errors instead: a signed graph must not differ from what
 * a JSON reader of the same file believes it says.
 */
export async function parseJsonLd(text: string): Promise<Quad[]> {
  let input: unknown;
  try {
    input = JSON.parse(text);
  } catch (e) {
    throw malformed('syntax', `not valid JSON: ${(e as Error).message}`, e);
  }
  let rdf: RdfJsQuad[];
  // Recorded here rather than recognised in jsonld's error, which wraps it differently
  // depending on where the context reference was (top level, array, scoped context).
  let refusedUrl: string | undefined;
  const documentLoader = (url: string): Promise<never> => {
    refusedUrl = url;
    return refuseRemoteDocument(url);
  };
  try {
    rdf = await jsonld.toRDF(input, { documentLoader, safe: true, base: null });
  } catch (e) {
    if (refusedUrl !== undefined) {
      throw malformed(
        '@context',
        'JSON-LD refers to a remote document; only inline contexts are accepted',
        e,
      );
    }
    throw malformed('json-ld', `not valid JSON-LD: ${(e as Error).message}`, e);
  }
  return rdf.map((q) =>
    DataFactory.quad(
      toTerm(q.subject) as Quad['subject'],
      toTerm(q.predicate) as Quad['predicate'],
      toTerm(q.object),
      q.graph.termType === 'DefaultGraph'
        ? DataFactory.defaultGraph()
        : (toTerm(q.graph) as Quad['graph']),
    ),
  );
}
