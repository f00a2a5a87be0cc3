import { NQuads } from 'rdf-canonize';
import { DataFactory } from 'n3';
import type { Quad } from 'n3';
import type { SubjectGroup } from './graph.ts';
import { RDF } from './vocabulary.ts';

/** Text handed on at a time: large enough for few writes, small enough to never matter. */
export const CHUNK_CHARS = 64 * 1024;

/**
 * RDFC-1.0 canonical N-Quads of a graph without blank nodes, written a chunk at a time.
 *
 * With no blank nodes, RDFC-1.0 relabels nothing (§4.4 steps 2–6 have no input): the
 * canonical form is each quad's N-Quads line, sorted and without repeats. rdf-canonize
 * builds every line of the graph and sorts them all, which for 100,000 images is 1.6
 * million strings at once (threat: a large endorser's publish running out of memory).
 * Here the lines are written as rdf-canonize serialises them (`NQuads.serializeQuad`, the
 * library's own escaping) and sorted as it sorts them (`Array.prototype.sort`, UTF-16
 * code units), but a subject at a time: every line starts with `<subject>`, and since an
 * escaped IRI never holds `>`, two lines with different subjects compare exactly as their
 * `<subject>` keys do. So sorting the subjects, then each subject's few lines, is the
 * global sort. The tests hold this to rdf-canonize's bytes.
 *
 * A blank node, or a quad whose subject is not its group's, is a programming error (the
 * catalog graph has neither, docs/design.md §2) and throws rather than write wrong bytes.
 */
export function* canonicalNQuadsChunks(groups: Iterable<SubjectGroup>): Generator<string> {
  const keyed: { key: string; group: SubjectGroup }[] = [];
  for (const group of groups) keyed.push({ key: subjectKey(group.iri), group });
  keyed.sort((a, b) => compare(a.key, b.key));
  let out: string[] = [];
  let size = 0;
  for (let i = 0; i < keyed.length;) {
    const key = keyed[i]!.key;
    // The same subject given twice (not in a catalog graph) is one subject's lines.
    const lines: string[] = [];
    for (; i < keyed.length && keyed[i]!.key === key; i++)
      for (const q of keyed[i]!.group.quads()) lines.push(lineOf(q, key));
    lines.sort();
    for (let j = 0; j < lines.length; j++) {
      // A dataset is a set: a repeated statement is written once.
      if (j > 0 && lines[j] === lines[j - 1]) continue;
      out.push(lines[j]!);
      size += lines[j]!.length;
      if (size >= CHUNK_CHARS) {
        yield out.join('');
        out = [];
        size = 0;
      }
    }
  }
  if (size > 0) yield out.join('');
}

/** The line's leading `<subject>` as rdf-canonize escapes it. */
function subjectKey(iri: string): string {
  const line = NQuads.serializeQuad(
    DataFactory.quad(DataFactory.namedNode(iri), RDF.type, RDF.type),
  );
  return line.slice(0, line.indexOf('>') + 1);
}

function lineOf(q: Quad, key: string): string {
  if (
    q.subject.termType === 'BlankNode' ||
    q.object.termType === 'BlankNode' ||
    q.graph.termType === 'BlankNode'
  )
    throw new Error('canonicalNQuadsChunks: blank nodes need the full RDFC-1.0 algorithm');
  const line = NQuads.serializeQuad(q);
  if (!line.startsWith(key) || line[key.length] !== ' ')
    throw new Error(`canonicalNQuadsChunks: a quad of ${key} has another subject`);
  return line;
}

/** The order of `Array.prototype.sort` on strings (UTF-16 code units), as rdf-canonize sorts. */
function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
