import { nameToDn } from './certificates.ts';
import { x509 } from './crypto-provider.ts';
import { crlVerifiesWith } from './crl-node.ts';
import type { CrlNode } from './crl-node.ts';
import { dnEquals } from './dn.ts';
import { hasAllowedKey, isAnchor } from './path-building.ts';
import type { CertNode, SignatureBudget } from './path-building.ts';

/**
 * Who signed a CRL that names the issuer of a certificate in the path:
 * - `issuer`: the issuer's own certificate in the path;
 * - `rekey`: another certificate of the same CA (same subject, another key) that is
 *   itself valid up to the path's anchor, or is an anchor of that name: RFC 5280
 *   §6.3.3(f), a CA that re-keyed signs its CRLs with the new key while older
 *   certificates still chain to the old one (or the converse);
 * - `otherCa`: a certificate of that name that chains to a different anchor only, i.e.
 *   another CA that happens to share the name: its CRL says nothing about this issuer;
 * - `none`: no key of that CA verifies it, so it may have been written by anyone.
 */
export type CrlSigner =
  { kind: 'issuer' | 'rekey'; signer: CertNode } | { kind: 'otherCa' } | { kind: 'none' };

export interface CrlSignerContext {
  /** certificates that may be the CA's other keys: the intermediates and anchors given */
  candidates: CertNode[];
  anchors: CertNode[];
  /**
   * True when `node` has a valid path (revocation of its issuers included, CRLs judged at
   * the same time) to one of `anchors`. Absent while judging a re-key signer's own path,
   * which bounds the recursion to one level.
   */
  validatesTo?: ((node: CertNode, anchors: CertNode[]) => Promise<boolean>) | undefined;
  budget: SignatureBudget;
  /** CRL signature results of this decision, by CRL and signer fingerprint */
  verified: WeakMap<CrlNode, Map<string, boolean>>;
}

function crlAuthorityKeyId(c: CrlNode): string | undefined {
  return c.crl.getExtension(x509.AuthorityKeyIdentifierExtension)?.keyId?.toLowerCase();
}

function subjectKeyId(node: CertNode): string | undefined {
  return node.cert.getExtension(x509.SubjectKeyIdentifierExtension)?.keyId?.toLowerCase();
}

/** Signature check of `c` by `signer`, counted against the decision's budget and cached. */
async function verifiedBy(c: CrlNode, signer: CertNode, ctx: CrlSignerContext): Promise<boolean> {
  let byCrl = ctx.verified.get(c);
  if (byCrl === undefined) {
    byCrl = new Map();
    ctx.verified.set(c, byCrl);
  }
  const known = byCrl.get(signer.info.fingerprintSha256);
  if (known !== undefined) return known;
  // A weak key never vouches for anything; an exhausted budget never answers "yes".
  if (!hasAllowedKey(signer) || !ctx.budget.take()) return false;
  const ok = await crlVerifiesWith(c, signer);
  byCrl.set(signer.info.fingerprintSha256, ok);
  return ok;
}

export async function crlSigner(
  c: CrlNode,
  issuer: CertNode,
  pathAnchor: CertNode,
  ctx: CrlSignerContext,
): Promise<CrlSigner> {
  if (await verifiedBy(c, issuer, ctx)) return { kind: 'issuer', signer: issuer };
  if (ctx.validatesTo === undefined) return { kind: 'none' };
  const aki = crlAuthorityKeyId(c);
  const others = ctx.candidates.filter(
    (n) =>
      n.spkiHex !== issuer.spkiHex &&
      n.info.isCA &&
      dnEquals(nameToDn(n.cert.subjectName), nameToDn(issuer.cert.subjectName)) &&
      // cheap filter before a verification: the CRL names the key that signed it
      (aki === undefined || subjectKeyId(n) === undefined || subjectKeyId(n) === aki),
  );
  let otherCa = false;
  for (const n of others) {
    if (!(await verifiedBy(c, n, ctx))) continue;
    if (isAnchor(n, ctx.anchors) || (await ctx.validatesTo(n, [pathAnchor]))) {
      return { kind: 'rekey', signer: n };
    }
    if (await ctx.validatesTo(n, ctx.anchors)) otherCa = true;
  }
  return otherCa ? { kind: 'otherCa' } : { kind: 'none' };
}
