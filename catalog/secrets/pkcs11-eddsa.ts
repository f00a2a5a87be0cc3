import { createPublicKey, randomBytes, type KeyObject } from 'node:crypto';
import type * as graphene from 'graphene-pk11';
import { VmicError } from '../../errors/index.ts';
import { formatPkcs11Uri, parsePkcs11Uri, type Pkcs11Uri } from '../../pki/pkcs11-uri.ts';
import { openToken } from './pkcs11-token.ts';

/**
 * Ed25519 keys in a PKCS#11 token (the log and witness note keys, catalog/log/log-key.ts),
 * named by an RFC 7512 URI like the endorser keys of pkcs11-token.ts, whose logged-in
 * token this reuses (module and PIN from the configuration, never the command line).
 * node-webcrypto-p11 knows no EdDSA, so the PKCS#11 calls are made here with the v3.0
 * constants. The private half is made sensitive and never extractable: it signs in the
 * token and never leaves it (threat: a copied database or host yielding the key that
 * vouches for the log, or cosigns others' logs).
 */
const CKO_PUBLIC_KEY = 2;
const CKO_PRIVATE_KEY = 3;
const CKK_EC_EDWARDS = 0x40;
const CKM_EC_EDWARDS_KEY_PAIR_GEN = 0x1055;
const CKM_EDDSA = 0x1057;
const CKA = {
  CLASS: 0x0,
  TOKEN: 0x1,
  PRIVATE: 0x2,
  LABEL: 0x3,
  KEY_TYPE: 0x100,
  ID: 0x102,
  SENSITIVE: 0x103,
  ENCRYPT: 0x104,
  DECRYPT: 0x105,
  WRAP: 0x106,
  UNWRAP: 0x107,
  SIGN: 0x108,
  SIGN_RECOVER: 0x109,
  VERIFY: 0x10a,
  DERIVE: 0x10c,
  EXTRACTABLE: 0x162,
  EC_PARAMS: 0x180,
  EC_POINT: 0x181,
} as const;

/**
 * The curve, as CKA_EC_PARAMS: the DER OID id-Ed25519 (1.3.101.112, RFC 8410) or, for
 * tokens that only know PKCS#11 v3.0's first form, the PrintableString "edwards25519".
 */
const EC_PARAMS_FORMS = [
  Buffer.from('06032b6570', 'hex'),
  Buffer.concat([Buffer.from('130c', 'hex'), Buffer.from('edwards25519', 'ascii')]),
];
/** SubjectPublicKeyInfo of an Ed25519 key, before its 32 raw bytes (RFC 8410). */
const SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

export interface TokenEd25519 {
  publicKey: KeyObject;
  /** The Ed25519 signature (64 bytes) of `message`, made in the token. */
  sign: (message: Uint8Array) => Buffer;
}

type Session = graphene.Session;
type Template = { type: number; value?: number | boolean | string | Buffer }[];

/**
 * A session of its own on the token's slot (already logged in: PKCS#11 logs the whole
 * application in): the WebCrypto provider's session may be in an asynchronous operation
 * of an endorser key, and a second C_SignInit on it would fail with CKR_OPERATION_ACTIVE.
 */
const SESSIONS = new WeakMap<Session, Session>();

function session(uri: Pkcs11Uri, env: NodeJS.ProcessEnv): Session {
  const shared = openToken(uri, env).crypto.session;
  let own = SESSIONS.get(shared);
  if (!own) {
    // SERIAL_SESSION (4) | RW_SESSION (2): RW to create token objects.
    own = shared.slot.open(4 | 2);
    SESSIONS.set(shared, own);
  }
  return own;
}

function find(s: Session, template: Template): Buffer[] {
  const { lib, handle } = s;
  lib.C_FindObjectsInit(handle, template);
  try {
    return lib.C_FindObjects(handle, 16);
  } finally {
    lib.C_FindObjectsFinal(handle);
  }
}

function keyUri(text: string): Pkcs11Uri {
  const uri = parsePkcs11Uri(text);
  if (uri.type !== undefined && uri.type !== 'private')
    throw new VmicError('BAD_REQUEST', `a signing key's URI names type=private, not ${uri.type}`);
  if (uri.object === undefined && uri.id === undefined)
    throw new VmicError('BAD_REQUEST', 'the URI must name the key: object=LABEL (or id=)');
  return uri;
}

function naming(uri: Pkcs11Uri): Template {
  return [
    ...(uri.object !== undefined ? [{ type: CKA.LABEL, value: uri.object }] : []),
    ...(uri.id !== undefined ? [{ type: CKA.ID, value: Buffer.from(uri.id) }] : []),
  ];
}

/** The one object of `cls` the URI names; two are refused (threat: a key the URI did not mean). */
function one(s: Session, uri: Pkcs11Uri, cls: number, what: string): Buffer {
  const found = find(s, [
    { type: CKA.CLASS, value: cls },
    { type: CKA.KEY_TYPE, value: CKK_EC_EDWARDS },
    ...naming(uri),
  ]);
  if (found.length === 0)
    throw new VmicError(
      'NOT_FOUND',
      `no Ed25519 ${what} in the token matches ${formatPkcs11Uri(uri)}`,
    );
  if (found.length > 1)
    throw new VmicError(
      'CONFLICT',
      `${found.length} Ed25519 ${what}s in the token match ${formatPkcs11Uri(uri)}: name it by id= too`,
    );
  return found[0]!;
}

