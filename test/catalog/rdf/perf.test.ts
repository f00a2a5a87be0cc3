import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  canonicalNQuads,
  catalogToQuads,
  parseCanonicalCatalog,
  toJsonLd,
  toTurtle,
} from '../../../catalog/rdf/index.ts';
import { makeCatalog } from './fixtures.ts';

async function timed<T>(label: string, action: () => T | Promise<T>): Promise<T> {
  const start = performance.now();
  const result = await action();
  console.log(`  ${label}: ${(performance.now() - start).toFixed(0)} ms`);
  return result;
}

// Publish budget: 10,000 images in ≤ 3 s including signing. Timings are printed for the
// record, never asserted (shared CI machines make time assertions flaky).
describe('publish-path timings (printed, not asserted)', () => {
  for (const images of [1_000, 10_000]) {
    it(`${images} images`, async () => {
      const doc = makeCatalog(images);
      console.log(`catalog of ${images} images:`);
      const quads = await timed('catalogToQuads', () => catalogToQuads(doc));
      const nq = await timed(`canonicalNQuads (${quads.length} quads)`, () =>
        canonicalNQuads(quads),
      );
      const ttl = await timed('toTurtle', () => toTurtle(quads));
      const jsonLd = await timed('toJsonLd', () => toJsonLd(quads));
      const back = await timed('parseCanonicalCatalog (import side)', () =>
        parseCanonicalCatalog(Buffer.from(nq)),
      );
      assert.equal(back.images.length, images);
      assert.ok(ttl.length > 0 && jsonLd.length > 0);
    });
  }
});
