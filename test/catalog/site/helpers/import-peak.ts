/**
 * Child process of the import memory test: opens a site, trusts a CA, subscribes to one
 * feed, runs one import, and prints the outcome with this process's peak RSS (VmHWM)
 * before and after the import, read from /proc. A process of its own, so the figure holds
 * the import alone, not the test's generation of the feed.
 * Usage: import-peak.ts DATA_DIR FEED_URL TRUST_PEM SUBJECT
 */
import fs from 'node:fs';
import { openInstance, resolveConfig } from '../../../../catalog/index.ts';
import { addTrustMaterial } from '../../../../catalog/site/trust-store.ts';
import { subscribe } from '../../../../catalog/site/subscriptions.ts';
import { runImport } from '../../../../catalog/site/import-run.ts';

function peakKiB(): number {
  const status = fs.readFileSync('/proc/self/status', 'utf8');
  return Number(/^VmHWM:\s+(\d+) kB/m.exec(status)?.[1]);
}

const [dataDir, url, trustPem, subject] = process.argv.slice(2) as [string, string, string, string];
const inst = await openInstance(resolveConfig({ dataDir, env: {} }), { env: {} });
await addTrustMaterial(inst, fs.readFileSync(trustPem, 'utf8'), 'test');
// A test stand-in feed with no transparency log.
await subscribe(inst, { url, expectSubject: subject, actor: 'test', log: 'off' });
const before = peakKiB();
const [outcome] = await runImport(inst, { actor: 'test' });
const after = peakKiB();
await inst.close();
process.stdout.write(
  `${JSON.stringify({ status: outcome?.status, code: outcome?.code, rule: outcome?.rule, beforeKiB: before, peakKiB: after })}\n`,
);
