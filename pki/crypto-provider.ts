import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import * as pkijs from 'pkijs';

// The project compiles without the DOM lib, so the WebCrypto types come from node.
export type CryptoKey = webcrypto.CryptoKey;
export type CryptoKeyPair = webcrypto.CryptoKeyPair;
export type RsaHashedKeyAlgorithm = webcrypto.RsaHashedKeyAlgorithm;
export type EcKeyAlgorithm = webcrypto.EcKeyAlgorithm;
export type SigningParams = webcrypto.RsaHashedImportParams | webcrypto.EcdsaParams;

/**
 * One place binds both libraries to node's WebCrypto, so every signature in pki/ goes
 * through the same implementation (no polyfills, no global `crypto` lookup).
 */
export const crypto = webcrypto;

x509.cryptoProvider.set(webcrypto as never);
pkijs.setEngine(
  'node-webcrypto',
  new pkijs.CryptoEngine({ name: 'node-webcrypto', crypto: webcrypto as never }),
);

/**
 * Keys held in a PKCS#11 token are CryptoKeys of another WebCrypto implementation (the
 * token's, node-webcrypto-p11): whatever signs with one must go through that
 * implementation, never node's (which cannot use it). Bound once when the key is loaded.
 */
interface KeyHome {
  engine: pkijs.ICryptoEngine;
  /** The WebCrypto object (`subtle`) @peculiar/x509 signs with. */
  crypto: object;
}
const HOMES = new WeakMap<object, KeyHome>();

export function bindEngine(key: CryptoKey, home: KeyHome): void {
  HOMES.set(key, home);
}

/** The pkijs engine that can use `key`: its token's, else node's. */
export function engineFor(key: CryptoKey): pkijs.ICryptoEngine {
  return HOMES.get(key)?.engine ?? pkijs.getEngine().crypto!;
}

/** The WebCrypto that can use `key`, for @peculiar/x509: its token's, else node's. */
export function webcryptoFor(key: CryptoKey): webcrypto.Crypto {
  return (HOMES.get(key)?.crypto as webcrypto.Crypto | undefined) ?? webcrypto;
}

export { x509, pkijs };
