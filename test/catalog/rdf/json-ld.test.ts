import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import {
  canonicalNQuads,
  catalogToQuads,
  parseJsonLd,
  toJsonLd,
} from '../../../catalog/rdf/index.ts';
import { makeCatalog } from './fixtures.ts';
import { rejectsWith } from './helpers.ts';

describe('parseJsonLd', () => {
  it('reads what toJsonLd writes', async () => {
    const quads = catalogToQuads(makeCatalog(2));
    assert.equal(
      await canonicalNQuads(await parseJsonLd(await toJsonLd(quads))),
      await canonicalNQuads(quads),
    );
  });

  // SSRF: a catalog must not be able to make the server fetch a URL of its choosing.
  it('refuses a remote @context without fetching it', async () => {
    let requests = 0;
    const server = createServer((_req, res) => {
      requests++;
      res.setHeader('content-type', 'application/ld+json');
      res.end('{"@context": {"title": "http://purl.org/dc/terms/title"}}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    try {
      const doc = {
        '@context': `http://127.0.0.1:${port}/context.jsonld`,
        '@id': 'http://e/x',
        title: 't',
      };
      await rejectsWith(() => parseJsonLd(JSON.stringify(doc)), 'MALFORMED', '@context');
      const nested = {
        '@context': [{ dcterms: 'http://purl.org/dc/terms/' }, `http://127.0.0.1:${port}/c2`],
        '@id': 'http://e/x',
      };
      await rejectsWith(() => parseJsonLd(JSON.stringify(nested)), 'MALFORMED', '@context');
      const scoped = {
        '@context': { p: { '@id': 'http://e/p', '@context': `http://127.0.0.1:${port}/c3` } },
        '@id': 'http://e/x',
        p: { '@id': 'http://e/y' },
      };
      await rejectsWith(() => parseJsonLd(JSON.stringify(scoped)), 'MALFORMED', '@context');
      assert.equal(requests, 0);
    } finally {
      server.close();
    }
  });

  it('refuses JSON-LD that would silently drop data (safe mode)', async () => {
    const doc = {
      '@context': { title: 'http://purl.org/dc/terms/title' },
      '@id': 'http://e/x',
      unmapped: 'lost',
    };
    await rejectsWith(() => parseJsonLd(JSON.stringify(doc)), 'MALFORMED', 'json-ld');
  });

  it('refuses text that is not JSON', async () => {
    await rejectsWith(() => parseJsonLd('{"@context": '), 'MALFORMED', 'syntax');
  });
});
