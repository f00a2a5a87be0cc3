import path from 'node:path';
import type { InstanceConfig } from './config.ts';
import type { Store } from './store/database.ts';
import { openStore } from './store/open-store.ts';
import { BlobStore } from './blobs/blob-store.ts';
import { deriveKey, loadMasterKey } from './secrets/master-key.ts';
import { cleanUpAfterCrashes } from './cleanup/startup-cleanup.ts';
import { Observers } from './observe.ts';

/**
 * Everything a use case needs, passed explicitly: configuration, store, blob store, the
 * purpose-bound keys, and the clock (so that tests and the import run fix the time).
 */
export interface Instance {
  readonly config: InstanceConfig;
  readonly store: Store;
  readonly blobs: BlobStore;
  readonly keys: { readonly sealing: Buffer; readonly tokens: Buffer };
  readonly now: () => Date;
  /** Who is told what the import, fetch, gate and migration stages did (catalog/observe.ts). */
  readonly observers: Observers;
  close(): Promise<void>;
}

export { DATABASE_FILE } from './store/open-store.ts';

export async function openInstance(
  config: InstanceConfig,
  opts: { now?: () => Date; env?: NodeJS.ProcessEnv } = {},
): Promise<Instance> {
  const master = loadMasterKey(config.dataDir, opts.env);
  const store = await openStore(config);
  const now = opts.now ?? (() => new Date());
  const inst: Instance = {
    config: await rememberPublicUrl(store, config),
    store,
    blobs: new BlobStore(path.join(config.dataDir, 'blobs')),
    keys: { sealing: deriveKey(master, 'key sealing'), tokens: deriveKey(master, 'api tokens') },
    now,
    observers: new Observers(),
    close: () => store.close(),
  };
  await cleanUp(inst);
  return inst;
}

/**
 * Every opening of the instance (`serve`, each command) first removes what crashed
 * processes left behind and marks their running records INTERRUPTED (catalog/cleanup).
 * A failure here is reported and does not keep the instance from opening: the leftovers
 * are not used by anything, and the next opening tries again.
 */
async function cleanUp(inst: Instance): Promise<void> {
  try {
    await cleanUpAfterCrashes(inst.config.dataDir, inst.store, inst.now());
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
