import path from 'node:path';
import type { InstanceConfig } from './config.ts';
import { openSqliteStore, type Store } from './store/database.ts';
import { BlobStore } from './blobs/blob-store.ts';
import { deriveKey, loadMasterKey } from './secrets/master-key.ts';

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
  close(): Promise<void>;
}

export const DATABASE_FILE = 'vmic.sqlite';

export async function openInstance(
  config: InstanceConfig,
  opts: { now?: () => Date; env?: NodeJS.ProcessEnv } = {},
): Promise<Instance> {
  const master = loadMasterKey(config.dataDir, opts.env);
  const store = await openSqliteStore(path.join(config.dataDir, DATABASE_FILE));
  return {
    config,
    store,
    blobs: new BlobStore(path.join(config.dataDir, 'blobs')),
    keys: { sealing: deriveKey(master, 'key sealing'), tokens: deriveKey(master, 'api tokens') },
    now: opts.now ?? (() => new Date()),
    close: () => store.close(),
  };
}
