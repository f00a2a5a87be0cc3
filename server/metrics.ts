import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Instance } from '../catalog/index.ts';
import type { CatalogEvent } from '../catalog/observe.ts';
import { isErrorCode } from '../errors/index.ts';
import type { RequestRecord } from './logging-requests.ts';
import { scrapeGauges } from './metrics-scrape.ts';

/**
 * A label value from a code: one of the stable codes, or one of `allowed`, else `OTHER`
 * (threat: a code a peer or a library made up becoming a new series on every scrape).
 */
export function codeLabel(code: string, allowed: readonly string[] = []): string {
  return isErrorCode(code) || allowed.includes(code) ? code : 'OTHER';
}

const DROPPED_DEFAULTS = [
  'nodejs_active_handles_total',
  'nodejs_active_requests_total',
  'nodejs_active_resources_total',
];

const IMPORT_RESULTS = ['applied', 'unchanged', 'not-modified'];
const FETCH_OUTCOMES = ['fetched', 'cached', 'resumed', 'failed', 'quarantined'];
const GLANCE_ACTIONS = ['create', 'update', 'reactivate', 'deactivate', 'delete'];

/**
 * The server's metrics, in a registry of its own (not prom-client's global one), so that
 * several servers in one process, as in the tests, each count only their own.
 */
export class Metrics {
  readonly registry = new Registry();
  private defaultsRegistered = false;
  private readonly refresh: () => Promise<void>;
  private readonly r = [this.registry];

  private readonly imports = new Counter({
    name: 'vmic_import_runs_total',
    help: 'Subscription imports run by this server, by result (applied, unchanged, not-modified, or the refusal code).',
    labelNames: ['subscription', 'result'],
    registers: this.r,
  });
  private readonly fetchBytes = new Counter({
    name: 'vmic_fetch_received_bytes_total',
    help: 'Image bytes received over the network by fetches this server ran.',
    labelNames: ['subscription'],
    registers: this.r,
  });
  private readonly fetches = new Counter({
    name: 'vmic_fetch_images_total',
    help: 'Image fetches this server ran, by outcome.',
    labelNames: ['subscription', 'outcome'],
    registers: this.r,
  });
  private readonly fetchFailures = new Counter({
    name: 'vmic_fetch_failures_total',
    help: 'Image fetches that failed or were quarantined, by code.',
    labelNames: ['subscription', 'code'],
    registers: this.r,
  });
  private readonly gate = new Counter({
    name: 'vmic_gate_decisions_total',
    help: 'Deploy gate questions answered over the API, by result (deployable, not_deployable).',
    labelNames: ['result'],
    registers: this.r,
  });
  private readonly gateReasons = new Counter({
    name: 'vmic_gate_refusal_reasons_total',
    help: 'Reasons given by gate answers over the API that were not deployable.',
    labelNames: ['reason'],
    registers: this.r,
  });
  private readonly migrations = new Counter({
    name: 'vmic_migration_stages_total',
    help: 'Migration stages this server ended, by stage and result (done, or the refusal code).',
    labelNames: ['stage', 'result'],
    registers: this.r,
  });
  private readonly approvalFeedSignatures = new Counter({
    name: 'vmic_approval_feed_signatures_total',
    help: 'Approval feeds for compute nodes signed by this process (each a new sequence).',
    registers: this.r,
  });
  private readonly glanceActions = new Counter({
    name: 'vmic_glance_sync_actions_total',
    help: 'Actions on Glance images by Glance syncs this process ran (create, update, reactivate, deactivate, delete), by result (done, or the failure code).',
    labelNames: ['action', 'result'],
    registers: this.r,
  });
  private readonly glanceRuns = new Counter({
    name: 'vmic_glance_sync_runs_total',
    help: 'Glance sync runs this process ran, by result (ok, failed when an action failed, or the code that stopped the run).',
    labelNames: ['result'],
    registers: this.r,
  });
  private readonly requests = new Counter({
    name: 'vmic_http_requests_total',
    help: 'HTTP requests answered, by method, route pattern and status.',
    labelNames: ['method', 'route', 'status'],
    registers: this.r,
  });
  private readonly latency = new Histogram({
    name: 'vmic_http_request_duration_seconds',
    help: 'Time from a request to the end of its answer, by method and route pattern.',
    labelNames: ['method', 'route'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 120],
    registers: this.r,
  });

