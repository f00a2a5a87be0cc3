import type { Instance } from '../../instance.ts';
import { decideSiteImage, type GateReason } from '../gate.ts';
import type { SiteImageRow } from '../site-images.ts';
import {
  matchPackage,
  packageLabel,
  parsePackageSpec,
  type InventoryPackage,
} from './package-spec.ts';

/**
 * `vmic inventory search NAME[@VERSION]` (and the API and web page): which images contain
 * a package, by the verified inventories only. Each image is decided by the deploy gate
 * (`decideSiteImage`), so "deployable" here is exactly what `vmic check` would answer;
 * non-deployable images are left out unless `all`.
 *
 * A package whose version the SBOM does not state does not match a version constraint
 * here (the gate's deny-package rule, by contrast, treats it as a match: fail closed).
 */
export interface InventoryHit {
  subscription: string;
  identifier: string;
  sha256: string;
  title: string;
  status: string;
  packages: { purl: string | null; name: string; version: string | null; label: string }[];
  deployable: boolean;
  reasons: GateReason[];
}

export interface InventorySearch {
  query: string;
  images: InventoryHit[];
  /** Images with a signed SBOM not verified here (not fetched, quarantined, unreadable): not searched. */
  unverified: number;
  /** More package rows matched the name than were read (MAX_ROWS): narrow the query. */
  truncated: boolean;
}

/** Rows of one name read per search (threat: a query for a name every image has, a million times). */
const MAX_ROWS = 20_000;

export async function searchInventory(
  inst: Instance,
  query: string,
  opts: { all?: boolean | undefined } = {},
): Promise<InventorySearch> {
  const spec = parsePackageSpec(query);
  const db = inst.store.db;
  const rows = await db
    .selectFrom('site_inventory_packages as p')
    .innerJoin('site_sboms as sb', 'sb.sha256', 'p.sbom_sha256')
    .innerJoin('site_images as si', 'si.sbom_sha256', 'p.sbom_sha256')
    .select(['si.id as imageId', 'p.purl', 'p.type', 'p.namespace', 'p.name', 'p.version'])
    .where('p.name_key', '=', spec.nameKey)
    .where('sb.state', '=', 'verified')
    .orderBy('si.id')
    .orderBy('p.id')
    .limit(MAX_ROWS + 1)
    .execute();
  const truncated = rows.length > MAX_ROWS;
  const byImage = new Map<number, InventoryPackage[]>();
  for (const r of rows.slice(0, MAX_ROWS)) {
    if (matchPackage(spec, r) !== true) continue;
    const list = byImage.get(r.imageId) ?? [];
    if (list.length < 50) list.push(r);
    byImage.set(r.imageId, list);
  }
  const images: InventoryHit[] = [];
  for (const row of await imagesById(inst, [...byImage.keys()])) {
    const decision = await decideSiteImage(inst, row);
    if (!decision.deployable && !opts.all) continue;
    images.push({
      subscription: row.subscription,
      identifier: row.identifier,
      sha256: row.sha256 ?? '',
      title: row.title,
      status: row.status,
      packages: byImage.get(row.id)!.map((p) => ({
        purl: p.purl,
        name: p.name,
        version: p.version,
        label: packageLabel(p),
      })),
      deployable: decision.deployable,
      reasons: decision.reasons,
    });
  }
  return { query: query.trim(), images, unverified: await unverifiedCount(inst), truncated };
}

async function imagesById(inst: Instance, ids: number[]): Promise<SiteImageRow[]> {
  const out: SiteImageRow[] = [];
  for (let i = 0; i < ids.length; i += 500) {
    const rows = await inst.store.db
      .selectFrom('site_images')
      .innerJoin('subscriptions', 'subscriptions.id', 'site_images.subscription_id')
      .selectAll('site_images')
      .select([
        'subscriptions.name as subscription',
        'subscriptions.enabled as subscription_enabled',
      ])
      .where('site_images.id', 'in', ids.slice(i, i + 500))
      .execute();
    out.push(...rows);
  }
  return out.sort(
    (a, b) =>
      a.subscription.localeCompare(b.subscription) || a.identifier.localeCompare(b.identifier),
  );
}

async function unverifiedCount(inst: Instance): Promise<number> {
  const r = await inst.store.db
    .selectFrom('site_images as si')
    .leftJoin('site_sboms as sb', 'sb.sha256', 'si.sbom_sha256')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('si.sbom_sha256', 'is not', null)
    .where('si.status', '=', 'endorsed')
    .where((eb) => eb.or([eb('sb.state', 'is', null), eb('sb.state', '!=', 'verified')]))
    .executeTakeFirstOrThrow();
  return Number(r.n);
}
