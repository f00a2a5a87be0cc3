import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openInstance, resolveConfig, type Instance, type Limits } from '../../catalog/index.ts';
import { forgetBackend, rememberBackend, testBackend } from './backends.ts';

/**
 * A fresh instance in a temporary directory: on a real SQLite file and blob directory, or
 * (VMIC_TEST_BACKEND=postgres-rgw) on a fresh PostgreSQL database and RGW bucket.
 */
export async function tempInstance(
  opts: { now?: () => Date; limits?: Partial<Limits>; publicUrl?: string } = {},
): Promise<{ inst: Instance; dir: string; cleanup: () => Promise<void> }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vmic-test-'));
  const backend = await testBackend();
  const config = resolveConfig({
    dataDir: dir,
    databaseUrl: backend.databaseUrl,
    blobUrl: backend.blobUrl,
    publicUrl: opts.publicUrl ?? 'http://127.0.0.1:8080',
    env: {},
    ...(opts.limits ? { limits: opts.limits } : {}),
  });
  const inst = await openInstance(config, { env: {}, ...(opts.now ? { now: opts.now } : {}) });
  rememberBackend(dir, backend);
  return {
    inst,
    dir,
    cleanup: async () => {
      await inst.close();
      await backend.dispose();
      forgetBackend(dir);
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Kept for callers outside this change (test/server/fuzz/); new code imports ./openssl/index.ts. */
export { opensslIdentity } from './openssl/index.ts';
