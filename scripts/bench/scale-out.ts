import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import crypto from 'node:crypto';
import autocannon from 'autocannon';
import { ENDORSER, startCluster, type Cluster } from '../../test/integration/cluster.ts';
import { freePort } from '../../test/helpers/free-port.ts';
import { publish } from '../../test/integration/http.ts';
import { scaleOutMissing, startServers } from './scale-out-servers.ts';
import { transferBench } from './scale-out-rgw.ts';

/** The same load for (a), (b) and (c), so that only the server differs. */
const LOAD = { connections: 20, duration: 10 } as const;
/** Images listed in the bench catalog (by URL: rows only), for a realistic catalog size. */
const IMAGES = 50;

async function requestsPerSecond(url: string): Promise<{ rps: number; non2xx: number }> {
  // A warm-up that also fills nginx's cache before (b) is measured.
  await autocannon({ url, connections: 4, amount: 200 });
  const r = await autocannon({ url, ...LOAD });
  return { rps: r.requests.average, non2xx: r.non2xx + r.errors };
}

/** An endorser catalog of IMAGES images, published once, through the API of replica 1. */
async function publishBenchCatalog(c: Cluster): Promise<void> {
  const base = c.replicas[0]!.url;
  for (let i = 0; i < IMAGES; i++) {
    const res = await fetch(`${base}/api/v1/endorsers/${ENDORSER}/images`, {
      method: 'POST',
      headers: { authorization: `Bearer ${c.endorserToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        identifier: `bench-${i}`,
        title: `Bench image ${i}`,
        url: `https://mirror.example/bench-${i}.qcow2`,
        sha256: crypto.createHash('sha256').update(String(i)).digest('hex'),
        size: 1024 ** 3 + i,
        format: 'qcow2',
      }),
    });
    if (res.status !== 201) throw new Error(`image ${i}: ${res.status} ${await res.text()}`);
  }
  await publish(base, c.endorserToken, ENDORSER);
}

/**
 * `catalog.p7m` requests per second over loopback with autocannon: (a) one replica
 * directly, (b) through nginx with contrib/nginx/vmic.conf and its cache, (c) the same nginx
 * serving the same bytes as a static file; then the 1 GiB transfer rows against RGW.
 */
export async function scaleOutBench(): Promise<void> {
  const missing = scaleOutMissing();
  if (missing) {
    console.log(`(h) scale-out skipped: ${missing}`);
    return;
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vmic-bench-scale-'));
  const servers = startServers(dir);
  let cluster: Cluster | undefined;
  try {
    const staticPort = await freePort();
    const staticDir = path.join(dir, 'static');
    fs.mkdirSync(staticDir);
    cluster = await startCluster({
      replicas: 1,
      // The static server runs in the same nginx (same worker count, same loopback).
      nginxExtra: `server {\n  listen 127.0.0.1:${staticPort};\n  location / { root ${staticDir}; }\n}`,
    });
    await publishBenchCatalog(cluster);
    const direct = `${cluster.replicas[0]!.url}/feeds/${ENDORSER}/catalog.p7m`;
    const body = Buffer.from(await (await fetch(direct)).arrayBuffer());
    fs.writeFileSync(path.join(staticDir, 'catalog.p7m'), body);
    const a = await requestsPerSecond(direct);
    const b = await requestsPerSecond(`${cluster.publicUrl}/feeds/${ENDORSER}/catalog.p7m`);
    const c = await requestsPerSecond(`http://127.0.0.1:${staticPort}/catalog.p7m`);
    console.log(
      `(h) catalog.p7m (${body.length} bytes, ${IMAGES} images) over loopback, autocannon ${LOAD.connections} connections x ${LOAD.duration} s each, nginx with 1 worker:`,
    );
    const row = (name: string, r: { rps: number; non2xx: number }) =>
      console.log(
        `    ${name.padEnd(34)} ${r.rps.toFixed(0).padStart(7)} req/s${r.non2xx ? `  (${r.non2xx} not 2xx or failed!)` : ''}`,
      );
    row('(a) one vmic replica directly', a);
    row('(b) nginx + proxy_cache (vmic.conf)', b);
    row('(c) nginx, static file', c);
    console.log(
      `    a/c = ${(a.rps / c.rps).toFixed(2)} (goal >= 0.3), b/c = ${(b.rps / c.rps).toFixed(2)} (goal >= 0.9)`,
    );
    await transferBench(cluster, dir);
  } finally {
    await cluster?.close().catch((e: unknown) => console.error('cluster teardown:', e));
    servers.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
