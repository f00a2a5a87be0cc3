import { VmicError } from '../errors/index.ts';
import type { Instance } from './instance.ts';
import { loadSigner } from './endorsers.ts';
import { writeTransaction, type Tx } from './store/write-transaction.ts';
import { collectCosignatures } from './log/log-witnesses.ts';
import { writeVersionFiles } from './publish-files.ts';
import { prepareVersion } from './publish-document.ts';
import {
  commitVersion,
  discardStored,
  tooLargeOrAsIs,
  type PublishedVersion,
} from './publish-commit.ts';
import { createPendingCatalog } from './cosign/pending-create.ts';

export type { PublishedVersion } from './publish-commit.ts';

export const DEFAULT_EXPIRES_IN_SECONDS = 30 * 24 * 3600;
export const MAX_EXPIRES_IN_SECONDS = 366 * 24 * 3600;

/**
 * Publish: build the graph of the endorsed images, canonicalise (RDFC-1.0), sign attached
 * and detached, and store the version immutably with sequence = previous + 1: its files
 * streamed into the blob store (publish-files.ts), its row naming them. The whole use
 * case runs under the write lock so that two publishers can never both claim the same
 * sequence (threat: equivocation by our own server).
 *
 * An endorser whose threshold is K > 1 gets a pending catalog instead, signed by its own
 * key and holding the next sequence until K - 1 co-signers have signed it
 * (catalog/cosign/, docs/design.md §3); `pending` in the result says so.
 */
export async function publishCatalog(
  inst: Instance,
  input: { endorser: string; expiresInSeconds?: number; actor: string },
): Promise<PublishedVersion> {
  const expiresIn = input.expiresInSeconds ?? DEFAULT_EXPIRES_IN_SECONDS;
  if (!Number.isSafeInteger(expiresIn) || expiresIn < 60 || expiresIn > MAX_EXPIRES_IN_SECONDS) {
    throw new VmicError('BAD_REQUEST', `expiry must be between 1 minute and 366 days`);
  }
  const signer = await loadSigner(inst, input.endorser);
  const stored: string[] = [];
  let published: PublishedVersion;
  try {
    published = await writeTransaction(inst.store, async (tx) => {
      const threshold = await thresholdWithoutPending(tx, input.endorser);
      // Inside the transaction, every query goes through `tx`: the store has one connection.
      const v = await prepareVersion(inst, tx, input.endorser, signer, expiresIn, input.actor);
      const lapsed = v.withdrawnUpstream.length ? { withdrawnUpstream: v.withdrawnUpstream } : {};
      if (threshold > 1)
        return {
          ...(await createPendingCatalog(inst, tx, {
            endorser: input.endorser,
            version: v,
            threshold,
            signer,
            actor: input.actor,
            stored: (sha256) => stored.push(sha256),
          })),
          ...lapsed,
        };
      const signing = {
        signer: { certificate: signer.certificate, privateKey: signer.privateKey },
        chain: signer.chain,
        signingTime: v.issued,
      };
      const files = await writeVersionFiles(inst, v.doc, signing, v.signedImageList, (sha256) =>
        stored.push(sha256),
      );
      return {
        ...(await commitVersion(tx, inst, {
          endorser: input.endorser,
          endorserId: v.endorserId,
          sequence: v.sequence,
          issued: v.issued,
          expires: v.expires,
          imageCount: v.imageCount,
          files,
          actor: input.actor,
        })),
        ...lapsed,
      };
    });
  } catch (e) {
    await discardStored(inst, stored);
    throw tooLargeOrAsIs(e);
  }
  if (published.pending) return published;
  // After the commit and its checkpoint: the log's witnesses cosign the tree that holds
  // the new version, so that sites needing their cosignatures find them with the proof.
  await collectCosignatures(inst);
  return published;
}

/**
 * The endorser's signature threshold; refuses while a pending catalog holds the next
 * sequence (it is completed by co-signatures, or discarded: docs/design.md §3).
 */
async function thresholdWithoutPending(tx: Tx, endorser: string): Promise<number> {
  const row = await tx
    .selectFrom('endorsers')
    .leftJoin('pending_catalogs', 'pending_catalogs.endorser_id', 'endorsers.id')
    .select(['endorsers.signature_threshold', 'pending_catalogs.sequence'])
    .where('endorsers.name', '=', endorser)
    .executeTakeFirst();
  if (!row) throw new VmicError('NOT_FOUND', `no endorser named ${endorser}`);
  if (row.sequence !== null)
    throw new VmicError(
      'CONFLICT',
      `catalog ${endorser} sequence ${row.sequence} is pending co-signatures: sign it (vmic catalog sign ${endorser} --as SIGNER) or discard it (vmic catalog discard ${endorser}) before publishing again`,
    );
  return row.signature_threshold;
}
