import type { NamedNode } from 'n3';
import { malformed } from './malformed.ts';
import { DCAT, FOAF, PROV, RDF, SPDX } from './vocabulary.ts';

/**
 * What the reader needs of a term: n3's terms (the general parser) and the plain objects of
 * the canonical fast path (canonical-check.ts) both fit. Compared by kind and value only, as
 * RDF term equality is; n3's Literal recomputes `value` and `datatype` from its id on every
 * read, which made the reader a tenth of an import's time.
 */
export type ReadTerm = {
  readonly termType: string;
  readonly value: string;
  readonly datatype?: { readonly value: string };
};

/** A statement as the index takes it (an n3 Quad is one). */
export type ReadQuad = {
  readonly subject: ReadTerm;
  readonly predicate: ReadTerm;
  readonly object: ReadTerm;
  readonly graph: { readonly termType: string };
};

/**
 * The statements of one subject, in input order, as two parallel arrays rather than a map
 * of arrays: a catalog of 10,000 images has 30,000 nodes and 200,000 statements, and one
 * map and one array per predicate of every node was most of the garbage of an import.
 * Lookups scan the node's own statements; the reader asks a fixed number of questions per
 * node, so the work stays linear in the statements kept.
 */
export class Objects {
  readonly predicates: string[] = [];
  readonly objects: ReadTerm[] = [];

  add(predicate: string, object: ReadTerm): void {
    this.predicates.push(predicate);
    this.objects.push(object);
  }

  /** How many values `predicate` has, and the first one. */
  lookup(predicate: string): { count: number; first: ReadTerm | undefined } {
    let count = 0;
    let first: ReadTerm | undefined;
    for (let i = 0; i < this.predicates.length; i++) {
      if (this.predicates[i] !== predicate) continue;
      if (count++ === 0) first = this.objects[i];
    }
    return { count, first };
  }

  /** Every value of `predicate`, in input order. */
  all(predicate: string): ReadTerm[] {
    const out: ReadTerm[] = [];
    for (let i = 0; i < this.predicates.length; i++)
      if (this.predicates[i] === predicate) out.push(this.objects[i]!);
    return out;
  }

  /** Whether `predicate` has the IRI `object` among its values. */
  has(predicate: NamedNode, object: NamedNode): boolean {
    const p = predicate.value;
    const o = object.value;
    for (let i = 0; i < this.predicates.length; i++) {
      const term = this.objects[i]!;
      if (this.predicates[i] === p && term.termType === 'NamedNode' && term.value === o)
        return true;
    }
    return false;
  }
}

/** The structural rules every statement of a catalog graph must meet. */
export function checkStatement(q: ReadQuad): void {
  // No blank nodes (§2): they cannot be named in a dispute, and graphs of them are the
  // only inputs for which RDFC-1.0 does expensive work ("poison" graphs).
  if (q.subject.termType === 'BlankNode' || q.object.termType === 'BlankNode') {
    throw malformed('blankNode', 'the catalog graph must not contain blank nodes');
  }
  if (q.graph.termType !== 'DefaultGraph') {
    throw malformed('graph', 'the catalog must be in the default graph only');
  }
  if (q.subject.termType !== 'NamedNode' || q.predicate.termType !== 'NamedNode') {
    throw malformed('rdf:Statement', 'subjects and predicates must be IRIs');
  }
}

/** Every node of `quads`, by subject (the reader of in-memory graphs). */
export function indexBySubject(quads: readonly ReadQuad[]): Map<string, Objects> {
  const graph = new Map<string, Objects>();
  for (const q of quads) {
    checkStatement(q);
    let objects = graph.get(q.subject.value);
    if (objects === undefined) graph.set(q.subject.value, (objects = new Objects()));
    objects.add(q.predicate.value, q.object);
  }
  return graph;
}

/** The node types the reader follows; a node with none of them is never read. */
const READ_TYPES = new Set(
  [DCAT.Catalog, FOAF.Agent, DCAT.Dataset, DCAT.Distribution, SPDX.Checksum, PROV.Derivation].map(
    (t) => t.value,
  ),
);

/**
 * The subject index, built one statement at a time from canonical N-Quads, keeping only
 * nodes the reader can reach: every node it reads must carry one of `READ_TYPES`, so an
 * untyped node (however many statements a hostile feed gives it) is dropped as soon as
 * its statements end. In canonical (sorted) N-Quads all statements of a subject are
 * adjacent; input where they are not is refused as not canonical before the reader runs.
 */
export class TypedNodeIndex {
  readonly graph = new Map<string, Objects>();
  private subject: string | undefined;
  private objects = new Objects();

  add(q: ReadQuad): void {
    checkStatement(q);
    this.addStatement(q.subject.value, q.predicate.value, q.object);
  }

  /**
   * A statement whose structure the caller has already checked (IRI subject and
   * predicate, no blank node, default graph): the canonical fast path's entry.
   */
  addStatement(subject: string, predicate: string, object: ReadTerm): void {
    if (subject !== this.subject) {
      this.flush();
      this.subject = subject;
      this.objects = this.graph.get(subject) ?? new Objects();
    }
    this.objects.add(predicate, object);
  }

  finish(): Map<string, Objects> {
    this.flush();
    return this.graph;
  }

  private flush(): void {
    if (this.subject === undefined) return;
    if (this.typed()) this.graph.set(this.subject, this.objects);
    this.subject = undefined;
    this.objects = new Objects();
  }

  private typed(): boolean {
    const { predicates, objects } = this.objects;
    for (let i = 0; i < predicates.length; i++) {
      const o = objects[i]!;
      if (predicates[i] === RDF.type.value && o.termType === 'NamedNode' && READ_TYPES.has(o.value))
        return true;
    }
    return false;
  }
}
