import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DemoHierarchy } from '../../pki/index.ts';
import { openInstance, resolveConfig } from '../../catalog/index.ts';
import { benchEndorser } from './bench-instances.ts';
import { measured } from './migration.ts';

const VMIC = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../vmic.js');
const IMAGES = 100_000;

/**
 * (g) `vmic publish` of a catalog of 100,000 images as its own process: wall time and
 * peak RSS (VmHWM), the figures a large endorser meets, and the sizes of the files it
 * stored (each streamed into the blob store, never whole in memory).
 */
export async function publishLargeBench(h: DemoHierarchy, work: string): Promise<void> {
  const inst = await benchEndorser(h, work, IMAGES, 'publish-large-'); // `vmic publish` below
  const dir = inst.config.dataDir;
  await inst.close();
  console.log(`(g) vmic publish of ${IMAGES.toLocaleString('en')} images, own process:`);
  let r: Awaited<ReturnType<typeof measured>>;
  try {
    r = await measured([VMIC, 'publish', '--endorser', 'bench', '--data', dir]);
  } catch (e) {
    // A figure, not a test: the failure is printed as the result (first line only).
    console.log(`    FAILED: ${(e as Error).message.split('\n')[0]}`);
    return;
  }
  console.log(
    `    ${r.seconds.toFixed(1)} s, peak RSS ${(r.peakRss / 2 ** 20).toFixed(0)} MiB (goal <= 30 s, RSS < 1 GiB)`,
  );
  const again = await openInstance(resolveConfig({ dataDir: dir, env: {} }), { env: {} });
  try {
    const v = await again.store.db
      .selectFrom('catalog_versions')
      .select(['nquads_size', 'turtle_size', 'jsonld_size', 'p7m_size'])
      .executeTakeFirstOrThrow();
    const mb = (n: number | null) => `${((n ?? 0) / 1e6).toFixed(0)} MB`;
    console.log(
      `    files in the blob store: N-Quads ${mb(v.nquads_size)}, Turtle ${mb(v.turtle_size)}, JSON-LD ${mb(v.jsonld_size)}, p7m ${mb(v.p7m_size)}`,
    );
  } finally {
    await again.close();
  }
}
