/**
 * A certificate authority run by stock `openssl ca`, as a small site or a hand-made CA
 * would (STYLE §9: negative inputs come from a tool that is not vmic). Each CA is a
 * directory with its key, certificate, index.txt and openssl.cnf; CRLs are written by
 * `openssl ca -gencrl`, with a cRLNumber only when the CA keeps a `crlnumber` file.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { opensslOk, readCertDer as readDer } from './run.ts';

export interface OpensslCa {
  name: string;
  dir: string;
  subject: string;
  keyFile: string;
  certFile: string;
  der: Uint8Array;
}

export interface IssuedCert {
  certFile: string;
  keyFile: string;
  der: Uint8Array;
}

/** Extension sections every CA's openssl.cnf offers to `-extensions`. */
const EXTENSIONS = `
[ v3_ca ]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always

[ v3_ca_no_crlsign ]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always

[ signer ]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid

[ signer_code ]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = codeSigning
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid

[ tls_server ]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid

[ crl_ext ]
authorityKeyIdentifier = keyid:always
`;

function run(args: string[], cwd: string): void {
  opensslOk(args, { cwd });
}

function newKey(file: string, cwd: string): void {
  run(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', file], cwd);
}

/** The openssl.cnf of one CA; `crlNumber` adds the `crlnumber` line (and file). */
function writeConfig(ca: { dir: string; keyFile: string; certFile: string }, crlNumber: boolean) {
  const conf = `
[ ca ]
default_ca = CA_default

[ CA_default ]
dir = ${ca.dir}
database = $dir/index.txt
new_certs_dir = $dir/newcerts
certificate = ${ca.certFile}
private_key = ${ca.keyFile}
rand_serial = yes
unique_subject = no
default_md = sha256
default_days = 365
default_crl_days = 30
policy = policy_any
copy_extensions = none
crl_extensions = crl_ext
${crlNumber ? 'crlnumber = $dir/crlnumber' : ''}

[ policy_any ]
commonName = supplied
organizationName = optional

[ req ]
distinguished_name = req_dn
prompt = no

[ req_dn ]
CN = unused
${EXTENSIONS}`;
  writeFileSync(join(ca.dir, 'openssl.cnf'), conf);
}

function caDir(root: string, name: string): string {
  const dir = join(root, name);
  mkdirSync(join(dir, 'newcerts'), { recursive: true });
  writeFileSync(join(dir, 'index.txt'), '');
  writeFileSync(join(dir, 'crlnumber'), '1000\n');
  return dir;
}

/** A self-signed root made by `openssl req -x509`. */
export function opensslRoot(root: string, name: string, subject: string): OpensslCa {
  const dir = caDir(root, name);
  const ca = {
    name,
    dir,
    subject,
    keyFile: join(dir, 'ca.key'),
    certFile: join(dir, 'ca.pem'),
  };
  newKey(ca.keyFile, dir);
  writeConfig(ca, true);
  run(
    ['req', '-x509', '-new', '-config', 'openssl.cnf', '-key', ca.keyFile, '-subj', subject].concat(
      ['-days', '3650', '-extensions', 'v3_ca', '-out', ca.certFile],
    ),
    dir,
  );
  return { ...ca, der: readDer(ca.certFile) };
}

/** A certificate request signed by `issuer` with `openssl ca -batch -extensions ext`. */
function sign(
  issuer: OpensslCa,
  subject: string,
  keyFile: string,
  out: string,
  ext: string,
  notAfter?: Date,
) {
  const csr = `${out}.csr`;
  run(
    ['req', '-new', '-config', 'openssl.cnf', '-key', keyFile, '-subj', subject, '-out', csr],
    issuer.dir,
  );
  run(
    ['ca', '-batch', '-config', 'openssl.cnf', '-notext', '-extensions', ext].concat(
      notAfter ? ['-enddate', generalizedTime(notAfter)] : [],
      ['-in', csr, '-out', out],
    ),
    issuer.dir,
  );
}

/**
 * An intermediate CA under `issuer`. With `keyFile` (a re-key), the same CA directory
 * gets a new key and certificate under the same subject: its index and serials go on.
 */
export function opensslIntermediate(
  issuer: OpensslCa,
  root: string,
  name: string,
  subject: string,
  opts: { crlSign?: boolean; rekeyOf?: OpensslCa } = {},
): OpensslCa {
  const dir = opts.rekeyOf?.dir ?? caDir(root, name);
  const ca = {
    name,
    dir,
    subject,
    keyFile: join(dir, `${name}.key`),
    certFile: join(dir, `${name}.pem`),
  };
  newKey(ca.keyFile, dir);
  sign(
    issuer,
    subject,
    ca.keyFile,
    ca.certFile,
    opts.crlSign === false ? 'v3_ca_no_crlsign' : 'v3_ca',
  );
  writeConfig(ca, true);
  return { ...ca, der: readDer(ca.certFile) };
}

/** An end-entity certificate: `signer` (digitalSignature), `signer_code`, or `tls_server`. */
export function opensslLeaf(
  issuer: OpensslCa,
  name: string,
  subject: string,
  ext: 'signer' | 'signer_code' | 'tls_server' = 'signer',
  opts: { notAfter?: Date } = {},
): IssuedCert {
  const keyFile = join(issuer.dir, `${name}.key`);
  const certFile = join(issuer.dir, `${name}.pem`);
  newKey(keyFile, issuer.dir);
  sign(issuer, subject, keyFile, certFile, ext, opts.notAfter);
  return { keyFile, certFile, der: readDer(certFile) };
}

/**
 * A certificate for a request made elsewhere (a key in a token: `vmic pki keygen`),
 * issued by `openssl ca -batch` with the `signer` profile.
 */
export function opensslSignCsr(issuer: OpensslCa, csrFile: string, name: string): IssuedCert {
  const certFile = join(issuer.dir, `${name}.pem`);
  run(
    ['ca', '-batch', '-config', 'openssl.cnf', '-notext', '-extensions', 'signer'].concat([
      '-in',
      csrFile,
      '-out',
      certFile,
    ]),
    issuer.dir,
  );
  return { keyFile: '', certFile, der: readDer(certFile) };
}

/** `openssl ca -revoke`: marks the certificate revoked in the CA's index. */
export function opensslRevoke(ca: OpensslCa, cert: IssuedCert): void {
  run(['ca', '-config', 'openssl.cnf', '-revoke', cert.certFile], ca.dir);
}

/**
 * `openssl ca -gencrl` with the CA's current key and certificate. Without `crlNumber` the
 * config has no `crlnumber` line, so the CRL has no cRLNumber extension (as many small
 * CAs write them). Returns the PEM text.
 */
export function opensslCrl(
  ca: OpensslCa,
  opts: { crlNumber: boolean; crlDays?: number } = { crlNumber: true },
): string {
  writeConfig(ca, opts.crlNumber);
  const out = join(ca.dir, `crl-${Date.now()}-${Math.random().toString(16).slice(2)}.pem`);
  run(
    ['ca', '-config', 'openssl.cnf', '-gencrl', '-crldays', String(opts.crlDays ?? 30)].concat([
      '-out',
      out,
    ]),
    ca.dir,
  );
  return readFileSync(out, 'utf8');
}

/** `openssl ca -enddate` form: YYYYMMDDHHMMSSZ (whole seconds). */
function generalizedTime(d: Date): string {
  return `${d.toISOString().replace(/[-:T]/g, '').slice(0, 14)}Z`;
}
