import { sql } from 'kysely';
import type { Instance } from '../instance.ts';
import type { Queryable } from '../store/database.ts';
import type { SignerRecheck } from './gate-rules.ts';
import { loadTrustMaterial, type TrustMaterial } from './trust-store.ts';

/*
 * The gate re-checks each catalog signer against the CRLs held now. That answer can change
 * only when the trust store changes (a certificate or CRL added or removed) or when `now`
 * leaves the time window in which every held CRL is current. So it is kept per instance,
 * keyed by the catalog and the trust store's generation, and used only inside that window.
 *
 * Threat: a cached "not revoked" outliving a revocation the site holds. The generation is
 * read from the database on every decision (one indexed query), so a CRL added by any
 * process (the CLI, the web page, another server) changes the key of the very next
 * decision; and a decision outside the CRLs' [thisUpdate, nextUpdate) window is computed
 * afresh.
 */

/** The trust store's identity and the window in which all of its CRLs are current. */
export interface TrustState {
  generation: string;
  /** Latest thisUpdate of the CRLs held (ms); before it, some CRL is not yet valid. */
  from: number;
  /** Earliest nextUpdate of the CRLs held (ms); from then on, some CRL is stale. */
  until: number;
}

export async function trustState(db: Queryable): Promise<TrustState> {
  const row = await sql<{
    certs: string;
    crls: string;
    crl_from: string | null;
    crl_until: string | null;
  }>`select
      (select coalesce(max(id), 0) || '.' || count(*) from trust_certificates) as certs,
      (select coalesce(max(id), 0) || '.' || count(*) from trust_crls) as crls,
      (select max(this_update) from trust_crls) as crl_from,
      (select min(next_update) from trust_crls) as crl_until`.execute(db);
  const r = row.rows[0];
  if (!r) throw new Error('trust state query returned no row');
  return {
    generation: `${r.certs}/${r.crls}`,
    from: r.crl_from === null ? -Infinity : Date.parse(r.crl_from),
    until: r.crl_until === null ? Infinity : Date.parse(r.crl_until),
  };
}

/** What identifies the signer being re-checked: the catalog version as verified. */
export interface RecheckKey {
  subscriptionId: number;
  sequence: number;
  verifiedAt: string;
}

/** Bounds the cache: one entry per catalog version and trust generation in use. */
const MAX_ENTRIES = 10_000;
const caches = new WeakMap<Instance, Map<string, SignerRecheck>>();

/**
 * The signer re-check for `key` at `now`: the kept answer while the trust store is
 * unchanged and `now` is inside its CRLs' window, else `compute` with the trust material
 * loaded now (and kept, when inside the window).
 */
export async function cachedSignerRecheck(
  inst: Instance,
  key: RecheckKey,
  now: Date,
  compute: (trust: TrustMaterial) => Promise<SignerRecheck>,
): Promise<SignerRecheck> {
  const db = inst.store.db;
  const state = await trustState(db);
  const t = now.getTime();
  const inWindow = t >= state.from && t < state.until;
  let cache = caches.get(inst);
  if (!cache) caches.set(inst, (cache = new Map<string, SignerRecheck>()));
  const id = `${key.subscriptionId}:${key.sequence}:${key.verifiedAt}:${state.generation}`;
  if (inWindow) {
    const kept = cache.get(id);
    if (kept) return kept;
  }
  const result = await compute(await loadTrustMaterial(db));
  if (inWindow) {
    if (cache.size >= MAX_ENTRIES) cache.clear();
    cache.set(id, result);
  }
  return result;
}
