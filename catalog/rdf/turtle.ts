import { Parser, Writer } from 'n3';
import type { Quad } from 'n3';
import { malformed } from './malformed.ts';
import { PREFIXES } from './vocabulary.ts';

/** Turtle for RDF consumers (§4 catalog.ttl); quads are grouped by subject so each is written once. */
export function toTurtle(quads: readonly Quad[]): Promise<string> {
  const bySubject = new Map<string, Quad[]>();
  for (const q of quads) {
    const key = `${q.graph.termType}${q.graph.value} ${q.subject.termType}${q.subject.value}`;
    const group = bySubject.get(key);
    if (group === undefined) bySubject.set(key, [q]);
    else group.push(q);
  }
  const writer = new Writer({ prefixes: { ...PREFIXES } });
  for (const group of bySubject.values()) writer.addQuads(group);
  return new Promise((resolve, reject) => {
    writer.end((error, result: string) => (error ? reject(error) : resolve(result)));
  });
}

export function parseTurtle(text: string): Quad[] {
  try {
    return new Parser({ format: 'Turtle' }).parse(text);
  } catch (e) {
    throw malformed('syntax', `not valid Turtle: ${(e as Error).message}`, e);
  }
}
