import fs from 'node:fs';
import { randomBytes } from 'node:crypto';
import * as graphene from 'graphene-pk11';
import { Crypto as P11Crypto } from 'node-webcrypto-p11';
import { VmicError } from '../../errors/index.ts';
import {
  bindEngine,
  pkijs,
  type CryptoKey,
  type CryptoKeyPair,
} from '../../pki/crypto-provider.ts';
import { keyGenParams, type KeyAlgorithm } from '../../pki/keys.ts';
import { formatPkcs11Uri, parsePkcs11Uri, type Pkcs11Uri } from '../../pki/pkcs11-uri.ts';

/**
 * Signing keys held in a PKCS#11 token (an HSM, a smart card, SoftHSM2), named by an
 * RFC 7512 URI. The module and the PIN come from the configuration, never the command
 * line (threat: a PIN in shell history or `ps`): `$VMIC_PKCS11_MODULE` (or the URI's
 * `module-path`), `$VMIC_PKCS11_PIN` or `$VMIC_PKCS11_PIN_FILE`. Keys made here are
 * sensitive and never extractable: they are used in the token and never leave it.
 * One logged-in session per module and token for the process.
 */
export interface TokenConfig {
  module: string;
  pin: string | undefined;
}

export function tokenConfig(uri: Pkcs11Uri, env: NodeJS.ProcessEnv = process.env): TokenConfig {
  const module = uri.modulePath ?? env.VMIC_PKCS11_MODULE;
  if (!module)
    throw new VmicError(
      'BAD_REQUEST',
      'no PKCS#11 module: set $VMIC_PKCS11_MODULE (e.g. /usr/lib/softhsm/libsofthsm2.so) or module-path in the URI',
    );
  let pin = env.VMIC_PKCS11_PIN;
  if (pin === undefined && env.VMIC_PKCS11_PIN_FILE) {
    try {
      pin = fs.readFileSync(env.VMIC_PKCS11_PIN_FILE, 'utf8').replace(/\r?\n$/, '');
    } catch (e) {
      throw new VmicError('BAD_REQUEST', `$VMIC_PKCS11_PIN_FILE: ${(e as Error).message}`);
    }
  }
  return { module, pin };
}

interface OpenToken {
  crypto: P11Crypto;
  engine: pkijs.ICryptoEngine;
}

const OPEN = new Map<string, OpenToken>();

/** The logged-in token the URI names (by token label, serial, slot id), opened once. */
export function openToken(uri: Pkcs11Uri, env: NodeJS.ProcessEnv = process.env): OpenToken {
  const cfg = tokenConfig(uri, env);
  // Slot ids change as tokens come and go (SoftHSM2 reassigns them): tokens are named.
  if (uri.slotId !== undefined)
    throw new VmicError('BAD_REQUEST', 'name the token by token= (and serial=), not slot-id');
  const cacheKey = JSON.stringify([cfg.module, uri.token, uri.serial]);
  const held = OPEN.get(cacheKey);
  if (held) return held;
  let mod: graphene.Module;
  try {
    mod = graphene.Module.load(cfg.module);
    try {
      mod.initialize();
    } catch (e) {
      // Another token of the same module in this process already initialised it.
      if (!/CKR_CRYPTOKI_ALREADY_INITIALIZED/.test(String(e))) throw e;
    }
  } catch (e) {
    throw new VmicError('BAD_REQUEST', `PKCS#11 module ${cfg.module}: ${(e as Error).message}`);
  }
  const slots = mod.getSlots(true);
  let slot: graphene.Slot | undefined;
  for (let i = 0; i < slots.length; i++) {
    const s = slots.items(i);
    const t = s.getToken();
    if (uri.token !== undefined && t.label.trim() !== uri.token) continue;
    if (uri.serial !== undefined && t.serialNumber.trim() !== uri.serial) continue;
    slot = s;
    break;
  }
  if (!slot) throw new VmicError('NOT_FOUND', `no PKCS#11 token matches ${formatPkcs11Uri(uri)}`);
  const session = slot.open(graphene.SessionFlag.SERIAL_SESSION | graphene.SessionFlag.RW_SESSION);
  const needsLogin = (slot.getToken().flags & graphene.TokenFlag.LOGIN_REQUIRED) !== 0;
  if (needsLogin) {
    if (cfg.pin === undefined)
      throw new VmicError(
        'BAD_REQUEST',
        `the token ${uri.token ?? ''} needs a PIN: set $VMIC_PKCS11_PIN or $VMIC_PKCS11_PIN_FILE`,
      );
    try {
      session.login(cfg.pin);
    } catch (e) {
      if (!/CKR_USER_ALREADY_LOGGED_IN/.test(String(e)))
        throw new VmicError('KEY_UNWRAP_FAILED', `PKCS#11 login refused: ${(e as Error).message}`);
    }
  }
  const crypto = new P11Crypto({ session });
  crypto.isLoggedIn = true;
  const engine = new pkijs.CryptoEngine({ name: 'pkcs11', crypto: crypto as never });
  const opened = { crypto, engine };
  OPEN.set(cacheKey, opened);
  return opened;
}

/** How a private key is loaded: to sign (the default), or to receive a wrapped key. */
export type KeyUse = 'sign' | 'RSA-OAEP' | 'ECDH';

