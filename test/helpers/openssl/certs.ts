/**
 * Certificates made by `openssl req -x509` (self-signed) and `openssl x509 -req` (issued
 * by a CA file pair), not by vmic's PKI code: endorser identities, small CAs, site and
 * IdP certificates. For a CA with an index, serials and CRLs, see `ca.ts`.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { describeCertificate } from '../../../pki/index.ts';
import { opensslOk, readCertDer } from './run.ts';

export type KeyAlg = 'rsa' | 'ec';

/** A fresh key with the request: RSA 2048 or EC P-256, unencrypted, SHA-256. */
function newKeyArgs(alg: KeyAlg): string[] {
  return alg === 'ec'
    ? ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-sha256']
    : ['-newkey', 'rsa:2048', '-nodes', '-sha256'];
}

/** `openssl req -x509` with a new key; `addext` are `-addext` values; `subject` in slash form. */
export function opensslSelfSigned(o: {
  keyFile: string;
  certFile: string;
  subject: string;
  days: number;
  alg: KeyAlg;
  addext?: string[];
}): void {
  opensslOk(
    ['req', '-x509', ...newKeyArgs(o.alg), '-days', String(o.days), '-subj', o.subject]
      .concat(['-keyout', o.keyFile, '-out', o.certFile])
      .concat((o.addext ?? []).flatMap((e) => ['-addext', e])),
  );
}

/** `openssl req -new` with a new key, then `openssl x509 -req` by the CA's key. */
function issue(o: {
  dir: string;
  name: string;
  subject: string;
  alg: KeyAlg;
  ca: { certFile: string; keyFile: string };
  ext: string[];
  days: number;
  /** `-set_serial` value; without it, `-CAcreateserial`. */
  serial?: string;
}): { certFile: string; keyFile: string } {
  const file = (ext: string) => path.join(o.dir, `${o.name}.${ext}`);
  fs.writeFileSync(file('ext'), [...o.ext, ''].join('\n'));
  const [keyFile, csr, certFile] = [file('key'), file('csr'), file('pem')];
  const opts = { cwd: o.dir };
  opensslOk(
    ['req', '-new', ...newKeyArgs(o.alg), '-subj', o.subject, '-keyout', keyFile, '-out', csr],
    opts,
  );
  opensslOk(
    ['x509', '-req', '-in', csr, '-CA', o.ca.certFile, '-CAkey', o.ca.keyFile]
      .concat(o.serial !== undefined ? ['-set_serial', o.serial] : ['-CAcreateserial'])
      .concat(['-days', String(o.days), '-sha256', '-extfile', file('ext'), '-out', certFile]),
    opts,
  );
  return { certFile, keyFile };
}

/** A self-signed endorser identity (CA:FALSE, digitalSignature unless told). */
export function opensslIdentity(
  dir: string,
  opts: { name?: string; alg?: KeyAlg; keyUsage?: string } = {},
): { certificatePem: string; keyPem: string; certFile: string; keyFile: string } {
  const name = opts.name ?? 'endorser';
  const keyFile = path.join(dir, `${name}.key`);
  const certFile = path.join(dir, `${name}.pem`);
  opensslSelfSigned({
    keyFile,
    certFile,
    subject: `/C=CH/O=vmic test/CN=${name}`,
    // A year: an identity valid for 30 days would rightly be warned about (health-identities.ts).
    days: 365,
    alg: opts.alg ?? 'rsa',
    addext: [
      `keyUsage=critical,${opts.keyUsage ?? 'digitalSignature'}`,
      'basicConstraints=critical,CA:FALSE',
    ],
  });
  return {
    certificatePem: fs.readFileSync(certFile, 'utf8'),
    keyPem: fs.readFileSync(keyFile, 'utf8'),
    certFile,
    keyFile,
  };
}

export interface OpensslCert {
  certFile: string;
  keyFile: string;
  pem: string;
  der: Uint8Array;
  /** RFC 4514, as vmic reads it. */
  subject: string;
  issuer: string;
}

/** The certificate in `certFile` with its names as vmic reads them. */
export function opensslCertOf(certFile: string, keyFile: string): OpensslCert {
  const pem = fs.readFileSync(certFile, 'utf8');
  const der = readCertDer(certFile);
  const info = describeCertificate(der);
  return { certFile, keyFile, pem, der, subject: info.subject, issuer: info.issuer };
}

/** A self-signed root CA (`openssl req -x509`, EC P-256); `subject` in OpenSSL's slash form. */
export function opensslRootCa(dir: string, name: string, subject: string): OpensslCert {
  const keyFile = path.join(dir, `${name}.key`);
  const certFile = path.join(dir, `${name}.pem`);
  opensslSelfSigned({
    keyFile,
    certFile,
    subject,
    days: 3650,
    alg: 'ec',
    addext: ['basicConstraints=critical,CA:TRUE', 'keyUsage=critical,keyCertSign,cRLSign'],
  });
  return opensslCertOf(certFile, keyFile);
}

/** An endorser (signing) certificate, EC P-256, issued by `ca` with `openssl x509 -req`. */
export function opensslEndorser(
  dir: string,
  name: string,
  subject: string,
  ca: OpensslCert,
): OpensslCert {
  const { certFile, keyFile } = issue({
    dir,
    name,
    subject,
    alg: 'ec',
    ca,
    ext: [
      'basicConstraints=critical,CA:FALSE',
      'keyUsage=critical,digitalSignature',
      'subjectKeyIdentifier=hash',
      'authorityKeyIdentifier=keyid',
    ],
    days: 365,
    serial: `0x${crypto.randomBytes(8).toString('hex')}`,
  });
  return opensslCertOf(certFile, keyFile);
}

/**
 * A site certificate (RSA 2048, digitalSignature and keyEncipherment, 30 days) issued by
 * `ca` with `openssl x509 -req`, keeping the subject as given; `extraExt` adds lines to
 * its extension file.
 */
export function opensslSiteLeaf(
  dir: string,
  name: string,
  subject: string,
  ca: { certFile: string; keyFile: string },
  extraExt: string[] = [],
): { certFile: string; keyFile: string } {
  return issue({
    dir,
    name,
    subject,
    alg: 'rsa',
    ca,
    ext: [
      'basicConstraints=critical,CA:FALSE',
      'keyUsage=critical,digitalSignature,keyEncipherment',
      ...extraExt,
    ],
    // A year: an identity valid for 30 days would rightly be warned about (health-identities.ts).
    days: 365,
  });
}

/** `sha256:HEX` of a certificate's SubjectPublicKeyInfo, as OpenSSL extracts it. */
export function opensslSpkiSha256(cert: { certFile: string }): string {
  const pub = opensslOk(['x509', '-in', cert.certFile, '-noout', '-pubkey']);
  const der = opensslOk(['pkey', '-pubin', '-outform', 'DER'], { input: pub });
  return `sha256:${crypto.createHash('sha256').update(der).digest('hex')}`;
}
