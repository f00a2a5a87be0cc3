import { VmicError } from '../../errors/index.ts';
import type { Instance } from '../instance.ts';
import { appendAudit } from '../audit/audit-log.ts';
import { writeTransaction } from '../store/write-transaction.ts';
import { decideDeployment, type GateReason } from '../site/gate.ts';
import { getSubscription } from '../site/subscriptions.ts';
import { checkIssuerPin, peerPinRules } from '../verify/index.ts';
import { getPeer, pinPeerIssuer, type Peer } from './peers.ts';
import { withPeerAdvice } from './peer-advice.ts';
import { resolveRecipient, type Recipient } from './recipient.ts';
import { dropResume, findOutgoingResume } from './resume-state.ts';
import { ReceiverRefusal, heldChunks } from './send.ts';
import { transferOnce, type MigrationResult, type TransferInput } from './transfer-out.ts';

export { bundlePartPath, type MigrationResult } from './transfer-out.ts';

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
  const attempt = (retryOf?: string, resume?: TransferInput['resume']) =>
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
      resume,
    });
  const resume = input.dir ? undefined : await resumable(inst, peer, decision.sha256);
  try {
    return await attempt(undefined, resume);
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

/**
 * An earlier HTTP transfer of this image to this peer that a network failure cut off, and
 * how many of its chunks the receiver holds: only the rest is sent. A receiver that holds
 * none (it restarted, or pruned the partial) means a new migration.
 */
async function resumable(
  inst: Instance,
  peer: Peer,
  sha256: string,
): Promise<TransferInput['resume']> {
  const r = await findOutgoingResume(inst, { peer: peer.name, sha256, target: peer.url! });
  if (!r) return undefined;
  const held = await heldChunks(`${peer.url}/api/v1/transfers`, r.migrationId);
  if (held === undefined || held >= r.chunks) {
    r.key.fill(0);
    await dropResume(inst, r.migrationId);
    return undefined;
  }
  return { ...r, firstChunk: held };
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
  try {
    checkIssuerPin(
      recipient.issuer.subject,
      () => recipient.issuer,
      { issuer: peer.issuerPin.subject, issuerKeyId: peer.issuerPin.keyId },
      peerPinRules(peer.name),
    );
  } catch (e) {
    // A peer that rotated to another CA: the refusal says what to run here (issue 18).
    throw withPeerAdvice(e, { name: peer.name, subject: peer.expectSubject, url: peer.url });
  }
  await pinPeerIssuer(inst, peer, recipient.issuer, actor);
}

// The send and its bounds live in send.ts (one HTTP client); re-exported for callers.
export {
  ANSWER_DEADLINE_MS,
  IDLE_TIMEOUT_MS,
  MAX_RESPONSE_BYTES,
  ReceiverRefusal,
  send,
} from './send.ts';
