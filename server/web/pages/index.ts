import { Router } from 'express';
import { listEndorsers, type Instance } from '../../../catalog/index.ts';
import { requirePrincipal } from '../../auth.ts';
import { auditPages } from './audit-pages.ts';
import { endorserPages } from './endorser-pages.ts';
import { pageErrors, pageHeaders, render } from './render.ts';
import { sitePages } from './site-pages.ts';
import { migrationPages } from './migration-pages.ts';

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

  r.get('/admin', requirePrincipal, async (req, res) => {
    const roles = req.principal?.roles ?? [];
    const endorsers = roles.includes('admin')
      ? (await listEndorsers(inst)).map((e) => e.name)
      : roles.filter((x) => x.startsWith('endorser:')).map((x) => x.slice('endorser:'.length));
    render(req, res, 'home.njk', {
      title: 'vmic admin',
      endorsers,
      site: roles.some((x) => x === 'admin' || x === 'site-approver' || x === 'auditor'),
      audit: roles.some((x) => x === 'admin' || x === 'auditor'),
    });
  });

  r.use(endorserPages(inst), sitePages(inst), migrationPages(inst), auditPages(inst));
  r.use(PAGE_PATHS, pageErrors);
  return r;
}
