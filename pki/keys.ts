import { createPublicKey } from 'node:crypto';
import { crypto, pkijs } from './crypto-provider.ts';
import type { CryptoKey, CryptoKeyPair, SigningParams } from './crypto-provider.ts';
import type { webcrypto } from 'node:crypto';
import { PkiError } from './errors.ts';
import { pemToDers } from './pem.ts';

export type KeyAlgorithm = 'RSA-2048' | 'RSA-3072' | 'RSA-4096' | 'ECDSA-P256' | 'ECDSA-P384';
export type HashName = 'SHA-1' | 'SHA-256' | 'SHA-384' | 'SHA-512';

const OID_RSA = '1.2.840.113549.1.1.1';
const OID_EC = '1.2.840.10045.2.1';
const CURVES: Record<string, 'P-256' | 'P-384' | 'P-521'> = {
  '1.2.840.10045.3.1.7': 'P-256',
  '1.3.132.0.34': 'P-384',
  '1.3.132.0.35': 'P-521',
};

const RSA_SIGN = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' } as const;

export function keyGenParams(
  alg: KeyAlgorithm,
): webcrypto.RsaHashedKeyGenParams | webcrypto.EcKeyGenParams {
  switch (alg) {
    case 'RSA-2048':
    case 'RSA-3072':
    case 'RSA-4096':
      return {
        ...RSA_SIGN,
        modulusLength: Number(alg.slice(4)),
        publicExponent: new Uint8Array([1, 0, 1]),
      };
    case 'ECDSA-P256':
      return { name: 'ECDSA', namedCurve: 'P-256' };
    case 'ECDSA-P384':
      return { name: 'ECDSA', namedCurve: 'P-384' };
  }
}

/** Extractable, so the demo set-up and the key store can persist the private key. */
export async function generateKeyPair(alg: KeyAlgorithm): Promise<CryptoKeyPair> {
  return crypto.subtle.generateKey(keyGenParams(alg), true, ['sign', 'verify']);
}

export async function exportPrivateKeyPkcs8(key: CryptoKey): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.exportKey('pkcs8', key));
}

/**
 * Imports an unencrypted PKCS#8 key (DER or `PRIVATE KEY` PEM) as a signing key. The
 * algorithm comes from the PKCS#8 AlgorithmIdentifier (RFC 5208 §5), never from the
 * caller, so a key cannot be used under a different algorithm than it was made for.
 */
export async function importPrivateKey(pkcs8DerOrPem: Uint8Array | string): Promise<CryptoKey> {
  const der =
    typeof pkcs8DerOrPem === 'string' ? pemToDers(pkcs8DerOrPem, 'PRIVATE KEY')[0] : pkcs8DerOrPem;
  if (der === undefined) throw new PkiError('MALFORMED', 'no PRIVATE KEY block');
  let info: pkijs.PrivateKeyInfo;
  try {
    info = pkijs.PrivateKeyInfo.fromBER(der);
  } catch (cause) {
    throw new PkiError('MALFORMED', 'not a PKCS#8 private key', { cause });
  }
  const algOid = info.privateKeyAlgorithm.algorithmId;
  let params: webcrypto.RsaHashedImportParams | webcrypto.EcKeyImportParams;
  if (algOid === OID_RSA) {
    params = RSA_SIGN;
  } else if (algOid === OID_EC) {
    const curveOid = (info.privateKeyAlgorithm.algorithmParams as { valueBlock?: unknown })
      ?.valueBlock as { toString(): string } | undefined;
    const curve = curveOid ? CURVES[curveOid.toString()] : undefined;
    if (curve === undefined) throw new PkiError('WEAK_ALGORITHM', 'unsupported EC curve');
    params = { name: 'ECDSA', namedCurve: curve };
  } else {
    throw new PkiError('WEAK_ALGORITHM', `unsupported private key algorithm ${algOid}`);
  }
  try {
    return await crypto.subtle.importKey('pkcs8', der, params, true, ['sign']);
  } catch (cause) {
    throw new PkiError('MALFORMED', 'private key does not import', { cause });
  }
}

/**
 * The WebCrypto parameters to sign with `key` using `hash`. ECDSA keys carry no hash,
 * RSA keys carry the one they were imported with; both are overridden here.
 */
export function signingAlgorithm(key: CryptoKey, hash: HashName): SigningParams {
  if (key.algorithm.name === 'ECDSA') return { name: 'ECDSA', hash };
  if (key.algorithm.name === 'RSASSA-PKCS1-v1_5') return { name: 'RSASSA-PKCS1-v1_5', hash };
  throw new PkiError('WEAK_ALGORITHM', `unsupported signing key ${key.algorithm.name}`);
}

export interface PublicKeyDescription {
  kind: 'RSA' | 'EC' | 'other';
  bits?: number;
  curve?: string;
  /** `RSA-2048`, `ECDSA-P256`, ... or the key type for anything else */
  name: string;
}

export function describeSpki(spkiDer: Uint8Array): PublicKeyDescription {
  const key = createPublicKey({ key: Buffer.from(spkiDer), format: 'der', type: 'spki' });
  const details = key.asymmetricKeyDetails ?? {};
  if (key.asymmetricKeyType === 'rsa') {
    const bits = details.modulusLength;
    return { kind: 'RSA', ...(bits === undefined ? {} : { bits }), name: `RSA-${bits}` };
  }
  if (key.asymmetricKeyType === 'ec') {
    const curve = { prime256v1: 'P-256', secp384r1: 'P-384', secp521r1: 'P-521' }[
      details.namedCurve ?? ''
    ];
    const named = curve ?? details.namedCurve;
    return {
      kind: 'EC',
      ...(named === undefined ? {} : { curve: named }),
      name: `ECDSA-${(curve ?? details.namedCurve ?? '?').replace('-', '')}`,
    };
  }
  return { kind: 'other', name: key.asymmetricKeyType ?? 'unknown' };
}
