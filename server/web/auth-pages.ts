import path from 'node:path';
import { fileURLToPath } from 'node:url';
import nunjucks from 'nunjucks';
import { Router, type Response } from 'express';
import { VmicError } from '../../errors/index.ts';
import {
  cosignerRole,
  listEndorsers,
  parseRole,
  type Instance,
  type Principal,
  type Role,
} from '../../catalog/index.ts';
import { listCosigners } from '../../catalog/cosign/cosigners.ts';
import { csrfTokenOf, endSession, establishSession, sessionCookieName } from './session.ts';
import { parseForm, requireCsrf } from './csrf.ts';
import { safeReturnPath } from './return-path.ts';
import type { WebConfig } from './web-config.ts';

const HERE = path.dirname(fileURLToPath(import.meta.url));
/** Our templates first, then the pages' `views/` for the shared layout. */
const env = new nunjucks.Environment(
  new nunjucks.FileSystemLoader([path.join(HERE, 'templates'), path.resolve(HERE, '../../views')]),
  // Autoescaping: a NameID or a failure reason from the IdP is text, never markup.
  { autoescape: true, throwOnUndefined: false },
);

export function renderAuthPage(
  res: Response,
  template: string,
  context: Record<string, unknown>,
  status = 200,
): void {
  const html = env.render(template, {
    ...context,
    principal: res.locals.principal as Principal | undefined,
    nav: [],
    csrfToken: String(res.locals.csrfToken ?? ''),
  });
  res.setHeader('Cache-Control', 'no-store');
  res.status(status).type('text/html; charset=utf-8').send(html);
}

const DEV_NAME = /^[A-Za-z0-9._-]{1,64}$/;

/** The roles the demo sign-in offers: every role there is on this instance. */
async function demoRoles(inst: Instance): Promise<Role[]> {
  const names = (await listEndorsers(inst)).map((e) => e.name);
  const cosigners: Role[] = [];
  for (const name of names)
    for (const c of await listCosigners(inst, name)) cosigners.push(cosignerRole(name, c.name));
  const endorsers = names.map((name): Role => `endorser:${name}`);
  return ['admin', ...endorsers, ...cosigners, 'site-approver', 'auditor'];
}

/** GET /login, the demo-only local sign-in, and POST /logout. */
export function authPages(inst: Instance, config: WebConfig): Router {
  const r = Router();

  r.get('/login', async (req, res) => {
    // The demo form needs a CSRF token, hence a session; the SSO link needs neither.
    if (config.demoMode) res.locals.csrfToken = csrfTokenOf(req);
    renderAuthPage(res, 'login.njk', {
      title: 'Sign in',
      next: safeReturnPath(req.query.next),
      signedOut: req.query.signedOut === '1',
      ssoConfigured: config.saml !== undefined,
      demoMode: config.demoMode,
      roles: config.demoMode ? await demoRoles(inst) : [],
    });
  });

  if (config.demoMode) {
    // Login CSRF is refused too: the form's token comes from the session GET /login made.
    r.post('/login/dev', parseForm, requireCsrf, async (req, res) => {
      // Not a form (JSON, no body): no fields, so a 400 below, never a 500 on `undefined`
      // (found by the fuzz test).
      const body = (req.body ?? {}) as Record<string, unknown>;
      const name = typeof body.name === 'string' ? body.name.trim() : '';
      if (!DEV_NAME.test(name))
        throw new VmicError('BAD_REQUEST', 'name: letters, digits, dot, dash, underscore');
      const offered = await demoRoles(inst);
      const role = parseRole(typeof body.role === 'string' ? body.role : '');
      if (!offered.includes(role)) throw new VmicError('BAD_REQUEST', `no such role here: ${role}`);
      await establishSession(inst, req, { id: `dev:${name}`, roles: [role] });
      res.redirect(303, safeReturnPath(body.next));
    });
  }

  // The global CSRF check covers this when a session exists; without one there is nothing
  // to end. Local sign-out only: the IdP's own session stays (see the README).
  r.post('/logout', async (req, res) => {
    if (req.session.csrfToken !== undefined) await endSession(req);
    res.clearCookie(sessionCookieName(config), { path: '/' });
    res.redirect(303, '/login?signedOut=1');
  });
  return r;
}
