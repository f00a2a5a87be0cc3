import { Router, type Request } from 'express';
import {
  iterateAudit,
  toAuditRecord,
  verifyAuditChain,
  type AuditRecord,
  type Instance,
} from '../../../catalog/index.ts';
import { VmicError } from '../../../errors/index.ts';
import { requireRole } from '../../auth.ts';
import { render } from './render.ts';

export const AUDIT_PAGE_SIZE = 50;
const DATE = /^\d{4}-\d{2}-\d{2}$/;

export interface AuditFilter {
  action?: string | undefined;
  actor?: string | undefined;
  /** Substring of the subject. */
  subject?: string | undefined;
  /** Inclusive UTC days, YYYY-MM-DD. */
  from?: string | undefined;
  to?: string | undefined;
}

function queryText(req: Request, key: string, max = 200): string | undefined {
  const v = req.query[key];
  if (v === undefined || v === '') return undefined;
  if (typeof v !== 'string' || v.length > max)
    throw new VmicError('BAD_REQUEST', `${key} must be given once, at most ${max} characters`);
  return v.trim() || undefined;
}

function filterOf(req: Request): AuditFilter {
  const f: AuditFilter = {
    action: queryText(req, 'action'),
    actor: queryText(req, 'actor'),
    subject: queryText(req, 'subject'),
    from: queryText(req, 'from', 10),
    to: queryText(req, 'to', 10),
  };
  for (const k of ['from', 'to'] as const) {
    const v = f[k];
    if (v !== undefined && (!DATE.test(v) || Number.isNaN(Date.parse(`${v}T00:00:00Z`))))
      throw new VmicError('BAD_REQUEST', `${k} must be a date YYYY-MM-DD`);
  }
  return f;
}

function matcher(
  f: AuditFilter,
): (r: { at: string; actor: string; action: string; subject: string }) => boolean {
  const from = f.from ? `${f.from}T00:00:00.000Z` : undefined;
  const to = f.to ? new Date(Date.parse(`${f.to}T00:00:00Z`) + 86400_000).toISOString() : undefined;
  return (r) =>
    (f.action === undefined || r.action === f.action) &&
    (f.actor === undefined || r.actor === f.actor) &&
    (f.subject === undefined || r.subject.includes(f.subject)) &&
    (from === undefined || r.at >= from) &&
    (to === undefined || r.at < to);
}

/**
 * One page of matching entries, newest first. The log is streamed in bounded pages and
 * only the window up to the requested page is kept, so a long history never sits in memory.
 */
async function auditPage(
  inst: Instance,
  f: AuditFilter,
  page: number,
): Promise<{ entries: AuditRecord[]; total: number; actions: string[] }> {
  const keep = page * AUDIT_PAGE_SIZE;
  const matches = matcher(f);
  const window: Parameters<typeof toAuditRecord>[0][] = [];
  const actions = new Set<string>();
  let total = 0;
  for await (const row of iterateAudit(inst.store.db)) {
    actions.add(row.action);
    if (!matches(row)) continue;
    total++;
    window.push(row);
    if (window.length > keep) window.shift();
  }
  // The window holds the newest `keep` matches; this page is its oldest part.
  const onPage = window.slice(0, Math.max(0, window.length - (page - 1) * AUDIT_PAGE_SIZE));
  return {
    entries: onPage.reverse().map(toAuditRecord),
    total,
    actions: [...actions].sort(),
  };
}

/** The auditor page (docs/design.md §4): chain verification at the top, then the filtered log. */
export function auditPages(inst: Instance): Router {
  const r = Router();

  r.get('/audit', requireRole('admin', 'auditor'), async (req, res) => {
    const filter = filterOf(req);
    const pageText = queryText(req, 'page', 9) ?? '1';
    const page = /^[1-9][0-9]{0,8}$/.test(pageText) ? Number(pageText) : NaN;
    if (!Number.isSafeInteger(page))
      throw new VmicError('BAD_REQUEST', 'page must be a positive integer');
    const verdict = await verifyAuditChain(inst.store.db);
    const { entries, total, actions } = await auditPage(inst, filter, page);
    const pages = Math.max(1, Math.ceil(total / AUDIT_PAGE_SIZE));
    const link = (p: number) => {
      const q = new URLSearchParams();
      for (const [k, v] of Object.entries<string | undefined>({ ...filter }))
        if (v !== undefined) q.set(k, v);
      q.set('page', String(p));
      return `/audit?${q.toString()}`;
    };
    render(req, res, 'audit.njk', {
      title: 'Audit log',
      verdict,
      filter,
      actions,
      entries: entries.map((e) => ({ ...e, detailsText: JSON.stringify(e.details) })),
      total,
      page,
      pages,
      prev: page > 1 ? link(page - 1) : undefined,
      next: page < pages ? link(page + 1) : undefined,
    });
  });

  return r;
}
