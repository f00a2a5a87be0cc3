import { Gauge, type Registry } from 'prom-client';
import type { Instance } from '../catalog/index.ts';
import { decideSiteImage } from '../catalog/site/gate.ts';
import { listPending } from '../catalog/cosign/pending.ts';
import { identityHealth } from '../catalog/site/health-identities.ts';
import { readPolicy } from '../catalog/site/policy.ts';
import { listSiteImages } from '../catalog/site/site-images.ts';
import { isErrorCode } from '../errors/index.ts';

/**
 * The gauges read from the database at each scrape, so that they hold whoever changed the
 * database: this server, or `vmic import` / `vmic fetch` run from cron in another process.
 * Returns the function that refreshes them.
 */
export function scrapeGauges(inst: Instance, registry: Registry): () => Promise<void> {
  const g = (name: string, help: string, labelNames: string[] = []) =>
    new Gauge({ name, help, labelNames, registers: [registry] });
  const verifiedAge = g(
    'vmic_catalog_last_verified_age_seconds',
    "Seconds since the subscription's catalog was last verified (a whole feed read and checked; a 304 verifies nothing).",
    ['subscription'],
  );
  const issuedAge = g(
    'vmic_catalog_issued_age_seconds',
    "Seconds since the newest verified catalog was issued (what the policy's max-catalog-age counts).",
    ['subscription'],
  );
  const expiresIn = g(
    'vmic_catalog_expires_in_seconds',
    'Seconds until the newest verified catalog expires (negative: expired).',
    ['subscription'],
  );
  const maxAgeLeft = g(
    'vmic_catalog_max_age_remaining_seconds',
    "Seconds until the newest verified catalog passes the site's max-catalog-age (negative: past it); absent when the policy sets none.",
    ['subscription'],
  );
  const enabled = g(
    'vmic_subscription_enabled',
    '1 for an enabled subscription, 0 for a disabled one.',
    ['subscription'],
  );
  const lastRefused = g(
    'vmic_subscription_last_import_refused',
    "1 while the subscription's last import was refused, labelled with its code (any process's import).",
    ['subscription', 'code'],
  );
  const cache = g('vmic_cache_entries', 'Image cache entries by state (verified, quarantined).', [
    'state',
  ]);
  const gateImages = g(
    'vmic_gate_images',
    'Site images by what the deploy gate answers for them now (deployable, not_deployable).',
    ['state'],
  );
  const gateReasons = g(
    'vmic_gate_image_reasons',
    'Site images the gate refuses now, by reason (an image with two reasons counts under both).',
    ['reason'],
  );
  const certExpiry = g(
    'vmic_certificate_expiry_timestamp_seconds',
    'When each certificate this instance signs with ends (notAfter, Unix seconds): identity="endorser" by endorser name, identity="site" for the site identity. Alert on it minus time().',
    ['identity', 'name'],
  );
  const pendingNeeded = g(
    'vmic_pending_catalog_signatures_needed',
    "Co-signatures an endorser's pending catalog still needs before it is published (absent: nothing pending). A pending catalog is served to no one.",
    ['endorser'],
  );
  const gateSeconds = g(
    'vmic_gate_evaluation_seconds',
    'How long deciding every site image took at this scrape.',
  );

  return async () => {
    const db = inst.store.db;
    const now = inst.now();
    const policy = await readPolicy(db);
    const subs = await db
      .selectFrom('subscriptions')
      .select(['id', 'name', 'enabled', 'last_success_at', 'last_error_code'])
      .execute();
    const newest = await Promise.all(
      subs.map((s) =>
        db
          .selectFrom('site_catalogs')
          .select(['issued_at', 'expires_at'])
          .where('subscription_id', '=', s.id)
          .orderBy('sequence', 'desc')
          .limit(1)
          .executeTakeFirst(),
      ),
    );
    const states = await db
      .selectFrom('cache_entries')
      .select(['state', (eb) => eb.fn.countAll<number>().as('n')])
      .groupBy('state')
      .execute();
    const gate = await decideEveryImage(inst);
    const identities = await identityHealth(inst, { site: true, endorsers: 'all' }, now);
    const pending = await listPending(inst);

    // Reset first: a removed subscription must not keep its last value for ever.
    for (const m of [
      verifiedAge,
      issuedAge,
      expiresIn,
      maxAgeLeft,
      enabled,
      lastRefused,
      cache,
      certExpiry,
      pendingNeeded,
    ])
      m.reset();
    for (const p of pending) pendingNeeded.set({ endorser: p.endorser }, p.needed);
    for (const i of identities)
      certExpiry.set({ identity: i.kind, name: i.name }, Date.parse(i.notAfter) / 1000);
    const seconds = (iso: string) => (now.getTime() - Date.parse(iso)) / 1000;
    const maxAge = policy.maxCatalogAgeSeconds;
    subs.forEach((s, i) => {
      const subscription = s.name;
      enabled.set({ subscription }, s.enabled === 1 ? 1 : 0);
      if (s.last_success_at !== null) verifiedAge.set({ subscription }, seconds(s.last_success_at));
      const code = s.last_error_code;
      if (code !== null)
        lastRefused.set({ subscription, code: isErrorCode(code) ? code : 'OTHER' }, 1);
      const catalog = newest[i];
      if (catalog) {
        issuedAge.set({ subscription }, seconds(catalog.issued_at));
        if (maxAge !== undefined)
          maxAgeLeft.set({ subscription }, maxAge - seconds(catalog.issued_at));
        expiresIn.set({ subscription }, -seconds(catalog.expires_at));
      }
    });
    cache.set({ state: 'verified' }, 0);
    cache.set({ state: 'quarantined' }, 0);
    for (const s of states) cache.set({ state: s.state }, Number(s.n));
    gateImages.reset();
    gateReasons.reset();
    gateImages.set({ state: 'deployable' }, gate.deployable);
    gateImages.set({ state: 'not_deployable' }, gate.refused);
    for (const [reason, n] of gate.reasons) gateReasons.set({ reason }, n);
    gateSeconds.set(gate.seconds);
  };
}

/**
 * Every site image through the gate's own decision (`decideSiteImage`, as the site images
 * list of the API uses), so that the gauge never disagrees with `vmic check`. This costs
 * what walking every page of GET /api/v1/site/images costs: a few queries and a signer
 * path re-validation per image, i.e. milliseconds each; `vmic_gate_evaluation_seconds`
 * shows it.
 */
async function decideEveryImage(inst: Instance) {
  const started = process.hrtime.bigint();
  const reasons = new Map<string, number>();
  let deployable = 0;
  let refused = 0;
  for (const row of await listSiteImages(inst.store.db)) {
    const d = await decideSiteImage(inst, row);
    if (d.deployable) deployable++;
    else refused++;
    for (const code of new Set(d.reasons.map((r) => r.code)))
      reasons.set(code, (reasons.get(code) ?? 0) + 1);
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return { deployable, refused, reasons, seconds };
}
