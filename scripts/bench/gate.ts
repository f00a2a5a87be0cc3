import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
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
import { approveEndorser } from '../../catalog/site/approvals.ts';
import { decideDeployment } from '../../catalog/site/gate.ts';
import { upsertCacheEntry } from '../../catalog/site/image-cache.ts';
import { startServer } from '../../server/index.ts';
import { loadWebConfig } from '../../server/web/index.ts';
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

async function load(url: string, token?: string, duration = 8): Promise<autocannon.Result> {
  return autocannon({
    url,
    connections: 20,
    duration,
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
      // `vmic check` exits 3 for "not deployable": still timed.
    }
    times.push(Number(process.hrtime.bigint() - t) / 1e9);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)]!;
}

/**
 * The first image made deployable the way a site makes it so: its endorser approved, and
 * its bytes in the cache as a verified fetch leaves them (the bench images are rows with
 * made-up hashes, so the cache entry is written directly). Deployable is the answer a
 * deployment system gets most, and the one that runs every rule.
 */
async function makeDeployable(site: Instance, identifier: string): Promise<void> {
  const row = await site.store.db
    .selectFrom('site_images')
    .select(['sha256', 'byte_size'])
    .where('identifier', '=', identifier)
    .executeTakeFirstOrThrow();
  if (row.sha256 === null) throw new Error('bench image without SHA-256');
  await approveEndorser(site, { subscription: 'bench', actor: 'bench' });
  // The gate stats the cached file on disk; a bucket is not asked (ImageCache.holdsVerified).
  // Placed by the store's commit (a rename on disk): the made-up hash cannot be verified.
  if (site.siteCache.hasSync) {
    const file = path.join(site.config.dataDir, 'bench-image.tmp');
    fs.writeFileSync(file, 'bench');
    await site.siteCache.commitFile(row.sha256, file, 5);
  }
  await upsertCacheEntry(site.store.db, row.sha256, {
    byte_size: row.byte_size,
    state: 'verified',
    reason: null,
    actual_sha256: null,
    source: 'fetch',
    source_detail: null,
    updated_at: new Date().toISOString(),
    sha512: null,
  });
  const d = await decideDeployment(site, identifier);
  if (!d.deployable) throw new Error(`bench image not deployable: ${JSON.stringify(d.reasons)}`);
}

/** `vmic serve` on the data directory, as its own process (the server has a core to itself). */
async function serveProcess(dataDir: string): Promise<{ url: string; stop: () => Promise<void> }> {
  const port = await new Promise<number>((resolve) => {
    const srv = net.createServer().listen(0, '127.0.0.1', () => {
      const { port: p } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(p));
    });
  });
  const child = spawn(
    process.execPath,
    [VMIC, 'serve', '--data', dataDir, '--port', String(port)],
    {
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  await new Promise<void>((resolve, reject) => {
    let err = '';
    const onData = (d: Buffer) => {
      err += d.toString();
      if (err.includes('vmic listening')) {
        // Once listening, the server logs a JSON line per request: drained, not kept.
        child.stderr.off('data', onData);
        child.stderr.resume();
        resolve();
      }
    };
    child.stderr.on('data', onData);
    child.on('exit', (code) => reject(new Error(`vmic serve exited ${code}: ${err}`)));
  });
  return {
    url: `http://127.0.0.1:${port}`,
    stop: () =>
      new Promise((resolve) => {
        child.removeAllListeners('exit');
        child.on('exit', () => resolve());
        child.kill('SIGINT');
      }),
  };
}

/** The web Site images page (first page) as a signed-in admin sees it, timed. */
async function timeSitePage(site: Instance): Promise<number> {
  const server = await startServer(
    site,
    { host: '127.0.0.1', port: 0 },
    { log: () => {}, web: loadWebConfig(site, { demoMode: true, env: {} }) },
  );
  try {
    // The bench site's public URL is https: its session cookie is `__Host-` and Secure,
    // set only for a request that came through an https proxy, as this one says it did.
    const proxied = { 'x-forwarded-proto': 'https' };
    const cookieOf = (res: Response) =>
      res.headers
        .getSetCookie()
        .find((c) => /^(__Host-)?vmic_session=/.test(c))
        ?.split(';')[0] ?? '';
    const form = await fetch(`${server.url}/login`, { headers: proxied });
    const csrf = /name="_csrf" value="([^"]+)"/.exec(await form.text())?.[1] ?? '';
    const signedIn = await fetch(`${server.url}/login/dev`, {
      method: 'POST',
      redirect: 'manual',
      headers: { ...proxied, cookie: cookieOf(form) },
      body: new URLSearchParams({ _csrf: csrf, name: 'bench', role: 'admin', next: '/' }),
    });
    const cookie = cookieOf(signedIn);
    const t = process.hrtime.bigint();
    const page = await fetch(`${server.url}/site/images`, { headers: { ...proxied, cookie } });
    const html = await page.text();
    const seconds = Number(process.hrtime.bigint() - t) / 1e9;
    if (page.status !== 200 || !html.includes('Bench image'))
      throw new Error(`site images page: ${page.status}, not signed in or no images listed`);
    return seconds;
  } finally {
    await server.close();
  }
}

