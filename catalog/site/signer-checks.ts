import { sql } from 'kysely';
import type { RevocationPolicy } from '../../pki/index.ts';
import type { Instance } from '../instance.ts';
import type { Queryable } from '../store/database.ts';
import type { GateSignerCheckTable } from '../store/schema-gate.ts';
import { reasonCodeOr } from '../../errors/index.ts';
import type { SignerVerdict } from './signer-check.ts';

/*
 * The gate's kept signer checks (docs/design.md §7). A catalog signer's verdict can change
 * only when the trust store or the revocation policy changes, or when time crosses a
 * validity bound of a certificate or CRL held. So each subscription's newest catalog has
 * one row: the verdict, the generation it was computed under, and the window around the
 * time of computing in which no bound is crossed. It is computed at import and whenever
 * certificates or CRLs are added, and again by the gate itself when the row does not
 * hold for the question (another generation, or a time outside the window).
 *
 * Threat: a kept "trusted" outliving a revocation or expiry the site knows of. The
 * generation is read in the same query as the row on every decision (gate-query.ts), so
 * a CRL added by any process changes the very next decision; and the window ends at the
 * first bound after the check, so a decision after a notAfter or nextUpdate is computed
 * afresh. The row lives in the database, not in one process, so that the CLI (`vmic
 * check`) needs no path validation, and so no X.509 code, while the row holds.
 */

/**
 * The trust store's identity and the revocation policy, as one text: the largest id and
 * the count of the trusted certificates and of the CRLs (rows are only ever added, so any
 * change moves one of them) and the policy value.
 */
export const TRUST_GENERATION = sql<string>`(
  (select coalesce(max(id), 0) || '.' || count(*) from trust_certificates) || '/' ||
  (select coalesce(max(id), 0) || '.' || count(*) from trust_crls) || '/' ||
  coalesce((select value from site_policy where key = 'revocation'), 'best-effort')
)`;

export type KeptSignerCheck = Pick<
  GateSignerCheckTable,
  | 'sequence'
  | 'verified_at'
  | 'trust_generation'
  | 'outcome'
  | 'code'
  | 'message'
  | 'valid_from'
  | 'valid_until'
>;

/** What identifies the catalog version whose signer is asked about. */
export interface CatalogVersionKey {
  subscriptionId: number;
  sequence: number;
  verifiedAt: string;
}

/** The kept verdict when `kept` holds for this catalog version, generation and time. */
export function keptVerdict(
  kept: KeptSignerCheck | undefined,
  key: CatalogVersionKey,
  generation: string,
  now: Date,
): SignerVerdict | undefined {
  if (
    !kept ||
    kept.sequence !== key.sequence ||
    kept.verified_at !== key.verifiedAt ||
    kept.trust_generation !== generation
  )
    return undefined;
  const t = now.getTime();
  if (kept.valid_from !== null && t < Date.parse(kept.valid_from)) return undefined;
  if (kept.valid_until !== null && t >= Date.parse(kept.valid_until)) return undefined;
  if (kept.outcome === 'trusted') return { outcome: 'trusted' };
  if (kept.outcome === 'revoked') return { outcome: 'revoked', message: kept.message ?? '' };
  return {
    outcome: 'refused',
    code: reasonCodeOr(kept.code ?? '', 'CHAIN_UNTRUSTED'),
    message: kept.message ?? '',
  };
}

/**
 * Validates the signer of the subscription's newest catalog at `at` and keeps the result.
 * Undefined when the subscription holds no catalog. The X.509 code is loaded here, on
 * first use, so that a process whose questions are answered by kept rows never loads it.
 */
export async function refreshSignerCheck(
  db: Queryable,
  subscriptionId: number,
  at: Date,
): Promise<SignerVerdict | undefined> {
  const catalog = await db
    .selectFrom('site_catalogs')
    .select(['sequence', 'verified_at', 'signer_subject', 'signer_der', 'chain_pem'])
    .where('subscription_id', '=', subscriptionId)
    .orderBy('sequence', 'desc')
    .limit(1)
    .executeTakeFirst();
  if (!catalog) return undefined;
  // Read together with the material below, so that the generation names what was used.
  const generation = (await sql<{ g: string }>`select ${TRUST_GENERATION} as g`.execute(db))
    .rows[0]!.g;
  const revocation = generation.slice(generation.lastIndexOf('/') + 1) as RevocationPolicy;
  const { loadTrustMaterial } = await import('./trust-store.ts');
  const trust = await loadTrustMaterial(db);
  const { checkSigner } = await import('./signer-check.ts');
  const check = await checkSigner(
    { subject: catalog.signer_subject, der: catalog.signer_der, chainPem: catalog.chain_pem },
    trust,
    revocation,
    at,
  );
  const v = check.verdict;
  const row = {
    sequence: catalog.sequence,
    verified_at: catalog.verified_at,
    trust_generation: generation,
    outcome: v.outcome,
    code: v.outcome === 'refused' ? v.code : null,
    message: v.outcome === 'trusted' ? null : v.message,
    valid_from: Number.isFinite(check.validFrom) ? new Date(check.validFrom).toISOString() : null,
    valid_until: Number.isFinite(check.validUntil)
      ? new Date(check.validUntil).toISOString()
      : null,
    checked_at: at.toISOString(),
  };
  await db
    .insertInto('gate_signer_checks')
    .values({ subscription_id: subscriptionId, ...row })
    .onConflict((oc) => oc.column('subscription_id').doUpdateSet(row))
    .execute();
  return v;
}

/**
 * Re-checks every subscription's newest catalog signer: after certificates or CRLs are
 * added, so that the next questions find rows that hold (the gate would recompute them
 * anyway: this only moves the work out of the answers).
 */
export async function refreshAllSignerChecks(inst: Instance, db: Queryable): Promise<void> {
  const subs = await db.selectFrom('site_catalogs').select('subscription_id').distinct().execute();
  for (const s of subs) await refreshSignerCheck(db, s.subscription_id, inst.now());
}
