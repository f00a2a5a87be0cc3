import fs from 'node:fs';
import path from 'node:path';
import { VmicError, isVmicError } from '../../errors/index.ts';
import type { Instance } from '../instance.ts';
import { writeTransaction } from '../store/write-transaction.ts';
import { readPolicy } from '../site/policy.ts';
import { loadTrustMaterial } from '../site/trust-store.ts';
import { migrationTempDir, ownedTempName } from '../cleanup/owned-temporaries.ts';
import { pemToDers } from '../../pki/index.ts';
import { readBundleHeader } from './bundle-format.ts';
import { readClaims } from './claimed-sender.ts';
import { listPeers, pinPeerIssuer } from './peers.ts';
import { importStream, sameTransfer } from './receive-stream.ts';
import { MigrationLog, recordRefusedTransfer } from './records.ts';
import {
  findIncomingPartial,
  pruneIncomingPartials,
  type IncomingPartial,
} from './resume-state.ts';
import { getSiteIdentity } from './site-identity.ts';
import { verifyManifest, type VerifiedManifest } from './verify-manifest.ts';

export interface ReceivedImage {
  migrationId: string;
  peer: string;
  image: string;
  sha256: string;
  byteSize: number;
  /** The chunk this transfer went on from, when it resumed an interrupted one. */
  resumedFromChunk?: number;
}

/**
 * Import (docs/design.md §8, at the receiver): verify the manifest before reading ciphertext,
 * claim its nonce, unwrap the key, authenticate each chunk before writing it, verify the
 * whole plaintext, then move the bytes into the cache and the sealed key into the key
 * store. Any failure leaves no image: the plaintext lives in a temporary file until the
 * end, mode 0600 in a directory that start-up cleanup owns and empties of files whose
 * writer is gone (catalog/cleanup); an interrupted stream keeps its authenticated chunks
 * to resume from (resume-state.ts). A refusal before the record exists (the manifest
 * stage) is recorded with the sender the transfer claimed, for `vmic migrations` and the
 * web page.
 *
 * `from` is the chunk the source starts at: 0 for a bundle (chunks already held are then
 * skipped unread), the receiver's held count for a resumed HTTP request.
 */
