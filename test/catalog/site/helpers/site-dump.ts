import type { Instance } from '../../../../catalog/index.ts';

const SITE_TABLES = [
  'trust_certificates',
  'trust_crls',
  'site_policy',
  'site_catalogs',
  'site_images',
  'cache_entries',
  'approvals',
] as const;

/**
 * Everything a refused import must leave untouched: every site table, and the
 * subscriptions without their last-result columns (which a refusal does update).
 */
export async function dumpSiteState(inst: Instance): Promise<string> {
  const out: Record<string, unknown[]> = {};
  for (const table of SITE_TABLES)
    out[table] = await inst.store.db.selectFrom(table).selectAll().execute();
  out.subscriptions = (
    await inst.store.db.selectFrom('subscriptions').selectAll().orderBy('id').execute()
  ).map(
    ({
      last_checked_at: _c,
      last_error_code: _e,
      last_error_message: _m,
      last_error_at: _a,
      last_not_modified_at: _n,
      ...rest
    }) => rest,
  );
  return JSON.stringify(out, (_k, v: unknown) =>
    v instanceof Uint8Array ? Buffer.from(v).toString('base64') : v,
  );
}
