import { VmicError } from '../../pki/errors.ts';
import { cmsVerifySignature, dnEquals, type RevocationPolicy } from '../../pki/index.ts';
import type { TrustMaterial } from '../site/trust-store.ts';
import { trustedSignerChain } from '../site/signer-checks.ts';
import { parseManifest, type TransferManifest } from './manifest.ts';

/** How far a manifest's time may be from the receiver's clock (threat: replay of an old bundle). */
export const MANIFEST_WINDOW_MS = 15 * 60_000;

export interface ManifestCheck {
  signedManifest: Uint8Array;
  trust: TrustMaterial;
  revocation: RevocationPolicy;
  /** Subjects of the sites this one accepts transfers from, by peer name. */
  peers: { name: string; subject: string }[];
  /** This site's own subject: the manifest must be addressed to it. */
  self: string;
  time: Date;
  nonceSeen: (nonce: string) => Promise<boolean>;
}

/**
 * The receiver's checks before it reads any ciphertext (DESIGN.md §8), in order: the
 * signature and the sender's chain to our anchors, the sender is a known peer, the
 * manifest is well-formed, names this signer and is addressed to us, is recent, and its
 * nonce has not been seen.
 */
export async function verifyManifest(
  c: ManifestCheck,
): Promise<{ manifest: TransferManifest; peer: string }> {
  const signed = await cmsVerifySignature({ cms: c.signedManifest });
  await trustedSignerChain(signed, c.trust, c.time, c.revocation);
  const peer = c.peers.find((p) => dnEquals(p.subject, signed.signer.subject));
  if (!peer)
    throw new VmicError('UNKNOWN_PEER', `${signed.signer.subject} is not a peer of this site`, {
      rule: 'peers',
    });
  const manifest = parseManifest(signed.content);
  if (!dnEquals(manifest.sender, signed.signer.subject)) {
    throw new VmicError(
      'SUBJECT_MISMATCH',
      `manifest names sender ${manifest.sender} but is signed by ${signed.signer.subject}`,
      { rule: 'manifest.sender' },
    );
  }
  if (!dnEquals(manifest.receiver, c.self)) {
    throw new VmicError(
      'WRONG_RECIPIENT',
      `manifest is addressed to ${manifest.receiver}, not to this site (${c.self})`,
      { rule: 'manifest.receiver' },
    );
  }
  if (Math.abs(Date.parse(manifest.createdAt) - c.time.getTime()) > MANIFEST_WINDOW_MS) {
    throw new VmicError(
      'REPLAY',
      `manifest time ${manifest.createdAt} is outside the accepted window`,
      { rule: 'time-window' },
    );
  }
  if (await c.nonceSeen(manifest.nonce))
    throw new VmicError('REPLAY', 'this transfer was received before', { rule: 'nonce' });
  return { manifest, peer: peer.name };
}
