import crypto, { webcrypto } from 'node:crypto';
import { VmicError } from '../errors/index.ts';
import { describeCertificate, importPrivateKey, pemToDers } from '../pki/index.ts';
import { signingAlgorithm } from '../pki/keys.ts';
import type { Instance } from './instance.ts';
import { seal } from './secrets/sealed-box.ts';
import { webcryptoFor, type CryptoKey } from '../pki/crypto-provider.ts';
import { formatPkcs11Uri, parsePkcs11Uri } from '../pki/pkcs11-uri.ts';
import { tokenKey } from './secrets/pkcs11-token.ts';

/**
 * Proves that the key a PKCS#11 URI names is the private half of `certificate`: the token
 * signs a fresh challenge and the certificate's public key verifies it (threat: an
 * endorser registered with a token key that signs catalogs no site could verify, or
 * another endorser's key). Returns the URI in canonical form, to be stored.
 */
export async function tokenKeyForCertificate(
  uriText: string,
  certificate: Uint8Array,
  env: NodeJS.ProcessEnv = process.env,
): Promise<string> {
  let canonical: string;
  try {
    canonical = formatPkcs11Uri(parsePkcs11Uri(uriText));
  } catch (e) {
    throw new VmicError('BAD_REQUEST', `--pkcs11: ${(e as Error).message}`, { cause: e });
  }
  const { privateKey } = await tokenKey(canonical, env);
  const challenge = crypto.randomBytes(32);
  const alg = signingAlgorithm(privateKey, 'SHA-256');
  const sig = await webcryptoFor(privateKey).subtle.sign(alg, privateKey, challenge);
  const spki = new crypto.X509Certificate(certificate).publicKey.export({
    type: 'spki',
    format: 'der',
  });
  const importAlg =
    alg.name === 'ECDSA'
      ? { name: 'ECDSA', namedCurve: (privateKey.algorithm as webcrypto.EcKeyAlgorithm).namedCurve }
      : { name: alg.name, hash: 'SHA-256' };
  let ok = false;
  try {
    const pub = await webcrypto.subtle.importKey('spki', spki, importAlg, false, ['verify']);
    ok = await webcrypto.subtle.verify(alg, pub, sig, challenge);
  } catch {
    ok = false;
  }
  if (!ok) throw new VmicError('BAD_REQUEST', 'the token key does not belong to the certificate');
  return canonical;
}

/** The signing key of an endorser whose key is in a token. */
export async function endorserTokenKey(uri: string): Promise<CryptoKey> {
  return (await tokenKey(uri)).privateKey;
}

const MAX_PEM_CHARS = 256 * 1024;

export function sealingContext(name: string): string {
  return `vmic endorser key:${name}`;
}

/** What `endorser add` and `endorser rotate` are given: a certificate and its key, one way. */
export interface EndorserCredentialInput {
  certificatePem: string;
  /** The private key, sealed with the master key; or `pkcs11`, a key held in a token. */
  keyPem?: string | undefined;
  pkcs11?: string | undefined;
  chainPem?: string | undefined;
}

/**
 * An endorser's certificate, chain and key, checked: the certificate may sign (not a CA,
 * digitalSignature), the key is its private half (a key file, sealed here with the master
 * key, or a token key proved by a signature), and nothing is larger than a PEM should be.
 */
export async function endorserCredential(
  inst: Instance,
  name: string,
  input: EndorserCredentialInput,
) {
  for (const [what, text] of [
    ['certificate', input.certificatePem],
    ['key', input.keyPem ?? ''],
    ['chain', input.chainPem ?? ''],
  ] as const) {
    if (text.length > MAX_PEM_CHARS) throw new VmicError('TOO_LARGE', `${what} file is too large`);
  }
  const certs = pemToDers(input.certificatePem, 'CERTIFICATE');
  if (certs.length === 0)
    throw new VmicError('MALFORMED', 'no CERTIFICATE block in the certificate file');
  // A file may carry the leaf followed by its chain (the usual "fullchain" layout).
  const [leaf, ...rest] = certs as [Uint8Array, ...Uint8Array[]];
  const chain = [...rest, ...(input.chainPem ? pemToDers(input.chainPem, 'CERTIFICATE') : [])];
  const info = describeCertificate(leaf);
  if (info.isCA)
    throw new VmicError('KEY_USAGE', 'an endorser certificate must not be a CA certificate', {
      rule: 'basicConstraints.cA',
    });
  if (info.keyUsage.length > 0 && !info.keyUsage.includes('digitalSignature')) {
    throw new VmicError('KEY_USAGE', 'the endorser certificate does not allow digitalSignature', {
      rule: 'keyUsage.digitalSignature',
    });
  }
  if ((input.keyPem === undefined) === (input.pkcs11 === undefined))
    throw new VmicError(
      'BAD_REQUEST',
      'give the endorser key as a file or as a PKCS#11 URI, one of them',
    );
  let sealedKey: Uint8Array = new Uint8Array(0);
  let keyUri: string | null = null;
  if (input.keyPem !== undefined) {
    const pkcs8 = privateKeyMatching(input.keyPem, leaf);
    await importPrivateKey(pkcs8); // refuses key types that cannot sign catalogs
    sealedKey = seal(inst.keys.sealing, pkcs8, sealingContext(name));
    pkcs8.fill(0);
  } else keyUri = await tokenKeyForCertificate(input.pkcs11!, leaf);
  return { leaf, chain, info, sealedKey, keyUri };
}

/** Checks that the key file holds the private half of the certificate's key; returns PKCS#8 DER. */
export function privateKeyMatching(keyPem: string, certificate: Uint8Array): Buffer {
  let key: crypto.KeyObject;
  try {
    key = crypto.createPrivateKey({ key: keyPem, format: 'pem' });
  } catch (e) {
    throw new VmicError('MALFORMED', 'the key file is not an unencrypted PEM private key', {
      cause: e,
    });
  }
  const fromKey = crypto.createPublicKey(key).export({ type: 'spki', format: 'der' });
  const fromCert = new crypto.X509Certificate(certificate).publicKey.export({
    type: 'spki',
    format: 'der',
  });
  // Public keys are not secret: a plain comparison is fine here.
  if (!fromKey.equals(fromCert)) {
    throw new VmicError('BAD_REQUEST', 'the private key does not belong to the certificate');
  }
  return key.export({ type: 'pkcs8', format: 'der' });
}
