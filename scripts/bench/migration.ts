// (d) Migration between two local sites, each its own process: end-to-end throughput of
// Export → Transfer → Import on one image, against `openssl dgst -sha256` on the same
// file, and the peak RSS of the sender and of the receiving server.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { opensslSiteCertificate } from '../demo/openssl-site-certificate.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const VMIC = path.join(here, '..', 'vmic.js');
const ENDORSER = 'CN=vmic Demo Endorser,O=vmic demo,C=CH';

function vmic(...args: string[]): string {
  return execFileSync(process.execPath, [VMIC, ...args], {
    encoding: 'utf8',
    env: { ...process.env, VMIC_DATA: '', VMIC_PUBLIC_URL: '', VMIC_MASTER_KEY: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

function serve(data: string, port: number): Promise<ChildProcess> {
  const child = spawn(process.execPath, [VMIC, 'serve', '--data', data, '--port', String(port)], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  return new Promise((resolve, reject) => {
    let err = '';
    child.stderr.on('data', (d: Buffer) => {
      // Only the start-up lines are kept: once listening, the server logs a JSON line per
      // request, which the bench drains without holding on to.
      if (err.includes('vmic listening')) return;
      err += d.toString();
      if (err.includes('vmic listening')) resolve(child);
    });
    child.on('exit', (code) => reject(new Error(`serve exited ${code}: ${err}`)));
  });
}

/** Runs a command to its end, sampling its peak RSS (VmHWM) until it exits. */
export function measured(
  args: string[],
): Promise<{ stdout: string; seconds: number; peakRss: number }> {
  const start = process.hrtime.bigint();
  const child = spawn(process.execPath, args, {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, VMIC_DATA: '', VMIC_PUBLIC_URL: '', VMIC_MASTER_KEY: '' },
  });
  let stdout = '';
  let stderr = '';
  let peak = 0;
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const timer = setInterval(() => {
    try {
      const now = peakRss(child.pid!);
      if (Number.isFinite(now)) peak = Math.max(peak, now);
    } catch {
      // exited between samples
    }
  }, 20);
  return new Promise((resolve, reject) =>
    child.on('exit', (code) => {
      clearInterval(timer);
      if (code !== 0)
        reject(new Error(`vmic ${args.slice(1).join(' ')} exited ${code}: ${stderr}`));
      else
        resolve({ stdout, seconds: Number(process.hrtime.bigint() - start) / 1e9, peakRss: peak });
    }),
  );
}

function peakRss(pid: number): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : NaN;
}

export async function migrationBench(
  work: string,
  file: string,
  opensslSeconds: number,
): Promise<void> {
  const pki = path.join(work, 'mig-pki');
  const a = path.join(work, 'site-a');
  const b = path.join(work, 'site-b');
  vmic('pki', 'demo', '--out', pki);
  const siteB = opensslSiteCertificate(pki, 'site-b', '/C=DE/O=vmic bench/CN=Site B');
  const [pa, pb] = [await freePort(), await freePort()];
  const trust = ['anchors.pem', 'intermediate-ca.pem', 'crl.pem', 'root-crl.pem'].map((f) =>
    path.join(pki, f),
  );
  vmic(
    'endorser',
    'add',
    'cern',
    '--data',
    a,
    '--public-url',
    `http://127.0.0.1:${pa}`,
    '--cert',
    path.join(pki, 'endorser.pem'),
    '--chain',
    path.join(pki, 'endorser-chain.pem'),
    '--key',
    path.join(pki, 'endorser.key'),
  );
  vmic(
    'image',
    'add',
    '--data',
    a,
    '--endorser',
    'cern',
    '--file',
    file,
    '--identifier',
    'big',
    '--title',
    'Benchmark image',
  );
  vmic('publish', '--data', a, '--endorser', 'cern');
  const serverA = await serve(a, pa);
  const serverB: { child?: ChildProcess } = {};
  try {
    vmic('trust', 'add', '--data', a, ...trust);
    vmic(
      'subscribe',
      `http://127.0.0.1:${pa}/feeds/cern/`,
      '--data',
      a,
      '--expect-subject',
      ENDORSER,
    );
    vmic('import', '--data', a);
    vmic('fetch', '--data', a);
    vmic('approve', 'big', '--data', a);
    vmic(
      'site',
      'identity',
      'set',
      '--data',
      a,
      '--cert',
      path.join(pki, 'site.pem'),
      '--key',
      path.join(pki, 'site.key'),
      '--chain',
      path.join(pki, 'site-chain.pem'),
    );
    vmic('trust', 'add', '--data', b, ...trust);
    vmic(
      'site',
      'identity',
      'set',
      '--data',
      b,
      '--public-url',
      `http://127.0.0.1:${pb}`,
      '--cert',
      siteB.cert,
      '--key',
      siteB.key,
      '--chain',
      path.join(pki, 'intermediate-ca.pem'),
    );
    const siteA = JSON.parse(vmic('site', 'identity', 'show', '--data', a, '--json')) as {
      subject: string;
    };
    vmic(
      'peer',
      'add',
      'site-b',
      '--data',
      a,
      '--url',
      `http://127.0.0.1:${pb}`,
      '--expect-subject',
      'CN=Site B,O=vmic bench,C=DE',
    );
    vmic(
      'peer',
      'add',
      'site-a',
      '--data',
      b,
      '--url',
      `http://127.0.0.1:${pa}`,
      '--expect-subject',
      siteA.subject,
    );
    serverB.child = await serve(b, pb);
    // The real command, as an operator runs it; its memory is sampled while it runs.
    const run = await measured([VMIC, 'migrate', 'big', '--to', 'site-b', '--data', a, '--json']);
    const out = {
      ...(JSON.parse(run.stdout) as { byteSize: number }),
      seconds: run.seconds,
      maxRssBytes: run.peakRss,
    };
    const receiverRss = peakRss(serverB.child.pid!);
    const stages = (data: string) =>
      (
        JSON.parse(vmic('migrations', '--data', data, '--json')) as {
          stages: { stage: string; seconds?: number }[];
        }[]
      )
        .flatMap((m) => m.stages)
        .map((st) => `${st.stage} ${st.seconds?.toFixed(2)} s`)
        .join(', ');
    const mib = out.byteSize / 1024 ** 2;
    console.log(
      `(d) migration A -> B (Export re-hash + encrypt, Transfer over loopback HTTP, Import decrypt + verify + store), ${(out.byteSize / 1024 ** 3).toFixed(2)} GiB:`,
    );
    console.log(
      `    end to end ${out.seconds.toFixed(2)} s  ${(mib / out.seconds).toFixed(0)} MiB/s; openssl dgst -sha256 ${(mib / opensslSeconds).toFixed(0)} MiB/s`,
    );
    console.log(`    stages: sender ${stages(a)}; receiver ${stages(b)}`);
    console.log(
      `    throughput ratio migration/openssl-sha256 = ${(opensslSeconds / out.seconds).toFixed(3)} (goal >= 0.4)`,
    );
    console.log(
      `    peak RSS: vmic migrate ${(out.maxRssBytes / 1024 ** 2).toFixed(0)} MiB, receiving server ${(receiverRss / 1024 ** 2).toFixed(0)} MiB (goal < 200 MB each)`,
    );
  } finally {
    serverA.kill('SIGTERM');
    serverB.child?.kill('SIGTERM');
  }
}
