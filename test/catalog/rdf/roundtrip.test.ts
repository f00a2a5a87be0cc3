import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  canonicalNQuads,
  catalogToQuads,
  parseCanonicalCatalog,
  parseJsonLd,
  parseNQuads,
  parseTurtle,
  quadsToCatalog,
  toJsonLd,
  toTurtle,
} from '../../../catalog/rdf/index.ts';
import type { CatalogDocument } from '../../../catalog/rdf/index.ts';
import { compactWithLibrary } from '../../../catalog/rdf/json-ld.ts';
import { makeCatalog, makeImage } from './fixtures.ts';
import { rejectsWith } from './helpers.ts';

describe('catalog round trip', () => {
  it('document → quads → canonical N-Quads → parseCanonicalCatalog gives the document back', async () => {
    const doc = makeCatalog(5);
    const nq = await canonicalNQuads(catalogToQuads(doc));
    const back = await parseCanonicalCatalog(Buffer.from(nq, 'utf8'));
    assert.deepEqual(sortImages(back), sortImages(doc));
  });

  it('keeps quotes, backslashes, newlines, control characters and non-ASCII in literals', async () => {
    const tricky = 'Ubuntu "Noble"\nÜ \\ tab\t cr\r nul\u0000 del\u007f 𝄞 é';
    const doc = makeCatalog(1);
    doc.title = tricky;
    doc.publisher.x509Subject = 'CN=Müller\\, Jürgen,O="ACME",C=DE';
    doc.images[0]!.description = tricky;
    const nq = await canonicalNQuads(catalogToQuads(doc));
    assert.ok(nq.includes('Ubuntu \\"Noble\\"\\nÜ \\\\ tab\\t cr\\r nul\\u0000 del\\u007F 𝄞 é'));
    const back = await parseCanonicalCatalog(new TextEncoder().encode(nq));
    assert.equal(back.title, tricky);
    assert.equal(back.images[0]!.description, tricky);
    assert.equal(back.publisher.x509Subject, doc.publisher.x509Subject);
  });

  it('writes dates with second precision in UTC and reads them back at that precision', async () => {
    const doc = makeCatalog(0);
    doc.issued = new Date('2026-11-01T10:00:00.789Z');
    const nq = await canonicalNQuads(catalogToQuads(doc));
    assert.ok(nq.includes('"2026-11-01T10:00:00Z"^^<http://www.w3.org/2001/XMLSchema#dateTime>'));
    const back = await parseCanonicalCatalog(Buffer.from(nq));
    assert.equal(back.issued.toISOString(), '2026-11-01T10:00:00.000Z');
  });

  it('omits optional fields that are undefined and restores none of them', () => {
    const image = makeImage(1);
    const minimal = {
      iri: image.iri,
      identifier: image.identifier,
      title: image.title,
      distribution: { ...image.distribution },
    };
    delete (minimal.distribution as { format?: string }).format;
    const doc: CatalogDocument = { ...makeCatalog(0), images: [minimal] };
    delete doc.conformsTo;
    const quads = catalogToQuads(doc);
    // catalog 6 + dataset link 1 + publisher 4 + image 5 + distribution 4 + checksum 3
    assert.equal(quads.length, 23);
    assert.deepEqual(quadsToCatalog(quads), doc);
  });

  it('has no blank nodes and only the default graph', () => {
    for (const q of catalogToQuads(makeCatalog(3))) {
      assert.notEqual(q.subject.termType, 'BlankNode');
      assert.notEqual(q.object.termType, 'BlankNode');
      assert.equal(q.graph.termType, 'DefaultGraph');
    }
  });

  it('Turtle, JSON-LD and N-Quads of one catalog canonicalise to the same bytes', async () => {
    const quads = catalogToQuads(makeCatalog(25));
    const nq = await canonicalNQuads(quads);
    assert.equal(await canonicalNQuads(parseNQuads(nq)), nq);
    assert.equal(await canonicalNQuads(parseTurtle(await toTurtle(quads))), nq);
    const jsonLd = await toJsonLd(quads);
    assert.equal(await canonicalNQuads(await parseJsonLd(jsonLd)), nq);
    // The direct JSON-LD writer and the generic jsonld.compact path describe one graph.
    const viaLibrary = JSON.stringify(await compactWithLibrary(quads));
    assert.equal(await canonicalNQuads(await parseJsonLd(viaLibrary)), nq);
  });

  it('embeds the context inline in JSON-LD and uses the prefixes in Turtle', async () => {
    const quads = catalogToQuads(makeCatalog(1));
    const jsonLd = JSON.parse(await toJsonLd(quads)) as { '@context': unknown };
    assert.equal(typeof jsonLd['@context'], 'object');
    assert.equal((jsonLd['@context'] as Record<string, string>).vmic, 'https://w3id.org/vmic/ns#');
    const ttl = await toTurtle(quads);
    for (const prefix of ['dcat', 'dcterms', 'spdx', 'xsd', 'vmic', 'foaf']) {
      assert.match(ttl, new RegExp(`@prefix ${prefix}: <`));
    }
  });

  it('writes unusual graphs (blank nodes, language tags, other datatypes) through JSON-LD faithfully', async () => {
    const ttl = `@prefix ex: <http://example.org/> .
      ex:a ex:p _:b ; ex:q "chat"@fr , "1"^^<http://www.w3.org/2001/XMLSchema#integer> , ex:c .
      _:b ex:r "x" .
      ex:a <http://purl.org/dc/terms/title> "t"@en , "plain" .
      ex:a <http://www.w3.org/ns/dcat#byteSize> "7"^^<http://www.w3.org/2001/XMLSchema#string> .`;
    const quads = parseTurtle(ttl);
    const nq = await canonicalNQuads(quads);
    assert.equal(await canonicalNQuads(await parseJsonLd(await toJsonLd(quads))), nq);
    assert.equal(await canonicalNQuads(parseTurtle(await toTurtle(quads))), nq);
  });

  it('writes named graphs through the library path', async () => {
    const quads = parseNQuads(
      '<http://example.org/s> <http://example.org/p> "o" <http://example.org/g> .\n',
    );
    const nq = await canonicalNQuads(quads);
    assert.equal(await canonicalNQuads(await parseJsonLd(await toJsonLd(quads))), nq);
  });

  it('refuses IRIs that JSON-LD would read back as compact IRIs of the context', async () => {
    const quads = parseNQuads('<dcat:odd> <http://example.org/p> <vmic:x> .\n');
    await rejectsWith(() => toJsonLd(quads), 'MALFORMED', 'json-ld');
  });
});

function sortImages(doc: CatalogDocument): CatalogDocument {
  return {
    ...doc,
    images: [...doc.images].sort((a, b) => a.identifier.localeCompare(b.identifier)),
  };
}