/** The private key (and its public half, if the token holds one) the URI names. */
export async function tokenKey(
  uriText: string,
  env: NodeJS.ProcessEnv = process.env,
  use: KeyUse = 'sign',
): Promise<{ privateKey: CryptoKey; publicKey: CryptoKey | undefined }> {
  const uri = keyUri(uriText);
  const { crypto, engine } = openToken(uri, env);
  const want = (index: string, kind: 'private' | 'public') => index.startsWith(`${kind}-`);
  const idHex = uri.id ? Buffer.from(uri.id).toString('hex') : undefined;
  const found: Record<'private' | 'public', CryptoKey | undefined> = {
    private: undefined,
    public: undefined,
  };
  for (const index of await crypto.keyStorage.keys()) {
    const kind = want(index, 'private') ? 'private' : want(index, 'public') ? 'public' : undefined;
    if (!kind || found[kind]) continue;
    if (idHex !== undefined && !index.endsWith(`-${idHex}`)) continue;
    let key: P11Key;
    try {
      key = (await crypto.keyStorage.getItem(index)) as unknown as P11Key;
    } catch (e) {
      // A key WebCrypto has no algorithm for (an Ed25519 log or witness key,
      // pkcs11-eddsa.ts) is never an endorser's or a site's: skipped, not fatal.
      if (/Unsupported type of key/.test(String(e))) continue;
      throw e;
    }
    if (uri.object !== undefined && key.algorithm.label !== uri.object) continue;
    // An RSA key is loaded for PKCS#1 v1.5 signatures with SHA-256, the one RSA scheme
    // vmic signs with (or RSA-OAEP-256, to unwrap); an EC key keeps its curve (as ECDH to
    // derive).
    const alg = loadAs(key.algorithm, use);
    if (alg)
      key = (await crypto.keyStorage.getItem(
        index,
        alg as never,
        kind === 'public', // a public key may be exported (a CSR, a certificate)
        kind === 'public'
          ? use === 'sign'
            ? ['verify']
            : []
          : use === 'sign'
            ? ['sign']
            : use === 'ECDH'
              ? ['deriveBits']
              : ['decrypt'],
      )) as unknown as P11Key;
    found[kind] = key as unknown as CryptoKey;
  }
  if (!found.private)
    throw new VmicError('NOT_FOUND', `no private key in the token matches ${uriText}`);
  bindEngine(found.private, { engine, crypto });
  if (found.public) bindEngine(found.public, { engine, crypto });
  return { privateKey: found.private, publicKey: found.public };
}

interface P11Key {
  algorithm: { name: string; label?: string; namedCurve?: string };
}

function loadAs(found: P11Key['algorithm'], use: KeyUse): object | undefined {
  const rsa = found.name.startsWith('RSA');
  if (use === 'sign') return rsa ? { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' } : undefined;
  if (use === 'RSA-OAEP') {
    if (!rsa) throw new VmicError('KEY_UNWRAP_FAILED', 'RSA-OAEP-256 needs an RSA key');
    return { name: 'RSA-OAEP', hash: 'SHA-256' };
  }
  if (rsa) throw new VmicError('KEY_UNWRAP_FAILED', 'ECDH-ES needs an EC key');
  return { name: 'ECDH', namedCurve: found.namedCurve };
}

/**
 * What a key made here may do: an endorser's key only signs; a site identity's also
 * receives wrapped data keys (RSA-OAEP decryption, or ECDH derivation for EC keys), as
 * the site certificate does for migrations (docs/design.md §8).
 */
export type KeyPurpose = 'endorser' | 'site';

/**
 * Makes a key pair in the token: private half sensitive and not extractable, both
 * labelled `object` with a fresh random CKA_ID (unless the URI gives one). Refuses a
 * label already used (threat: two keys one URI could mean).
 */
export async function generateTokenKey(
  uriText: string,
  alg: KeyAlgorithm,
  env: NodeJS.ProcessEnv = process.env,
  purpose: KeyPurpose = 'endorser',
): Promise<CryptoKeyPair & { uri: string }> {
  const uri = keyUri(uriText);
  if (!uri.object) throw new VmicError('BAD_REQUEST', 'the URI must name the key: object=LABEL');
  const existing = await tokenKey(uriText, env).catch(() => undefined);
  if (existing)
    throw new VmicError('CONFLICT', `the token already holds a key named ${uri.object}`);
  const { crypto, engine } = openToken(uri, env);
  const id = uri.id ?? randomBytes(16);
  const params = {
    ...keyGenParams(alg),
    label: uri.object,
    id: Buffer.from(id),
    token: true,
    sensitive: true,
    extractable: false,
  };
  const base = crypto.templateBuilder;
  if (purpose === 'site')
    // WebCrypto names one use per key; PKCS#11 lets one private key both sign and decrypt
    // (or derive), which a site identity's single certificate needs.
    crypto.templateBuilder = {
      build(p) {
        const t = base.build(p);
        if (p.type === 'private') {
          t.sign = true;
          if (alg.startsWith('RSA')) t.decrypt = true;
          else t.derive = true;
        }
        if (p.type === 'public' && alg.startsWith('RSA')) t.encrypt = true;
        return t;
      },
    };
  let kp: CryptoKeyPair;
  try {
    kp = (await crypto.subtle.generateKey(params as never, false, [
      'sign',
      'verify',
    ])) as unknown as CryptoKeyPair;
  } finally {
    crypto.templateBuilder = base;
  }
  bindEngine(kp.privateKey, { engine, crypto });
  bindEngine(kp.publicKey, { engine, crypto });
  return { ...kp, uri: formatPkcs11Uri({ ...uri, id, type: 'private' }) };
}

function keyUri(text: string): Pkcs11Uri {
  const uri = parsePkcs11Uri(text);
  if (uri.type !== undefined && uri.type !== 'private')
    throw new VmicError('BAD_REQUEST', `a signing key's URI names type=private, not ${uri.type}`);
  return uri;
}
