import crypto from 'node:crypto';
import type { CertificateInfo, RevocationPolicy, SignedContent } from '../../pki/index.ts';
import type { TrustMaterial } from '../site/trust-store.ts';
import { trustedSignerChain } from './chain.ts';
import { checkFreshness, type Freshness } from './freshness.ts';
import { checkOrder, type Order } from './order.ts';
import { checkCertificatePin, checkSignerPin, type PinRules, type SignerPin } from './pins.ts';

/** What a signed format brings to the shared pipeline: its own parse and its own names. */
export interface SignedFormat<D> {
  /** Step 7: the signed content as this format, which must name its own signer. */
  read(content: Uint8Array, signer: CertificateInfo): D | Promise<D>;
  /** Step 8: its validity period, or (manifests) its time against the clock window. */
  freshness(doc: D): Freshness;
  /** Step 9: its sequence against the last applied, or (manifests) its nonce. */
  order(doc: D): Order;
}

export interface SignedDocumentCheck<D> {
  /** Steps 2–3, the caller's: the CMS parsed and its one signature verified. */
  signed: SignedContent;
  trust: TrustMaterial;
  revocation: RevocationPolicy;
  /** Reference time, fixed once by the caller. */
  time: Date;
  pin: SignerPin;
  /** Rule names and wording of the pin's refusals (subscription or peer). */
  pinRules: PinRules;
  format: SignedFormat<D>;
  /** Called once the signer is authenticated (path and pins), before the content is read. */
  onAuthenticated?: ((signer: CertificateInfo, chain: CertificateInfo[]) => void) | undefined;
}

export interface VerifiedDocument<D> {
  document: D;
  /** The signed bytes. */
  content: Uint8Array;
  contentSha256: string;
  signer: CertificateInfo;
  chain: CertificateInfo[];
  /** The same sequence and content as the last applied: nothing to apply. */
  unchanged: boolean;
}

/**
 * docs/design.md §6 steps 4–9 (and §8 Import) for every signed document: catalogs, HEPiX
 * image lists and transfer manifests. One pipeline, each step in design order; the first
 * step that fails throws its VmicError. A pinned certificate, which needs no path, is
 * checked first, so that a stranger costs no path building.
 */
export async function verifySignedDocument<D>(
  c: SignedDocumentCheck<D>,
): Promise<VerifiedDocument<D>> {
  const signer = c.signed.signer;
  // Step 6, its one part that needs no path: the exact certificate, when pinned (§8).
  checkCertificatePin(signer, c.pin, c.pinRules);
  // Steps 4–5: path to our anchors, then revocation.
  const chain = await trustedSignerChain(c.signed, c.trust, c.time, c.revocation);
  // Step 6: pins.
  checkSignerPin(signer, chain, c.pin, c.pinRules);
  c.onAuthenticated?.(signer, chain);
  // Step 7: content.
  const document = await c.format.read(c.signed.content, signer);
  // Step 8: freshness.
  checkFreshness(c.format.freshness(document), c.time);
  // Step 9: order.
  const contentSha256 = crypto.createHash('sha256').update(c.signed.content).digest('hex');
  const unchanged = await checkOrder(c.format.order(document), contentSha256);
  return { document, content: c.signed.content, contentSha256, signer, chain, unchanged };
}
