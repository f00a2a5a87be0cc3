import path from 'node:path';
import { fileURLToPath } from 'node:url';
import nunjucks from 'nunjucks';
import type { ErrorRequestHandler, Request, RequestHandler, Response } from 'express';
import { VmicError } from '../../../errors/index.ts';
import type { Principal, Role } from '../../../catalog/index.ts';
import { closeIfBodyUnread, sendProblem, statusOf } from '../../problem.ts';
import { htmlContentSecurityPolicy } from '../../security-headers.ts';
import { humanBytes, relativeTime } from './format.ts';

/** `views/` at the top of the project: templates, and `static/` for CSS and JS files. */
export const VIEWS_DIR = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../../../views',
);
export const STATIC_DIR = path.join(VIEWS_DIR, 'static');

/*
 * Autoescaping is on for every template: a value from a catalog, an upload form or the
 * audit log is text, never markup (threat: stored XSS through an image title).
 */
const env = new nunjucks.Environment(new nunjucks.FileSystemLoader(VIEWS_DIR), {
  autoescape: true,
  throwOnUndefined: false,
});

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};
// The filters below return markup, so the text they wrap is escaped here (autoescape
// does not apply to a SafeString).
const attr = (s: string) => s.replace(/[&<>"']/g, (c) => ESCAPES[c] ?? c);
// `{{ n | bytes }}`: human size, exact bytes in the tooltip.
env.addFilter('bytes', (n: unknown) => {
  if (typeof n !== 'number') return n;
  return new nunjucks.runtime.SafeString(`<span title="${n} bytes">${attr(humanBytes(n))}</span>`);
});
// `{{ iso | when(now) }}`: relative time, the ISO time in `datetime` and the tooltip.
env.addFilter('when', (at: unknown, now: unknown) => {
  if (typeof at !== 'string' && !(at instanceof Date)) return at;
  const iso = typeof at === 'string' ? at : at.toISOString();
  const ref = now instanceof Date ? now : new Date();
  return new nunjucks.runtime.SafeString(
    `<time datetime="${attr(iso)}" title="${attr(iso)}">${attr(relativeTime(at, ref))}</time>`,
  );
});

// `{{ [a, b, c] | present | join(' · ') }}`: the values that are given, for a compact line.
env.addFilter('present', (values: unknown): unknown[] =>
  Array.isArray(values)
    ? (values as unknown[]).filter((v) => v !== null && v !== undefined && v !== '')
    : [],
);

// The sign-in layer's HTML policy: scripts and styles only as files from this origin,
// forms post only back here (the pages never post to the IdP), no framing.
const PAGE_CSP = htmlContentSecurityPolicy();

/** Replaces the API's deny-everything policy on the pages, and keeps them out of caches. */
export const pageHeaders: RequestHandler = (_req, res, next) => {
  res.setHeader('Content-Security-Policy', PAGE_CSP);
  res.setHeader('Cache-Control', 'no-store');
  next();
};

export interface NavLink {
  href: string;
  label: string;
}

/** What the layout shows for the signed-in principal: who, which roles, where they may go. */
export function navFor(principal: Principal | undefined): NavLink[] {
  if (!principal) return [];
  const has = (...roles: Role[]) => principal.roles.some((r) => roles.includes(r));
  const links: NavLink[] = [{ href: '/admin', label: 'Home' }];
  for (const role of principal.roles) {
    if (role.startsWith('endorser:')) {
      const name = role.slice('endorser:'.length);
      links.push({ href: `/endorsers/${name}`, label: `Endorser ${name}` });
    }
    // `cosigner:ENDORSER/SIGNER`: the pending catalog that co-signer is asked to sign.
    const cosigner = /^cosigner:([^/]+)\/([^/]+)$/.exec(role);
    if (cosigner)
      links.push({
        href: `/endorsers/${cosigner[1]}/pending`,
        label: `Co-sign ${cosigner[1]} as ${cosigner[2]}`,
      });
  }
  if (has('admin', 'site-approver', 'auditor')) {
    links.push({ href: '/site/images', label: 'Site images' });
    links.push({ href: '/site/inventory', label: 'Inventory' });
    links.push({ href: '/site/subscriptions', label: 'Subscriptions' });
    links.push({ href: '/site/trust', label: 'Trust store' });
    links.push({ href: '/site/migrations', label: 'Migrations' });
  }
  if (has('admin', 'auditor')) links.push({ href: '/audit', label: 'Audit log' });
  return links;
}

export function render(
  req: Request,
  res: Response,
  template: string,
  context: Record<string, unknown>,
  status = 200,
): void {
  const principal = req.principal;
  const html = env.render(template, {
    ...context,
    principal,
    nav: navFor(principal),
    currentPath: req.path,
    csrfToken: String(res.locals.csrfToken ?? ''),
  });
  res.status(status).type('text/html; charset=utf-8').send(html);
}

/** A request from the pages' own JavaScript, which wants JSON rather than a page. */
function wantsJson(req: Request): boolean {
  return (
    req.get('x-requested-with') === 'XMLHttpRequest' || req.accepts(['html', 'json']) === 'json'
  );
}

/**
 * Errors of the page routes: anonymous → the sign-in page; refused or invalid → an HTML
 * page with the status and the reason (or problem+json for the pages' scripts); anything
 * else goes on to the app's problem handler, which logs it under its request id.
 */
export const pageErrors: ErrorRequestHandler = (err: unknown, req, res, next) => {
  if (res.headersSent || !(err instanceof VmicError) || statusOf(err.code) >= 500) {
    next(err);
    return;
  }
  if (wantsJson(req)) {
    sendProblem(res, err.code, err.message, { rule: err.rule });
    return;
  }
  if (err.code === 'UNAUTHENTICATED') {
    const back = req.method === 'GET' ? `?next=${encodeURIComponent(req.originalUrl)}` : '';
    res.redirect(303, `/login${back}`);
    return;
  }
  const status = statusOf(err.code);
  closeIfBodyUnread(res);
  render(req, res, 'error.njk', { status, code: err.code, message: err.message }, status);
};
