import fs from 'node:fs';
import path from 'node:path';
import { openInstance, resolveConfig } from '../../catalog/index.ts';
import type { DemoHierarchy } from '../../pki/index.ts';
import { addPublishedEndorser, demoEndorserIdentity } from '../fixtures/published-endorser.ts';
import { describeLatencies, healthDuringPublish } from './health-during-publish.ts';

/**
 * (e) The real `vmic serve` answers /healthz every 50 ms while the real `vmic publish`
 * of 10,000 images holds the database's write lock from another process: the worst
 * latency shows whether the server's event loop ever waits on that lock.
 */
export async function stallBench(h: DemoHierarchy, work: string): Promise<void> {
  const dir = fs.mkdtempSync(path.join(work, 'stall-'));
  const inst = await openInstance(
    resolveConfig({ dataDir: dir, publicUrl: 'https://endorser.example', env: {} }),
    { env: {} },
  );
  await addPublishedEndorser(inst, {
    name: 'bench',
    identity: await demoEndorserIdentity(h),
    images: { rows: 10_000 },
    actor: 'bench',
    publish: false, // `vmic publish` does it, against the server
  });
  await inst.close();

  const port = 20000 + Math.floor(Math.random() * 20000);
  const r = await healthDuringPublish(dir, 'bench', port);
  if (r.publishExit !== 0) throw new Error(`vmic publish exited ${r.publishExit}`);
  console.log(
    '(e) /healthz of vmic serve, polled every 50 ms while vmic publish (10,000 images) runs:',
  );
  console.log(
    `    publish ${r.publishSeconds.toFixed(2)} s, ${describeLatencies(r.latenciesMs)} (goal < 100 ms), ${r.failures} failed`,
  );
}
