import type { InstanceConfig } from './config.ts';
import type { Store } from './store/database.ts';
import { openStore } from './store/open-store.ts';
import type { ObjectStore } from './blobs/object-store.ts';
import { openObjectStores } from './blobs/open-object-stores.ts';
import { deriveKey, loadMasterKey } from './secrets/master-key.ts';
import { signLatestCheckpoint } from './log/checkpoints.ts';
import { observe } from './observe.ts';
import { checkMasterKey } from './secrets/key-check.ts';
import { cleanUpAfterCrashes } from './cleanup/startup-cleanup.ts';
import { Observers } from './observe.ts';

/**
 * Everything a use case needs, passed explicitly: configuration, store, blob store, the
 * purpose-bound keys, and the clock (so that tests and the import run fix the time).
 */
export interface Instance {
  readonly config: InstanceConfig;
  readonly store: Store;
  /** The endorser's content-addressed blobs (images, catalog files): disk or bucket. */
  readonly blobs: ObjectStore;
  /** The site's verified image cache (catalog/site/image-cache.ts): disk or bucket. */
  readonly siteCache: ObjectStore;
  readonly keys: { readonly sealing: Buffer; readonly tokens: Buffer };
  readonly now: () => Date;
  /** Who is told what the import, fetch, gate and migration stages did (catalog/observe.ts). */
  readonly observers: Observers;
  close(): Promise<void>;
}

export { DATABASE_FILE } from './store/open-store.ts';

export async function openInstance(
  config: InstanceConfig,
  opts: {
    now?: () => Date;
    env?: NodeJS.ProcessEnv;
    /**
     * A server (`serve`, `demo`) starting: it sweeps the object store's temporaries every
     * time, not only when the hourly bucket sweep is due. A replica's restart is exactly
     * when its crashed uploads are known dead, and a long-running process does not mind
     * the object-store client's start-up cost that bucket-sweep.ts spares short commands.
     */
    serving?: boolean;
  } = {},
): Promise<Instance> {
  const master = loadMasterKey(config.dataDir, opts.env);
  // Before the database: a bad blob URL is refused (CONFIG) with nothing left open.
  const objects = openObjectStores(config);
  const store = await openStore(config);
  // Replicas sharing the database must share the key too (secrets/key-check.ts).
  await checkMasterKey(store, master).catch(async (e: unknown) => {
    await store.close();
    throw e;
  });
  const now = opts.now ?? (() => new Date());
  const inst: Instance = {
    config: await rememberPublicUrl(store, config),
    store,
    blobs: objects.blobs,
    siteCache: objects.siteCache,
    keys: { sealing: deriveKey(master, 'key sealing'), tokens: deriveKey(master, 'api tokens') },
    now,
    observers: new Observers(),
    close: async () => {
      await objects.close();
      await store.close();
    },
  };
  // A failure to sign is reported, never thrown: the change itself has committed, and the
  // next append (or the next checkpoint read) signs the newest tree.
  store.afterLogAppend = () =>
    signLatestCheckpoint(inst).then(
      () => undefined,
      (e: unknown) =>
        observe(inst, {
          type: 'log',
          result: 'failed',
          message: e instanceof Error ? e.message : String(e),
        }),
    );
  await cleanUp(inst, opts.serving === true);
  return inst;
}

/**
 * Every opening of the instance (`serve`, each command) first removes what crashed
 * processes left behind and marks their running records INTERRUPTED (catalog/cleanup).
 * A failure here is reported and does not keep the instance from opening: the leftovers
 * are not used by anything, and the next opening tries again.
 */
async function cleanUp(inst: Instance, serving: boolean): Promise<void> {
  try {
    await cleanUpAfterCrashes(inst.config.dataDir, inst.store, inst.now(), inst, { serving });
  } catch (e) {
    process.stderr.write(`vmic: start-up cleanup failed: ${(e as Error).message}\n`);
  }
}

/**
 * A URL given once (`serve --port`, `--public-url`, `$VMIC_PUBLIC_URL`) is remembered, so
 * that a later `vmic publish` from cron writes the same download links as the running
 * server, instead of silently falling back to the default.
 */
async function rememberPublicUrl(store: Store, config: InstanceConfig): Promise<InstanceConfig> {
  if (config.publicUrlExplicit) {
    await store.db
      .insertInto('instance_meta')
      .values({ key: 'public-url', value: config.publicUrl })
      .onConflict((oc) => oc.column('key').doUpdateSet({ value: config.publicUrl }))
      .execute();
    return config;
  }
  const stored = await store.db
    .selectFrom('instance_meta')
    .select('value')
    .where('key', '=', 'public-url')
    .executeTakeFirst();
  return stored ? { ...config, publicUrl: stored.value } : config;
}
