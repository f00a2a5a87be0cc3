import type { Queryable } from '../../store/database.ts';
import { insertRows } from '../../store/bulk-write.ts';
import type { Tx } from '../../store/write-transaction.ts';
import type { SiteSbomTable } from '../../store/schema-inventory.ts';
import type { InventoryPackage } from './package-spec.ts';

/**
 * The one write of a site SBOM row (one per signed SHA-256) and, when verified and
 * readable, its packages: the old packages of the same SHA-256 go first, so a refetch
 * never doubles them. A later verified fetch replaces a quarantined row.
 */
export async function recordSbom(
  tx: Tx,
  row: Omit<SiteSbomTable, 'package_count'>,
  packages: InventoryPackage[],
): Promise<void> {
  await tx.deleteFrom('site_inventory_packages').where('sbom_sha256', '=', row.sha256).execute();
  const values = { ...row, package_count: packages.length };
  await tx
    .insertInto('site_sboms')
    .values(values)
    .onConflict((oc) => oc.column('sha256').doUpdateSet(values))
    .execute();
  await insertRows(
    tx,
    'site_inventory_packages',
    ['sbom_sha256', 'purl', 'type', 'namespace', 'name', 'name_key', 'version'],
    packages.map((p) => [
      row.sha256,
      p.purl,
      p.type,
      p.namespace,
      p.name,
      p.name.toLowerCase(),
      p.version,
    ]),
  );
}

/** The SHA-256 values already verified (and so not fetched again). */
export async function settledSboms(db: Queryable, hashes: string[]): Promise<Set<string>> {
  const out = new Set<string>();
  for (let i = 0; i < hashes.length; i += 500) {
    const rows = await db
      .selectFrom('site_sboms')
      .select('sha256')
      .where('state', 'in', ['verified', 'unreadable'])
      .where('sha256', 'in', hashes.slice(i, i + 500))
      .execute();
    for (const r of rows) out.add(r.sha256);
  }
  return out;
}

/** Packages of one inventory named by any of `nameKeys` (one statement: the gate's read). */
export async function packagesNamed(
  db: Queryable,
  sbomSha256: string,
  nameKeys: string[],
): Promise<InventoryPackage[]> {
  if (nameKeys.length === 0) return [];
  return db
    .selectFrom('site_inventory_packages')
    .select(['purl', 'type', 'namespace', 'name', 'version'])
    .where('sbom_sha256', '=', sbomSha256)
    .where('name_key', 'in', nameKeys)
    .orderBy('id')
    .execute();
}
