import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Quad } from 'n3';
import {
  canonicalNQuads,
  catalogToQuads,
  parseJsonLd,
  parseNQuads,
  parseTurtle,
  toJsonLd,
  toTurtle,
  type CatalogDocument,
} from '../../../catalog/rdf/index.ts';
import { catalogSubjects, type SubjectGroup } from '../../../catalog/rdf/graph.ts';
import { canonicalNQuadsChunks } from '../../../catalog/rdf/canonical-stream.ts';
import { turtleChunks } from '../../../catalog/rdf/turtle.ts';
import {
  NotDirectlyWritable,
  jsonLdChunks,
  writeCatalogJsonLd,
} from '../../../catalog/rdf/json-ld-stream.ts';
import { makeCatalog } from './fixtures.ts';
import { rejectsWith } from './helpers.ts';

const text = (chunks: Iterable<string>): string => [...chunks].join('');

/** Arbitrary quads as subject groups, in the order their subjects first appear. */
function groupsOf(quads: Quad[]): SubjectGroup[] {
  const groups = new Map<string, Quad[]>();
  for (const q of quads) {
    const group = groups.get(q.subject.value) ?? [];
    group.push(q);
    groups.set(q.subject.value, group);
  }
  return [...groups].map(([iri, group]) => ({ iri, quads: () => group }));
}

describe('streamed canonical N-Quads (publish, docs/design.md §2)', () => {
  for (const n of [0, 1, 25, 700]) {
    it(`are byte for byte rdf-canonize's RDFC-1.0 output for a catalog of ${n} images`, async () => {
      const doc = makeCatalog(n);
      assert.equal(
        text(canonicalNQuadsChunks(catalogSubjects(doc))),
        await canonicalNQuads(catalogToQuads(doc)),
      );
    });
  }

  it('sort subjects whose IRIs prefix each other, escapes and non-BMP text as rdf-canonize does', async () => {
    // `a`, `a#x`, `a-b`, `a/c`: '#' < '-' < '/' < '>' decides; the literals hold characters
    // whose UTF-16 and code point orders differ (U+FF5E after U+1D11E's surrogates).
    const nq = [
      '<http://e.org/a> <http://e.org/p> "\uFF5E" .',
      '<http://e.org/a> <http://e.org/p> "\uD834\uDD1E" .',
      '<http://e.org/a#x> <http://e.org/p> "x\\n\\"y\\\\" .',
      '<http://e.org/a-b> <http://e.org/p> <http://e.org/a> .',
      '<http://e.org/a/c> <http://e.org/p> "1"^^<http://www.w3.org/2001/XMLSchema#integer> .',
      '<http://e.org/a/c> <http://e.org/q> "chat"@fr .',
      '<http://e.org/\\u00E9> <http://e.org/p> "\u00E9" .',
      '<http://e.org/s> <http://e.org/p> "o" <http://e.org/g> .',
    ].join('\n');
    const quads = parseNQuads(`${nq}\n`);
    const reversed = groupsOf([...quads].reverse());
    assert.equal(text(canonicalNQuadsChunks(reversed)), await canonicalNQuads(quads));
  });

  it('write a repeated statement once, as RDFC-1.0 does for the dataset (a set)', async () => {
    const quads = parseNQuads('<http://e.org/a> <http://e.org/p> "o" .\n');
    const twice: SubjectGroup[] = [
      { iri: 'http://e.org/a', quads: () => quads },
      { iri: 'http://e.org/a', quads: () => [...quads, ...quads] },
    ];
    assert.equal(text(canonicalNQuadsChunks(twice)), await canonicalNQuads(quads));
  });

  it('refuse blank nodes and quads outside their group: the fast path would be wrong there', () => {
    const blank = parseNQuads('<http://e.org/a> <http://e.org/p> _:b .\n');
    assert.throws(() => text(canonicalNQuadsChunks(groupsOf(blank))), /blank nodes/);
    const other = parseNQuads('<http://e.org/b> <http://e.org/p> "o" .\n');
    assert.throws(
      () => text(canonicalNQuadsChunks([{ iri: 'http://e.org/a', quads: () => other }])),
      /another subject/,
    );
  });

  it('come in bounded chunks that end at line ends', () => {
    const chunks = [...canonicalNQuadsChunks(catalogSubjects(makeCatalog(700)))];
    assert.ok(chunks.length > 5);
    for (const c of chunks) {
      assert.ok(c.endsWith('\n'));
      assert.ok(c.length < 128 * 1024);
    }
  });
});

describe('streamed Turtle and JSON-LD (publish)', () => {
  for (const n of [0, 1, 25, 700]) {
    it(`are the bytes of toTurtle and toJsonLd, and canonicalise to the signed N-Quads (${n} images)`, async () => {
      const doc = makeCatalog(n);
      const quads = catalogToQuads(doc);
      const nq = await canonicalNQuads(quads);
      const ttl = text(turtleChunks(catalogSubjects(doc)));
      const jsonLd = text(jsonLdChunks(catalogSubjects(doc)));
      assert.equal(ttl, await toTurtle(quads));
      assert.equal(jsonLd, await toJsonLd(quads));
      assert.equal(await canonicalNQuads(parseTurtle(ttl)), nq);
      assert.equal(await canonicalNQuads(await parseJsonLd(jsonLd)), nq);
    });
  }

  it('JSON-LD stops, before writing a wrong node, at a statement only jsonld.compact writes', () => {
    const named = parseNQuads('<http://e.org/s> <http://e.org/p> "o" <http://e.org/g> .\n');
    assert.throws(() => text(jsonLdChunks(groupsOf(named))), NotDirectlyWritable);
  });

  it('a catalog the direct path cannot write goes through the library, with its verdict', async () => {
    const doc: CatalogDocument = makeCatalog(2);
    doc.images[1]!.distribution.downloadUrl = 'dcat:odd';
    const writes: number[] = [];
    await rejectsWith(
      () =>
        writeCatalogJsonLd(doc, async (chunks) => {
          writes.push(text(chunks).length);
          return Promise.resolve();
        }),
      'MALFORMED',
      'json-ld',
    );
    await rejectsWith(() => toJsonLd(catalogToQuads(doc)), 'MALFORMED', 'json-ld');
    assert.deepEqual(writes, [], 'nothing written from the direct path');
  });
});
