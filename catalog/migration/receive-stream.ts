import crypto from 'node:crypto';
import fs from 'node:fs';
import { VmicError, isVmicError } from '../../errors/index.ts';
import { dnEquals } from '../../pki/index.ts';
import type { Instance } from '../instance.ts';
import { seal } from '../secrets/sealed-box.ts';
import { writeTransaction } from '../store/write-transaction.ts';
import { ImageCache, upsertCacheEntry } from '../site/image-cache.ts';
import { openImage, skipBytes } from './envelope.ts';
import { unwrapDataKey } from './key-wrap.ts';
import type { TransferManifest } from './manifest.ts';
import {
  keepIncomingPartial,
  keyCheck,
  takeIncomingPartial,
  type IncomingPartial,
} from './resume-state.ts';
import { loadSiteKey } from './site-identity.ts';

const TAG_BYTES = 16;

/**
 * Whether a partial transfer may go on under this (verified) manifest: the same sender,
 * image bytes and stream (threat: another peer, or another stream, completing chunks
 * authenticated under someone else's statement). The data key is compared after unwrap.
 */
export function sameTransfer(p: IncomingPartial, m: TransferManifest, signer: string): boolean {
  return (
    dnEquals(p.sender, signer) &&
    p.sha256 === m.plaintext.sha256 &&
    p.size === m.plaintext.size &&
    p.chunkBytes === m.stream.chunkBytes &&
    p.chunks === m.stream.chunks &&
    p.salt === m.stream.salt
  );
}

/**
 * Failures after which the authenticated chunks are kept for a resume: the stream was cut
 * (a dropped connection, a truncated bundle). A chunk that fails authentication, or a
 * whole that hashes wrong, ends the transfer and its file is removed.
 */
export function isInterruption(e: unknown): boolean {
  if (!isVmicError(e)) return true;
  return e.rule === 'stream.truncated' || e.code === 'INTERRUPTED';
}

/**
 * The import stage's bytes: unwrap the key, take back the chunks already held (re-hashing
 * them: a hash's state cannot be stored), authenticate and write the rest, check the whole,
 * then commit to the cache and key store. On an interruption the authenticated chunks are
 * kept (resume-state.ts); the caller removes `tmp` on every other failure.
 */
export async function importStream(
  inst: Instance,
  input: {
    manifest: TransferManifest;
    signer: string;
    peer: string;
    source: AsyncIterable<Buffer>;
    /** The chunk the source starts at (a resumed HTTP request; a bundle starts at 0). */
    from: number;
    partial: IncomingPartial | undefined;
    tmp: string;
  },
): Promise<{ resumedFrom: number }> {
  const { manifest, partial, tmp } = input;
  const site = await loadSiteKey(inst);
  const key = await unwrapDataKey(manifest.wrappedKey, site.unwrapWith);
  const check = keyCheck(key, manifest.migrationId);
  const progress = { held: 0 };
  const start = partial?.held ?? 0;
  try {
    if (partial && partial.keyCheck !== check)
      throw new VmicError(
        'CIPHERTEXT_INVALID',
        `migration ${manifest.migrationId} goes on under another data key than its first chunks`,
        { rule: 'resume.key' },
      );
    const hash = crypto.createHash('sha256');
    if (partial) {
      await takeIncomingPartial(inst, manifest.migrationId, tmp);
      for await (const b of fs.createReadStream(tmp, { highWaterMark: 1024 * 1024 }))
        hash.update(b as Buffer);
    }
    const block = manifest.stream.chunkBytes + TAG_BYTES;
    const source = skipBytes(input.source, (start - input.from) * block);
    const file = await fs.promises.open(tmp, partial ? 'r+' : 'wx', 0o600);
    try {
      await openImage({
        source,
        file,
        stream: {
          key,
          salt: Buffer.from(manifest.stream.salt, 'base64url'),
          chunkBytes: manifest.stream.chunkBytes,
        },
        firstChunk: start,
        chunks: manifest.stream.chunks,
        plaintext: manifest.plaintext,
        hash,
        progress,
      });
    } finally {
      await file.close();
    }
  } catch (e) {
    if (!isInterruption(e) || !fs.existsSync(tmp)) throw e;
    const kept = await keepIncomingPartial(inst, tmp, manifest, progress.held, input.signer, check);
    const why = isVmicError(e) ? e.message : `the connection failed: ${(e as Error).message}`;
    const resumable =
      kept > 0
        ? `; ${kept} of ${manifest.stream.chunks} chunks are kept and the transfer can resume`
        : '';
    if (isVmicError(e))
      throw new VmicError(e.code, `${why}${resumable}`, {
        ...(e.rule === undefined ? {} : { rule: e.rule }),
        cause: e,
      });
    throw new VmicError('INTERRUPTED', `${why}${resumable}`, {
      rule: 'transfer.connection',
      cause: e,
    });
  } finally {
    key.fill(0);
  }
  const sha256 = manifest.plaintext.sha256;
  // Authenticated and whole now: readable like every other cached image.
  fs.chmodSync(tmp, 0o640);
  // Into the site cache store: a rename on disk, a verified ingest into a bucket (the
  // bytes are hashed again on the way and the key appears only after).
  await ImageCache.of(inst).commit(sha256, tmp, manifest.plaintext.size);
  await writeTransaction(inst.store, async (tx) => {
    const now = inst.now().toISOString();
    const entry = {
      byte_size: manifest.plaintext.size,
      state: 'verified' as const,
      reason: null,
      actual_sha256: null,
      source: 'migration',
      source_detail: `peer ${input.peer}, migration ${manifest.migrationId}`,
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
      .onConflict((oc) => oc.column('migration_id').doNothing())
      .execute();
  });
  return { resumedFrom: start };
}
