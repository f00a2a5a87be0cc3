import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { isVmicError } from '../../errors/index.ts';
import { cmsSign } from '../../pki/index.ts';
import type { Instance } from '../instance.ts';
import { WRITE_BUFFER_BYTES } from '../blobs/digest.ts';
import { durableRename } from '../blobs/durable-files.ts';
import { ImageCache } from '../site/image-cache.ts';
import { bundleHeader } from './bundle-format.ts';
import { chunkCount, sealedSize, STREAM_CHUNK_BYTES, STREAM_SALT_BYTES } from './chunked-aead.ts';
import { sealImage } from './envelope.ts';
import { wrapDataKey } from './key-wrap.ts';
import { encodeManifest, type TransferManifest } from './manifest.ts';
import type { Peer } from './peers.ts';
import { MigrationLog } from './records.ts';
import type { Recipient } from './recipient.ts';
import { dropResume, saveOutgoing, type OutgoingResume } from './resume-state.ts';
import { AHEAD, ReceiverRefusal, bundleBody, send } from './send.ts';
import { loadSiteKey } from './site-identity.ts';

export interface MigrationResult {
  migrationId: string;
  target: string;
  sha256: string;
  byteSize: number;
  bundle?: string;
  receiver?: unknown;
  /** Set when the first attempt's ciphertext was refused by the receiver and this is the retry. */
  retriedAfter?: { migrationId: string; code: string };
  /** Set when this run went on with an interrupted transfer: the chunks it did not send again. */
  resumed?: { fromChunk: number; chunks: number };
  /** Sealed bytes this run sent (header and chunks). */
  bytesSent?: number;
}

export interface TransferInput {
  image: string;
  to: string;
  dir?: string | undefined;
  actor: string;
  override?: { wrapFor?: Pick<Recipient, 'certificatePem'> };
  peer: Peer;
  recipient: Recipient;
  subscription: { name: string; expectSubject: string };
  decision: { identifier: string; title: string; sha256: string; size: number };
  retryOf: string | undefined;
  /** An interrupted HTTP transfer to go on with, from the chunk the receiver holds up to. */
  resume?: (OutgoingResume & { firstChunk: number }) | undefined;
}

/**
 * Failures after which the same transfer may go on: the link or the receiver's process,
 * not the bytes. A receiver's refusal (its answer names a code) means the transfer is
 * burnt there, so its resume state is dropped rather than kept for ever.
 */
const NETWORK_FAILURES: ReadonlySet<string> = new Set([
  'FETCH_FAILED',
  'TOO_SLOW',
  'INTERRUPTED',
  'CONFLICT',
]);

function resumesAfter(e: unknown): boolean {
  if (e instanceof ReceiverRefusal) return false;
  return !isVmicError(e) || NETWORK_FAILURES.has(e.code);
}

/** The file a bundle is written to until complete. */
export function bundlePartPath(bundle: string): string {
  return `${bundle}.part`;
}

/**
 * Export and Transfer of one migration, in one pass over the cached image (envelope.ts
 * sealImage: read, hash, seal, send; the final chunk only once the hash matches). An HTTP
 * transfer keeps its stream parameters and sealed data key until it ends, so that one cut
 * off by the network resumes (resume-state.ts); a refusal or a changed image ends it.
 */
