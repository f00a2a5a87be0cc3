import { createHash, randomBytes } from 'node:crypto';
import { crypto, webcryptoFor, x509 } from './crypto-provider.ts';
import type { CryptoKey, CryptoKeyPair, RsaHashedKeyAlgorithm } from './crypto-provider.ts';
import { attributeTypeOid, formatDn, parseDn } from './dn.ts';
import type { DistinguishedName } from './dn.ts';
import { VmicError } from '../errors/index.ts';
import { PkiError } from './errors.ts';
import { ekuOid } from './extended-key-usage.ts';
import { describeSpki, exportPrivateKeyPkcs8, signingAlgorithm } from './keys.ts';
import type { HashName } from './keys.ts';

export interface CertificateInfo {
  der: Uint8Array;
  /** RFC 4514 (least significant RDN first) */
  subject: string;
  issuer: string;
  /** lower-case hex, no leading zero bytes */
  serialNumber: string;
  notBefore: Date;
  notAfter: Date;
  isCA: boolean;
  pathLength?: number;
  keyUsage: string[];
  /** OIDs */
  extKeyUsage: string[];
  publicKeyAlgorithm: string;
  fingerprintSha256: string;
}

/** RFC 5280 §4.2.1.3 bit names, as @peculiar/x509 names its flags. */
const KEY_USAGE_FLAGS: Record<string, number> = {
  digitalSignature: x509.KeyUsageFlags.digitalSignature,
  nonRepudiation: x509.KeyUsageFlags.nonRepudiation,
  keyEncipherment: x509.KeyUsageFlags.keyEncipherment,
  dataEncipherment: x509.KeyUsageFlags.dataEncipherment,
  keyAgreement: x509.KeyUsageFlags.keyAgreement,
  keyCertSign: x509.KeyUsageFlags.keyCertSign,
  cRLSign: x509.KeyUsageFlags.cRLSign,
  encipherOnly: x509.KeyUsageFlags.encipherOnly,
  decipherOnly: x509.KeyUsageFlags.decipherOnly,
};

export function normaliseSerial(hex: string): string {
  const s = hex.toLowerCase().replace(/[^0-9a-f]/g, '');
  return s.replace(/^(00)+(?=..)/, '') || '00';
}

/** Parses untrusted DER; any decoding failure is MALFORMED, never a crash further down. */
export function parseCertificate(der: Uint8Array): x509.X509Certificate {
  try {
    const cert = new x509.X509Certificate(der);
    void cert.subject;
    void cert.notAfter;
    return cert;
  } catch (cause) {
    throw new PkiError('MALFORMED', 'not a DER X.509 certificate', { cause });
  }
}

export function nameToDn(name: x509.Name): DistinguishedName {
  return name
    .toJSON()
    .map((rdn) =>
      Object.entries(rdn).flatMap(([type, values]) =>
        values.map((value) => ({ type: attributeTypeOid(type), value })),
      ),
    );
}

function dnToName(dn: string): x509.Name {
  const rdns = parseDn(dn);
  if (rdns.length === 0) throw new PkiError('BAD_REQUEST', 'empty distinguished name');
  return new x509.Name(
    rdns.map((rdn) => {
      const item: Record<string, string[]> = {};
      for (const a of rdn) (item[a.type] ??= []).push(a.value);
      return item;
    }),
  );
}

export function keyUsageNames(cert: x509.X509Certificate): string[] | undefined {
  const ext = cert.getExtension(x509.KeyUsagesExtension);
  if (ext === null) return undefined;
  return Object.entries(KEY_USAGE_FLAGS)
    .filter(([, flag]) => (ext.usages & flag) !== 0)
    .map(([name]) => name);
}

export function describeParsed(cert: x509.X509Certificate, der: Uint8Array): CertificateInfo {
  try {
    const bc = cert.getExtension(x509.BasicConstraintsExtension);
    const eku = cert.getExtension(x509.ExtendedKeyUsageExtension);
    const info: CertificateInfo = {
      der: new Uint8Array(der),
      subject: formatDn(nameToDn(cert.subjectName)),
      issuer: formatDn(nameToDn(cert.issuerName)),
      serialNumber: normaliseSerial(cert.serialNumber),
      notBefore: cert.notBefore,
      notAfter: cert.notAfter,
      isCA: bc?.ca ?? false,
      keyUsage: keyUsageNames(cert) ?? [],
      extKeyUsage: Array.from(eku?.usages ?? [], String),
      publicKeyAlgorithm: describeSpki(new Uint8Array(cert.publicKey.rawData)).name,
      fingerprintSha256: createHash('sha256').update(der).digest('hex'),
    };
    if (bc?.pathLength !== undefined) info.pathLength = bc.pathLength;
    return info;
  } catch (cause) {
    if (cause instanceof VmicError) throw cause;
    throw new PkiError('MALFORMED', 'certificate fields do not decode', { cause });
  }
}

