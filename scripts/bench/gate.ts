import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import {
  createToken,
  getCatalogVersion,
  publishCatalog,
  type Instance,
} from '../../catalog/index.ts';
import type { DemoHierarchy } from '../../pki/index.ts';
import { runImport } from '../../catalog/site/import-run.ts';
import { startServer } from '../../server/index.ts';
import { benchEndorser, benchSite } from './bench-instances.ts';

const VMIC = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../vmic.js');
const IMAGES = 5000;

/** A site that has imported one endorser's catalog of `n` images (rows, no bytes). */
async function siteWithImport(h: DemoHierarchy, work: string, n: number): Promise<Instance> {
  const endorser = await benchEndorser(h, work, n, 'gate-e-');
  await publishCatalog(endorser, { endorser: 'bench', actor: 'bench' });
  const p7m = Buffer.from((await getCatalogVersion(endorser, 'bench')).p7m);
  await endorser.close();
  const site = await benchSite(h, work, 'gate-s-');
  const [outcome] = await runImport(site, {
    actor: 'bench',
    fetcher: { fetch: () => Promise.resolve({ status: 'ok', body: p7m, etag: undefined }) },
  });
  if (outcome?.status !== 'applied') throw new Error(`import failed: ${outcome?.code}`);
  return site;
}

async function load(url: string, token?: string): Promise<autocannon.Result> {
  return autocannon({
    url,
    connections: 20,
    duration: 8,
    ...(token ? { headers: { authorization: `Bearer ${token}` } } : {}),
  });
}

function wall(cmd: string, args: string[], runs: number): number {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = process.hrtime.bigint();
    try {
      execFileSync(cmd, args, { stdio: 'ignore' });
    } catch {
      // `vmic check` exits 3 for "not deployable" (nothing is approved here): still timed.
    }
    times.push(Number(process.hrtime.bigint() - t) / 1e9);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)]!;
}

/**
 * (f) The deploy gate as a deployment system meets it: `GET /api/v1/gate/{image}` under 20
 * connections (autocannon over loopback) against `/healthz` on the same server; `vmic check`
 * as a whole process against `node -e 0`; and the site images list with 5,000 images.
 */
export async function gateBench(h: DemoHierarchy, work: string): Promise<void> {
  const site = await siteWithImport(h, work, IMAGES);
  const first = await site.store.db
    .selectFrom('site_images')
    .select('identifier')
    .orderBy('id')
    .limit(1)
    .executeTakeFirstOrThrow();
  const { token } = await createToken(site, { role: 'auditor', ttlSeconds: 3600, actor: 'bench' });
  // Errors only: a request log line per request would measure the terminal, not the gate.
  const server = await startServer(
    site,
    { host: '127.0.0.1', port: 0 },
    { log: (line) => process.stderr.write(`${line}\n`) },
  );
  try {
    const gate = await load(`${server.url}/api/v1/gate/${first.identifier}`, token);
    const health = await load(`${server.url}/healthz`);
    console.log('(f) deploy gate, 20 connections over loopback (autocannon, 8 s each):');
    console.log(
      `    GET /api/v1/gate/{image}: ${gate.requests.average.toFixed(0)} req/s, p50 ${gate.latency.p50} ms, p99 ${gate.latency.p99} ms, ${gate.non2xx} non-2xx (goal >= 2,000 req/s, p99 < 25 ms)`,
    );
    console.log(
      `    GET /healthz (reference): ${health.requests.average.toFixed(0)} req/s, p99 ${health.latency.p99} ms; gate/healthz = ${(gate.requests.average / health.requests.average).toFixed(3)}`,
    );
    const t = process.hrtime.bigint();
    const res = await fetch(`${server.url}/api/v1/site/images`, {
      headers: { authorization: `Bearer ${token}` },
      signal: AbortSignal.timeout(600_000),
    });
    const body = (await res.json()) as { images?: unknown[] };
    const listS = Number(process.hrtime.bigint() - t) / 1e9;
    console.log(
      `    GET /api/v1/site/images with ${IMAGES} imported images: ${listS.toFixed(2)} s, ${body.images?.length ?? 0} images in the answer (goal <= 1 s, paginated)`,
    );
  } finally {
    await server.close();
  }
  const dataDir = site.config.dataDir;
  await site.close();
  const check = wall(process.execPath, [VMIC, 'check', first.identifier, '--data', dataDir], 5);
  const bare = wall(process.execPath, ['-e', '0'], 5);
  console.log(
    `    vmic check, whole process (median of 5): ${check.toFixed(3)} s; node -e 0 ${bare.toFixed(3)} s; ratio ${(check / bare).toFixed(1)} (goal <= 0.20 s)`,
  );
}
