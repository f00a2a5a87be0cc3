import { connectionFromCloud } from '../../../catalog/glance/clouds-yaml.ts';
import type { GlanceConnection } from '../../../catalog/glance/glance-connection.ts';
import {
  runGlanceSync,
  type GlanceActionReport,
  type GlanceSyncReport,
} from '../../../catalog/glance/sync-run.ts';
import { checkUrl } from '../../../catalog/net/http-client.ts';
import { flag, parse, str, type Parsed } from '../options.ts';
import { emit } from '../output.ts';
import { cliActor, withInstance } from '../instance-scope.ts';
import { UsageError } from '../usage-error.ts';

export const GLANCE_OPTIONS = {
  'os-cloud': { type: 'string' },
  'glance-url': { type: 'string' },
} as const;

/**
 * Where Glance is: `--glance-url URL` (no authentication: a Glance without Keystone), or
 * a clouds.yaml cloud named by `--os-cloud` or `OS_CLOUD`, as the OpenStack tools read it.
 */
export function glanceConnection(p: Parsed): GlanceConnection {
  const url = str(p, 'glance-url');
  const cloud = str(p, 'os-cloud') ?? process.env.OS_CLOUD;
  if (url && str(p, 'os-cloud'))
    throw new UsageError('give either --glance-url or --os-cloud, not both');
  if (url) {
    try {
      checkUrl(url, '--glance-url');
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
    return { source: '--glance-url', auth: 'none', imageEndpoint: url };
  }
  if (!cloud)
    throw new UsageError('name the cloud: --os-cloud NAME (or OS_CLOUD), or --glance-url URL');
  return connectionFromCloud(cloud);
}

function line(a: GlanceActionReport): string {
  const what = `${a.action} ${a.subscription}/${a.identifier} ${a.sha256.slice(0, 12)}`;
  const id = a.glanceId ? ` glance ${a.glanceId}` : '';
  const why = a.reason ? ` (${a.reason})` : '';
  if (a.result === 'failed') return `FAILED ${a.code}: ${what}${id}: ${a.message}`;
  return `${a.result === 'planned' ? 'would ' : ''}${what}${id}${why}`;
}

export function describeSync(r: GlanceSyncReport): string[] {
  const done = r.actions.filter((a) => a.result !== 'failed').length;
  const failed = r.actions.length - done;
  return [
    `${r.dryRun ? 'plan for' : 'synced'} ${r.endpoint}: ${r.actions.length} action(s)${failed ? `, ${failed} failed` : ''}, ${r.unchanged} image(s) unchanged`,
    ...r.actions.map((a) => `  ${line(a)}`),
    ...r.skipped.map((s) => `  skipped ${s.subscription}/${s.identifier}: ${s.reason}`),
    ...r.unknownInScope.map(
      (s) => `  note: glance-scope names ${s}, which is no subscription here`,
    ),
  ];
}

/** `vmic glance sync`: the cron job; exit 0 when every action succeeded, 1 if any failed. */
export async function glanceCommand(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub !== 'sync')
    throw new UsageError(
      'usage: vmic glance sync [--os-cloud NAME | --glance-url URL] [--dry-run]',
    );
  const p = parse(
    rest,
    { ...GLANCE_OPTIONS, 'dry-run': { type: 'boolean', default: false } },
    false,
  );
  const connection = glanceConnection(p);
  const report = await withInstance(p, (inst) =>
    runGlanceSync(inst, { connection, actor: cliActor(), dryRun: flag(p, 'dry-run') }),
  );
  emit(flag(p, 'json'), report, () => describeSync(report));
  const failed = report.actions.filter((a) => a.result === 'failed');
  for (const f of failed)
    process.stderr.write(
      `vmic: ${f.code}: glance ${f.action} of ${f.subscription}/${f.identifier} failed\n`,
    );
  return failed.length ? 1 : 0;
}
