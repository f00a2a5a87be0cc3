import path from 'node:path';
import type { Store } from '../store/database.ts';
import { appendAudit } from '../audit/audit-log.ts';
import { writeTransaction } from '../store/write-transaction.ts';
import { failInterruptedMigrations } from './interrupted-records.ts';
import { sweepFetchPartials } from './fetch-partials.ts';
import { migrationTempDir, sweepOwnedTemporaries } from './owned-temporaries.ts';
import { sweepOrphanBlobs, type Stores } from './orphan-blobs.ts';
import { bucketSweepDue } from './bucket-sweep.ts';

export interface CleanupReport {
  /** Migration records marked failed/INTERRUPTED. */
  interrupted: string[];
  /** Files removed, relative to the data directory: temporaries, then orphaned blobs. */
  removed: string[];
}

/**
 * What a crashed process leaves behind, removed whenever the instance is opened (`serve`
 * and every command): unauthenticated migration plaintext (`tmp/migrations/`), upload
 * temporaries (`blobs/tmp/`), partial bundles of interrupted `migrate --dir` runs, fetch
 * partials that cannot be resumed; and records left `running` become INTERRUPTED. Only
 * what belongs to a process that is gone is touched: another process sharing the instance
 * keeps its files (threat: plaintext left on disk for ever; a cleanup deleting a live
 * transfer).
 *
 * Migration partials written by an older vmic (`migrations/*.part`, no owner in the name)
 * are removed once idle for an hour.
 *
 * With an object store (VMIC_BLOB_URL), its temporary keys are swept by the same owner
 * rule on this host, and by age for those of other hosts (blobs/s3/s3-temporaries.ts),
 * at most once an hour across all replicas and commands (bucket-sweep.ts), and at every
 * start of a server.
 *
 * A complete blob or cached image without its row (a crash between its durable rename
 * into place and the commit of the row) is kept while a row refers to its hash, and
 * otherwise removed once older than ORPHAN_GRACE_MS (a day; see orphan-blobs.ts).
 */
export async function cleanUpAfterCrashes(
  dataDir: string,
  store: Store,
  now: Date,
  objects: Stores,
  opts: { serving?: boolean } = {},
): Promise<CleanupReport> {
  const removed: string[] = [];
  const sweep = (rel: string, dir: string) =>
    removed.push(...sweepOwnedTemporaries(dir, { now }).map((n) => path.join(rel, n)));
  sweep(path.join('tmp', 'migrations'), migrationTempDir(dataDir));
  sweep('migrations', path.join(dataDir, 'migrations'));
  // A bucket (no synchronous stat) is swept at most hourly: bucket-sweep.ts says why. A
  // starting server sweeps its temporaries (this host's dead uploads) every time.
  const onDisk = objects.blobs.hasSync !== undefined;
  const sweepStores = onDisk || (await bucketSweepDue(store, now));
  if (sweepStores || opts.serving === true) {
    removed.push(
      ...(await objects.blobs.sweepTemporary(now)).map((n) => path.join('blobs', 'tmp', n)),
    );
    removed.push(
      ...(await objects.siteCache.sweepTemporary(now)).map((n) => path.join('cache', 'tmp', n)),
    );
  }
  removed.push(
    ...(await sweepFetchPartials(dataDir, store)).map((n) => path.join('cache', 'partial', n)),
  );
  if (sweepStores) removed.push(...(await sweepOrphanBlobs(objects, store, now)));
  const interrupted = await failInterruptedMigrations(store, now);
  if (removed.length > 0)
    await writeTransaction(store, (tx) =>
      appendAudit(tx, {
        at: now,
        actor: 'startup-cleanup',
        action: 'cleanup.temporaries.removed',
        subject: 'instance',
        details: { count: removed.length, files: removed.slice(0, 50) },
      }),
    );
  return { interrupted, removed };
}
