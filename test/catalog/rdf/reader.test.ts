import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DataFactory } from 'n3';
import type { Quad, Quad_Object } from 'n3';
import {
  DCAT,
  DCTERMS,
  RDF,
  SPDX,
  VMIC,
  XSD,
  catalogToQuads,
  quadsToCatalog,
} from '../../../catalog/rdf/index.ts';
import type { NamedNode } from 'n3';
import { makeCatalog } from './fixtures.ts';
import { rejectsWith } from './helpers.ts';

// n3's DataFactory members are standalone functions that never read `this`; its typings
// declare them as methods, which is all unbound-method sees.
// eslint-disable-next-line @typescript-eslint/unbound-method
const { literal, namedNode, blankNode, quad } = DataFactory;
const base = (): Quad[] => catalogToQuads(makeCatalog(2));

function without(quads: Quad[], predicate: NamedNode): Quad[] {
  return quads.filter((q) => !q.predicate.equals(predicate));
}

function replace(
  quads: Quad[],
  predicate: NamedNode,
  object: Quad_Object,
  onlyFirst = false,
): Quad[] {
  let done = false;
  return quads.map((q) => {
    if (!q.predicate.equals(predicate) || (onlyFirst && done)) return q;
    done = true;
    return quad(q.subject, q.predicate, object);
  });
}

const refuse = (quads: Quad[], rule: string): Promise<void> =>
  rejectsWith(() => quadsToCatalog(quads), 'MALFORMED', rule);

