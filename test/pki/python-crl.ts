/**
 * CRLs written by Python `cryptography` (Debian package python3-cryptography), an outside
 * library: without a cRLNumber unless one is asked for, as in the reported defect.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { pemToDers } from '../../pki/index.ts';

const PY_CRL = `
import sys, json, datetime
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
a = json.loads(sys.argv[1])
key = serialization.load_pem_private_key(a['key'].encode(), None)
ca = x509.load_pem_x509_certificate(a['ca'].encode())
t = lambda s: datetime.datetime.fromisoformat(s.replace('Z', '+00:00'))
b = (x509.CertificateRevocationListBuilder().issuer_name(ca.subject)
     .last_update(t(a['thisUpdate'])).next_update(t(a['nextUpdate'])))
for s in a['serials']:
    b = b.add_revoked_certificate(x509.RevokedCertificateBuilder()
        .serial_number(int(s, 16)).revocation_date(t(a['thisUpdate'])).build())
if a['crlNumber'] is not None:
    b = b.add_extension(x509.CRLNumber(a['crlNumber']), critical=False)
sys.stdout.write(b.sign(key, hashes.SHA256()).public_bytes(serialization.Encoding.PEM).decode())
`;

export interface PythonCrlOptions {
  /** the CA's PKCS#8 private key and certificate, PEM */
  keyPem: string;
  caPem: string;
  /** hex serial numbers to list */
  serials: string[];
  thisUpdate: Date;
  nextUpdate: Date;
  crlNumber?: number;
}

/** DER of a CRL signed by `keyPem` in the name of `caPem`'s subject. */
export function pythonCrl(o: PythonCrlOptions): Uint8Array {
  const arg = JSON.stringify({
    key: o.keyPem,
    ca: o.caPem,
    serials: o.serials,
    thisUpdate: o.thisUpdate.toISOString(),
    nextUpdate: o.nextUpdate.toISOString(),
    crlNumber: o.crlNumber ?? null,
  });
  const r = spawnSync('/usr/bin/python3', ['-c', PY_CRL, arg], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return pemToDers(r.stdout, 'X509 CRL')[0] as Uint8Array;
}
