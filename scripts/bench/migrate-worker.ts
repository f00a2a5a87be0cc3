// Runs one migration (sender side) in its own process, so that its peak RSS is measured
// alone. Prints one JSON line.
import { openInstance, resolveConfig } from '../../catalog/index.ts';
import { migrateImage } from '../../catalog/migration/migrate.ts';

const [dataDir, image, to] = process.argv.slice(2);
if (!dataDir || !image || !to) throw new Error('usage: migrate-worker DATA IMAGE PEER');
const inst = await openInstance(resolveConfig({ dataDir }));
const baselineRssBytes = process.resourceUsage().maxRSS * 1024;
const start = process.hrtime.bigint();
const result = await migrateImage(inst, { image, to, actor: 'bench' });
const seconds = Number(process.hrtime.bigint() - start) / 1e9;
await inst.close();
process.stdout.write(
  JSON.stringify({
    ...result,
    seconds,
    baselineRssBytes,
    maxRssBytes: process.resourceUsage().maxRSS * 1024,
  }) + '\n',
);
