import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { describeCertificate, pemToDers } from '../../../../pki/index.ts';

/**
 * Certificates and signatures made by stock `openssl` (not by vmic's PKI code), so that
 * the site's checks are exercised with inputs an outside toolkit writes.
 */
export interface OpensslCert {
  certFile: string;
  keyFile: string;
  pem: string;
  der: Uint8Array;
  /** RFC 4514, as vmic reads it. */
  subject: string;
  issuer: string;
}

function openssl(args: string[]): Buffer {
  return execFileSync('openssl', args, { stdio: ['ignore', 'pipe', 'pipe'] });
}

function certOf(certFile: string, keyFile: string): OpensslCert {
  const pem = fs.readFileSync(certFile, 'utf8');
  const der = pemToDers(pem, 'CERTIFICATE')[0]!;
  const info = describeCertificate(der);
  return { certFile, keyFile, pem, der, subject: info.subject, issuer: info.issuer };
}

const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-sha256'];

/** A self-signed root CA (`openssl req -x509`); `subject` in OpenSSL's slash form. */
export function opensslRootCa(dir: string, name: string, subject: string): OpensslCert {
  const keyFile = path.join(dir, `${name}.key`);
  const certFile = path.join(dir, `${name}.pem`);
  openssl([
    'req',
    '-x509',
    ...EC,
    '-days',
    '3650',
    '-subj',
    subject,
    '-keyout',
    keyFile,
    '-out',
    certFile,
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  ]);
  return certOf(certFile, keyFile);
}

/** An endorser (signing) certificate issued by `ca` with `openssl x509 -req`. */
export function opensslEndorser(
  dir: string,
  name: string,
  subject: string,
  ca: OpensslCert,
): OpensslCert {
  const keyFile = path.join(dir, `${name}.key`);
  const csr = path.join(dir, `${name}.csr`);
  const certFile = path.join(dir, `${name}.pem`);
  const ext = path.join(dir, `${name}.ext`);
  fs.writeFileSync(
    ext,
    [
      'basicConstraints=critical,CA:FALSE',
      'keyUsage=critical,digitalSignature',
      'subjectKeyIdentifier=hash',
      'authorityKeyIdentifier=keyid',
      '',
    ].join('\n'),
  );
  openssl(['req', '-new', ...EC, '-subj', subject, '-keyout', keyFile, '-out', csr]);
  openssl([
    'x509',
    '-req',
    '-in',
    csr,
    '-CA',
    ca.certFile,
    '-CAkey',
    ca.keyFile,
    '-set_serial',
    `0x${crypto.randomBytes(8).toString('hex')}`,
    '-days',
    '365',
    '-sha256',
    '-extfile',
    ext,
    '-out',
    certFile,
  ]);
  return certOf(certFile, keyFile);
}

/** An attached-signature CMS (`openssl cms -sign -nodetach`), DER, as an endorser could make it. */
export function opensslCmsSign(dir: string, content: string, signer: OpensslCert): Buffer {
  const input = path.join(dir, `content-${crypto.randomUUID()}.nq`);
  fs.writeFileSync(input, content);
  return openssl([
    'cms',
    '-sign',
    '-binary',
    '-nodetach',
    '-outform',
    'DER',
    '-md',
    'sha256',
    '-in',
    input,
    '-signer',
    signer.certFile,
    '-inkey',
    signer.keyFile,
  ]);
}

/** `sha256:HEX` of a certificate's SubjectPublicKeyInfo, as OpenSSL extracts it. */
export function opensslSpkiSha256(cert: OpensslCert): string {
  const pub = openssl(['x509', '-in', cert.certFile, '-noout', '-pubkey']);
  const der = execFileSync('openssl', ['pkey', '-pubin', '-outform', 'DER'], { input: pub });
  return `sha256:${crypto.createHash('sha256').update(der).digest('hex')}`;
}
