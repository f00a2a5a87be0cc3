import { createHash } from 'node:crypto';
import type { Queryable } from './store/database.ts';
import type { Tx } from './store/write-transaction.ts';
import { appendAudit } from './audit/audit-log.ts';
import { catalogLapse } from './site/freshness.ts';
import { readPolicy } from './site/policy.ts';
import type { StoredDerivation } from './adopt.ts';

/** An adopted image whose upstream no longer endorses it: the next publish withdraws it. */
export interface UpstreamLapse {
  identifier: string;
  /** Where it was adopted from (SUBSCRIPTION/IDENTIFIER). */
  from: string;
  why: string;
}

interface AdoptedRow {
  id: number;
  identifier: string;
  sha256: string;
  derived_from: string;
}

/**
 * Judges each endorsed image this endorser adopted (catalog/adopt.ts) against what this
 * site now holds of its upstream: still endorsed there, the same bytes, in a catalog that
 * is current (not expired, within the site's max-catalog-age). An image that is not is
 * withdrawn at the next publish (threat: an endorser here vouching on for an image its
 * origin withdrew, e.g. after a vulnerability, or whose origin went silent); it comes back
 * only if the endorser adopts it again, once it is deployable here again. One that still
 * is gets its derivation moved to the newest upstream catalog verified here, so that
 * downstream `--verify-provenance` checks a version that still lists it.
 */
export async function judgeAdopted(
  db: Queryable,
  endorserId: number,
  now: Date,
): Promise<{ lapses: UpstreamLapse[]; refreshed: { row: AdoptedRow; derivation: string }[] }> {
  const rows = (await db
    .selectFrom('images')
    .select(['id', 'identifier', 'sha256', 'derived_from'])
    .where('endorser_id', '=', endorserId)
    .where('status', '=', 'endorsed')
    .where('derived_from', 'is not', null)
    .execute()) as AdoptedRow[];
  const lapses: UpstreamLapse[] = [];
  const refreshed: { row: AdoptedRow; derivation: string }[] = [];
  if (rows.length === 0) return { lapses, refreshed };
  const policy = await readPolicy(db);
  for (const row of rows) {
    const d = JSON.parse(row.derived_from) as StoredDerivation;
    const from = `${d.adopted.subscription}/${d.adopted.identifier}`;
    const lapse = (why: string) => lapses.push({ identifier: row.identifier, from, why });
    const sub = await db
      .selectFrom('subscriptions')
      .select(['id', 'enabled'])
      .where('name', '=', d.adopted.subscription)
      .executeTakeFirst();
    if (!sub) {
      lapse(`subscription ${d.adopted.subscription} was removed`);
      continue;
    }
    const upstream = await db
      .selectFrom('site_images')
      .select(['status', 'sha256', 'iri'])
      .where('subscription_id', '=', sub.id)
      .where('identifier', '=', d.adopted.identifier)
      .executeTakeFirst();
    const catalog = await db
      .selectFrom('site_catalogs')
      .select([
        'sequence',
        'issued_at',
        'expires_at',
        'format',
        'p7m',
        'signer_subject',
        'signer_issuer',
      ])
      .where('subscription_id', '=', sub.id)
      .orderBy('sequence', 'desc')
      .limit(1)
      .executeTakeFirst();
    const stale = catalog && catalogLapse(catalog, now, policy.maxCatalogAgeSeconds);
    if (sub.enabled !== 1) lapse(`subscription ${d.adopted.subscription} is disabled`);
    else if (!upstream || upstream.status !== 'endorsed') lapse('withdrawn upstream');
    else if (upstream.sha256 !== row.sha256)
      lapse(`upstream now lists other bytes (sha256:${upstream.sha256 ?? 'unknown'})`);
    else if (!catalog) lapse('no upstream catalog held');
    else if (stale) lapse(`upstream catalog lapsed: ${stale.message}`);
    else if (catalog.sequence !== d.sequence || upstream.iri !== d.image) {
      const moved: StoredDerivation = {
        ...d,
        image: upstream.iri,
        sequence: catalog.sequence,
        catalogSha256: createHash('sha256').update(catalog.p7m).digest('hex'),
        x509Subject: catalog.signer_subject,
        x509Issuer: catalog.signer_issuer,
      };
      refreshed.push({ row, derivation: JSON.stringify(moved) });
    }
  }
  return { lapses, refreshed };
}

/** In the publish transaction: withdraws the lapsed adopted images and moves the rest on. */
export async function reconcileAdopted(
  tx: Tx,
  endorser: { id: number; name: string },
  now: Date,
  actor: string,
): Promise<UpstreamLapse[]> {
  const { lapses, refreshed } = await judgeAdopted(tx, endorser.id, now);
  for (const { row, derivation } of refreshed)
    await tx
      .updateTable('images')
      .set({ derived_from: derivation })
      .where('id', '=', row.id)
      .execute();
  for (const l of lapses) {
    await tx
      .updateTable('images')
      .set({ status: 'withdrawn', updated_at: now.toISOString() })
      .where('endorser_id', '=', endorser.id)
      .where('identifier', '=', l.identifier)
      .execute();
    await appendAudit(tx, {
      at: now,
      actor,
      action: 'image.withdrawn-upstream',
      subject: `${endorser.name}/${l.identifier}`,
      details: { from: l.from, why: l.why },
    });
  }
  return lapses;
}
