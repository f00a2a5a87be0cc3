import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import {
  canonicalNQuads,
  catalogToQuads,
  parseCanonicalCatalog,
  parseNQuads,
} from '../../../catalog/rdf/index.ts';
import { makeCatalog } from './fixtures.ts';
import { rejectsWith } from './helpers.ts';

describe('parseCanonicalCatalog (docs/design.md §6 step 7)', () => {
  let nq: string;
  before(async () => {
    nq = await canonicalNQuads(catalogToQuads(makeCatalog(3)));
  });
  const bytes = (text: string): Uint8Array => Buffer.from(text, 'utf8');
  const lines = (): string[] => nq.split('\n').slice(0, -1);

  it('accepts the canonical bytes', async () => {
    const doc = await parseCanonicalCatalog(bytes(nq));
    assert.equal(doc.images.length, 3);
  });

  it('canonical output is sorted, one quad per line, LF-terminated', () => {
    const l = lines();
    assert.deepEqual([...l].sort(), l);
    assert.ok(nq.endsWith(' .\n'));
  });

  it('the same graph in another line order is NOT_CANONICAL', async () => {
    const reordered = lines().reverse().join('\n') + '\n';
    assert.equal(await canonicalNQuads(parseNQuads(reordered)), nq);
    await rejectsWith(() => parseCanonicalCatalog(bytes(reordered)), 'NOT_CANONICAL', 'RDFC-1.0');
  });

  it('extra whitespace, comments, CRLF, a duplicate quad or a missing final newline are NOT_CANONICAL', async () => {
    const variants = [
      nq.replace(' .\n', '  .\n'),
      nq.replace('> <', '>\t<'),
      nq + '\n',
      '# comment\n' + nq,
      nq.replaceAll('\n', '\r\n'),
      nq + lines()[0] + '\n',
      nq.slice(0, -1),
      // An escape where the canonical form has the raw character.
      nq.replace('Ü', '\\u00DC'),
      // A needless xsd:string datatype.
      nq.replace('"CERN IT"', '"CERN IT"^^<http://www.w3.org/2001/XMLSchema#string>'),
    ];
    for (const variant of variants) {
      assert.notEqual(variant, nq);
      await rejectsWith(() => parseCanonicalCatalog(bytes(variant)), 'NOT_CANONICAL');
    }
  });

  it('a byte-order mark is not decoded away: NOT_CANONICAL', async () => {
    const withBom = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), bytes(nq)]);
    await rejectsWith(() => parseCanonicalCatalog(withBom), 'NOT_CANONICAL', 'RDFC-1.0');
  });

  // Decision: bytes that are not UTF-8 are not N-Quads at all (there is no graph that could
  // be canonical), so they are MALFORMED like any other undecodable input; NOT_CANONICAL is
  // kept for a valid graph in the wrong byte form.
  it('non-UTF-8 bytes are MALFORMED', async () => {
    const latin1 = Buffer.from(nq.replace('CERN IT', 'CERN ÏT'), 'latin1');
    await rejectsWith(() => parseCanonicalCatalog(latin1), 'MALFORMED', 'utf8');
    const overlong = Buffer.concat([bytes(nq), Buffer.from([0xc0, 0xaf])]);
    await rejectsWith(() => parseCanonicalCatalog(overlong), 'MALFORMED', 'utf8');
  });

  it('syntax garbage is MALFORMED', async () => {
    // Each names dcat:Catalog, so it passes the byte scan and reaches the parser.
    const catalogType = '<http://www.w3.org/ns/dcat#Catalog>';
    for (const garbage of [
      `this is not rdf ${catalogType}`,
      `<http://a> <http://b> ${catalogType}\n`,
      `<a> <b> "c .\n${catalogType}`,
      `{"@context": {"c": "${catalogType}"}}`,
    ]) {
      await rejectsWith(() => parseCanonicalCatalog(bytes(garbage)), 'MALFORMED', 'syntax');
    }
  });

  it('garbage that never names dcat:Catalog is refused from the byte scan, before parsing', async () => {
    for (const garbage of ['this is not rdf', '<http://a> <http://b> .\n', '{"@context": {}}']) {
      await rejectsWith(() => parseCanonicalCatalog(bytes(garbage)), 'MALFORMED', 'dcat:Catalog');
    }
  });

  it('empty content is canonical but MALFORMED (no catalog)', async () => {
    await rejectsWith(() => parseCanonicalCatalog(new Uint8Array()), 'MALFORMED', 'dcat:Catalog');
  });

  it('blank nodes are refused before canonicalisation', async () => {
    const withBlank = nq + '_:b0 <http://example.org/p> "x" .\n';
    await rejectsWith(() => parseCanonicalCatalog(bytes(withBlank)), 'MALFORMED', 'blankNode');
  });
});
