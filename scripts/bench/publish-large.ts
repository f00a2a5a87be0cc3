import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DemoHierarchy } from '../../pki/index.ts';
import { benchEndorser } from './bench-instances.ts';
import { measured } from './migration.ts';

const VMIC = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../vmic.js');
const IMAGES = 100_000;

/**
 * (g) `vmic publish` of a catalog of 100,000 images as its own process: wall time and
 * peak RSS (VmHWM), the figures a large endorser meets.
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
}