export async function transferOnce(inst: Instance, input: TransferInput): Promise<MigrationResult> {
  const { peer, recipient, subscription: sub, resume } = input;
  const { sha256, size } = input.decision;
  const id = resume?.migrationId ?? crypto.randomUUID();
  const target = input.dir ? `dir:${path.resolve(input.dir)}` : peer.url!;
  const log = new MigrationLog(inst, id, input.actor);
  const firstChunk = resume?.firstChunk ?? 0;
  if (resume) await log.reopen('outgoing', firstChunk);
  else
    await log.create({
      direction: 'outgoing',
      peer: peer.name,
      target,
      image: `${sub.name}/${input.decision.identifier}`,
      sha256,
      byteSize: size,
    });
  const key = resume?.key ?? crypto.randomBytes(32);
  const salt = resume
    ? Buffer.from(resume.salt, 'base64url')
    : crypto.randomBytes(STREAM_SALT_BYTES);
  const chunkBytes = resume?.chunkBytes ?? STREAM_CHUNK_BYTES;
  const chunks = chunkCount(size, chunkBytes);
  const stream = { key, salt, chunkBytes };
  const retry = input.retryOf ? { retryOf: input.retryOf } : {};
  const resumed = resume ? { resumed: { fromChunk: firstChunk, chunks } } : {};
  try {
    // Inside the try: a failure to keep the resume state must end the record it opened
    // (failed), not leave it `running` with a heartbeat while the process lives.
    if (!resume && !input.dir)
      await saveOutgoing(inst, {
        migrationId: id,
        key,
        salt: salt.toString('base64url'),
        chunkBytes,
        chunks,
        sha256,
        size,
      });
    // Export: the signed statement of what is sent. The bytes are read (and hashed
    // against it) once, while they are sent.
    const header = await log.stage('export', async () => {
      const site = await loadSiteKey(inst);
      const manifest: TransferManifest = {
        version: 2,
        migrationId: id,
        image: {
          identifier: input.decision.identifier,
          endorser: sub.name,
          endorserSubject: sub.expectSubject,
          title: input.decision.title,
        },
        plaintext: { sha256, size },
        stream: { enc: 'A256GCM-STREAM1', chunkBytes, chunks, salt: salt.toString('base64url') },
        receiver: recipient.subject,
        sender: site.subject,
        // Fresh for every attempt, a resumed one too: each request is a new signed statement.
        nonce: crypto.randomBytes(32).toString('base64url'),
        createdAt: inst.now().toISOString(),
        wrappedKey: await wrapDataKey(key, (input.override?.wrapFor ?? recipient).certificatePem),
      };
      const signed = await cmsSign({
        content: encodeManifest(manifest),
        detached: false,
        signer: { certificate: site.certificate, privateKey: site.signingKey },
        chain: site.chain,
        signingTime: inst.now(),
      });
      return {
        result: bundleHeader(signed),
        detail: { sha256, bytes: size, chunks, fromChunk: firstChunk },
      };
    });
    const sealed = () =>
      sealImage({
        // Through the site cache store (disk or bucket), hashed again as it is read.
        from: () => ImageCache.of(inst).open(sha256),
        expected: { sha256, size },
        stream,
        firstChunk,
      });
    // Header and the chunks from `firstChunk` on: each chunk is its plaintext and a 16-byte tag.
    const bytes = header.length + sealedSize(size, chunkBytes) - firstChunk * (chunkBytes + 16);
    const result = await log.stage<MigrationResult>('transfer', async () => {
      if (input.dir) {
        const bundle = await writeBundle(input.dir, id, bundleBody(header, sealed()));
        return {
          result: { migrationId: id, target, sha256, byteSize: size, bundle, bytesSent: bytes },
          detail: { bundle, bytes, ...retry },
        };
      }
      const from = firstChunk > 0 ? `?from=${firstChunk}` : '';
      const receiver = await send(
        `${peer.url}/api/v1/transfers${from}`,
        bundleBody(header, sealed()),
        bytes,
        id,
      );
      return {
        result: {
          migrationId: id,
          target,
          sha256,
          byteSize: size,
          receiver,
          bytesSent: bytes,
          ...resumed,
        },
        detail: {
          url: peer.url,
          bytes,
          receiverState: 'imported',
          fromChunk: firstChunk,
          ...retry,
        },
      };
    });
    await dropResume(inst, id);
    await log.finish('done');
    return result;
  } catch (e) {
    if (input.dir)
      fs.rmSync(bundlePartPath(path.join(input.dir, `${id}.vmic-transfer`)), { force: true });
    // Only a transfer the network cut off resumes. A refusal burns the migration at the
    // receiver, and a changed image must not be sent on: their resume state goes.
    if (!resumesAfter(e)) await dropResume(inst, id);
    await log.finish('failed', {
      code: isVmicError(e) ? e.code : 'INTERNAL',
      message: (e as Error).message,
    });
    throw e;
  } finally {
    key.fill(0);
  }
}

/**
 * Written as `.part` and renamed when complete: a crash leaves no bundle that looks whole,
 * and start-up cleanup removes the `.part` of a record whose process is gone. A bundle is
 * often carried away on a removable disk as soon as the command says done, so it is
 * renamed durably (fsync, rename, fsync of the directory), and a failed write removes its
 * `.part` at once rather than at the next start.
 */
async function writeBundle(dir: string, id: string, body: AsyncIterable<Buffer>): Promise<string> {
  fs.mkdirSync(dir, { recursive: true });
  const bundle = path.join(dir, `${id}.vmic-transfer`);
  try {
    await pipeline(
      Readable.from(body, AHEAD),
      fs.createWriteStream(bundlePartPath(bundle), {
        flags: 'wx',
        mode: 0o600,
        highWaterMark: WRITE_BUFFER_BYTES,
      }),
    );
  } catch (e) {
    await fs.promises.rm(bundlePartPath(bundle), { force: true });
    throw e;
  }
  await durableRename(bundlePartPath(bundle), bundle);
  return bundle;
}
