import { describeCertificate, pemToDers } from '../../pki/index.ts';
import { listEndorsers } from '../endorsers.ts';
import type { Instance } from '../instance.ts';
import { countdown, secondsUntil } from './health-rules.ts';
import type { HealthSummary, IdentityHealth, IdentityMark } from './health-types.ts';

/*
 * The certificates this instance signs with (issue 18, rotation): each endorser's and the
 * site identity's, with their expiry. The rules are pure (the same certificate and time give
 * the same marks); the query reads only what the summary's scope may show.
 */

/** A certificate expiring within this is `near-expiry`: time to rotate it. */
export const IDENTITY_WARNING_SECONDS = 30 * 86400;

export function identityMarks(expiresInSeconds: number): IdentityMark[] {
  if (expiresInSeconds <= 0) return ['expired'];
  if (expiresInSeconds <= IDENTITY_WARNING_SECONDS) return ['near-expiry'];
  return [];
}

/** One identity at `now`, from its certificate (PEM, leaf first). */
export function identityOf(
  kind: IdentityHealth['kind'],
  name: string,
  certificatePem: string,
  now: Date,
): IdentityHealth {
  const info = describeCertificate(pemToDers(certificatePem, 'CERTIFICATE')[0]!);
  const notAfter = info.notAfter.toISOString();
  const expiresInSeconds = secondsUntil(notAfter, now);
  return {
    kind,
    name,
    subject: info.subject,
    issuer: info.issuer,
    notAfter,
    expiresInSeconds,
    marks: identityMarks(expiresInSeconds),
  };
}

/** What replaces the certificate, as the operator types it. */
export function renewCommand(i: Pick<IdentityHealth, 'kind' | 'name'>): string {
  return i.kind === 'endorser'
    ? `vmic endorser rotate ${i.name} --cert NEW.pem (--key NEW-KEY.pem | --pkcs11 URI)`
    : 'vmic site identity set --cert NEW.pem (--key NEW-KEY.pem | --pkcs11 URI) [--chain CHAIN.pem]';
}

type Problem = HealthSummary['problems'][number];

/** An expired certificate is an error (nothing it signs is accepted); one expiring soon, a warning. */
export function identityProblems(identities: readonly IdentityHealth[]): Problem[] {
  const out: Problem[] = [];
  for (const i of identities) {
    const who = i.kind === 'endorser' ? `endorser ${i.name}'s certificate` : 'the site certificate';
    const date = i.notAfter.slice(0, 10);
    const fix = renewCommand(i);
    if (i.marks.includes('expired')) {
      const effect =
        i.kind === 'endorser'
          ? 'no site accepts a catalog it signs'
          : 'peers refuse its migrations and compute nodes its approval feed';
      out.push({
        level: 'error',
        text: `${who} expired ${countdown(i.expiresInSeconds)} (${date}): ${effect}; ${fix}`,
      });
    } else if (i.marks.includes('near-expiry'))
      out.push({
        level: 'warning',
        text: `${who} expires ${countdown(i.expiresInSeconds)} (${date}): ${fix}`,
      });
  }
  return out;
}

/**
 * The identities the summary's scope may show: the endorsers named (all, or those the
 * viewer may see), and the site identity when the site is in scope (if it has one).
 */
export async function identityHealth(
  inst: Instance,
  scope: { site: boolean; endorsers: readonly string[] | 'all' },
  now: Date,
): Promise<IdentityHealth[]> {
  const out: IdentityHealth[] = [];
  for (const e of await listEndorsers(inst))
    if (scope.endorsers === 'all' || scope.endorsers.includes(e.name))
      out.push(identityOf('endorser', e.name, e.certificatePem, now));
  if (scope.site) {
    const row = await inst.store.db
      .selectFrom('site_identity')
      .select('certificate_pem')
      .where('id', '=', 1)
      .executeTakeFirst();
    if (row) out.push(identityOf('site', 'site', row.certificate_pem, now));
  }
  return out;
}
