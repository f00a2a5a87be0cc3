import path from 'node:path';
import { openInstance } from '../../../catalog/index.ts';
import { DEMO_ENDORSERS, ensureDemo, ensureDemoSite } from '../../demo/demo-instance.ts';
import { describeOutcome } from './import.ts';
import { instanceConfig, parse } from '../options.ts';
import { importEvery, listenAddress, SERVE_OPTIONS, serveUntilSignal } from './serve.ts';
import { loadWebConfig } from '../../../server/web/index.ts';

export async function demoCommand(argv: string[]): Promise<number> {
  const p = parse(argv, SERVE_OPTIONS, false);
  const { host, port } = listenAddress(p);
  const inst = await openInstance(instanceConfig(p, `http://${host}:${port}`));
  const demo = await ensureDemo(inst);
  const base = inst.config.publicUrl;
  const rel = path.relative(process.cwd(), demo.anchorsFile) || demo.anchorsFile;
  const every = importEvery(p);
  await serveUntilSignal(
    inst,
    host,
    port,
    async () => {
      const outcomes = await ensureDemoSite(inst, demo);
      const data = path.relative(process.cwd(), inst.config.dataDir) || '.';
      const lines = [
        '',
        `vmic demo is ready${demo.created ? ' (demo PKI, endorsers, sample images and catalogs created)' : ''}.`,
        '',
        'Try:',
        ...DEMO_ENDORSERS.flatMap((n) => [
          `  ${base}/feeds/${n}/`,
          `  ${base}/feeds/${n}/catalog.ttl`,
        ]),
        `  ${base}/api/v1/openapi.json`,
        `  ${base}/admin   (web admin; in the demo, sign in locally with any role)`,
        '',
        'Verify a signed catalog with stock OpenSSL:',
        `  curl -s ${base}/feeds/${DEMO_ENDORSERS[0]}/catalog.p7m -o catalog.p7m`,
        `  openssl cms -verify -binary -inform DER -in catalog.p7m -CAfile ${rel} -purpose any`,
        '',
        'The same instance is also a site subscribed to both feeds:',
        ...outcomes.map((o) => `  import ${describeOutcome(o)}`),
        `  npx vmic check demo-linux-server --subscription demo-rsa --data ${data}   # not deployable yet: why?`,
        `  npx vmic fetch --data ${data} && npx vmic approve demo-linux-server --subscription demo-rsa --data ${data}`,
        `  npx vmic check demo-linux-server --subscription demo-rsa --data ${data}   # now deployable`,
        '',
        'Stop with Ctrl-C.',
        '',
      ];
      process.stdout.write(lines.join('\n'));
    },
    every,
    loadWebConfig(inst, { demoMode: true }),
  );
  return 0;
}
