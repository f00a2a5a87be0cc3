import type { NamedNode } from 'n3';
import { isNonNegativeInteger, isPositiveInteger, parseDateTime } from './lexical.ts';
import { malformed } from './malformed.ts';
import { checkIriLength, checkTextLength, IMPORT_LIMITS } from './import-limits.ts';
import { PREFIXES, RDF, XSD } from './vocabulary.ts';
import type { Objects, ReadTerm } from './graph-index.ts';

/** `dcterms:title` for an IRI under a known prefix: the rule names in MALFORMED errors. */
export function curie(iri: string): string {
  for (const [prefix, ns] of Object.entries(PREFIXES)) {
    if (iri.startsWith(ns)) return `${prefix}:${iri.slice(ns.length)}`;
  }
  return iri === RDF.type.value ? 'rdf:type' : iri;
}

/**
 * Reads one subject's statements strictly for the catalog reader: a property the site
 * relies on is there exactly once, with the datatype of docs/design.md §2, within the
 * import bounds; anything else is MALFORMED with the rule it broke.
 */
export class SubjectReader {
  constructor(private readonly graph: Map<string, Objects>) {}

  /** The properties of a node that must exist and carry `type`; `via` names the link. */
  subject(iri: string, type: NamedNode, via: NamedNode): Objects {
    const objects = this.graph.get(iri);
    if (objects === undefined || !objects.has(RDF.type, type)) {
      throw malformed(
        curie(via.value),
        `${iri} (via ${curie(via.value)}) is not a ${curie(type.value)}`,
      );
    }
    return objects;
  }

  one(iri: string, objects: Objects, predicate: NamedNode): ReadTerm {
    const optional = this.optional(iri, objects, predicate);
    if (optional === undefined) {
      throw malformed(curie(predicate.value), `${iri} has no ${curie(predicate.value)}`);
    }
    return optional;
  }

  optional(iri: string, objects: Objects, predicate: NamedNode): ReadTerm | undefined {
    const { count, first } = objects.lookup(predicate.value);
    if (count > 1) {
      throw malformed(
        curie(predicate.value),
        `${iri} has ${count} values of ${curie(predicate.value)}`,
      );
    }
    return first;
  }

  optionalIri(iri: string, objects: Objects, predicate: NamedNode): string | undefined {
    return this.optional(iri, objects, predicate) === undefined
      ? undefined
      : this.iri(iri, objects, predicate);
  }

  iri(iri: string, objects: Objects, predicate: NamedNode): string {
    const term = this.one(iri, objects, predicate);
    if (term.termType !== 'NamedNode') {
      throw malformed(curie(predicate.value), `${curie(predicate.value)} of ${iri} must be an IRI`);
    }
    // The rule name is built only for the refusal: this runs for every IRI of the catalog.
    if (term.value.length <= IMPORT_LIMITS.iriChars) return term.value;
    return checkIriLength(curie(predicate.value), iri, term.value);
  }

  typed(iri: string, objects: Objects, predicate: NamedNode, datatype: NamedNode): string {
    return this.literal(iri, predicate, this.one(iri, objects, predicate), datatype);
  }

  string(iri: string, objects: Objects, predicate: NamedNode): string {
    return this.typed(iri, objects, predicate, XSD.string);
  }

  optionalString(iri: string, objects: Objects, predicate: NamedNode): string | undefined {
    const term = this.optional(iri, objects, predicate);
    return term === undefined ? undefined : this.literal(iri, predicate, term, XSD.string);
  }

  integer(iri: string, objects: Objects, predicate: NamedNode, datatype: NamedNode): number {
    const lexical = this.typed(iri, objects, predicate, datatype);
    const valid = datatype.equals(XSD.positiveInteger)
      ? isPositiveInteger(lexical)
      : isNonNegativeInteger(lexical);
    if (!valid) {
      throw malformed(
        curie(predicate.value),
        `${curie(predicate.value)} of ${iri} is not a valid ${curie(datatype.value)}: "${lexical}"`,
      );
    }
    return Number(lexical);
  }

  dateTime(iri: string, objects: Objects, predicate: NamedNode): Date {
    const lexical = this.typed(iri, objects, predicate, XSD.dateTime);
    const date = parseDateTime(lexical);
    if (date === undefined) {
      throw malformed(
        curie(predicate.value),
        `${curie(predicate.value)} of ${iri} is not a valid xsd:dateTime: "${lexical}"`,
      );
    }
    return date;
  }

  private literal(iri: string, predicate: NamedNode, term: ReadTerm, datatype: NamedNode): string {
    if (term.termType !== 'Literal' || term.datatype?.value !== datatype.value) {
      throw malformed(
        curie(predicate.value),
        `${curie(predicate.value)} of ${iri} must be a ${curie(datatype.value)} literal`,
      );
    }
    // The bound publish applies to every text field (threat: a 50 MB title filling the
    // site database and every page that shows it).
    if (term.value.length <= IMPORT_LIMITS.textChars) return term.value;
    return checkTextLength(curie(predicate.value), iri, term.value);
  }
}
