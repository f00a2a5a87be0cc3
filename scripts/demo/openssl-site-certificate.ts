import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

/**
 * Another site's certificate and key under the demo intermediate of `vmic pki demo`,
 * made with stock openssl (not with vmic's pki code): `NAME.pem` and `NAME.key` in the
 * demo PKI directory, able to sign manifests and receive RSA-wrapped keys.
 */
export function opensslSiteCertificate(
  pkiDir: string,
  name: string,
  subjectSlash: string,
): { cert: string; key: string } {
  const file = (ext: string) => path.join(pkiDir, `${name}.${ext}`);
  fs.writeFileSync(
    file('ext'),
    'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n',
  );
  execFileSync(
    'openssl',
    [
      'req',
      '-new',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-subj',
      subjectSlash,
      '-keyout',
      file('key'),
      '-out',
      file('csr'),
    ],
    { stdio: 'pipe' },
  );
  execFileSync(
    'openssl',
    [
      'x509',
      '-req',
      '-in',
      file('csr'),
      '-CA',
      path.join(pkiDir, 'intermediate-ca.pem'),
      '-CAkey',
      path.join(pkiDir, 'intermediate-ca.key'),
      '-CAcreateserial',
      '-days',
      '30',
      '-sha256',
      '-extfile',
      file('ext'),
      '-out',
      file('pem'),
    ],
    { stdio: 'pipe' },
  );
  return { cert: file('pem'), key: file('key') };
}
