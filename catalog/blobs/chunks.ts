import { Readable } from 'node:stream';
import type { ObjectStore } from './object-store.ts';
import type { Digest } from './digest.ts';

/**
 * Stores text or bytes that a generator writes a chunk at a time (a catalog version's
 * files), pulling the next chunk only when the file has taken the last one, so that a
 * large file is never whole in memory. Durable and content-addressed like any blob.
 */
export function ingestChunks(
  blobs: ObjectStore,
  chunks: Iterable<string | Uint8Array> | AsyncIterable<string | Uint8Array>,
): Promise<Digest> {
  return blobs.ingest(Readable.from(chunks, { objectMode: false }), {
    // Written by this server, not received: no limit to defend, only what the disk holds.
    maxBytes: Number.MAX_SAFE_INTEGER,
    sha512: false,
  });
}
