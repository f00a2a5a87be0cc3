import type { Instance } from '../instance.ts';
import { parseCanonicalCatalog } from '../rdf/index.ts';
import {
  compareImages,
  fromGraph,
  lastPublishedImages,
  type PublishPreview,
} from '../publish-preview.ts';
import { pendingRow, readPendingNQuads } from './pending.ts';

/**
 * `vmic catalog diff ENDORSER`: what the pending catalog changes against the last
 * published version, both read from their signed N-Quads, so that a co-signer sees what
 * the signature would endorse, not what the images table says now.
 */
export async function diffPending(inst: Instance, endorser: string): Promise<PublishPreview> {
  const row = await pendingRow(inst.store.db, endorser);
  const pending = await parseCanonicalCatalog(await readPendingNQuads(inst, row));
  const { last, images } = await lastPublishedImages(inst, endorser);
  return {
    last,
    nextSequence: row.sequence,
    ...compareImages(
      images,
      pending.images.map((i) => ({
        identifier: i.identifier,
        title: i.title,
        signed: fromGraph(i),
      })),
    ),
    // Adopted images that lapsed upstream were withdrawn when the pending catalog was made:
    // they are among `withdrawn` already.
    withdrawnUpstream: [],
  };
}
