import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { addEndorser, openInstance, resolveConfig } from '../../catalog/index.ts';
import { derToPem, exportPrivateKeyPkcs8, type DemoHierarchy } from '../../pki/index.ts';
import { insertBenchImages } from './bench-images.ts';

const vmic = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'vmic.js');

async function waitForHealth(url: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    try {
      if ((await fetch(`${url}/healthz`)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('vmic serve did not start');
}

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
  await addEndorser(inst, {
    name: 'bench',
    certificatePem: derToPem(h.endorser.certificate, 'CERTIFICATE'),
    keyPem: derToPem(await exportPrivateKeyPkcs8(h.endorser.privateKey), 'PRIVATE KEY'),
    chainPem: derToPem(h.intermediate.certificate, 'CERTIFICATE'),
    actor: 'bench',
  });
  await insertBenchImages(inst, 10_000);
  await inst.close();

  const port = 20000 + Math.floor(Math.random() * 20000);
  const server = spawn(process.execPath, [vmic, 'serve', '--data', dir, '--port', String(port)], {
    stdio: 'ignore',
  });
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitForHealth(url);
    let publishing = true;
    const started = process.hrtime.bigint();
    const publish = new Promise<number>((resolve, reject) => {
      const p = spawn(process.execPath, [vmic, 'publish', '--endorser', 'bench', '--data', dir], {
        stdio: 'ignore',
      });
      p.on('error', reject);
      p.on('exit', (code) => {
        publishing = false;
        resolve(code ?? 1);
      });
    });
    const latencies: number[] = [];
    while (publishing) {
      const t = process.hrtime.bigint();
      const res = await fetch(`${url}/healthz`);
      await res.arrayBuffer();
      latencies.push(Number(process.hrtime.bigint() - t) / 1e6);
      await new Promise((r) => setTimeout(r, 50));
    }
    const code = await publish;
    const publishS = Number(process.hrtime.bigint() - started) / 1e9;
    if (code !== 0) throw new Error(`vmic publish exited ${code}`);
    latencies.sort((a, b) => a - b);
    const worst = latencies[latencies.length - 1] ?? NaN;
    const median = latencies[Math.floor(latencies.length / 2)] ?? NaN;
    console.log(
      '(e) /healthz of vmic serve, polled every 50 ms while vmic publish (10,000 images) runs:',
    );
    console.log(
      `    publish ${publishS.toFixed(2)} s, ${latencies.length} polls, median ${median.toFixed(1)} ms, worst ${worst.toFixed(1)} ms (goal < 100 ms)`,
    );
  } finally {
    server.kill();
  }
}