/**
 * (f) The deploy gate as a deployment system meets it: `GET /api/v1/gate/{image}` for a
 * deployable image under 20 connections (autocannon over loopback) against `/healthz` on
 * the same server, `vmic serve` in its own process; `vmic check` as a whole process
 * against `node -e 0`; the site images list (API and web page) with 5,000 images.
 */
export async function gateBench(h: DemoHierarchy, work: string): Promise<void> {
  const site = await siteWithImport(h, work, IMAGES);
  const first = await site.store.db
    .selectFrom('site_images')
    .select('identifier')
    .orderBy('id')
    .limit(1)
    .executeTakeFirstOrThrow();
  await makeDeployable(site, first.identifier);
  const { token } = await createToken(site, { role: 'auditor', ttlSeconds: 3600, actor: 'bench' });
  const t = process.hrtime.bigint();
  const inProcess = await startServer(site, { host: '127.0.0.1', port: 0 }, { log: () => {} });
  const res = await fetch(`${inProcess.url}/api/v1/site/images`, {
    headers: { authorization: `Bearer ${token}` },
    signal: AbortSignal.timeout(600_000),
  });
  const body = (await res.json()) as { images?: unknown[] };
  const listS = Number(process.hrtime.bigint() - t) / 1e9;
  await inProcess.close();
  const pageS = await timeSitePage(site);
  const dataDir = site.config.dataDir;
  await site.close();

  const server = await serveProcess(dataDir);
  try {
    const gateUrl = `${server.url}/api/v1/gate/${first.identifier}`;
    await load(gateUrl, token, 2); // warm-up: first decisions, JIT
    const gate = await load(gateUrl, token);
    const health = await load(`${server.url}/healthz`);
    console.log(
      '(f) deploy gate, `vmic serve` in its own process, 20 connections (autocannon, 8 s each):',
    );
    console.log(
      `    GET /api/v1/gate/{image} (deployable): ${gate.requests.average.toFixed(0)} req/s, p50 ${gate.latency.p50} ms, p99 ${gate.latency.p99} ms, ${gate.non2xx} non-2xx (goal >= 2,000 req/s, p99 < 25 ms)`,
    );
    console.log(
      `    GET /healthz (reference): ${health.requests.average.toFixed(0)} req/s, p99 ${health.latency.p99} ms; gate/healthz = ${(gate.requests.average / health.requests.average).toFixed(3)}`,
    );
  } finally {
    await server.stop();
  }
  console.log(
    `    GET /api/v1/site/images with ${IMAGES} imported images: ${listS.toFixed(2)} s, ${body.images?.length ?? 0} images in the first page; web Site images page: ${pageS.toFixed(2)} s (goal <= 1 s, paginated)`,
  );
  const check = wall(process.execPath, [VMIC, 'check', first.identifier, '--data', dataDir], 7);
  const bare = wall(process.execPath, ['-e', '0'], 7);
  console.log(
    `    vmic check, whole process (median of 7): ${check.toFixed(3)} s; node -e 0 ${bare.toFixed(3)} s; ratio ${(check / bare).toFixed(1)} (goal <= 0.20 s)`,
  );
}
