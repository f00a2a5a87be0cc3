import fs from 'node:fs';
import path from 'node:path';
import { VmicError, isVmicError } from '../../errors/index.ts';
import type { Instance } from '../instance.ts';
import { seal } from '../secrets/sealed-box.ts';
import { writeTransaction } from '../store/write-transaction.ts';
import { ImageCache, upsertCacheEntry } from '../site/image-cache.ts';
import { readPolicy } from '../site/policy.ts';
import { loadTrustMaterial } from '../site/trust-store.ts';
import { migrationTempDir, ownedTempName } from '../cleanup/owned-temporaries.ts';
import { pemToDers } from '../../pki/index.ts';
import { readBundleHeader } from './bundle-format.ts';
import { readClaims } from './claimed-sender.ts';
import { openStream } from './envelope.ts';
import { unwrapDataKey } from './key-wrap.ts';
import { listPeers, pinPeerIssuer } from './peers.ts';
import { MigrationLog, recordRefusedTransfer } from './records.ts';
import { getSiteIdentity, loadSiteKey } from './site-identity.ts';
import { verifyManifest, type VerifiedManifest } from './verify-manifest.ts';

export interface ReceivedImage {
  migrationId: string;
  peer: string;
  image: string;
  sha256: string;
  byteSize: number;
}

/**
 * Import (docs/design.md §8, at the receiver): verify the manifest before reading ciphertext,
 * claim its nonce, unwrap the key, decrypt and authenticate while streaming, verify the
 * plaintext, then move the bytes into the cache and the sealed key into the key store.
 * Any failure leaves no image: the plaintext lives in a temporary file until the end,
 * mode 0600 in a directory that start-up cleanup owns and empties of files whose writer
 * is gone (catalog/cleanup). A refusal before the record exists (the manifest stage) is
 * recorded with the sender the transfer claimed, for `vmic migrations` and the web page.
 */
export async function receiveTransfer(
  inst: Instance,
  source: AsyncIterable<Buffer | Uint8Array>,
  opts: { via: string; actor: string },
): Promise<ReceivedImage> {
  const time = inst.now();
  let log: MigrationLog | undefined;
  let signedManifest: Buffer | undefined;
  let verified: VerifiedManifest | undefined;
  let authenticated: { signer: string; peer: string } | undefined;
  const tmp = path.join(migrationTempDir(inst.config.dataDir), ownedTempName());
  try {
    const header = await readBundleHeader(source);
    signedManifest = header.signedManifest;
    const rest = header.rest;
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
        certificateDer: p.certificatePem
          ? pemToDers(p.certificatePem, 'CERTIFICATE')[0]
          : undefined,
        issuer: { subject: p.issuerPin.subject, keyId: p.issuerPin.keyId },
      })),
      self: self.subject,
      time,
      clockWindowMs:
        policy.transferClockWindowSeconds === undefined
          ? undefined
          : policy.transferClockWindowSeconds * 1000,
      nonceSeen: async (nonce) =>
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
    // Claim the nonce and open the record in one step: a concurrent replay loses here.
    await writeTransaction(inst.store, async (tx) => {
      if (
        await tx
          .selectFrom('received_nonces')
          .select('nonce')
          .where('nonce', '=', manifest.nonce)
          .executeTakeFirst()
      )
        throw new VmicError('REPLAY', 'this transfer was received before', { rule: 'nonce' });
      if (
        await tx
          .selectFrom('migrations')
          .select('id')
          .where('id', '=', manifest.migrationId)
          .executeTakeFirst()
      )
        throw new VmicError('REPLAY', `migration ${manifest.migrationId} was received before`, {
          rule: 'migration-id',
        });
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
    await log.create({
      direction: 'incoming',
      peer,
      target: opts.via,
      image,
      sha256: manifest.plaintext.sha256,
      byteSize: manifest.plaintext.size,
    });
    await log.stage('import', async () => {
      const site = await loadSiteKey(inst);
      const key = await unwrapDataKey(manifest.wrappedKey, site.pkcs8Pem);
      try {
        await openStream({
          source: rest,
          to: tmp,
          key,
          iv: Buffer.from(manifest.ciphertext.iv, 'base64url'),
          aad: manifest.migrationId,
          ciphertext: manifest.ciphertext,
          plaintext: manifest.plaintext,
        });
      } finally {
        key.fill(0);
      }
      const sha256 = manifest.plaintext.sha256;
      // Authenticated now: readable like every other cached image.
      fs.chmodSync(tmp, 0o640);
      await ImageCache.of(inst).commit(sha256, tmp);
      await writeTransaction(inst.store, async (tx) => {
        const now = inst.now().toISOString();
        const entry = {
          byte_size: manifest.plaintext.size,
          state: 'verified' as const,
          reason: null,
          actual_sha256: null,
          source: 'migration',
          source_detail: `peer ${peer}, migration ${manifest.migrationId}`,
          updated_at: now,
        };
        await upsertCacheEntry(tx, sha256, entry);
        await tx
          .insertInto('migrated_keys')
          .values({
            migration_id: manifest.migrationId,
            sender: manifest.sender,
            sha256,
            sealed_key: seal(
              inst.keys.sealing,
              Buffer.from(manifest.wrappedKey, 'utf8'),
              `vmic migrated key:${manifest.migrationId}`,
            ),
            received_at: now,
          })
          .execute();
      });
      return { result: undefined, detail: { sha256, bytes: manifest.plaintext.size, peer } };
    });
    await log.finish('done');
    return {
      migrationId: manifest.migrationId,
      peer,
      image,
      sha256: manifest.plaintext.sha256,
      byteSize: manifest.plaintext.size,
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
