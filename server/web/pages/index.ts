import { Router } from 'express';
import { listEndorsers, type Instance } from '../../../catalog/index.ts';
import { healthSummary } from '../../../catalog/site/health.ts';
import { requirePrincipal } from '../../auth.ts';
import { auditPages } from './audit-pages.ts';
import { endorserPages } from './endorser-pages.ts';
import { imageSbomPages } from './image-sbom-pages.ts';
import { pendingPages } from './pending-pages.ts';
import { adoptPages } from './adopt-pages.ts';
import { dashboardView } from './home-dashboard.ts';
import { pageErrors, pageHeaders, render } from './render.ts';
import { sitePages } from './site-pages.ts';
import { migrationPages } from './migration-pages.ts';
import { inventoryPages } from './inventory-pages.ts';

export { STATIC_DIR } from './render.ts';

/** Path prefixes the admin pages own; nothing else reaching this router is touched. */
const PAGE_PATHS = ['/admin', '/endorsers', '/site', '/audit'];

/**
 * The web admin pages (docs/design.md §4), server-rendered. Mounted after the sign-in
 * layer, which sets `req.principal` from the session and checks CSRF tokens; every route
 * here checks roles on the server itself.
 */
export function webPages(inst: Instance): Router {
  const r = Router();
  r.get('/', (_req, res) => res.redirect(303, '/admin'));
  r.use(PAGE_PATHS, pageHeaders);

  // The home dashboard: the health summary cut to what the roles may read (an endorser
  // sees only its own catalogs; the audit tail only admins and auditors), so the page
  // discloses nothing the pages it links to would refuse.
  r.get('/admin', requirePrincipal, async (req, res) => {
    const roles = req.principal?.roles ?? [];
    const endorsers = roles.includes('admin')
      ? (await listEndorsers(inst)).map((e) => e.name)
      : roles.filter((x) => x.startsWith('endorser:')).map((x) => x.slice('endorser:'.length));
    const site = roles.some((x) => x === 'admin' || x === 'site-approver' || x === 'auditor');
    const audit = roles.some((x) => x === 'admin' || x === 'auditor');
    const now = inst.now();
    const health = await healthSummary(inst, { site, audit, endorsers }, now);
    render(req, res, 'home.njk', {
      title: 'vmic admin',
      endorsers,
      site,
      audit,
      now,
      dash: dashboardView(health),
    });
  });

  r.use(
    endorserPages(inst),
    imageSbomPages(inst),
    pendingPages(inst),
    adoptPages(inst),
    sitePages(inst),
    migrationPages(inst),
    inventoryPages(inst),
    auditPages(inst),
  );
  r.use(PAGE_PATHS, pageErrors);
  return r;
}
