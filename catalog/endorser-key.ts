import crypto, { webcrypto } from 'node:crypto';
import { VmicError } from '../errors/index.ts';
import { signingAlgorithm } from '../pki/keys.ts';
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
