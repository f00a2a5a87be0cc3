import crypto from 'node:crypto';
import { webcryptoFor } from '../../pki/crypto-provider.ts';
import { tokenKey } from '../secrets/pkcs11-token.ts';

/**
 * Unwraps a migration's data key (a compact JWE, RFC 7516) with a site key held in a
 * PKCS#11 token. jose, which wraps and unwraps everywhere else, does its key management
 * through the process's own WebCrypto and cannot use a key that lives in a token; so the
 * key management step happens here, in the token (RSA-OAEP-256 decryption, or ECDH-ES
 * derivation with Concat KDF and AES key unwrap, RFC 7518 §4.3 and §4.6), and the content
 * (A256GCM) is decrypted with node's crypto. Only the two algorithms vmic wraps with are
 * read (docs/design.md §8); the caller maps every failure to KEY_UNWRAP_FAILED.
 */
const b64u = (s: string): Buffer => {
  if (!/^[A-Za-z0-9_-]*$/.test(s)) throw new Error('not base64url');
  return Buffer.from(s, 'base64url');
};

export async function unwrapWithToken(jwe: string, keyUri: string): Promise<Uint8Array> {
  const parts = jwe.split('.');
  if (parts.length !== 5) throw new Error('not a compact JWE');
  const [h, ek, iv, ct, tag] = parts as [string, string, string, string, string];
  const header = JSON.parse(b64u(h).toString('utf8')) as {
    alg?: string;
    enc?: string;
    epk?: crypto.JsonWebKey;
    apu?: string;
    apv?: string;
  };
  if (header.enc !== 'A256GCM')
    throw new Error(`content encryption ${String(header.enc)} not allowed`);
  let cek: Buffer;
  if (header.alg === 'RSA-OAEP-256') {
    const { privateKey } = await tokenKey(keyUri, process.env, 'RSA-OAEP');
    cek = Buffer.from(
      await webcryptoFor(privateKey).subtle.decrypt({ name: 'RSA-OAEP' }, privateKey, b64u(ek)),
    );
  } else if (header.alg === 'ECDH-ES+A256KW') {
    const { privateKey } = await tokenKey(keyUri, process.env, 'ECDH');
    const subtle = webcryptoFor(privateKey).subtle;
    const epk = header.epk;
    const curve = (privateKey.algorithm as { namedCurve?: string }).namedCurve;
    if (!epk || epk.kty !== 'EC' || epk.crv !== curve) throw new Error('no usable epk');
    // The sender's ephemeral key, checked on the curve by node before the token sees it.
    const spki = crypto
      .createPublicKey({
        key: { kty: 'EC', crv: curve!, x: epk.x ?? '', y: epk.y ?? '' },
        format: 'jwk',
      })
      .export({ type: 'spki', format: 'der' });
    const pub = await subtle.importKey(
      'spki',
      spki,
      { name: 'ECDH', namedCurve: curve! },
      true,
      [],
    );
    const bits = curve === 'P-384' ? 384 : curve === 'P-521' ? 528 : 256;
    const z = Buffer.from(
      await subtle.deriveBits({ name: 'ECDH', public: pub } as never, privateKey, bits),
    );
    const kek = concatKdf(z, 'ECDH-ES+A256KW', header.apu, header.apv);
    const d = crypto.createDecipheriv(
      'id-aes256-wrap',
      kek,
      Buffer.from('A6A6A6A6A6A6A6A6', 'hex'),
    );
    cek = Buffer.concat([d.update(b64u(ek)), d.final()]);
  } else throw new Error(`algorithm ${String(header.alg)} not allowed`);
  if (cek.length !== 32) throw new Error('the content key is not 32 bytes');
  const gcm = crypto.createDecipheriv('aes-256-gcm', cek, b64u(iv));
  gcm.setAAD(Buffer.from(h, 'ascii'));
  gcm.setAuthTag(b64u(tag));
  return new Uint8Array(Buffer.concat([gcm.update(b64u(ct)), gcm.final()]));
}

/** NIST SP 800-56A Concat KDF as RFC 7518 §4.6.2 uses it, for a 256-bit key (one round). */
function concatKdf(z: Buffer, alg: string, apu?: string, apv?: string): Buffer {
  const lenPrefixed = (b: Buffer) => {
    const l = Buffer.alloc(4);
    l.writeUInt32BE(b.length);
    return Buffer.concat([l, b]);
  };
  const round = Buffer.alloc(4);
  round.writeUInt32BE(1);
  const keyBits = Buffer.alloc(4);
  keyBits.writeUInt32BE(256);
  return crypto
    .createHash('sha256')
    .update(round)
    .update(z)
    .update(lenPrefixed(Buffer.from(alg, 'ascii')))
    .update(lenPrefixed(apu ? b64u(apu) : Buffer.alloc(0)))
    .update(lenPrefixed(apv ? b64u(apv) : Buffer.alloc(0)))
    .update(keyBits)
    .digest();
}
