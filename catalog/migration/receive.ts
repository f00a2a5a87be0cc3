import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { VmicError, isVmicError } from '../../pki/errors.ts';
import type { Instance } from '../instance.ts';
import { appendAudit } from '../audit/audit-log.ts';
import { seal } from '../secrets/sealed-box.ts';
import { writeTransaction } from '../store/write-transaction.ts';
import { ImageCache } from '../site/image-cache.ts';
import { readPolicy } from '../site/policy.ts';
import { loadTrustMaterial } from '../site/trust-store.ts';
import { readBundleHeader } from './bundle-format.ts';
import { openStream } from './envelope.ts';
import { unwrapDataKey } from './key-wrap.ts';
import { listPeers } from './peers.ts';
import { MigrationLog } from './records.ts';
import { getSiteIdentity, loadSiteKey } from './site-identity.ts';
import { verifyManifest } from './verify-manifest.ts';

export interface ReceivedImage {
  migrationId: string;
  peer: string;
  image: string;
  sha256: string;
  byteSize: number;
}

/**
 * Import (DESIGN.md §8, at the receiver): verify the manifest before reading ciphertext,
 * claim its nonce, unwrap the key, decrypt and authenticate while streaming, verify the
 * plaintext, then move the bytes into the cache and the sealed key into the key store.
 * Any failure leaves no image: the plaintext lives in a temporary file until the end.
 */
export async function receiveTransfer(
  inst: Instance,
  source: AsyncIterable<Buffer | Uint8Array>,
  opts: { via: string; actor: string },
): Promise<ReceivedImage> {
  const time = inst.now();
  let log: MigrationLog | undefined;
  const tmp = path.join(inst.config.dataDir, 'migrations', `in-${crypto.randomUUID()}.part`);
  try {
    const { signedManifest, rest } = await readBundleHeader(source);
    const self = await getSiteIdentity(inst);
    const { manifest, peer } = await verifyManifest({
      signedManifest,
      trust: await loadTrustMaterial(inst.store.db),
      revocation: (await readPolicy(inst.store.db)).revocation,
      peers: (await listPeers(inst)).map((p) => ({ name: p.name, subject: p.expectSubject })),
      self: self.subject,
      time,
      nonceSeen: async (nonce) =>
        (await inst.store.db
          .selectFrom('received_nonces')
          .select('nonce')
          .where('nonce', '=', nonce)
          .executeTakeFirst()) !== undefined,
    });
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
      fs.mkdirSync(path.dirname(tmp), { recursive: true, mode: 0o700 });
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
        await tx
          .insertInto('cache_entries')
          .values({ sha256, ...entry })
          .onConflict((oc) => oc.column('sha256').doUpdateSet(entry))
          .execute();
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
    else
      await writeTransaction(inst.store, (tx) =>
        appendAudit(
          tx,
          {
            actor: opts.actor,
            action: 'migration.import.refused',
            subject: opts.via,
            details: {
              code,
              rule: isVmicError(e) ? (e.rule ?? null) : null,
              message: (e as Error).message.slice(0, 500),
            },
          },
          inst.now(),
        ),
      );
    throw e;
  }
}
