import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { VmicError, isVmicError } from '../../pki/errors.ts';
import { cmsSign } from '../../pki/index.ts';
import type { Instance } from '../instance.ts';
import { appendAudit } from '../audit/audit-log.ts';
import { writeTransaction } from '../store/write-transaction.ts';
import { WRITE_BUFFER_BYTES } from '../blobs/digest.ts';
import { decideDeployment, type GateReason } from '../site/gate.ts';
import { ImageCache } from '../site/image-cache.ts';
import { getSubscription } from '../site/subscriptions.ts';
import { bundleHeader } from './bundle-format.ts';
import { measureSealed, sealedStream, type SealInput } from './envelope.ts';
import { wrapDataKey } from './key-wrap.ts';
import { encodeManifest, type TransferManifest } from './manifest.ts';
import { getPeer } from './peers.ts';
import { MigrationLog } from './records.ts';
import { resolveRecipient, type Recipient } from './recipient.ts';
import { loadSiteKey } from './site-identity.ts';

export interface MigrationResult {
  migrationId: string;
  target: string;
  sha256: string;
  byteSize: number;
  bundle?: string;
  receiver?: unknown;
}

/** Refused before Export: the gate's own reasons (DESIGN.md §8: migrate only through the gate). */
export class NotDeployableError extends VmicError {
  constructor(readonly reasons: GateReason[]) {
    super(
      reasons[0]?.code ?? 'NOT_APPROVED',
      `not deployable at this site: ${reasons.map((r) => r.code).join(', ')}`,
      { rule: 'gate' },
    );
  }
}

/**
 * `vmic migrate IMAGE --to PEER`: gate, then Export (re-hash) and Transfer (encrypt, wrap
 * the key for the receiver, sign the manifest, send or write the bundle). The receiver
 * runs Import. `override` exists for tests that must build a bundle wrapped for the wrong
 * site; nothing else passes it.
 */
export async function migrateImage(
  inst: Instance,
  input: {
    image: string;
    subscription?: string | undefined;
    to: string;
    dir?: string | undefined;
    actor: string;
    override?: { wrapFor?: Recipient };
  },
): Promise<MigrationResult> {
  const decision = await decideDeployment(inst, input.image, { subscription: input.subscription });
  if (!decision.deployable) {
    await writeTransaction(inst.store, (tx) =>
      appendAudit(
        tx,
        {
          actor: input.actor,
          action: 'migration.refused',
          subject: input.image,
          details: { to: input.to, reasons: decision.reasons.map((r) => r.code) },
        },
        inst.now(),
      ),
    );
    throw new NotDeployableError(decision.reasons);
  }
  const peer = await getPeer(inst, input.to);
  const recipient = await resolveRecipient(inst, peer);
  const sub = await getSubscription(inst.store.db, decision.subscription!);
  const sha256 = decision.sha256!;
  const size = decision.byteSize!;
  const id = crypto.randomUUID();
  const target = input.dir ? `dir:${path.resolve(input.dir)}` : peer.url!;
  const log = new MigrationLog(inst, id, input.actor);
  await log.create({
    direction: 'outgoing',
    peer: peer.name,
    target,
    image: `${sub.name}/${decision.identifier}`,
    sha256,
    byteSize: size,
  });

  const key = crypto.randomBytes(32);
  const iv = crypto.randomBytes(12);
  const seal = { from: ImageCache.of(inst).pathOf(sha256), key, iv, aad: id };
  try {
    // Export: the cached bytes must still hash to the signed SHA-256; encrypted in the same pass.
    const envelope = await log.stage('export', async () => {
      const result = await measureSealed({ ...seal, expected: { sha256, size } });
      return { result, detail: { sha256, bytes: size } };
    });
    const result = await log.stage<MigrationResult>('transfer', async () => {
      const site = await loadSiteKey(inst);
      const manifest: TransferManifest = {
        version: 1,
        migrationId: id,
        image: {
          identifier: decision.identifier!,
          endorser: sub.name,
          endorserSubject: sub.expectSubject,
          title: decision.title ?? '',
        },
        plaintext: envelope.plaintext,
        ciphertext: { ...envelope.ciphertext, enc: 'A256GCM', iv: iv.toString('base64url') },
        receiver: recipient.subject,
        sender: site.subject,
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
      const header = bundleHeader(signed);
      if (input.dir) {
        fs.mkdirSync(input.dir, { recursive: true });
        const bundle = path.join(input.dir, `${id}.vmic-transfer`);
        await pipeline(
          Readable.from(body(header, seal)),
          fs.createWriteStream(bundle, { mode: 0o600, highWaterMark: WRITE_BUFFER_BYTES }),
        );
        return {
          result: { migrationId: id, target, sha256, byteSize: size, bundle },
          detail: { bundle, bytes: header.length + envelope.ciphertext.size },
        };
      }
      const receiver = await send(
        `${peer.url}/api/v1/transfers`,
        header,
        seal,
        header.length + envelope.ciphertext.size,
      );
      return {
        result: { migrationId: id, target, sha256, byteSize: size, receiver },
        detail: {
          url: peer.url,
          bytes: header.length + envelope.ciphertext.size,
          receiverState: 'imported',
        },
      };
    });
    await log.finish('done');
    return result;
  } catch (e) {
    await log.finish('failed', {
      code: isVmicError(e) ? e.code : 'INTERNAL',
      message: (e as Error).message,
    });
    throw e;
  } finally {
    key.fill(0);
  }
}

async function* body(header: Buffer, seal: SealInput): AsyncGenerator<Buffer> {
  yield header;
  yield* sealedStream(seal);
}

/** Streams the bundle to the receiver; its refusal (problem+json) comes back with its code. */
function send(url: string, header: Buffer, seal: SealInput, length: number): Promise<unknown> {
  const u = new URL(url);
  const lib = u.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const req = lib.request(
      u,
      {
        method: 'POST',
        headers: { 'content-type': 'application/vnd.vmic.transfer', 'content-length': length },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          let parsed: { code?: string; detail?: string } & Record<string, unknown> = {};
          try {
            parsed = JSON.parse(Buffer.concat(chunks).toString('utf8')) as typeof parsed;
          } catch {
            // not JSON: reported below by status
          }
          if (res.statusCode === 201 || res.statusCode === 200) resolve(parsed);
          else
            reject(
              new VmicError(
                (parsed.code as never) ?? 'FETCH_FAILED',
                `receiver refused the transfer: ${parsed.detail ?? `HTTP ${res.statusCode}`}`,
              ),
            );
        });
        res.on('error', reject);
      },
    );
    // A receiver that refuses the manifest answers before the body is sent and closes the
    // connection; the write then fails. Its answer (with the reason code) is what counts,
    // so a write error waits briefly for it before reporting a network failure.
    const failed = (e: unknown) =>
      setTimeout(
        () =>
          reject(new VmicError('FETCH_FAILED', `${url}: ${(e as Error).message}`, { cause: e })),
        2000,
      );
    req.on('error', failed);
    pipeline(Readable.from(body(header, seal)), req).catch(failed);
  });
}
