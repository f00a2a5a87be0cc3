import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  getCatalogVersion,
  hashFile,
  publishCatalog,
  registerImageByUrl,
  type Instance,
} from '../../catalog/index.ts';
import { runGlanceSync } from '../../catalog/glance/sync-run.ts';
import { approveImage } from '../../catalog/site/approvals.ts';
import { fetchImages } from '../../catalog/site/fetch-images.ts';
import { runImport } from '../../catalog/site/import-run.ts';
import type { DemoHierarchy } from '../../pki/index.ts';
import { benchEndorser, benchSite } from './bench-instances.ts';

const SETUP = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../test/setup');
const MiB = 1024 ** 2;

/** Why row (i) cannot run here, or undefined when it can. */
function glanceMissing(): string | undefined {
  for (const tool of ['glance-api', 'glance-manage', 'curl'])
    if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0)
      return `${tool} is missing (apt-get install glance-api curl)`;
  return undefined;
}

function since(t: bigint): number {
  return Number(process.hrtime.bigint() - t) / 1e9;
}

/** A plain HTTP mirror of one file on 127.0.0.1: where the site fetches the image from. */
async function serveFile(file: string): Promise<{ url: string; close: () => Promise<void> }> {
  const server = http.createServer((_req, res) => {
    res.writeHead(200, { 'content-length': fs.statSync(file).size });
    fs.createReadStream(file).pipe(res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/bench.qcow2`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/**
 * A site with `file` as its one deployable image, made the way a site makes one: an
 * endorser registers it by URL (a local mirror) as qcow2 and publishes; the site imports
 * the signed catalog, fetches the bytes (verified into its cache) and approves the image.
 */
async function siteWithImage(h: DemoHierarchy, work: string, file: string): Promise<Instance> {
  const mirror = await serveFile(file);
  try {
    const endorser = await benchEndorser(h, work, 0, 'glance-e-');
    await registerImageByUrl(endorser, {
      endorser: 'bench',
      identifier: 'glance-bench',
      metadata: { title: 'Glance bench image', format: 'qcow2', arch: 'x86_64' },
      actor: 'bench',
      url: mirror.url,
      sha256: (await hashFile(file)).sha256,
      size: fs.statSync(file).size,
    });
    await publishCatalog(endorser, { endorser: 'bench', actor: 'bench' });
    const p7m = Buffer.from((await getCatalogVersion(endorser, 'bench')).p7m);
    await endorser.close();
    const site = await benchSite(h, work, 'glance-s-');
    const [outcome] = await runImport(site, {
      actor: 'bench',
      fetcher: { fetch: () => Promise.resolve({ status: 'ok', body: p7m, etag: undefined }) },
    });
    if (outcome?.status !== 'applied') throw new Error(`import failed: ${outcome?.code}`);
    const fetched = await fetchImages(site, { actor: 'bench' });
    if (fetched.totals.fetched !== 1)
      throw new Error(`fetch failed: ${JSON.stringify(fetched.totals)}`);
    await approveImage(site, { image: 'glance-bench', actor: 'bench' });
    return site;
  } finally {
    await mirror.close();
  }
}

/** The stock path: an image made with one POST, its bytes sent by `curl -T`. */
async function curlUpload(
  url: string,
  file: string,
): Promise<{ seconds: number; sha512: string | undefined }> {
  const res = await fetch(`${url}/v2/images`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      name: 'bench curl baseline',
      disk_format: 'qcow2',
      container_format: 'bare',
    }),
  });
  if (res.status !== 201) throw new Error(`POST /v2/images: ${res.status} ${await res.text()}`);
  const { id } = (await res.json()) as { id: string };
  execFileSync('sync'); // neither side pays for the other's writes still in the page cache
  const t = process.hrtime.bigint();
  execFileSync('curl', [
    '-sS',
    '--fail',
    '-T',
    file,
    '-H',
    'Content-Type: application/octet-stream',
    `${url}/v2/images/${id}/file`,
  ]);
  const seconds = since(t);
  const image = (await (await fetch(`${url}/v2/images/${id}`)).json()) as {
    status: string;
    os_hash_value?: string;
  };
  if (image.status !== 'active') throw new Error(`curl's image is ${image.status}`);
  // Its 1 GiB out of Glance's store before vmic's upload.
  await fetch(`${url}/v2/images/${id}`, { method: 'DELETE' });
  return { seconds, sha512: image.os_hash_value };
}

/**
 * (i) `vmic glance sync` into a real Glance (test/setup/glance.sh, file store under
 * `work`): the first run's one create (upload, Glance's hashing, vmic's SHA-256 and SHA-512
 * while streaming, the check) against `curl -T` of the same bytes into a Glance image and
 * `openssl dgst -sha512`; then a second run with nothing to do.
 */
export async function glanceBench(
  h: DemoHierarchy,
  work: string,
  writeFile: (file: string) => void,
): Promise<void> {
  const missing = glanceMissing();
  if (missing) {
    console.log(`(i) glance sync skipped: ${missing}`);
    return;
  }
  const file = path.join(work, 'glance.qcow2');
  writeFile(file);
  const size = fs.statSync(file).size;
  const dir = path.join(work, 'glance');
  let site: Instance | undefined;
  try {
    const out = execFileSync('bash', [path.join(SETUP, 'glance.sh'), 'start', dir], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const url = /^VMIC_TEST_GLANCE_URL=(.*)$/m.exec(out)?.[1];
    if (!url) throw new Error(`glance.sh printed no VMIC_TEST_GLANCE_URL:\n${out}`);
    site = await siteWithImage(h, work, file);

    execFileSync('cat', [file], { stdio: ['ignore', 'ignore', 'inherit'] }); // warm the page cache
    const curl = await curlUpload(url, file);
    const t0 = process.hrtime.bigint();
    const dgst = execFileSync('openssl', ['dgst', '-sha512', '-r', file], { encoding: 'utf8' });
    const openssl = since(t0);

    const sync = () =>
      runGlanceSync(site!, {
        connection: { source: 'bench', auth: 'none', imageEndpoint: url },
        actor: 'bench',
      });
    execFileSync('sync');
    const t1 = process.hrtime.bigint();
    const first = await sync();
    const vmic = since(t1);
    const created = first.actions.map(
      (a) => `${a.action} ${a.result}${a.code ? ` ${a.code}` : ''}`,
    );
    if (created.join() !== 'create done')
      throw new Error(`first glance sync: ${created.join(', ') || 'nothing done'}`);
    const t2 = process.hrtime.bigint();
    const second = await sync();
    const again = since(t2);
    if (second.actions.length !== 0 || second.unchanged !== 1)
      throw new Error(`second glance sync did ${second.actions.length} actions`);
    if (curl.sha512 !== dgst.slice(0, 128))
      throw new Error("Glance's SHA-512 of curl's upload is not openssl's");

    const mibs = (s: number) => size / MiB / s;
    const label = size >= 1024 ** 3 ? `${(size / 1024 ** 3).toFixed(2)} GiB` : `${size / MiB} MiB`;
    console.log(
      `(i) glance sync ${label} (one create: upload, Glance's SHA-512, vmic's SHA-256 + SHA-512 while streaming, the check), Glance file store in /tmp:`,
    );
    console.log(
      `    first run  : ${vmic.toFixed(2)} s  ${mibs(vmic).toFixed(0)} MiB/s = ${(curl.seconds / vmic).toFixed(2)}x curl -T upload (${curl.seconds.toFixed(2)} s, ${mibs(curl.seconds).toFixed(0)} MiB/s)`,
    );
    console.log(
      `    openssl dgst -sha512: ${openssl.toFixed(2)} s  ${mibs(openssl).toFixed(0)} MiB/s; vmic/openssl throughput = ${(openssl / vmic).toFixed(2)}`,
    );
    console.log(`    second run : ${again.toFixed(2)} s (no change)`);
    console.log(
      `    peak RSS of the bench process = ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB`,
    );
  } finally {
    await site?.close().catch((e: unknown) => console.error('site close:', e));
    spawnSync('bash', [path.join(SETUP, 'glance.sh'), 'stop', dir], { stdio: 'inherit' });
    fs.rmSync(file, { force: true });
  }
}
