import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  canonicalNQuads,
  catalogToQuads,
  parseCanonicalCatalog,
  type CatalogDocument,
} from '../../../catalog/rdf/index.ts';
import { IMPORT_LIMITS } from '../../../catalog/rdf/import-limits.ts';
import { makeCatalog } from './fixtures.ts';
import { rejectsWith } from './helpers.ts';

/** A catalog signed in canonical form, as an endorser that skips vmic's publish bounds could. */
async function canonical(doc: CatalogDocument): Promise<Uint8Array> {
  return Buffer.from(await canonicalNQuads(catalogToQuads(doc)), 'utf8');
}

describe('imported catalogs are held to the bounds publish applies', () => {
  it('a title at the limit is accepted, one character more is TOO_LARGE', async () => {
    const doc = makeCatalog(1);
    doc.images[0]!.title = 'x'.repeat(IMPORT_LIMITS.textChars);
    assert.equal((await parseCanonicalCatalog(await canonical(doc))).images.length, 1);
    doc.images[0]!.title = 'x'.repeat(IMPORT_LIMITS.textChars + 1);
    await rejectsWith(
      async () => parseCanonicalCatalog(await canonical(doc)),
      'TOO_LARGE',
      'dcterms:title',
    );
  });

  it('a description over the limit is TOO_LARGE', async () => {
    const doc = makeCatalog(1);
    doc.images[0]!.description = 'd'.repeat(IMPORT_LIMITS.textChars + 1);
    await rejectsWith(
      async () => parseCanonicalCatalog(await canonical(doc)),
      'TOO_LARGE',
      'dcterms:description',
    );
  });

  it('a download URL over 2,048 characters is TOO_LARGE', async () => {
    const doc = makeCatalog(1);
    doc.images[0]!.distribution.downloadUrl = `https://mirror.example/${'u'.repeat(2048)}`;
    await rejectsWith(
      async () => parseCanonicalCatalog(await canonical(doc)),
      'TOO_LARGE',
      'dcat:downloadURL',
    );
  });

  it('a line longer than any field can make it is refused from the byte scan', async () => {
    const doc = makeCatalog(1);
    doc.title = 't'.repeat(IMPORT_LIMITS.lineBytes);
    await rejectsWith(
      async () => parseCanonicalCatalog(await canonical(doc)),
      'TOO_LARGE',
      'catalog.line',
    );
  });

  it('more statements than the listed images can carry are refused from the byte scan', async () => {
    const nq = Buffer.from(await canonical(makeCatalog(1))).toString('utf8');
    const extra = Array.from(
      { length: IMPORT_LIMITS.quadsBase + 2 * IMPORT_LIMITS.quadsPerImage },
      (_, i) =>
        `<https://x.example/n${String(i).padStart(6, '0')}> <http://purl.org/dc/terms/title> "n" .\n`,
    );
    const text = [...nq.split(/(?<=\n)/), ...extra].sort().join('');
    await rejectsWith(() => parseCanonicalCatalog(Buffer.from(text)), 'TOO_LARGE', 'catalog.quads');
  });

  it('untyped extra statements within the bound are ignored, as before', async () => {
    const nq = Buffer.from(await canonical(makeCatalog(2))).toString('utf8');
    const extra = `<https://x.example/other> <http://purl.org/dc/terms/title> "ignored" .\n`;
    const text = [...nq.split(/(?<=\n)/), extra].sort().join('');
    assert.equal((await parseCanonicalCatalog(Buffer.from(text))).images.length, 2);
  });
});