  constructor(inst: Instance) {
    this.refresh = coalesce(scrapeGauges(inst, this.registry));
  }

  /** Turns what the domain reports into counts. */
  onEvent(e: CatalogEvent): void {
    switch (e.type) {
      case 'import':
        this.imports.inc({
          subscription: e.subscription,
          result: codeLabel(e.result, IMPORT_RESULTS),
        });
        break;
      case 'fetch.bytes':
        this.fetchBytes.inc({ subscription: e.subscription }, e.bytes);
        break;
      case 'fetch':
        this.fetches.inc({
          subscription: e.subscription,
          outcome: codeLabel(e.outcome, FETCH_OUTCOMES),
        });
        if (e.code !== undefined)
          this.fetchFailures.inc({ subscription: e.subscription, code: codeLabel(e.code) });
        break;
      case 'gate':
        this.gate.inc({ result: e.deployable ? 'deployable' : 'not_deployable' });
        for (const reason of e.reasons) this.gateReasons.inc({ reason: codeLabel(reason) });
        break;
      case 'migration':
        this.migrations.inc({ stage: e.stage, result: codeLabel(e.result, ['done']) });
        break;
      case 'approval-feed':
        if (e.result === 'signed') this.approvalFeedSignatures.inc();
        break;
      case 'glance':
        if (e.action === 'run')
          this.glanceRuns.inc({ result: codeLabel(e.result, ['ok', 'failed']) });
        else
          this.glanceActions.inc({
            action: codeLabel(e.action, GLANCE_ACTIONS),
            result: codeLabel(e.result, ['done']),
          });
        break;
    }
  }

  /**
   * The counter and histogram children of each method, route pattern and status, looked
   * up once: prom-client hashes the label object on every call otherwise, a cost paid by
   * every feed request. Bounded like the label sets themselves (route patterns, not paths).
   */
  private readonly requestChildren = new Map<
    string,
    { count: Counter.Internal; time: Histogram.Internal<string> }
  >();

  onRequest(r: RequestRecord): void {
    const key = `${r.method} ${r.route} ${r.status}`;
    let child = this.requestChildren.get(key);
    if (child === undefined) {
      child = {
        count: this.requests.labels(r.method, r.route, String(r.status)),
        time: this.latency.labels(r.method, r.route),
      };
      this.requestChildren.set(key, child);
    }
    child.count.inc();
    child.time.observe(r.seconds);
  }

  /** The exposition text: the scrape-time gauges are read from the database first. */
  async render(): Promise<string> {
    if (!this.defaultsRegistered) {
      // Process metrics (CPU, memory, event loop lag) start on the first scrape, so that
      // a server nobody scrapes (every test's) starts no monitors.
      this.defaultsRegistered = true;
      collectDefaultMetrics({ register: this.registry });
      // Gauges named like counters, which `promtool check metrics` rightly flags; the
      // event loop and memory metrics say more.
      for (const name of DROPPED_DEFAULTS) this.registry.removeSingleMetric(name);
    }
    await this.refresh();
    return this.registry.metrics();
  }
}

/**
 * One run of `fn` at a time; callers that arrive meanwhile share it (threat: scrapes,
 * retried or from several Prometheus servers, piling up database reads).
 */
function coalesce(fn: () => Promise<void>): () => Promise<void> {
  let running: Promise<void> | undefined;
  return () =>
    (running ??= fn().finally(() => {
      running = undefined;
    }));
}
