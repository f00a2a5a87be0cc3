import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { cmsSign, describeCertificate } from '../../../../pki/index.ts';
import {
  canonicalNQuads,
  catalogToQuads,
  type CatalogDocument,
} from '../../../../catalog/rdf/index.ts';
import type { Credential } from '../../../fixtures/pki-fixtures.ts';

export interface CatalogImageSpec {
  identifier: string;
  sha256: string;
  byteSize: number;
  title?: string;
  downloadUrl?: string;
  /** The distribution's disk format (default qcow2). */
  format?: string;
}

/** The canonical N-Quads of a catalog published by the holder of `signer` (subject, issuer). */
export async function catalogNQuads(opts: {
  signer: { subject: string; issuer: string };
  sequence: number;
  issued: Date;
  expires: Date;
  images?: CatalogImageSpec[];
  publisherSubject?: string;
}): Promise<string> {
  const base = 'https://endorser.example/feeds/fx';
  const doc: CatalogDocument = {
    iri: `${base}/catalog`,
    title: 'Fixture catalog',
    issued: opts.issued,
    sequence: opts.sequence,
    expires: opts.expires,
    publisher: {
      iri: `${base}#endorser`,
      name: 'Fixture endorser',
      x509Subject: opts.publisherSubject ?? opts.signer.subject,
      x509Issuer: opts.signer.issuer,
    },
    images: (opts.images ?? [{ identifier: 'img-1', sha256: 'a'.repeat(64), byteSize: 10 }]).map(
      (i) => ({
        iri: `${base}/images/${i.identifier}`,
        identifier: i.identifier,
        title: i.title ?? `Image ${i.identifier}`,
        arch: 'x86_64',
        distribution: {
          iri: `${base}/images/${i.identifier}#disk`,
          downloadUrl: i.downloadUrl ?? `https://endorser.example/blobs/sha256/${i.sha256}`,
          format: i.format ?? 'qcow2',
          byteSize: i.byteSize,
          sha256: i.sha256,
          checksumIri: `${base}/images/${i.identifier}#sha256`,
        },
      }),
    ),
  };
  return canonicalNQuads(catalogToQuads(doc));
}

/** A catalog signed by `signer`, built with the same RDF and CMS code an endorser uses. */
export async function signedCatalog(opts: {
  signer: Credential;
  chain: Uint8Array[];
  sequence: number;
  issued: Date;
  expires: Date;
  images?: CatalogImageSpec[];
  /** Sign these N-Quads instead of the canonical form (a valid signature over non-canonical bytes). */
  rewrite?: (canonical: string) => string;
  publisherSubject?: string;
}): Promise<Uint8Array> {
  let nquads = await catalogNQuads({
    ...opts,
    signer: describeCertificate(opts.signer.certificate),
  });
  if (opts.rewrite) nquads = opts.rewrite(nquads);
  return cmsSign({
    content: Buffer.from(nquads, 'utf8'),
    detached: false,
    signer: opts.signer,
    chain: opts.chain,
    signingTime: opts.issued,
  });
}

/** A real HTTP server on loopback that serves whatever bytes the test puts at the feed path. */
export async function startFeedServer(): Promise<{
  url: string;
  serve(body: Uint8Array | undefined): void;
  requests: number;
  stop(): Promise<void>;
}> {
  let body: Uint8Array | undefined;
  const state = { requests: 0 };
  const server = http.createServer((req, res) => {
    state.requests++;
    if (req.url !== '/feeds/fx/catalog.p7m' || body === undefined) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/pkcs7-mime', 'content-length': body.length });
    res.end(Buffer.from(body));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/feeds/fx/`,
    serve(b) {
      body = b;
    },
    get requests() {
      return state.requests;
    },
    stop: () => new Promise<void>((r) => server.close(() => r())),
  };
}