/** CKA_EC_POINT: a DER OCTET STRING around the 32 bytes (PKCS#11 v3.0), or the bytes raw. */
function rawPoint(point: Buffer): Buffer {
  if (point.length === 34 && point[0] === 0x04 && point[1] === 0x20) return point.subarray(2);
  if (point.length === 32) return point;
  throw new VmicError('BAD_REQUEST', `the token's CKA_EC_POINT is not an Ed25519 key`);
}

/** The Ed25519 key pair the URI names, signing with CKM_EDDSA (pure Ed25519) in the token. */
export function tokenEd25519(uriText: string, env: NodeJS.ProcessEnv = process.env): TokenEd25519 {
  const uri = keyUri(uriText);
  const s = session(uri, env);
  const priv = one(s, uri, CKO_PRIVATE_KEY, 'private key');
  const pub = one(s, uri, CKO_PUBLIC_KEY, 'public key');
  const [attr] = s.lib.C_GetAttributeValue(s.handle, pub, [{ type: CKA.EC_POINT }]);
  const publicKey = createPublicKey({
    key: Buffer.concat([SPKI_PREFIX, rawPoint(attr!.value)]),
    format: 'der',
    type: 'spki',
  });
  return {
    publicKey,
    sign: (message: Uint8Array): Buffer => {
      // Init and sign in one synchronous turn: nothing else runs on the session between.
      try {
        s.lib.C_SignInit(s.handle, { mechanism: CKM_EDDSA }, priv);
        return Buffer.from(s.lib.C_Sign(s.handle, Buffer.from(message), Buffer.alloc(64)));
      } catch (e) {
        throw tokenError(e);
      }
    },
  };
}

/**
 * Makes an Ed25519 key pair in the token, both halves labelled `object` with a fresh
 * random CKA_ID (unless the URI gives one); returns the private key's full URI. Refuses a
 * label already used by any object (threat: two keys one URI could mean).
 */
export function generateTokenEd25519(
  uriText: string,
  env: NodeJS.ProcessEnv = process.env,
): { uri: string; publicKey: KeyObject } {
  const uri = keyUri(uriText);
  if (uri.object === undefined)
    throw new VmicError('BAD_REQUEST', 'the URI must name the key: object=LABEL');
  const s = session(uri, env);
  if (find(s, [{ type: CKA.LABEL, value: uri.object }]).length > 0)
    throw new VmicError('CONFLICT', `the token already holds an object named ${uri.object}`);
  const id = Buffer.from(uri.id ?? randomBytes(16));
  const common: Template = [
    { type: CKA.TOKEN, value: true },
    { type: CKA.LABEL, value: uri.object },
    { type: CKA.ID, value: id },
    { type: CKA.KEY_TYPE, value: CKK_EC_EDWARDS },
  ];
  const privateTemplate: Template = [
    ...common,
    { type: CKA.CLASS, value: CKO_PRIVATE_KEY },
    { type: CKA.PRIVATE, value: true },
    { type: CKA.SENSITIVE, value: true },
    { type: CKA.EXTRACTABLE, value: false },
    { type: CKA.SIGN, value: true },
    // Signing only, said explicitly: SoftHSM2 defaults a private key to decrypt and unwrap
    // too (threat: the log key used as an oracle for something else).
    { type: CKA.SIGN_RECOVER, value: false },
    { type: CKA.DECRYPT, value: false },
    { type: CKA.UNWRAP, value: false },
    { type: CKA.DERIVE, value: false },
  ];
  let lastError: unknown;
  for (const params of EC_PARAMS_FORMS) {
    const publicTemplate: Template = [
      ...common,
      { type: CKA.CLASS, value: CKO_PUBLIC_KEY },
      { type: CKA.PRIVATE, value: false },
      { type: CKA.VERIFY, value: true },
      { type: CKA.ENCRYPT, value: false },
      { type: CKA.WRAP, value: false },
      { type: CKA.EC_PARAMS, value: params },
    ];
    try {
      s.lib.C_GenerateKeyPair(
        s.handle,
        { mechanism: CKM_EC_EDWARDS_KEY_PAIR_GEN },
        publicTemplate,
        privateTemplate,
      );
      const full = formatPkcs11Uri({ ...uri, id, type: 'private' });
      return { uri: full, publicKey: tokenEd25519(full, env).publicKey };
    } catch (e) {
      // A token that knows only the other form of the curve's name refuses this one.
      if (
        !/CKR_(CURVE_NOT_SUPPORTED|ATTRIBUTE_VALUE_INVALID|DOMAIN_PARAMS_INVALID)/.test(String(e))
      )
        throw tokenError(e);
      lastError = e;
    }
  }
  throw tokenError(lastError);
}

function tokenError(e: unknown): VmicError {
  if (e instanceof VmicError) return e;
  const m = e instanceof Error ? e.message : String(e);
  return new VmicError(
    'BAD_REQUEST',
    /CKR_MECHANISM_INVALID/.test(m)
      ? `the token cannot make Ed25519 keys (CKM_EC_EDWARDS_KEY_PAIR_GEN): ${m}`
      : `PKCS#11: ${m}`,
  );
}
