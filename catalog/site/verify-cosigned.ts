import { VmicError, isVmicError } from '../../errors/index.ts';
import { cmsVerifySigners, dnEquals } from '../../pki/index.ts';
import type { CatalogDocument } from '../rdf/index.ts';
import {
  SUBSCRIPTION_PIN_RULES,
  trustedSignerChain,
  verifySignedDocument,
  type SignedFormat,
} from '../verify/index.ts';
import type { CatalogVerificationInput, VerifiedCatalog } from './verify-catalog.ts';

/**
 * A co-signed catalog (issue 18, docs/design.md §6 step 3): one content, several
 * SignerInfos, as TUF's threshold roles. Every SignerInfo must verify (a bad one refuses
 * the catalog, as `openssl cms -verify` would). The signer of the first pinned subject
 * (`--expect-subject`, in order) that signed is the publisher: it goes through every step as a single signer would (chain,
 * revocation, pins, content naming it, freshness, order). Each other signer counts once
 * it is pinned, not counted before (a signer signing twice counts once), and has a
 * trusted chain at the same time under the same revocation policy; fewer than K is
 * THRESHOLD_NOT_MET, naming who counted and why the others did not (threat: one key, or
 * keys nobody pinned, standing in for the several parties the site asked for).
 */
export async function verifyCoSigned(
  input: CatalogVerificationInput,
  threshold: { k: number; subjects: string[] },
  format: SignedFormat<CatalogDocument>,
): Promise<VerifiedCatalog> {
  const all = await cmsVerifySigners({ cms: input.bytes });
  const pinnedOf = (subject: string) => threshold.subjects.find((s) => dnEquals(s, subject));
  // The publisher is the subscription's first pinned subject that signed, in the
  // subscription's order, not the CMS's (a SET OF: signers come in encoding order).
  const primary = threshold.subjects
    .map((subject) => all.signers.find((s) => dnEquals(s.signer.subject, subject)))
    .find((s) => s !== undefined);
  if (!primary)
    throw new VmicError(
      'THRESHOLD_NOT_MET',
      `none of the ${all.signers.length} signers is pinned (${all.signers.map((s) => s.signer.subject).join('; ')})`,
      { rule: 'signers.pinned' },
    );
  const verified = await verifySignedDocument({
    ...input,
    signed: { content: all.content, signer: primary.signer, certificates: all.certificates },
    pin: { ...input.pin, subject: pinnedOf(primary.signer.subject)! },
    pinRules: SUBSCRIPTION_PIN_RULES,
    format,
  });
  const counted = [pinnedOf(primary.signer.subject)!];
  const why: string[] = [];
  for (const s of all.signers) {
    if (s === primary) continue;
    const subject = s.signer.subject;
    const pinned = pinnedOf(subject);
    if (pinned === undefined) {
      why.push(`${subject}: not pinned`);
      continue;
    }
    if (counted.includes(pinned)) {
      why.push(`${subject}: signed more than once, counted once`);
      continue;
    }
    try {
      await trustedSignerChain(
        { signer: s.signer, certificates: all.certificates },
        input.trust,
        input.time,
        input.revocation,
      );
    } catch (e) {
      if (!isVmicError(e)) throw e;
      why.push(`${subject}: ${e.code} ${e.message}`);
      continue;
    }
    counted.push(pinned);
  }
  if (counted.length < threshold.k)
    throw new VmicError(
      'THRESHOLD_NOT_MET',
      `${threshold.k} distinct pinned signers needed, ${counted.length} counted (${counted.join('; ')})` +
        (why.length ? `; ${why.join('; ')}` : ''),
      { rule: 'signers.threshold' },
    );
  return { ...verified, coSigners: counted };
}
