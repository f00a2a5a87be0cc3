import path from 'node:path';
import { openInstance } from '../../../catalog/index.ts';
import { DEMO_ENDORSERS, ensureDemo, ensureDemoSite } from '../../demo/demo-instance.ts';
import { describeOutcome } from './import.ts';
import { flag, instanceConfig, parse } from '../options.ts';
import {
  hostForUrl,
  importEvery,
  listenAddress,
  SERVE_OPTIONS,
  serveHttpOptions,
  serveUntilSignal,
} from './serve.ts';
import { loadWebConfig } from '../../../server/web/index.ts';
import { demoLogin } from '../../demo/demo-login.ts';

const DEMO_OPTIONS = {
  ...SERVE_OPTIONS,
  'insecure-demo-login': { type: 'boolean', default: false },
} as const;

export async function demoCommand(argv: string[]): Promise<number> {
  const p = parse(argv, DEMO_OPTIONS, false);
  const { host, port } = listenAddress(p);
  const http = serveHttpOptions(p);
  const login = demoLogin(host, flag(p, 'insecure-demo-login'));
  if (login.notice) process.stderr.write(login.notice);
  const inst = await openInstance(instanceConfig(p, `http://${hostForUrl(host)}:${port}`), {
    serving: true,
  });
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
        login.offered
          ? `  ${base}/admin   (web admin; in the demo, sign in locally with any role)`
          : `  ${base}/admin   (web admin; the local sign-in is off on this address, see above)`,
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
    loadWebConfig(inst, { demoMode: login.offered }),
    http,
  );
  return 0;
}
