import path from 'node:path';
import { buildDemoHierarchy, writeDemoHierarchy, type KeyAlgorithm } from '../../../pki/index.ts';
import { flag, parse, required, str } from '../options.ts';
import { emit } from '../output.ts';
import { UsageError } from '../usage-error.ts';
import { PKI_VERIFY_USAGE, pkiVerifyCommand } from './pki-verify.ts';
import { KEYGEN_USAGE, pkiKeygenCommand } from './pki-keygen.ts';

const ALGORITHMS: KeyAlgorithm[] = ['RSA-2048', 'RSA-3072', 'RSA-4096', 'ECDSA-P256', 'ECDSA-P384'];

export async function pkiCommand(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === 'verify') return pkiVerifyCommand(rest);
  if (sub === 'keygen') return pkiKeygenCommand(rest);
  if (sub !== 'demo')
    throw new UsageError(
      `usage: vmic pki demo --out DIR [--key-algorithm RSA-2048|ECDSA-P256|...]\n${KEYGEN_USAGE}\n${PKI_VERIFY_USAGE}`,
    );
  const p = parse(rest, { out: { type: 'string' }, 'key-algorithm': { type: 'string' } }, false);
  const out = path.resolve(required(p, 'out'));
  const alg = (str(p, 'key-algorithm') ?? 'RSA-2048') as KeyAlgorithm;
  if (!ALGORITHMS.includes(alg))
    throw new UsageError(`--key-algorithm must be one of ${ALGORITHMS.join(', ')}`);
  const hierarchy = await buildDemoHierarchy({ keyAlgorithm: alg, now: new Date() });
  const files = await writeDemoHierarchy(hierarchy, out);
  emit(flag(p, 'json'), { out, files }, () => [
    `demo PKI (${alg}) written to ${out}:`,
    ...files.map((f) => `  ${path.basename(f)}`),
    'These keys are for trying vmic only: never use them for real catalogs.',
  ]);
  return 0;
}
