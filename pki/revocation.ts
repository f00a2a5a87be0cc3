import { CRL_DEFECT_TEXT, crlDefects, crlLists, crlNamesIssuer, isCurrent } from './crl-node.ts';
import type { CrlDefect, CrlNode } from './crl-node.ts';
import { crlSigner } from './crl-signer.ts';
import type { CrlSignerContext } from './crl-signer.ts';
import type { CertNode } from './path-building.ts';
import { failure } from './path-failure.ts';
import type { PathFailure } from './path-failure.ts';

export type { CrlNode } from './crl-node.ts';
export { toCrlNode } from './crl-node.ts';

/**
 * What to do when no CRL at all is held for an issuer in the path: `best-effort`
 * accepts that, `require` fails with CRL_STALE `crl.missing`. Neither policy ever
 * ignores a CRL that is held (see checkRevocation).
 */
export type RevocationPolicy = 'best-effort' | 'require';

export interface RevocationContext extends CrlSignerContext {
  crls: CrlNode[];
  /** the time CRLs are judged at (thisUpdate, nextUpdate), and re-key signers' validity */
  time: Date;
  policy: RevocationPolicy;
}

interface JudgedCrl {
  crl: CrlNode;
  signer: CertNode | undefined;
}

/**
 * RFC 5280 §6.3 for full CRLs, made to fail closed in every corner. For each certificate
 * below the anchor (the anchor is trusted by configuration), over the CRLs that name its
 * issuer:
 * 1. Revoked: a CRL that a key of the issuer signed (its own, or after a re-key another
 *    certificate of the same CA, §6.3.3(f)) and that lists the serial means CERT_REVOKED,
 *    whatever else is wrong with that CRL (no or critical cRLNumber, v1, stale, not yet
 *    valid, issuer without cRLSign): the issuer's signed word that it revoked the
 *    certificate is authoritative, and refusing is the safe side. Threat: the reported
 *    defect, a revocation silently dropped because its CRL was "unusable".
 * 2. Not revoked needs the issuer's newest CRL (largest thisUpdate; older ones are
 *    superseded, their revocations still count by 1.) to be fully usable: if it is not
 *    (bad signature, weak algorithm, signer lacks cRLSign, no or critical cRLNumber,
 *    unknown critical extension, not yet valid) the path fails with CRL_INVALID and rule
 *    `crl.<reason>`, under every policy. Threat: a CRL the site holds, and so believes
 *    in, being ignored.
 * 3. That CRL past its nextUpdate: CRL_STALE `crl.stale`, under every policy.
 * 4. No CRL held for the issuer: accepted under `best-effort`, CRL_STALE `crl.missing`
 *    under `require`.
 * CRLs of another CA that shares the issuer's name (signed by a certificate that chains
 * to a different anchor) are not this issuer's and are left out.
 */
export async function checkRevocation(
  path: CertNode[],
  ctx: RevocationContext,
): Promise<PathFailure[]> {
  const out: PathFailure[] = [];
  const anchor = path[path.length - 1] as CertNode;
  for (let i = 0; i < path.length - 1; i++) {
    const f = await checkLink(path[i] as CertNode, path[i + 1] as CertNode, anchor, ctx);
    if (f) out.push(f);
  }
  if (ctx.budget.exhausted) {
    out.push(
      failure('CHAIN_UNTRUSTED', 'pathBuilding', 'too many signatures to verify for one decision'),
    );
  }
  return out;
}

async function checkLink(
  subject: CertNode,
  issuer: CertNode,
  anchor: CertNode,
  ctx: RevocationContext,
): Promise<PathFailure | undefined> {
  const judged: JudgedCrl[] = [];
  for (const crl of ctx.crls.filter((c) => crlNamesIssuer(c, issuer))) {
    const who = await crlSigner(crl, issuer, anchor, ctx);
    if (who.kind === 'otherCa') continue;
    judged.push({ crl, signer: who.kind === 'none' ? undefined : who.signer });
  }
  if (judged.some((j) => j.signer !== undefined && crlLists(j.crl, subject.info.serialNumber))) {
    return failure('CERT_REVOKED', 'crl.revoked', 'is revoked', subject);
  }
  if (judged.length === 0) {
    if (ctx.policy === 'best-effort') return undefined;
    const message = `no CRL from ${issuer.info.subject} is held (revocation policy require)`;
    return failure('CRL_STALE', 'crl.missing', message, subject);
  }
  const newest = Math.max(...judged.map((j) => j.crl.crl.thisUpdate.getTime()));
  const deciding = judged.filter((j) => j.crl.crl.thisUpdate.getTime() === newest);
  for (const j of deciding) {
    const defects: CrlDefect[] =
      j.signer === undefined ? ['signature'] : crlDefects(j.crl, j.signer, ctx.time);
    const first = defects[0];
    if (first !== undefined) {
      const why = defects.map((d) => CRL_DEFECT_TEXT[d]).join('; ');
      const message = `the CRL of ${issuer.info.subject} cannot be used: ${why}`;
      return failure('CRL_INVALID', `crl.${first}`, message, subject);
    }
  }
  if (deciding.some((j) => isCurrent(j.crl, ctx.time))) return undefined;
  const message = `the newest CRL of ${issuer.info.subject} is past its nextUpdate`;
  return failure('CRL_STALE', 'crl.stale', message, subject);
}