export async function receiveTransfer(
  inst: Instance,
  source: AsyncIterable<Buffer | Uint8Array>,
  opts: { via: string; actor: string; from?: number },
): Promise<ReceivedImage> {
  const time = inst.now();
  let log: MigrationLog | undefined;
  let signedManifest: Buffer | undefined;
  let verified: VerifiedManifest | undefined;
  let authenticated: { signer: string; peer: string } | undefined;
  const tmp = path.join(migrationTempDir(inst.config.dataDir), ownedTempName());
  const from = opts.from ?? 0;
  try {
    await pruneIncomingPartials(inst);
    const header = await readBundleHeader(source);
    signedManifest = header.signedManifest;
    const rest = header.rest;
    // A bundle read again after it was cut off carries the manifest accepted then: its
    // freshness was checked at that first reading, so the clock window is not applied
    // again, and its nonce is that partial's, not a replay. Both hold only once the
    // signature verifies and the manifest is the partial's own (checked below).
    const claimedNonce = readClaims(signedManifest).nonce;
    const again = claimedNonce
      ? await findIncomingPartial(inst, { nonce: claimedNonce })
      : undefined;
    const self = await getSiteIdentity(inst);
    const policy = await readPolicy(inst.store.db);
    const peers = await listPeers(inst);
    verified = await verifyManifest({
      signedManifest,
      trust: await loadTrustMaterial(inst.store.db),
      revocation: policy.revocation,
      peers: peers.map((p) => ({
        name: p.name,
        subject: p.expectSubject,
        url: p.url,
        certificateDer: p.certificatePem
          ? pemToDers(p.certificatePem, 'CERTIFICATE')[0]
          : undefined,
        issuer: { subject: p.issuerPin.subject, keyId: p.issuerPin.keyId },
      })),
      self: self.subject,
      time,
      clockWindowMs: again
        ? Number.POSITIVE_INFINITY
        : policy.transferClockWindowSeconds === undefined
          ? undefined
          : policy.transferClockWindowSeconds * 1000,
      nonceSeen: async (nonce) =>
        nonce !== again?.nonce &&
        (await inst.store.db
          .selectFrom('received_nonces')
          .select('nonce')
          .where('nonce', '=', nonce)
          .executeTakeFirst()) !== undefined,
      onAuthenticated: (sender) => (authenticated = sender),
    });
    const { manifest, peer } = verified;
    await pinPeerIssuer(
      inst,
      peers.find((p) => p.name === peer)!,
      verified.issuer,
      opts.actor,
    );
    if (manifest.plaintext.size > inst.config.limits.imageBytes)
      throw new VmicError('TOO_LARGE', "the migrated image exceeds this site's size limit");
    const image = `${manifest.image.endorser}/${manifest.image.identifier}`;
    const partial = await resumeOf(inst, manifest, verified.signer, from);
    if (again && again.migrationId !== partial?.migrationId)
      throw new VmicError('REPLAY', 'this transfer was received before', { rule: 'nonce' });
    // Claim the nonce and open the record in one step: a concurrent replay loses here.
    await writeTransaction(inst.store, async (tx) => {
      if (
        manifest.nonce !== partial?.nonce &&
        (await tx
          .selectFrom('received_nonces')
          .select('nonce')
          .where('nonce', '=', manifest.nonce)
          .executeTakeFirst())
      )
        throw new VmicError('REPLAY', 'this transfer was received before', { rule: 'nonce' });
      const known = await tx
        .selectFrom('migrations')
        .select(['id', 'state'])
        .where('id', '=', manifest.migrationId)
        .executeTakeFirst();
      if (known && !partial)
        throw new VmicError('REPLAY', `migration ${manifest.migrationId} was received before`, {
          rule: 'migration-id',
        });
      if (known?.state === 'running')
        throw new VmicError('CONFLICT', `migration ${manifest.migrationId} is being received now`, {
          rule: 'resume.running',
        });
      if (manifest.nonce === partial?.nonce) return;
      await tx
        .insertInto('received_nonces')
        .values({
          nonce: manifest.nonce,
          migration_id: manifest.migrationId,
          sender: manifest.sender,
          received_at: time.toISOString(),
        })
        .execute();
    });
    log = new MigrationLog(inst, manifest.migrationId, opts.actor);
    if (partial) await log.reopen('incoming', partial.held);
    else
      await log.create({
        direction: 'incoming',
        peer,
        target: opts.via,
        image,
        sha256: manifest.plaintext.sha256,
        byteSize: manifest.plaintext.size,
      });
    const { resumedFrom } = await log.stage('import', async () => {
      const r = await importStream(inst, {
        manifest,
        signer: verified!.signer,
        peer,
        source: rest,
        from,
        partial,
        tmp,
      });
      const sha256 = manifest.plaintext.sha256;
      return {
        result: r,
        detail: { sha256, bytes: manifest.plaintext.size, peer, fromChunk: r.resumedFrom },
      };
    });
    await log.finish('done');
    return {
      migrationId: manifest.migrationId,
      peer,
      image,
      sha256: manifest.plaintext.sha256,
      byteSize: manifest.plaintext.size,
      ...(resumedFrom > 0 ? { resumedFromChunk: resumedFrom } : {}),
    };
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    const code = isVmicError(e) ? e.code : 'INTERNAL';
    if (log) await log.finish('failed', { code, message: (e as Error).message });
    else {
      // Before the record: the refusal is listed on its own, with who the sender claimed
      // to be (proved only when `verified`; otherwise read from the unverified manifest).
      const claims = signedManifest ? readClaims(signedManifest) : undefined;
      const sender = authenticated?.signer ?? claims?.sender;
      await recordRefusedTransfer(
        inst,
        {
          code,
          rule: isVmicError(e) ? e.rule : undefined,
          message: (e as Error).message,
          via: opts.via,
          claimedSender: sender
            ? { subject: sender, verified: authenticated !== undefined }
            : undefined,
          peer: authenticated?.peer,
          migrationId: verified?.manifest.migrationId ?? claims?.migrationId,
          image: verified
            ? `${verified.manifest.image.endorser}/${verified.manifest.image.identifier}`
            : claims?.image,
        },
        opts.actor,
      );
    }
    throw e;
  }
}

/**
 * The partial transfer this manifest goes on with, if any. `from` beyond what is held (or
 * any `from` with nothing held) is refused: the sender must send the chunks we lack.
 */
async function resumeOf(
  inst: Instance,
  manifest: VerifiedManifest['manifest'],
  signer: string,
  from: number,
): Promise<IncomingPartial | undefined> {
  const found = await findIncomingPartial(inst, { migrationId: manifest.migrationId });
  const partial = found && sameTransfer(found, manifest, signer) ? found : undefined;
  if (found && !partial)
    throw new VmicError(
      'REPLAY',
      `migration ${manifest.migrationId} was begun with another sender, image or stream`,
      { rule: 'resume.manifest' },
    );
  const held = partial?.held ?? 0;
  if (!Number.isSafeInteger(from) || from < 0 || from > held)
    throw new VmicError(
      'CONFLICT',
      `this site holds ${held} chunks of migration ${manifest.migrationId}; send from chunk ${held}`,
      { rule: 'resume.from' },
    );
  return partial;
}
