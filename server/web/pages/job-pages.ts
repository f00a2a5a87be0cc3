import { Router, type Request, type Response } from 'express';
import type { Instance } from '../../../catalog/index.ts';
import { getSubscription } from '../../../catalog/site/subscriptions.ts';
import { runImport } from '../../../catalog/site/import-run.ts';
import { fetchImages } from '../../../catalog/site/fetch-images.ts';
import { JOB_ID, getJob, startJob, type Job } from '../../../catalog/site/jobs.ts';
import { VmicError } from '../../../errors/index.ts';
import { actorOf } from '../../auth.ts';
import { siteAdmin, siteReader, subscriptionParam } from '../../api/site-access.ts';
import { formBody } from './form-body.ts';
import { humanBytes, humanDuration } from './format.ts';
import { reasonText } from './reason-text.ts';
import { logWarningQuery } from './subscription-log-view.ts';
import { render } from './render.ts';

/**
 * How long the starting request waits for a short run before showing its progress page:
 * a run this quick goes straight to its result, without a page that flashes by.
 */
const QUICK_MS = 750;

/** Where a finished job's result is shown: the page it was started from, with a notice. */
type ResultUrl = string;

function jobView(job: Job, now: Date) {
  const p = job.progress;
  const percent =
    p && p.total > 0 ? Math.min(100, Math.floor((p.done / p.total) * 100)) : undefined;
  const amount =
    p === undefined
      ? undefined
      : p.unit === 'bytes'
        ? `${humanBytes(p.done)} of ${humanBytes(p.total)}`
        : `${p.done} of ${p.total}`;
  return {
    id: job.id,
    label: job.label,
    state: job.state,
    startedAt: job.startedAt.toISOString(),
    elapsed: humanDuration((now.getTime() - job.startedAt.getTime()) / 1000),
    percent,
    amount,
    note: p?.note,
    resultUrl: job.state === 'done' ? (job.result as ResultUrl) : undefined,
    error: job.error,
    errorText: job.error ? reasonText(job.error.code) : undefined,
  };
}

async function jobOf(inst: Instance, req: Request): Promise<Job> {
  const id = String(req.params.id);
  const job = JOB_ID.test(id) ? await getJob(inst, id) : undefined;
  if (!job) throw new VmicError('NOT_FOUND', 'no such run (finished runs are kept for a day)');
  return job;
}

/** To the run's page; `joined`: this request found another run going and did not start one. */
async function follow(res: Response, started: { job: Job; joined: boolean }): Promise<void> {
  const { job, joined } = started;
  await Promise.race([job.settled, new Promise((r) => setTimeout(r, QUICK_MS).unref())]);
  res.redirect(303, `/site/jobs/${job.id}${joined ? '?joined=1' : ''}`);
}

/**
 * "Import now" and "Fetch now" run in the background (catalog/site/jobs.ts): the POST
 * starts the run, or joins the one running, and the run's page shows its progress, then
 * sends the browser on to the result. Without JavaScript the page refreshes itself.
 */
export function jobPages(inst: Instance): Router {
  const r = Router();
  const db = inst.store.db;
  const form = formBody(inst.config.limits.jsonBodyBytes);

  r.post('/site/subscriptions/:name/import', siteAdmin, form, async (req, res) => {
    const name = subscriptionParam(req.params.name);
    // Refusals the run would raise at once are answered here, as a page with its status.
    const sub = await getSubscription(db, name);
    if (!sub.enabled)
      throw new VmicError('CONFLICT', `subscription ${name} is disabled; enable it first`);
    const actor = actorOf(req);
    const started = await startJob(
      inst,
      'import',
      `Import of ${name}`,
      async (): Promise<ResultUrl> => {
        // A refused catalog is a completed run whose reason the result page explains.
        const [outcome] = await runImport(inst, { subscription: name, actor });
        const q = new URLSearchParams({ imported: name, status: outcome?.status ?? 'failed' });
        if (outcome?.code) q.set('code', outcome.code);
        logWarningQuery(q, outcome?.log);
        return `/site/subscriptions?${q.toString()}`;
      },
    );
    await follow(res, started);
  });

  r.post('/site/fetch', siteAdmin, form, async (req, res) => {
    const actor = actorOf(req);
    const started = await startJob(inst, 'fetch', 'Fetch of images', async (report) => {
      const done = new Map<string, number>();
      let images = 0;
      let bytes = 0;
      const progress = () => {
        const sum = [...done.values()].reduce((a, b) => a + b, 0);
        const note = `${done.size} of ${images} image${images === 1 ? '' : 's'} started`;
        report({ done: sum, total: bytes, unit: 'bytes', note });
      };
      const summary = await fetchImages(inst, {
        actor,
        onPlan: (p) => {
          images = p.images;
          bytes = p.bytes;
          progress();
        },
        onProgress: (e) => {
          done.set(e.sha256 || e.identifier, e.bytes);
          progress();
        },
      });
      const t = summary.totals;
      const q = new URLSearchParams({
        fetched: String(t.fetched + t.resumed + t.cached),
        failed: String(t.failed),
        quarantined: String(t.quarantined),
      });
      return `/site/images?${q.toString()}`;
    });
    await follow(res, started);
  });

  r.get('/site/jobs/:id', siteReader, async (req, res) => {
    const job = await jobOf(inst, req);
    const view = jobView(job, new Date());
    if (view.resultUrl !== undefined) {
      res.redirect(303, view.resultUrl);
      return;
    }
    render(req, res, 'site-job.njk', {
      title: job.label,
      job: view,
      joined: req.query.joined === '1',
      now: new Date(),
    });
  });

  // The progress page's script polls this; small, and never cached (pageHeaders).
  r.get('/site/jobs/:id/status', siteReader, async (req, res) => {
    res.json(jobView(await jobOf(inst, req), new Date()));
  });

  return r;
}
