import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { VmicError, isVmicError } from '../../errors/index.ts';
import { cmsSign } from '../../pki/index.ts';
import type { Instance } from '../instance.ts';
import { appendAudit } from '../audit/audit-log.ts';
import { writeTransaction } from '../store/write-transaction.ts';
import { WRITE_BUFFER_BYTES } from '../blobs/digest.ts';
import { durableRename } from '../blobs/durable-files.ts';
import { decideDeployment, type GateReason } from '../site/gate.ts';
import { ImageCache } from '../site/image-cache.ts';
import { getSubscription } from '../site/subscriptions.ts';
import { bundleHeader } from './bundle-format.ts';
import { measureSealed } from './envelope.ts';
import { wrapDataKey } from './key-wrap.ts';
import { encodeManifest, type TransferManifest } from './manifest.ts';
import { checkIssuerPin, peerPinRules } from '../verify/index.ts';
import { getPeer, pinPeerIssuer, type Peer } from './peers.ts';
import { MigrationLog } from './records.ts';
import { resolveRecipient, type Recipient } from './recipient.ts';
import { ReceiverRefusal, bundleBody, send } from './send.ts';
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
}

/** Refused before Export: the gate's own reasons (docs/design.md §8: migrate only through the gate). */
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
    override?: { wrapFor?: Pick<Recipient, 'certificatePem'> };
  },
): Promise<MigrationResult> {
  const decision = await decideDeployment(inst, input.image, { subscription: input.subscription });
  if (!decision.deployable) {
    await writeTransaction(inst.store, (tx) =>
      appendAudit(tx, {
        at: inst.now(),
        actor: input.actor,
        action: 'migration.refused',
        subject: input.image,
        details: { to: input.to, reasons: decision.reasons.map((r) => r.code) },
      }),
    );
    throw new NotDeployableError(decision.reasons);
  }
  const peer = await getPeer(inst, input.to);
  const recipient = await resolveRecipient(inst, peer);
  await checkRecipientIssuer(inst, peer, recipient, input.actor);
  const sub = await getSubscription(inst.store.db, decision.subscription);
  const attempt = (retryOf?: string) =>
    transferOnce(inst, {
      ...input,
      peer,
      recipient,
      subscription: sub,
      decision: {
        identifier: decision.identifier,
        title: decision.title,
        sha256: decision.sha256,
        size: decision.byteSize,
      },
      retryOf,
    });
  try {
    return await attempt();
  } catch (e) {
    // The receiver refused ciphertext that we produced and measured ourselves: the bytes
    // were damaged on the way. One retry, as a new migration (fresh id, key, IV and
    // nonce: the receiver has burnt the first ones), so that a person is not needed.
    if (!(e instanceof ReceiverRefusal) || !RETRYABLE.has(e.code)) throw e;
    return {
      ...(await attempt(e.migrationId)),
      retriedAfter: { migrationId: e.migrationId, code: e.code },
    };
  }
}

/** Codes by which a receiver says the ciphertext it got is not what the manifest signs. */
const RETRYABLE: ReadonlySet<string> = new Set(['CIPHERTEXT_INVALID', 'HASH_MISMATCH']);

/**
 * The receiver's certificate's issuing CA, from the path validated in resolveRecipient,
 * against the peer's issuer pin (configured, or learned here on first use).
 */
async function checkRecipientIssuer(
  inst: Instance,
  peer: Peer,
  recipient: Recipient,
  actor: string,
): Promise<void> {
  checkIssuerPin(
    recipient.issuer.subject,
    () => recipient.issuer,
    { issuer: peer.issuerPin.subject, issuerKeyId: peer.issuerPin.keyId },
    peerPinRules(peer.name),
  );
  await pinPeerIssuer(inst, peer, recipient.issuer, actor);
}

async function transferOnce(
  inst: Instance,
  input: {
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
  },
): Promise<MigrationResult> {
  const { peer, recipient, subscription: sub } = input;
  const { sha256, size } = input.decision;
  const id = crypto.randomUUID();
  const target = input.dir ? `dir:${path.resolve(input.dir)}` : peer.url!;
  const log = new MigrationLog(inst, id, input.actor);
  await log.create({
    direction: 'outgoing',
    peer: peer.name,
    target,
    image: `${sub.name}/${input.decision.identifier}`,
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
          identifier: input.decision.identifier,
          endorser: sub.name,
          endorserSubject: sub.expectSubject,
          title: input.decision.title,
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
      const retry = input.retryOf ? { retryOf: input.retryOf } : {};
      if (input.dir) {
        fs.mkdirSync(input.dir, { recursive: true });
        const bundle = path.join(input.dir, `${id}.vmic-transfer`);
        // Written as `.part` and renamed when complete: a crash leaves no bundle that looks
        // whole, and start-up cleanup removes the `.part` of a record whose process is gone.
        // A bundle is often carried away on a removable disk as soon as the command says
        // done, so it is renamed durably (fsync, rename, fsync of the directory), and a
        // failed write removes its `.part` at once rather than at the next start.
        try {
          await pipeline(
            Readable.from(bundleBody(header, seal)),
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
        return {
          result: { migrationId: id, target, sha256, byteSize: size, bundle },
          detail: { bundle, bytes: header.length + envelope.ciphertext.size, ...retry },
        };
      }
      const receiver = await send(
        `${peer.url}/api/v1/transfers`,
        header,
        seal,
        header.length + envelope.ciphertext.size,
        id,
      );
      return {
        result: { migrationId: id, target, sha256, byteSize: size, receiver },
        detail: {
          url: peer.url,
          bytes: header.length + envelope.ciphertext.size,
          receiverState: 'imported',
          ...retry,
        },
      };
    });
    await log.finish('done');
    return result;
  } catch (e) {
    if (input.dir)
      fs.rmSync(bundlePartPath(path.join(input.dir, `${id}.vmic-transfer`)), { force: true });
    await log.finish('failed', {
      code: isVmicError(e) ? e.code : 'INTERNAL',
      message: (e as Error).message,
    });
    throw e;
  } finally {
    key.fill(0);
  }
}

/** The file a bundle is written to until complete. */
export function bundlePartPath(bundle: string): string {
  return `${bundle}.part`;
}

// The send and its bounds live in send.ts (one HTTP client); re-exported for callers.
export {
  ANSWER_DEADLINE_MS,
  IDLE_TIMEOUT_MS,
  MAX_RESPONSE_BYTES,
  ReceiverRefusal,
  send,
} from './send.ts';
