import { once } from 'node:events';
import { Router, type Request, type Response } from 'express';
import {
  iterateAudit,
  toAuditRecord,
  verifyAuditChain,
  type AuditRecord,
  type Instance,
} from '../../../catalog/index.ts';
import { VmicError } from '../../../errors/index.ts';
import { requireRole } from '../../auth.ts';
import { summarizeDetails } from './audit-summary.ts';
import { checkAuditAgainstLog } from '../../../catalog/log/audit-check.ts';
import { currentCheckpoint, newestCosigned } from '../../../catalog/log/proofs.ts';
import { openNote, parseCheckpoint } from '../../../tlog/index.ts';
import { logSigner } from '../../../catalog/log/log-key.ts';
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

/**
 * The filtered log as JSON lines, oldest first (chain order, so a reader can recompute the
 * hashes). Streamed page by page with backpressure: a long history is never built whole in
 * memory (threat: one download request exhausting the server's memory).
 */
async function sendJsonLines(inst: Instance, f: AuditFilter, res: Response): Promise<void> {
  const matches = matcher(f);
  res.status(200);
  res.setHeader('Content-Type', 'application/x-ndjson; charset=utf-8');
  res.setHeader('Content-Disposition', 'attachment; filename="vmic-audit.jsonl"');
  res.setHeader('X-Content-Type-Options', 'nosniff');
  for await (const row of iterateAudit(inst.store.db)) {
    if (res.destroyed) return;
    if (!matches(row)) continue;
    if (!res.write(`${JSON.stringify(toAuditRecord(row))}\n`)) {
      await Promise.race([once(res, 'drain'), once(res, 'close')]);
    }
  }
  res.end();
}

function linkTo(filter: AuditFilter, extra: Record<string, string>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries<string | undefined>({ ...filter }))
    if (v !== undefined) q.set(k, v);
  for (const [k, v] of Object.entries(extra)) q.set(k, v);
  return `/audit?${q.toString()}`;
}

/** Shown problems at most: a rewritten log could name thousands. */
const MAX_PROBLEMS = 20;

/**
 * The audit log against the transparency log (docs/design.md §13), and the latest signed
 * checkpoint with the number of witnesses that cosigned it (signature lines by other keys).
 */
async function logPanel(inst: Instance) {
  const check = await checkAuditAgainstLog(inst);
  const signer = await logSigner(inst);
  const latest = await currentCheckpoint(inst);
  // The log grows with every audit entry; witnesses cosign at publish: the newest
  // cosigned checkpoint is often older than the latest.
  const cosigned = await newestCosigned(inst.store.db);
  const opened = openNote(latest.note, [signer]);
  const cp = parseCheckpoint(opened.text, signer.name);
  return {
    logCheck: {
      ok: check.ok,
      logged: check.logged,
      firstLoggedSeq: check.firstLoggedSeq,
      problems: check.problems.slice(0, MAX_PROBLEMS),
      more: Math.max(0, check.problems.length - MAX_PROBLEMS),
    },
    checkpoint: {
      origin: cp.origin,
      size: cp.size,
      root: Buffer.from(cp.root).toString('base64'),
      note: latest.note,
      cosigners: opened.signatures.filter((x) => x.name !== signer.name).length,
      newestCosigned:
        cosigned && cosigned.size !== cp.size
          ? { size: cosigned.size, cosigners: cosigned.cosignatures }
          : undefined,
    },
  };
}

/** The auditor page (docs/design.md §4): chain verification at the top, then the filtered log. */
export function auditPages(inst: Instance): Router {
  const r = Router();

  r.get('/audit', requireRole('admin', 'auditor'), async (req, res) => {
    const filter = filterOf(req);
    const format = queryText(req, 'format', 10) ?? 'html';
    if (format !== 'html' && format !== 'jsonl')
      throw new VmicError('BAD_REQUEST', 'format must be html or jsonl');
    if (format === 'jsonl') {
      await sendJsonLines(inst, filter, res);
      return;
    }
    const pageText = queryText(req, 'page', 9) ?? '1';
    const page = /^[1-9][0-9]{0,8}$/.test(pageText) ? Number(pageText) : NaN;
    if (!Number.isSafeInteger(page))
      throw new VmicError('BAD_REQUEST', 'page must be a positive integer');
    const verdict = await verifyAuditChain(inst.store.db);
    const { logCheck, checkpoint } = await logPanel(inst);
    const { entries, total, actions } = await auditPage(inst, filter, page);
    const pages = Math.max(1, Math.ceil(total / AUDIT_PAGE_SIZE));
    const link = (p: number) => linkTo(filter, { page: String(p) });
    render(req, res, 'audit.njk', {
      title: 'Audit log',
      verdict,
      logCheck,
      checkpoint,
      filter,
      actions,
      now: inst.now(),
      entries: entries.map((e) => ({
        ...e,
        summary: summarizeDetails(e.details),
        subjectIsHash: /^(?:sha256:)?[0-9a-f]{64}$/.test(e.subject),
        pretty: Object.keys(e.details).length ? JSON.stringify(e.details, null, 2) : '',
      })),
      download: linkTo(filter, { format: 'jsonl' }),
      total,
      page,
      pages,
      prev: page > 1 ? link(page - 1) : undefined,
      next: page < pages ? link(page + 1) : undefined,
    });
  });

  return r;
}
