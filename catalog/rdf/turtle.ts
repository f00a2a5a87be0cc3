import { Parser, Writer } from 'n3';
import type { Quad } from 'n3';
import { malformed } from './malformed.ts';
import { PREFIXES } from './vocabulary.ts';
import { CHUNK_CHARS } from './canonical-stream.ts';

/** Turtle for RDF consumers (§4 catalog.ttl); quads are grouped by subject so each is written once. */
export function toTurtle(quads: readonly Quad[]): Promise<string> {
  const bySubject = new Map<string, Quad[]>();
  for (const q of quads) {
    const key = `${q.graph.termType}${q.graph.value} ${q.subject.termType}${q.subject.value}`;
    const group = bySubject.get(key);
    if (group === undefined) bySubject.set(key, [q]);
    else group.push(q);
  }
  const groups = [...bySubject.values()].map((group) => ({ quads: () => group }));
  return Promise.resolve([...turtleChunks(groups)].join(''));
}

/**
 * Turtle a group of statements at a time (publish writes a large catalog this way, never
 * the whole text at once). n3's Writer writes each statement as it is added; its output
 * goes to a sink that is emptied after every group, so only one chunk is ever held.
 */
export function* turtleChunks(groups: Iterable<{ quads(): Quad[] }>): Generator<string> {
  const parts: string[] = [];
  let size = 0;
  const sink = {
    write(chunk: string, _encoding: string, done?: () => void): boolean {
      parts.push(chunk);
      size += chunk.length;
      done?.();
      return true;
    },
    end(done?: () => void): void {
      done?.();
    },
  };
  const writer = new Writer(sink, {
    prefixes: { ...PREFIXES },
  });
  const take = (): string => {
    const text = parts.join('');
    parts.length = 0;
    size = 0;
    return text;
  };
  for (const group of groups) {
    writer.addQuads(group.quads());
    if (size >= CHUNK_CHARS) yield take();
  }
  writer.end();
  if (size > 0) yield take();
}

export function parseTurtle(text: string): Quad[] {
  try {
    return new Parser({ format: 'Turtle' }).parse(text);
  } catch (e) {
    throw malformed('syntax', `not valid Turtle: ${(e as Error).message}`, e);
  }
}
