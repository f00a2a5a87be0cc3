import { VmicError } from '../../errors/index.ts';
import { cmsVerifySignature, dnEquals, type RevocationPolicy } from '../../pki/index.ts';
import type { TrustMaterial } from '../site/trust-store.ts';
import {
  issuerOf,
  MANIFEST_WINDOW_MS,
  peerPinRules,
  verifySignedDocument,
  type IssuerIdentity,
  type SignedFormat,
} from '../verify/index.ts';
import { withPeerAdvice } from './peer-advice.ts';
import { parseManifest, type TransferManifest } from './manifest.ts';

export interface ManifestPeer {
  name: string;
  subject: string;
  /** Where the peer's identity is fetched (`peer add --url`), for the advice of a refusal. */
  url?: string | undefined;
  /** The peer's certificate given with `peer add --cert`: the one that must sign. */
  certificateDer?: Uint8Array | undefined;
  /** The peer's issuer pin: `--expect-issuer`, and the CA key learned on first use. */
  issuer?: { subject?: string | undefined; keyId?: string | undefined } | undefined;
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
  // A chain or issuer-pin refusal of a known peer says what to run here if it rotated to
  // another CA (issue 18); the code and rule stay.
  const verified = await verifySignedDocument({
    signed,
    trust: c.trust,
    revocation: c.revocation,
    time: c.time,
    pin: {
      subject: peer.subject,
      certificateDer: peer.certificateDer,
      issuer: peer.issuer?.subject,
      issuerKeyId: peer.issuer?.keyId,
    },
    pinRules: peerPinRules(peer.name),
    format: manifestFormat(c),
    onAuthenticated: (signer) => c.onAuthenticated?.({ signer: signer.subject, peer: peer.name }),
  }).catch((e: unknown) => {
    throw withPeerAdvice(e, peer);
  });
  return {
    manifest: verified.document,
    peer: peer.name,
    signer: signed.signer.subject,
    issuer: issuerOf(verified.chain),
  };
}

function manifestFormat(c: ManifestCheck): SignedFormat<TransferManifest> {
  return {
    read: (content, signer) => {
      const manifest = parseManifest(content);
      if (!dnEquals(manifest.sender, signer.subject)) {
        throw new VmicError(
          'SUBJECT_MISMATCH',
          `manifest names sender ${manifest.sender} but is signed by ${signer.subject}`,
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
      return manifest;
    },
    freshness: (m) => ({
      kind: 'clock-window',
      createdAt: m.createdAt,
      windowMs: c.clockWindowMs ?? MANIFEST_WINDOW_MS,
    }),
    order: (m) => ({ kind: 'nonce', nonce: m.nonce, seen: c.nonceSeen }),
  };
}
