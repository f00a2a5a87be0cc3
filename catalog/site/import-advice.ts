import type { VmicError } from '../../errors/index.ts';

/**
 * What the operator should run when an import is refused because the endorser moved to
 * another CA (a rotation to a new CA needs the site's explicit action, issue 18): the
 * refusal names the exact commands, rather than leaving the operator to guess whether to
 * trust, re-pin, or neither. Only said where it can be the cause; the refusal stands.
 */
export function importAdvice(e: VmicError, subscription: string): string | undefined {
  const repin = `vmic subscription repin ${subscription}`;
  if (e.code === 'CHAIN_UNTRUSTED')
    return `if the endorser moved to a new CA you trust, add it (vmic trust add NEW-CA.pem) and run ${repin}`;
  if (e.code === 'SUBJECT_MISMATCH' && (e.rule === 'pin.issuer' || e.rule === 'pin.issuerKey'))
    return `if the endorser moved to this CA on purpose, confirm it: ${repin}${e.rule === 'pin.issuer' ? ` (the subscription's --expect-issuer must change too: remove and subscribe again)` : ''}`;
  return undefined;
}
