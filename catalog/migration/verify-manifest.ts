import { VmicError } from '../../pki/errors.ts';
import { cmsVerifySignature, dnEquals, type RevocationPolicy } from '../../pki/index.ts';
import type { TrustMaterial } from '../site/trust-store.ts';
import { trustedSignerChain } from '../site/signer-checks.ts';
import { checkIssuerPin, issuerOfPath, type IssuerIdentity, type IssuerPin } from './issuer-pin.ts';
import { parseManifest, type TransferManifest } from './manifest.ts';

/**
 * Default of how far a manifest's time may be from the receiver's clock (threat: replay
 * of an old bundle); the site policy `transfer-clock-window` (seconds) overrides it.
 */
export const MANIFEST_WINDOW_MS = 15 * 60_000;

export interface ManifestPeer {
  name: string;
  subject: string;
  /** The peer's certificate given with `peer add --cert`: the one that must sign. */
  certificateDer?: Uint8Array | undefined;
  issuer?: IssuerPin | undefined;
}

export interface ManifestCheck {
  signedManifest: Uint8Array;
  trust: TrustMaterial;
  revocation: RevocationPolicy;
  /** The sites this one accepts transfers from. */
  peers: ManifestPeer[];
  /** This site's own subject: the manifest must be addressed to it. */
  self: string;
  time: Date;
  /** Accepted distance between the manifest's createdAt and `time`. */
  clockWindowMs?: number | undefined;
  nonceSeen: (nonce: string) => Promise<boolean>;
  /**
   * Called once the sender is authenticated (signature, peer, chain, issuer pin), before
   * the manifest's own checks: a refusal after this point names a proved sender.
   */
  onAuthenticated?: (sender: { signer: string; peer: string }) => void;
}

export interface VerifiedManifest {
  manifest: TransferManifest;
  peer: string;
  /** The signer's verified subject. */
  signer: string;
  /** The CA that issued the signer's certificate, for the peer's issuer pin. */
  issuer: IssuerIdentity;
}

/**
 * The receiver's checks before it reads any ciphertext (docs/design.md §8), cheapest first so
 * that a stranger costs one signature check and no path building (threat: work forced
 * before authentication): the CMS signature, the signer is a known peer (and, when the
 * peer was added with its certificate, exactly that certificate), the signer's chain to
 * our anchors and the peer's issuer pin, then the manifest: well-formed, names this
 * signer, addressed to us, made within the clock window, nonce not seen.
 */
export async function verifyManifest(c: ManifestCheck): Promise<VerifiedManifest> {
  const signed = await cmsVerifySignature({ cms: c.signedManifest });
  const peer = c.peers.find((p) => dnEquals(p.subject, signed.signer.subject));
  if (!peer)
    throw new VmicError('UNKNOWN_PEER', `${signed.signer.subject} is not a peer of this site`, {
      rule: 'peers',
    });
  if (
    peer.certificateDer &&
    !Buffer.from(peer.certificateDer).equals(Buffer.from(signed.signer.der))
  )
    throw new VmicError(
      'SUBJECT_MISMATCH',
      `the manifest is signed by a certificate of ${signed.signer.subject} (sha256 ${signed.signer.fingerprintSha256.slice(0, 16)}…) ` +
        `that is not the certificate given for peer ${peer.name} with --cert`,
      { rule: 'peer.certificate' },
    );
  const chain = await trustedSignerChain(signed, c.trust, c.time, c.revocation);
  const issuer = issuerOfPath(chain);
  checkIssuerPin(peer.name, issuer, peer.issuer ?? {});
  c.onAuthenticated?.({ signer: signed.signer.subject, peer: peer.name });
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
  checkClock(manifest.createdAt, c.time, c.clockWindowMs ?? MANIFEST_WINDOW_MS);
  if (await c.nonceSeen(manifest.nonce))
    throw new VmicError('REPLAY', 'this transfer was received before', { rule: 'nonce' });
  return { manifest, peer: peer.name, signer: signed.signer.subject, issuer };
}

/**
 * A manifest made too far from our clock is refused (threat: replay of a captured bundle
 * after the nonce table was lost or pruned). Most often the cause is an unsynchronised
 * clock at one of the sites, so the message gives the skew and says what to check.
 */
export function checkClock(createdAt: string, time: Date, windowMs: number): void {
  const skewMs = Date.parse(createdAt) - time.getTime();
  if (Math.abs(skewMs) <= windowMs) return;
  const seconds = Math.round(Math.abs(skewMs) / 1000);
  throw new VmicError(
    'REPLAY',
    `manifest was made at ${createdAt}, ${seconds} s ${skewMs > 0 ? 'ahead of' : 'behind'} this ` +
      `site's clock; transfers are accepted within ±${Math.round(windowMs / 1000)} s (policy ` +
      `transfer-clock-window). Check that both sites' clocks are synchronised (NTP), then send again`,
    { rule: 'manifest.clock' },
  );
}
