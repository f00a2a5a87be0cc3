import crypto from 'node:crypto';
import type { CryptoKey } from '../pki/index.ts';
import {
  attachedAround,
  cmsSignStreamable,
  type StreamableSignature,
} from '../pki/cms-attached.ts';
import type { Instance } from './instance.ts';
import { ingestChunks } from './blobs/chunks.ts';
import { canonicalNQuadsChunks } from './rdf/canonical-stream.ts';
import { catalogSubjects } from './rdf/graph.ts';
import { writeCatalogJsonLd } from './rdf/json-ld-stream.ts';
import { turtleChunks } from './rdf/turtle.ts';
import type { CatalogDocument } from './rdf/model.ts';
import type { VersionFileName } from './catalog-versions.ts';

export interface StoredFile {
  sha256: string;
  size: number;
}

export type VersionFileRefs = Record<VersionFileName, StoredFile>;

export interface Signing {
  signer: { certificate: Uint8Array; privateKey: CryptoKey };
  chain: Uint8Array[];
  signingTime: Date;
}

/**
 * A CMS made before the files (a co-signed catalog: pki/cms-cosign.ts), detached, over
 * N-Quads whose SHA-256 is `nquadsSha256`; the N-Quads written now must be those bytes.
 */
export interface Presigned {
  detached: Uint8Array;
  nquadsSha256: string;
}

/**
 * Writes a version's files into the blob store, each streamed as it is produced: the
 * canonical N-Quads first (their SHA-256 is what is signed), then the attached CMS around
 * them read back from the store, the detached CMS, Turtle, JSON-LD and the signed HEPiX
 * list. Memory holds the document and a chunk of each file, never a whole one (threat: a large
 * endorser's publish exhausting memory). `stored` learns each hash as soon as its file
 * is in place, so that a publish failing later can remove what it wrote.
 */
export async function writeVersionFiles(
  inst: Instance,
  doc: CatalogDocument,
  signing: Signing | Presigned,
  signedImageList: Buffer,
  stored: (sha256: string) => void,
): Promise<VersionFileRefs> {
  const put = async (chunks: Iterable<string | Uint8Array> | AsyncIterable<Uint8Array>) => {
    const d = await ingestChunks(inst.blobs, chunks);
    stored(d.sha256);
    return { sha256: d.sha256, size: d.size };
  };
  const signed = async () => {
    const nquads = await put(canonicalNQuadsChunks(catalogSubjects(doc)));
    const signature = await signatureOver(signing, nquads);
    const p7m = await put(attachedForm(inst, signature, nquads));
    return { nquads, p7m, p7s: await put([signature.detached]) };
  };
  // Side by side: while one file waits for the disk (fsync of hundreds of MB), the others
  // are being written. Every writer is settled before returning, so that on a failure no
  // file lands after the caller has cleaned up.
  const [cms, turtle, jsonld, imageList] = settled(
    await Promise.allSettled([
      signed(),
      put(turtleChunks(catalogSubjects(doc))),
      writeCatalogJsonLd(doc, put),
      put([signedImageList]),
    ]),
  );
  return { ...cms, turtle, jsonld, image_list: imageList };
}

async function signatureOver(
  signing: Signing | Presigned,
  nquads: StoredFile,
): Promise<StreamableSignature> {
  if (!('detached' in signing))
    return cmsSignStreamable({
      ...signing,
      sha256: Buffer.from(nquads.sha256, 'hex'),
      contentLength: nquads.size,
    });
  if (nquads.sha256 !== signing.nquadsSha256)
    throw new Error(`the N-Quads written (${nquads.sha256}) are not those signed`);
  return { detached: signing.detached, ...attachedAround(signing.detached, nquads.size) };
}

/** The values of promises that all fulfilled; else the first reason, once all have settled. */
function settled<T extends unknown[]>(results: { [K in keyof T]: PromiseSettledResult<T[K]> }): T {
  for (const r of results) if (r.status === 'rejected') throw r.reason;
  return results.map((r) => (r as PromiseFulfilledResult<unknown>).value) as T;
}

/**
 * `catalog.p7m`: the CMS header, the stored N-Quads, the trailer. The content is hashed
 * again on its way through and must be the bytes that were signed (threat: a blob changed
 * on disk between writing and signing, giving a p7m that no site can verify).
 */
async function* attachedForm(
  inst: Instance,
  signature: StreamableSignature,
  content: StoredFile,
): AsyncGenerator<Uint8Array> {
  yield signature.attachedHeader;
  const hash = crypto.createHash('sha256');
  let size = 0;
  for await (const chunk of await inst.blobs.open(content.sha256)) {
    hash.update(chunk as Buffer);
    size += (chunk as Buffer).length;
    yield chunk as Buffer;
  }
  if (size !== content.size || hash.digest('hex') !== content.sha256)
    throw new Error(`the stored N-Quads ${content.sha256} changed before they were enveloped`);
  yield signature.attachedTrailer;
}
