import crypto from 'node:crypto';
import {
  CompactEncrypt,
  compactDecrypt,
  decodeProtectedHeader,
  importPKCS8,
  importX509,
} from 'jose';
import { VmicError } from '../../errors/index.ts';
import { unwrapWithToken } from './token-unwrap.ts';

const ALGORITHMS = ['RSA-OAEP-256', 'ECDH-ES+A256KW'] as const;

/** RSA-OAEP-256 for RSA certificates, ECDH-ES+A256KW for EC ones (docs/design.md §8). */
export function wrapAlgorithmFor(certificatePem: string): (typeof ALGORITHMS)[number] {
  const type = new crypto.X509Certificate(certificatePem).publicKey.asymmetricKeyType;
  if (type === 'rsa') return 'RSA-OAEP-256';
  if (type === 'ec') return 'ECDH-ES+A256KW';
  throw new VmicError('WEAK_ALGORITHM', `cannot wrap a key for a ${type} certificate`, {
    rule: 'algorithm',
  });
}

/** Wraps the data key for the holder of the certificate's private key, as a compact JWE. */
export async function wrapDataKey(
  dataKey: Uint8Array,
  recipientCertificatePem: string,
): Promise<string> {
  const alg = wrapAlgorithmFor(recipientCertificatePem);
  const publicKey = await importX509(recipientCertificatePem, alg);
  return new CompactEncrypt(dataKey)
    .setProtectedHeader({ alg, enc: 'A256GCM', cty: 'vmic-data-key' })
    .encrypt(publicKey);
}

/** Unwraps with this site's key; any failure (another site's key, tampering) is KEY_UNWRAP_FAILED. */
export async function unwrapDataKey(
  jwe: string,
  siteKey: { pkcs8Pem: string } | { keyUri: string },
): Promise<Uint8Array> {
  try {
    const { alg } = decodeProtectedHeader(jwe);
    if (!ALGORITHMS.includes(alg as (typeof ALGORITHMS)[number]))
      throw new Error(`algorithm ${String(alg)} not allowed`);
    if ('keyUri' in siteKey) {
      const plaintext = await unwrapWithToken(jwe, siteKey.keyUri);
      if (plaintext.length !== 32) throw new Error('data key is not 32 bytes');
      return plaintext;
    }
    const key = await importPKCS8(siteKey.pkcs8Pem, alg as string);
    const { plaintext } = await compactDecrypt(jwe, key, {
      keyManagementAlgorithms: [...ALGORITHMS],
      contentEncryptionAlgorithms: ['A256GCM'],
    });
    if (plaintext.length !== 32) throw new Error('data key is not 32 bytes');
    return plaintext;
  } catch (e) {
    throw new VmicError(
      'KEY_UNWRAP_FAILED',
      'the data key cannot be unwrapped with this site key',
      { cause: e },
    );
  }
}
