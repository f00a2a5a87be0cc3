import type { Quad } from 'n3';
import { CHUNK_CHARS } from './canonical-stream.ts';
import { catalogSubjects, catalogToQuads } from './graph.ts';
import { addToNode, isDirectlyWritable, toJsonLd, type NodeObject } from './json-ld.ts';
import { VMIC_CONTEXT } from './json-ld-context.ts';
import type { CatalogDocument } from './model.ts';

/** A statement `compactDirectly` cannot write as jsonld.compact would: the library must. */
export class NotDirectlyWritable extends Error {
  constructor() {
    super('the graph needs jsonld.compact');
  }
}

const NODE_INDENT = '    ';

/**
 * The text of `toJsonLd` a subject at a time: the same document, byte for byte (JSON.stringify
 * indents a nested value as it indents it alone, shifted by its depth), without ever holding
 * the whole `@graph` (threat: a large catalog's JSON-LD costing many times its size as
 * objects). The context is fixed, so it is written first and every node follows it.
 * Throws NotDirectlyWritable, before anything wrong is written, for a statement that only
 * the library writes correctly.
 */
export function* jsonLdChunks(groups: Iterable<{ quads(): Quad[] }>): Generator<string> {
  yield `{\n  "@context": ${indented(JSON.stringify(VMIC_CONTEXT, null, 2), '  ')},\n  "@graph": [`;
  let first = true;
  let out = '';
  for (const group of groups) {
    const nodes = new Map<string, NodeObject>();
    for (const q of group.quads()) {
      if (!isDirectlyWritable(q)) throw new NotDirectlyWritable();
      addToNode(nodes, q);
    }
    for (const node of nodes.values()) {
      out += `${first ? '\n' : ',\n'}${NODE_INDENT}${indented(JSON.stringify(node, null, 2), NODE_INDENT)}`;
      first = false;
    }
    if (out.length >= CHUNK_CHARS) {
      yield out;
      out = '';
    }
  }
  yield `${out}${first ? ']' : '\n  ]'}\n}\n`;
}

/** JSON.stringify escapes line breaks inside strings, so every raw one is layout. */
function indented(json: string, by: string): string {
  return json.replace(/\n/g, `\n${by}`);
}

/**
 * The catalog's JSON-LD handed to `write` in chunks; a graph the direct path cannot write
 * (none that publish makes: its IRIs are http(s) under the feed and download URLs) is
 * written again, whole, through jsonld.compact.
 */
export async function writeCatalogJsonLd<T>(
  doc: CatalogDocument,
  write: (chunks: Iterable<string>) => Promise<T>,
): Promise<T> {
  try {
    return await write(jsonLdChunks(catalogSubjects(doc)));
  } catch (e) {
    if (!(e instanceof NotDirectlyWritable)) throw e;
    return write([await toJsonLd(catalogToQuads(doc))]);
  }
}
