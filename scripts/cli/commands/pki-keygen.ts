import fs from 'node:fs';
import { createCsr, derToPem, type KeyAlgorithm } from '../../../pki/index.ts';
import { generateTokenKey } from '../../../catalog/secrets/pkcs11-token.ts';
import { generateTokenEd25519 } from '../../../catalog/secrets/pkcs11-eddsa.ts';
import { flag, parse, required, str, type Parsed } from '../options.ts';
import { emit } from '../output.ts';
import { UsageError } from '../usage-error.ts';

export const KEYGEN_USAGE =
  '       vmic pki keygen --pkcs11 URI --subject DN [--key-algorithm ECDSA-P256|ECDSA-P384|RSA-2048|RSA-3072|RSA-4096] [--for endorser|site] [--out CSR.pem]\n' +
  '       vmic pki keygen --pkcs11 URI --key-algorithm Ed25519 --for log|witness';

const ALGORITHMS: KeyAlgorithm[] = ['ECDSA-P256', 'ECDSA-P384', 'RSA-2048', 'RSA-3072', 'RSA-4096'];

/**
 * `vmic pki keygen --pkcs11 URI`: a key pair made inside the token (sensitive, never
 * extractable) and a PKCS#10 request for it, signed by the token, to send to the CA. The
 * module and PIN come from $VMIC_PKCS11_MODULE and $VMIC_PKCS11_PIN(_FILE), never from
 * the command line. Prints the request (or writes it to --out) and the key's full URI
 * (with its CKA_ID) for `endorser add --pkcs11` or, made `--for site` (it also decrypts,
 * or derives for EC keys, to receive migrations), `site identity set --pkcs11`.
 * `--key-algorithm Ed25519 --for log|witness` makes a note key instead (no certificate, so
 * no request): the log's or the witness's, for `log key --pkcs11` / `witness key --pkcs11`.
 */
export async function pkiKeygenCommand(argv: string[]): Promise<number> {
  const p = parse(
    argv,
    {
      pkcs11: { type: 'string' },
      subject: { type: 'string' },
      'key-algorithm': { type: 'string' },
      for: { type: 'string' },
      out: { type: 'string' },
    },
    false,
  );
  const uri = required(p, 'pkcs11');
  if (str(p, 'key-algorithm') === 'Ed25519') return noteKeygen(p, uri);
  const subject = required(p, 'subject');
  const alg = (str(p, 'key-algorithm') ?? 'ECDSA-P256') as KeyAlgorithm;
  if (!ALGORITHMS.includes(alg))
    throw new UsageError(`--key-algorithm must be one of ${ALGORITHMS.join(', ')}`);
  const purpose = str(p, 'for') ?? 'endorser';
  if (purpose !== 'endorser' && purpose !== 'site')
    throw new UsageError(
      '--for must be endorser (signs catalogs) or site (also receives migrations); log and witness keys are Ed25519',
    );
  const kp = await generateTokenKey(uri, alg, process.env, purpose);
  const csr = derToPem(await createCsr({ subject, keys: kp }), 'CERTIFICATE REQUEST');
  const out = str(p, 'out');
  if (out !== undefined) fs.writeFileSync(out, csr, { flag: 'wx' });
  emit(flag(p, 'json'), { uri: kp.uri, csr }, () => [
    `key ${alg} made in the token, not extractable: ${kp.uri}`,
    ...(out !== undefined ? [`certificate request written to ${out}`] : [csr.trimEnd()]),
  ]);
  return 0;
}

/** An Ed25519 note key in the token, for the transparency log or the witness. */
function noteKeygen(p: Parsed, uri: string): number {
  const role = str(p, 'for');
  if (role !== 'log' && role !== 'witness')
    throw new UsageError('--key-algorithm Ed25519 makes a note key: --for log or --for witness');
  if (str(p, 'subject') !== undefined || str(p, 'out') !== undefined)
    throw new UsageError('an Ed25519 note key has no certificate: no --subject, no --out');
  const key = generateTokenEd25519(uri);
  const next = `vmic ${role} key --pkcs11 '${key.uri}'`;
  emit(flag(p, 'json'), { uri: key.uri, next }, () => [
    `key Ed25519 made in the token, not extractable: ${key.uri}`,
    `make it the ${role} key: ${next}`,
  ]);
  return 0;
}
