import { nameToDn } from './certificates.ts';
import { CRL_DEFECT_TEXT, crlDefects, crlVerifiesWith, toCrlNode } from './crl-node.ts';
import type { CrlDefect } from './crl-node.ts';
import { dnEquals, formatDn } from './dn.ts';
import { PkiError } from './errors.ts';
import { hasAllowedKey, toNode } from './path-building.ts';

export interface CrlAssessment {
  /** the held certificate whose key verified the CRL */
  signerDer: Uint8Array;
  /**
   * defects that do not stop the CRL from being held: its revocations count, but it
   * cannot say "not revoked", so certificates of that CA fail with CRL_INVALID until a
   * newer usable CRL supersedes it
   */
  warnings: { rule: string; message: string }[];
}

/**
 * Defects no later CRL of the same CA, nor time, can make up for (the signer's
 * keyUsage, what the CRL itself says) or that would fail every path through that CA
 * right now (thisUpdate in the future). Holding such a CRL could only break decisions.
 */
const REFUSED: CrlDefect[] = ['algorithm', 'issuerKeyUsage', 'criticalExtension', 'notYetValid'];

/**
 * Whether a site should hold a CRL (`vmic trust add`, the web trust page): one of
 * `held` (CA certificates of the trust store and of the same file) with the CRL's issuer
 * name must verify it, and it must be usable at `now` except for a missing cRLNumber,
 * which is only a warning (see CrlAssessment.warnings). Refusals are CRL_INVALID with
 * rule `crl.<reason>` and a message that says what to fix.
 */
export async function assessCrl(
  crlDer: Uint8Array,
  held: Uint8Array[],
  now: Date,
): Promise<CrlAssessment> {
  const crl = toCrlNode(crlDer);
  const issuer = formatDn(nameToDn(crl.crl.issuerName));
  const named = held
    .map(toNode)
    .filter(
      (n) => n.info.isCA && dnEquals(nameToDn(n.cert.subjectName), nameToDn(crl.crl.issuerName)),
    );
  let signer;
  for (const n of named) {
    if (hasAllowedKey(n) && (await crlVerifiesWith(crl, n))) {
      signer = n;
      break;
    }
  }
  if (signer === undefined) {
    const hint =
      named.length === 0
        ? `no CA certificate named ${issuer} is held: add its issuer first`
        : CRL_DEFECT_TEXT.signature;
    throw new PkiError('CRL_INVALID', `CRL of ${issuer} refused: ${hint}`, {
      rule: 'crl.signature',
    });
  }
  const defects = crlDefects(crl, signer, now);
  const refused = defects.filter((d) => REFUSED.includes(d));
  const first = refused[0];
  if (first !== undefined) {
    const why = refused.map((d) => CRL_DEFECT_TEXT[d]).join('; ');
    throw new PkiError('CRL_INVALID', `CRL of ${issuer} refused: ${why}`, {
      rule: `crl.${first}`,
    });
  }
  return {
    signerDer: new Uint8Array(signer.info.der),
    warnings: defects.map((d) => ({
      rule: `crl.${d}`,
      message:
        `CRL of ${issuer}: ${CRL_DEFECT_TEXT[d]}. Certificates it lists are refused as ` +
        `revoked; every other certificate of this CA fails with CRL_INVALID until a newer ` +
        `CRL with a cRLNumber is added`,
    })),
  };
}