describe('quadsToCatalog (strict import reader)', () => {
  it('reads a well-formed catalog', () => {
    const doc = quadsToCatalog(base());
    assert.equal(doc.sequence, 42);
    assert.equal(doc.images.length, 2);
  });

  it('ignores unknown extra triples', () => {
    const quads = base();
    quads.push(
      quad(namedNode(makeCatalog(0).iri), namedNode('http://example.org/extra'), literal('x')),
    );
    assert.equal(quadsToCatalog(quads).images.length, 2);
  });

  it('missing vmic:expires', () => refuse(without(base(), VMIC.expires), 'vmic:expires'));
  it('missing vmic:sequence', () => refuse(without(base(), VMIC.sequence), 'vmic:sequence'));
  it('missing dcterms:issued', () => refuse(without(base(), DCTERMS.issued), 'dcterms:issued'));
  it('missing publisher', () => refuse(without(base(), DCTERMS.publisher), 'dcterms:publisher'));
  it('missing x509Subject', () => refuse(without(base(), VMIC.x509Subject), 'vmic:x509Subject'));

  for (const bad of ['0', '-1', 'abc', '+5', '042', '1.0', '', '9007199254740993']) {
    it(`sequence "${bad}"`, () =>
      refuse(replace(base(), VMIC.sequence, literal(bad, XSD.positiveInteger)), 'vmic:sequence'));
  }
  it('sequence with the wrong datatype', () =>
    refuse(replace(base(), VMIC.sequence, literal('42', XSD.nonNegativeInteger)), 'vmic:sequence'));
  it('two sequences', () => {
    const quads = base();
    quads.push(
      quad(namedNode(makeCatalog(0).iri), VMIC.sequence, literal('43', XSD.positiveInteger)),
    );
    return refuse(quads, 'vmic:sequence');
  });

  for (const bad of [
    '2026-13-01T10:00:00Z',
    '2026-02-30T10:00:00Z',
    '2026-12-01T10:00:00',
    '2026-12-01',
    'tomorrow',
    '2026-12-01T24:00:00Z',
  ]) {
    it(`expires "${bad}"`, () =>
      refuse(replace(base(), VMIC.expires, literal(bad, XSD.dateTime)), 'vmic:expires'));
  }
  it('expires as a plain string', () =>
    refuse(replace(base(), VMIC.expires, literal('2026-12-01T10:00:00Z')), 'vmic:expires'));
  it('accepts a dateTime with an offset and fractional seconds', () => {
    const doc = quadsToCatalog(
      replace(base(), VMIC.expires, literal('2026-12-01T11:00:00.5+01:00', XSD.dateTime)),
    );
    assert.equal(doc.expires.toISOString(), '2026-12-01T10:00:00.500Z');
  });

  const sha = 'ab'.repeat(32);
  for (const bad of [sha.toUpperCase(), sha.slice(2), sha + 'ab', 'zz'.repeat(32)]) {
    it(`sha256 "${bad.slice(0, 8)}…" (${bad.length} chars)`, () =>
      refuse(
        replace(base(), SPDX.checksumValue, literal(bad, XSD.hexBinary), true),
        'spdx:checksumValue',
      ));
  }
  it('sha256 without xsd:hexBinary', () =>
    refuse(replace(base(), SPDX.checksumValue, literal(sha), true), 'spdx:checksumValue'));
  it('another checksum algorithm', () =>
    refuse(
      replace(base(), SPDX.algorithm, SPDX.term('checksumAlgorithm_sha1'), true),
      'spdx:algorithm',
    ));
  it('byteSize "-1"', () =>
    refuse(
      replace(base(), DCAT.byteSize, literal('-1', XSD.nonNegativeInteger), true),
      'dcat:byteSize',
    ));
  it('downloadURL as a literal', () =>
    refuse(
      replace(base(), DCAT.downloadURL, literal('https://x.example/'), true),
      'dcat:downloadURL',
    ));

  it('a blank node anywhere', () => {
    const quads = base();
    quads.push(quad(blankNode('x'), DCTERMS.title, literal('t')));
    return refuse(quads, 'blankNode');
  });
  it('a blank node as object', () =>
    refuse(replace(base(), DCAT.distribution, blankNode('d'), true), 'blankNode'));
  it('a named graph', () => {
    const quads = base();
    quads.push(quad(namedNode('http://e/s'), DCTERMS.title, literal('t'), namedNode('http://e/g')));
    return refuse(quads, 'graph');
  });

  it('two catalogs', () => {
    const other = catalogToQuads({
      ...makeCatalog(0),
      iri: 'https://other.example/feeds/x/catalog',
    });
    return refuse([...base(), ...other], 'dcat:Catalog');
  });
  it('no catalog', () =>
    refuse(
      base().filter((q) => !q.object.equals(DCAT.Catalog)),
      'dcat:Catalog',
    ));

  it('duplicate identifier', () => {
    const doc = makeCatalog(2);
    const quads = replace(
      catalogToQuads(doc),
      DCTERMS.identifier,
      literal(doc.images[0]!.identifier),
    );
    return refuse(quads, 'dcterms:identifier');
  });
  it('the writer refuses duplicate identifiers too', () => {
    const doc = makeCatalog(2);
    doc.images[1]!.identifier = doc.images[0]!.identifier;
    return rejectsWith(() => catalogToQuads(doc), 'MALFORMED', 'dcterms:identifier');
  });

  it('a dataset without distribution', () =>
    refuse(without(base(), DCAT.distribution), 'dcat:distribution'));
  it('a distribution without checksum', () =>
    refuse(without(base(), SPDX.checksum), 'spdx:checksum'));
  it('a distribution whose checksum node is missing', () =>
    refuse(
      base().filter((q) => !q.object.equals(SPDX.Checksum)),
      'spdx:checksum',
    ));
  it('a dataset that is not a vmic:Image', () =>
    refuse(
      base().filter((q) => !q.object.equals(VMIC.Image)),
      'rdf:type',
    ));
  it('a dataset that is not typed dcat:Dataset', () =>
    refuse(
      base().filter((q) => !(q.predicate.equals(RDF.type) && q.object.equals(DCAT.Dataset))),
      'dcat:dataset',
    ));
  it('a title with a language tag', () =>
    refuse(replace(base(), DCTERMS.title, literal('t', 'en'), true), 'dcterms:title'));
  it('the writer refuses an invalid or out-of-range date and sequence 0', async () => {
    await rejectsWith(
      () => catalogToQuads({ ...makeCatalog(0), expires: new Date(NaN) }),
      'MALFORMED',
      'vmic:expires',
    );
    await rejectsWith(
      () => catalogToQuads({ ...makeCatalog(0), issued: new Date('+010000-01-01T00:00:00Z') }),
      'MALFORMED',
      'dcterms:issued',
    );
    await rejectsWith(
      () => catalogToQuads({ ...makeCatalog(0), sequence: 0 }),
      'MALFORMED',
      'vmic:sequence',
    );
  });
});
