import { isVmicError, reasonCodeOr, type ReasonCode } from '../../errors/index.ts';
import {
  SIGNER_EKU_OIDS,
  describeCertificate,
  describeCrl,
  pemToDers,
  validatePath,
  type RevocationPolicy,
} from '../../pki/index.ts';
import type { TrustMaterial } from './trust-store.ts';

/** The signer of a held catalog, as stored at import. */
export interface HeldSigner {
  subject: string;
  der: Uint8Array;
  chainPem: string;
}

/** What the gate concludes about a catalog's signer at one time. */
export type SignerVerdict =
  | { outcome: 'trusted' }
  | { outcome: 'revoked'; message: string }
  | { outcome: 'refused'; code: ReasonCode; message: string };

/** A verdict with the window (ms since the epoch) in which it cannot change. */
export interface SignerCheck {
  verdict: SignerVerdict;
  validFrom: number;
  validUntil: number;
}

/**
 * The catalog signer's path validated at `at`, exactly as import validates it (§6 steps 4
 * and 5: anchors, intermediates and CRLs held now, the site's revocation policy, the
 * signer's key usage), and the window around `at` in which that verdict holds.
 *
 * Certificates and CRLs change state only at their validity bounds, so while the trust
 * store is unchanged the verdict is the same for every time between the nearest bound
 * before `at` and the nearest after it. Every certificate that could be in a path (the
 * signer, the chain it came with, every trusted certificate) and every CRL held contribute
 * their bounds, so no path that starts or stops being usable inside the window is missed.
 * Threat: a kept "trusted" outliving the signer's notAfter or a CRL's nextUpdate; and a
 * certificate expired since import still deployable (a key past its lifetime is no longer
 * watched by its CA: no CRL will ever list it).
 */
export async function checkSigner(
  signer: HeldSigner,
  trust: TrustMaterial,
  revocation: RevocationPolicy,
  at: Date,
): Promise<SignerCheck> {
  const chain = signer.chainPem ? pemToDers(signer.chainPem, 'CERTIFICATE') : [];
  const verdict = await verdictAt(signer, chain, trust, revocation, at);
  const bounds = await validityBounds(
    [signer.der, ...chain, ...trust.anchors, ...trust.intermediates],
    trust.crls,
  );
  const t = at.getTime();
  let validFrom = -Infinity;
  let validUntil = Infinity;
  for (const b of bounds) {
    if (b <= t) validFrom = Math.max(validFrom, b);
    else validUntil = Math.min(validUntil, b);
  }
  return { verdict, validFrom, validUntil };
}

async function verdictAt(
  signer: HeldSigner,
  chain: Uint8Array[],
  trust: TrustMaterial,
  revocation: RevocationPolicy,
  at: Date,
): Promise<SignerVerdict> {
  try {
    await validatePath({
      leaf: signer.der,
      intermediates: [...chain, ...trust.intermediates],
      anchors: trust.anchors,
      crls: trust.crls,
      time: at,
      revocation,
      leafKeyUsage: 'digitalSignature',
      acceptedExtKeyUsage: SIGNER_EKU_OIDS,
    });
    return { outcome: 'trusted' };
  } catch (e) {
    if (!isVmicError(e)) throw e;
    if (e.code === 'CERT_REVOKED')
      return { outcome: 'revoked', message: `${signer.subject}: ${e.message}` };
    return {
      outcome: 'refused',
      code: reasonCodeOr(e.code, 'CHAIN_UNTRUSTED'),
      message: e.message,
    };
  }
}

/**
 * The instants at which some certificate or CRL changes state. Validity is inclusive of
 * notAfter (RFC 5280 §4.1.2.5) and a CRL's nextUpdate is compared one way or the other by
 * different rules, so each bound and the millisecond after it are both listed: a window
 * then never spans a change, whichever side of the instant the comparison puts it.
 */
async function validityBounds(certs: Uint8Array[], crls: Uint8Array[]): Promise<number[]> {
  const out: number[] = [];
  const both = (d: Date | undefined) => {
    if (d) out.push(d.getTime(), d.getTime() + 1);
  };
  for (const der of certs) {
    try {
      const c = describeCertificate(der);
      both(c.notBefore);
      both(c.notAfter);
    } catch {
      // A certificate that does not decode is never in a path: it has no bounds.
    }
  }
  for (const der of crls) {
    try {
      const c = await describeCrl(der);
      both(c.thisUpdate);
      both(c.nextUpdate);
    } catch {
      // Same for a CRL: path validation reports it if it matters.
    }
  }
  return out;
}
