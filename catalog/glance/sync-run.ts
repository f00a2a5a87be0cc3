import { isVmicError } from '../../errors/index.ts';
import { appendAudit, type AuditAction } from '../audit/audit-log.ts';
import type { Instance } from '../instance.ts';
import { observe } from '../observe.ts';
import { readPolicy } from '../site/policy.ts';
import { acquireRunLock } from '../site/run-lock.ts';
import { writeTransaction } from '../store/write-transaction.ts';
import { desiredImages, scopeOf, type SkippedImage } from './desired-images.ts';
import { GlanceClient } from './glance-client.ts';
import type { GlanceConnection } from './glance-connection.ts';
import { planSync, type PlannedAction } from './sync-plan.ts';
import { uploadImage, type UploadHooks } from './upload-image.ts';

export interface GlanceSyncOptions {
  connection: GlanceConnection;
  /** Who runs it, for the audit log (`cli:alice`, `schedule:glance`). */
  actor: string;
  /** Plan only: read Glance, write nothing anywhere. */
  dryRun?: boolean;
  hooks?: UploadHooks;
}

export interface GlanceActionReport {
  action: PlannedAction['kind'];
  glanceId?: string | undefined;
  subscription: string;
  identifier: string;
  sha256: string;
  /** Why an image is removed (sync-plan.ts RemovalReason), or the property paths updated. */
  reason?: string | undefined;
  result: 'done' | 'planned' | 'failed';
  code?: string | undefined;
  message?: string | undefined;
}

export interface GlanceSyncReport {
  endpoint: string;
  site: string;
  dryRun: boolean;
  actions: GlanceActionReport[];
  unchanged: number;
  skipped: SkippedImage[];
  /** Subscriptions named by `glance-scope` that this site does not have. */
  unknownInScope: string[];
}

const AUDIT: Readonly<Record<PlannedAction['kind'], AuditAction>> = {
  create: 'glance.image.created',
  update: 'glance.image.updated',
  reactivate: 'glance.image.reactivated',
  deactivate: 'glance.image.deactivated',
  delete: 'glance.image.deleted',
};

/**
 * `vmic glance sync`: makes Glance hold exactly this site's deployable images in scope
 * (docs/design.md §12). Runs under its own run lock (`glance-sync`), so cron and
 * `vmic serve --glance-sync-every` never run two at once, on one host or several. Each
 * action is audited with its result; one failing action does not stop the others (the
 * next run retries it from what Glance then holds).
 */
export async function runGlanceSync(
  inst: Instance,
  opts: GlanceSyncOptions,
): Promise<GlanceSyncReport> {
  const lock = opts.dryRun
    ? undefined
    : await acquireRunLock(inst.store.db, 'glance-sync', { now: inst.now });
  try {
    const report = await syncUnderLock(inst, opts, () => lock?.assertHeld());
    observe(inst, {
      type: 'glance',
      action: 'run',
      result: report.actions.some((a) => a.result === 'failed') ? 'failed' : 'ok',
    });
    return report;
  } catch (e) {
    observe(inst, { type: 'glance', action: 'run', result: isVmicError(e) ? e.code : 'INTERNAL' });
    throw e;
  } finally {
    await lock?.release();
  }
}

async function syncUnderLock(
  inst: Instance,
  opts: GlanceSyncOptions,
  assertHeld: () => void,
): Promise<GlanceSyncReport> {
  const site = inst.config.publicUrl;
  const policy = await readPolicy(inst.store.db);
  const client = new GlanceClient(opts.connection);
  const existing = await client.listManaged(site);
  const { desired, skipped } = await desiredImages(inst, policy);
  const plan = planSync(desired, existing, policy.glanceWithdrawn);
  const known = new Set(
    (await inst.store.db.selectFrom('subscriptions').select('name').execute()).map((r) => r.name),
  );
  const report: GlanceSyncReport = {
    endpoint: await client.endpoint(),
    site,
    dryRun: opts.dryRun ?? false,
    actions: [],
    unchanged: plan.unchanged,
    skipped,
    unknownInScope: [...(scopeOf(policy) ?? [])].filter((s) => !known.has(s)),
  };
  for (const action of plan.actions) {
    const entry = describe(action);
    if (opts.dryRun) {
      report.actions.push({ ...entry, result: 'planned' });
      continue;
    }
    assertHeld();
    try {
      const glanceId = await perform(inst, client, action, opts.hooks);
      report.actions.push({ ...entry, glanceId, result: 'done' });
    } catch (e) {
      const code = isVmicError(e) ? e.code : 'INTERNAL';
      const glanceId = (e as { glanceId?: string }).glanceId ?? entry.glanceId;
      report.actions.push({
        ...entry,
        glanceId,
        result: 'failed',
        code,
        message: e instanceof Error ? e.message : String(e),
      });
    }
    await record(inst, opts.actor, report.actions.at(-1)!);
  }
  return report;
}

function describe(a: PlannedAction): Omit<GlanceActionReport, 'result'> {
  if (a.kind === 'create')
    return {
      action: a.kind,
      subscription: a.desired.subscription,
      identifier: a.desired.identifier,
      sha256: a.desired.sha256,
    };
  const f = a.image.fields;
  return {
    action: a.kind,
    glanceId: a.image.id,
    subscription: f.vmic_subscription ?? '',
    identifier: f.vmic_identifier ?? '',
    sha256: f.vmic_sha256 ?? '',
    reason: 'reason' in a ? a.reason : a.ops.map((o) => o.path.slice(1)).join(',') || undefined,
  };
}

async function perform(
  inst: Instance,
  client: GlanceClient,
  a: PlannedAction,
  hooks: UploadHooks | undefined,
): Promise<string> {
  switch (a.kind) {
    case 'create':
      return uploadImage(inst, client, a.desired, hooks);
    case 'reactivate':
      await client.action(a.image.id, 'reactivate');
      if (a.ops.length) await client.patch(a.image.id, a.ops);
      return a.image.id;
    case 'update':
      await client.patch(a.image.id, a.ops);
      return a.image.id;
    case 'deactivate':
      await client.action(a.image.id, 'deactivate');
      return a.image.id;
    case 'delete':
      await client.remove(a.image.id);
      return a.image.id;
  }
}

/** The audit entry and the metric of one action; a failed one is audited as such. */
async function record(inst: Instance, actor: string, r: GlanceActionReport): Promise<void> {
  observe(inst, {
    type: 'glance',
    action: r.action,
    result: r.result === 'done' ? 'done' : (r.code ?? 'INTERNAL'),
  });
  await writeTransaction(inst.store, (tx) =>
    appendAudit(tx, {
      at: inst.now(),
      actor,
      action: r.result === 'done' ? AUDIT[r.action] : 'glance.image.failed',
      subject: `${r.subscription}/${r.identifier}`,
      details: {
        action: r.action,
        glanceId: r.glanceId ?? null,
        sha256: r.sha256,
        reason: r.reason ?? null,
        ...(r.result === 'failed' ? { code: r.code ?? null, message: r.message ?? null } : {}),
      },
    }),
  );
}
