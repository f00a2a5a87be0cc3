import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openInstance, resolveConfig, type Instance, type Limits } from '../../catalog/index.ts';

/** A fresh instance on a real SQLite file in a temporary directory. */
export async function tempInstance(
  opts: { now?: () => Date; limits?: Partial<Limits>; publicUrl?: string } = {},
): Promise<{ inst: Instance; dir: string; cleanup: () => Promise<void> }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vmic-test-'));
  const config = resolveConfig({
    dataDir: dir,
    publicUrl: opts.publicUrl ?? 'http://127.0.0.1:8080',
    env: {},
    ...(opts.limits ? { limits: opts.limits } : {}),
  });
  const inst = await openInstance(config, { env: {}, ...(opts.now ? { now: opts.now } : {}) });
  return {
    inst,
    dir,
    cleanup: async () => {
      await inst.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A self-signed endorser identity made by stock openssl (not by our pki code). */
export function opensslIdentity(
  dir: string,
  opts: { name?: string; alg?: 'rsa' | 'ec'; keyUsage?: string } = {},
): { certificatePem: string; keyPem: string; certFile: string; keyFile: string } {
  const name = opts.name ?? 'endorser';
  const keyFile = path.join(dir, `${name}.key`);
  const certFile = path.join(dir, `${name}.pem`);
  const keyArgs =
    opts.alg === 'ec'
      ? ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256']
      : ['-newkey', 'rsa:2048'];
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      ...keyArgs,
      '-nodes',
      '-sha256',
      '-days',
      '30',
      '-subj',
      `/C=CH/O=vmic test/CN=${name}`,
      '-keyout',
      keyFile,
      '-out',
      certFile,
      '-addext',
      `keyUsage=critical,${opts.keyUsage ?? 'digitalSignature'}`,
      '-addext',
      'basicConstraints=critical,CA:FALSE',
    ],
    { stdio: 'pipe' },
  );
  return {
    certificatePem: fs.readFileSync(certFile, 'utf8'),
    keyPem: fs.readFileSync(keyFile, 'utf8'),
    certFile,
    keyFile,
  };
}
