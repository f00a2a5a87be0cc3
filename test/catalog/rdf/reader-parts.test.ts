import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DataFactory } from 'n3';
import type { Quad } from 'n3';
import { catalogToQuads, DCAT, DCTERMS, quadsToCatalog } from '../../../catalog/rdf/index.ts';
import { PROV } from '../../../catalog/rdf/vocabulary.ts';
import { MAX_CLAIMS } from '../../../catalog/rdf/image-parts-reader.ts';
import { makeCatalog } from './fixtures.ts';
import { rejectsWith } from './helpers.ts';

// eslint-disable-next-line @typescript-eslint/unbound-method
const { literal, namedNode, quad } = DataFactory;

/** Image 1 has an SBOM, image 2 a derivation, image 0 policy claims (fixtures.ts). */
const base = (): Quad[] => catalogToQuads(makeCatalog(3));
const refuse = (quads: Quad[], rule: string): Promise<void> =>
  rejectsWith(() => quadsToCatalog(quads), 'MALFORMED', rule);
const img = (i: number) => makeCatalog(3).images[i]!;

describe('an image’s inventory, policy claims and provenance (strict reader)', () => {
  it('reads them back as written, and the catalog’s own claims', () => {
    const doc = quadsToCatalog(base());
    assert.equal(doc.images[1]?.sbom?.mediaType, 'application/spdx+json');
    assert.equal(
      doc.images[1]?.distribution.iri,
      `${img(1).iri}#disk`,
      'the disk is still the disk',
    );
    assert.deepEqual(doc.images[0]?.conformsTo, img(0).conformsTo);
    assert.equal(doc.images[2]?.derivedFrom?.sequence, 12);
    assert.deepEqual(doc.conformsTo, ['https://documents.egi.eu/document/771']);
  });

  it('refuses a second disk, and a second inventory', async () => {
    const disk = namedNode(img(0).distribution.iri);
    const other = namedNode(`${img(0).iri}#disk2`);
    const second = [
      quad(namedNode(img(0).iri), DCAT.distribution, other),
      ...base()
        .filter((q) => q.subject.equals(disk))
        .map((q) => quad(other, q.predicate, q.object)),
    ];
    await refuse([...base(), ...second], 'dcat:distribution');
    const sbom = namedNode(`${img(1).iri}#sbom`);
    const sbom2 = namedNode(`${img(1).iri}#sbom2`);
    const copy = [
      quad(namedNode(img(1).iri), DCAT.distribution, sbom2),
      ...base()
        .filter((q) => q.subject.equals(sbom))
        .map((q) => quad(sbom2, q.predicate, q.object)),
    ];
    await refuse([...base(), ...copy], 'dcat:distribution');
  });

  it('refuses a derivation stated half, or naming another upstream image', async () => {
    const half = base().filter((q) => !q.predicate.equals(PROV.qualifiedDerivation));
    await refuse(half, 'prov:qualifiedDerivation');
    const twisted = base().map((q) =>
      q.predicate.equals(PROV.entity)
        ? quad(q.subject, q.predicate, namedNode('https://elsewhere.example/images/x'))
        : q,
    );
    await refuse(twisted, 'prov:entity');
  });

  it('refuses a claim that is not an IRI, and more claims than the bound', async () => {
    const subject = namedNode(img(0).iri);
    await refuse(
      [...base(), quad(subject, DCTERMS.conformsTo, literal('EGI policy'))],
      'dcterms:conformsTo',
    );
    const many = Array.from({ length: MAX_CLAIMS + 1 }, (_, i) =>
      quad(subject, DCTERMS.conformsTo, namedNode(`https://policy.example/${i}`)),
    );
    await refuse([...base(), ...many], 'dcterms:conformsTo');
  });
});
