import { sql } from 'kysely';
import type { Logger } from 'pino';
import type { RequestHandler } from 'express';
import type { Instance } from '../catalog/index.ts';

export type CheckResult = 'ok' | 'failed';

export interface Readiness {
  ready: boolean;
  checks: { database: CheckResult; blobs: CheckResult };
}

/**
 * Whether this server can do its work: the database answers a query, and the blob store
 * answers its probe: on disk it is listed and written (a probe file in its temporary
 * directory, named for this process so that start-up cleanup removes it if we die in
 * between); a bucket answers a HeadBucket within a few seconds (blob-store.ts,
 * s3-object-store.ts).
 */
export async function checkReadiness(inst: Instance, logger: Logger): Promise<Readiness> {
  const run = async (name: string, check: () => Promise<unknown>): Promise<CheckResult> => {
    try {
      await check();
      return 'ok';
    } catch (err) {
      // The reason goes to the log only: the answer is public (threat: paths and
      // database messages disclosed to anyone who can reach the probe).
      logger.error({ err, check: name }, `readiness check ${name} failed`);
      return 'failed';
    }
  };
  const [database, blobs] = await Promise.all([
    run('database', () => sql`select 1`.execute(inst.store.db)),
    run('blobs', () => inst.blobs.probe()),
  ]);
  return { ready: database === 'ok' && blobs === 'ok', checks: { database, blobs } };
}

/**
 * GET /readyz: 200 when every check passes, else 503 naming the failed ones. Concurrent
 * probes share one run (threat: a flood of probes each writing a file).
 */
export function readyz(inst: Instance, logger: Logger): RequestHandler {
  let running: Promise<Readiness> | undefined;
  return async (_req, res) => {
    running ??= checkReadiness(inst, logger).finally(() => {
      running = undefined;
    });
    const r = await running;
    res.setHeader('Cache-Control', 'no-store');
    res
      .status(r.ready ? 200 : 503)
      .json({ status: r.ready ? 'ready' : 'not-ready', checks: r.checks });
  };
}
