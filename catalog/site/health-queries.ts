import { listEndorsers } from '../endorsers.ts';
import { listPending } from '../cosign/pending.ts';
import type { Instance } from '../instance.ts';
import { previewPublish } from '../publish-preview.ts';
import type { Queryable } from '../store/database.ts';
import { toAuditRecord, type AuditRecord } from '../audit/audit-log.ts';
import { ageSeconds } from './freshness.ts';
import { decideSiteImage } from './gate.ts';
import { catalogMarks, lastImportOf, secondsUntil } from './health-rules.ts';
import type { EndorserHealth, SubscriptionHealth } from './health-types.ts';
import { listSiteImages } from './site-images.ts';

/** Each subscription with its newest verified catalog, last import and marks at `now`. */
export async function subscriptionHealth(
  db: Queryable,
  now: Date,
  maxCatalogAgeSeconds: number | undefined,
): Promise<SubscriptionHealth[]> {
  const subs = await db.selectFrom('subscriptions').selectAll().orderBy('name').execute();
  const out: SubscriptionHealth[] = [];
  for (const s of subs) {
    const c = await db
      .selectFrom('site_catalogs')
      .select(['sequence', 'issued_at', 'expires_at', 'verified_at'])
      .where('subscription_id', '=', s.id)
      .orderBy('sequence', 'desc')
      .limit(1)
      .executeTakeFirst();
    const catalog = c && {
      sequence: c.sequence,
      issuedAt: c.issued_at,
      expiresAt: c.expires_at,
      expiresInSeconds: secondsUntil(c.expires_at, now),
      verifiedAt: c.verified_at,
      ageSeconds: ageSeconds(c.issued_at, now),
    };
    const lastImport = lastImportOf(s);
    const marks = catalogMarks(catalog, now, maxCatalogAgeSeconds);
    if (lastImport?.result === 'refused') marks.push('refused');
    out.push({
      name: s.name,
      enabled: s.enabled === 1,
      format: s.format,
      ...(catalog ? { catalog } : {}),
      ...(lastImport ? { lastImport } : {}),
      marks,
    });
  }
  return out;
}

/**
 * The gate's reason codes for every endorsed image of an enabled subscription, decided one
 * by one with the very function behind `vmic check` and the images page (gate.ts), so that
 * the dashboard's counts cannot disagree with them.
 */
export async function imageDecisionCodes(inst: Instance): Promise<string[][]> {
  const rows = (await listSiteImages(inst.store.db)).filter(
    (r) => r.status === 'endorsed' && r.subscription_enabled === 1,
  );
  const out: string[][] = [];
  for (const row of rows) {
    const d = await decideSiteImage(inst, row);
    out.push(d.reasons.map((r) => r.code));
  }
  return out;
}

/** The site image cache: the verified entries and their bytes (quarantined bytes are evidence, not cache). */
export async function cacheUse(db: Queryable): Promise<{ bytes: number; entries: number }> {
  const r = await db
    .selectFrom('cache_entries')
    .select((eb) => [
      eb.fn.countAll<number>().as('entries'),
      eb.fn.coalesce(eb.fn.sum<number>('byte_size'), eb.lit(0)).as('bytes'),
    ])
    .where('state', '=', 'verified')
    .executeTakeFirstOrThrow();
  return { bytes: Number(r.bytes), entries: Number(r.entries) };
}

export async function latestAudit(db: Queryable, limit: number): Promise<AuditRecord[]> {
  const rows = await db
    .selectFrom('audit_log')
    .selectAll()
    .orderBy('seq', 'desc')
    .limit(limit)
    .execute();
  return rows.map(toAuditRecord);
}

/** Each named endorser's latest published catalog and what publishing now would change. */
export async function endorserHealth(
  inst: Instance,
  names: readonly string[] | 'all',
  now: Date,
): Promise<EndorserHealth[]> {
  const all = (await listEndorsers(inst)).map((e) => e.name);
  const chosen = names === 'all' ? all : all.filter((n) => names.includes(n));
  const out: EndorserHealth[] = [];
  const pending = await listPending(inst);
  for (const name of chosen) {
    const waiting = pending.find((x) => x.endorser === name);
    const p = await previewPublish(inst, name);
    const catalog = p.last && {
      sequence: p.last.sequence,
      issuedAt: p.last.issuedAt,
      expiresAt: p.last.expiresAt,
      expiresInSeconds: secondsUntil(p.last.expiresAt, now),
    };
    out.push({
      name,
      ...(catalog ? { catalog } : {}),
      changedSinceLastPublish: p.added.length + p.changed.length + p.withdrawn.length,
      ...(waiting
        ? {
            pending: {
              sequence: waiting.sequence,
              threshold: waiting.threshold,
              signed: waiting.signed.length,
              needed: waiting.needed,
              issuedAt: waiting.issuedAt,
            },
          }
        : {}),
      // The site's max-catalog-age is this site's rule for others' catalogs, not one an
      // endorser's own catalog is held to.
      marks: catalogMarks(catalog, now, undefined),
    });
  }
  return out;
}

/** Software inventories (SBOMs) fetched here that are quarantined or unreadable. */
export async function inventoryTrouble(
  db: Queryable,
): Promise<{ quarantined: number; unreadable: number }> {
  const rows = await db
    .selectFrom('site_sboms')
    .select(['state', (eb) => eb.fn.countAll<number>().as('n')])
    .where('state', '!=', 'verified')
    .groupBy('state')
    .execute();
  const n = (s: string) => Number(rows.find((r) => r.state === s)?.n ?? 0);
  return { quarantined: n('quarantined'), unreadable: n('unreadable') };
}

/** How many forks of a transparency log found here (imports, witness) no one acknowledged. */
export async function logForks(db: Queryable): Promise<number> {
  const r = await db
    .selectFrom('log_evidence')
    .where('acknowledged_at', 'is', null)
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirst();
  return Number(r?.n ?? 0);
}
