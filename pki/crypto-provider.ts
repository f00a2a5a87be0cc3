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

export { x509, pkijs };