export function describeCertificate(der: Uint8Array): CertificateInfo {
  return describeParsed(parseCertificate(der), der);
}

/** Positive 127-bit random serial (RFC 5280 §4.1.2.2: unique, ≤ 20 octets, positive). */
function randomSerial(): string {
  const b = randomBytes(16);
  b[0] = ((b[0] as number) & 0x7f) | 0x01;
  return b.toString('hex');
}

/**
 * WebCrypto binds the hash to an RSA key at import, so signing with another hash needs a
 * re-import; only needed for SHA-384 or for SHA-1 negative-test fixtures.
 */
export async function keyForHash(key: CryptoKey, hash: HashName): Promise<CryptoKey> {
  const bound = (key.algorithm as RsaHashedKeyAlgorithm).hash?.name;
  if (key.algorithm.name !== 'RSASSA-PKCS1-v1_5' || bound === hash) return key;
  const pkcs8 = await exportPrivateKeyPkcs8(key);
  return crypto.subtle.importKey('pkcs8', pkcs8, { name: key.algorithm.name, hash }, false, [
    'sign',
  ]);
}

export interface IssueCertificateOptions {
  subject: string;
  publicKey: CryptoKey;
  issuer?: { certificate: Uint8Array; privateKey: CryptoKey };
  signingKey?: CryptoKey;
  serialNumber?: string;
  notBefore: Date;
  notAfter: Date;
  ca?: { pathLength?: number };
  keyUsage: string[];
  extKeyUsage?: string[];
  signatureHash?: 'SHA-256' | 'SHA-384' | 'SHA-1';
}

function keyUsageFlags(names: string[]): number {
  let flags = 0;
  for (const n of names) {
    const flag = KEY_USAGE_FLAGS[n];
    if (flag === undefined) throw new PkiError('BAD_REQUEST', `unknown key usage ${n}`);
    flags |= flag;
  }
  return flags;
}

export async function issueCertificate(opts: IssueCertificateOptions): Promise<Uint8Array> {
  const issuerCert = opts.issuer ? parseCertificate(opts.issuer.certificate) : undefined;
  const signer = opts.issuer?.privateKey ?? opts.signingKey;
  if (signer === undefined) {
    throw new PkiError('BAD_REQUEST', 'issueCertificate needs an issuer or a signingKey');
  }
  const hash = opts.signatureHash ?? 'SHA-256';
  const subject = dnToName(opts.subject);
  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(opts.ca !== undefined, opts.ca?.pathLength, true),
    new x509.KeyUsagesExtension(keyUsageFlags(opts.keyUsage), true),
    await x509.SubjectKeyIdentifierExtension.create(opts.publicKey),
  ];
  const issuerSki = issuerCert?.getExtension(x509.SubjectKeyIdentifierExtension)?.keyId;
  extensions.push(
    issuerSki !== undefined
      ? new x509.AuthorityKeyIdentifierExtension(issuerSki)
      : await x509.AuthorityKeyIdentifierExtension.create(
          issuerCert ? issuerCert.publicKey : opts.publicKey,
        ),
  );
  if (opts.extKeyUsage !== undefined && opts.extKeyUsage.length > 0) {
    const ekus = opts.extKeyUsage.map(ekuOid);
    extensions.push(new x509.ExtendedKeyUsageExtension(ekus, false));
  }
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: opts.serialNumber ?? randomSerial(),
    subject,
    // The issuer's subject bytes are copied verbatim so name chaining is byte-exact.
    issuer: issuerCert ? issuerCert.subjectName : subject,
    notBefore: opts.notBefore,
    notAfter: opts.notAfter,
    publicKey: opts.publicKey,
    signingKey: await keyForHash(signer, hash),
    signingAlgorithm: signingAlgorithm(signer, hash),
    extensions,
  });
  return new Uint8Array(cert.rawData);
}

/** PKCS#10 request (RFC 2986) signed with SHA-256 by the requester's own key. */
export async function createCsr(opts: {
  subject: string;
  keys: CryptoKeyPair;
}): Promise<Uint8Array> {
  const csr = await x509.Pkcs10CertificateRequestGenerator.create(
    {
      name: dnToName(opts.subject),
      keys: opts.keys,
      signingAlgorithm: signingAlgorithm(opts.keys.privateKey, 'SHA-256'),
    },
    webcryptoFor(opts.keys.privateKey),
  );
  return new Uint8Array(csr.rawData);
}
