import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { CryptoKey } from './crypto-provider.ts';
import { issueCertificate } from './certificates.ts';
import { createCrl } from './crl.ts';
import { exportPrivateKeyPkcs8, generateKeyPair } from './keys.ts';
import type { KeyAlgorithm } from './keys.ts';
import { derToPem } from './pem.ts';

export interface Credential {
  certificate: Uint8Array;
  privateKey: CryptoKey;
}

export interface DemoHierarchy {
  root: Credential;
  intermediate: Credential;
  endorser: Credential;
  site: Credential;
  /** the intermediate's CRL, nothing revoked */
  crl: Uint8Array;
  /** the root's CRL over the intermediate, nothing revoked (needed for `revocation: 'require'`) */
  rootCrl: Uint8Array;
}

const HOUR = 3600_000;
const DAY = 24 * HOUR;

function yearsAfter(start: Date, years: number): Date {
  const d = new Date(start);
  d.setUTCFullYear(d.getUTCFullYear() + years);
  return d;
}

/** Whole seconds: X.509 times have no fractions, so round-trips compare equal. */
function wholeSeconds(d: Date): Date {
  return new Date(Math.floor(d.getTime() / 1000) * 1000);
}

/**
 * Root → intermediate (pathLen 0) → endorser and site leaves, for the demo and tests.
 * Validity starts an hour before `now` to tolerate clock skew between demo machines.
 */
export async function buildDemoHierarchy(opts: {
  keyAlgorithm: KeyAlgorithm;
  now: Date;
  endorserSubject?: string;
  siteSubject?: string;
}): Promise<DemoHierarchy> {
  const start = wholeSeconds(new Date(opts.now.getTime() - HOUR));
  const caUsage = ['keyCertSign', 'cRLSign'];
  const rootKeys = await generateKeyPair(opts.keyAlgorithm);
  const rootCert = await issueCertificate({
    subject: 'CN=vmic Demo Root CA,O=vmic demo,C=CH',
    publicKey: rootKeys.publicKey,
    signingKey: rootKeys.privateKey,
    notBefore: start,
    notAfter: yearsAfter(start, 10),
    ca: {},
    keyUsage: caUsage,
  });
  const root = { certificate: rootCert, privateKey: rootKeys.privateKey };
  const intKeys = await generateKeyPair(opts.keyAlgorithm);
  const intermediate = {
    certificate: await issueCertificate({
      subject: 'CN=vmic Demo Intermediate CA,O=vmic demo,C=CH',
      publicKey: intKeys.publicKey,
      issuer: root,
      notBefore: start,
      notAfter: yearsAfter(start, 5),
      ca: { pathLength: 0 },
      keyUsage: caUsage,
    }),
    privateKey: intKeys.privateKey,
  };
  const leaf = async (subject: string, keyUsage: string[]): Promise<Credential> => {
    const keys = await generateKeyPair(opts.keyAlgorithm);
    const certificate = await issueCertificate({
      subject,
      publicKey: keys.publicKey,
      issuer: intermediate,
      notBefore: start,
      notAfter: yearsAfter(start, 1),
      keyUsage,
    });
    return { certificate, privateKey: keys.privateKey };
  };
  const endorser = await leaf(opts.endorserSubject ?? 'CN=vmic Demo Endorser,O=vmic demo,C=CH', [
    'digitalSignature',
  ]);
  // The site leaf also receives wrapped data keys during migrations (docs/design.md §10).
  const wrapUsage = opts.keyAlgorithm.startsWith('RSA') ? 'keyEncipherment' : 'keyAgreement';
  const site = await leaf(opts.siteSubject ?? 'CN=vmic Demo Site,O=vmic demo,C=CH', [
    'digitalSignature',
    wrapUsage,
  ]);
  const emptyCrl = (issuer: Credential) =>
    createCrl({
      issuer,
      thisUpdate: start,
      nextUpdate: new Date(start.getTime() + 30 * DAY),
      revoked: [],
    });
  return {
    root,
    intermediate,
    endorser,
    site,
    crl: await emptyCrl(intermediate),
    rootCrl: await emptyCrl(root),
  };
}

/** Writes the hierarchy as PEM files; private keys are PKCS#8, readable by the owner only. */
export async function writeDemoHierarchy(h: DemoHierarchy, outDir: string): Promise<string[]> {
  await mkdir(outDir, { recursive: true });
  const cert = (der: Uint8Array) => derToPem(der, 'CERTIFICATE');
  const key = async (k: CryptoKey) => derToPem(await exportPrivateKeyPkcs8(k), 'PRIVATE KEY');
  const files: [string, string, boolean][] = [
    ['root-ca.pem', cert(h.root.certificate), false],
    ['intermediate-ca.pem', cert(h.intermediate.certificate), false],
    ['endorser.pem', cert(h.endorser.certificate), false],
    ['endorser-chain.pem', cert(h.intermediate.certificate), false],
    ['endorser.key', await key(h.endorser.privateKey), true],
    ['site.pem', cert(h.site.certificate), false],
    ['site-chain.pem', cert(h.intermediate.certificate), false],
    ['site.key', await key(h.site.privateKey), true],
    ['root-ca.key', await key(h.root.privateKey), true],
    ['intermediate-ca.key', await key(h.intermediate.privateKey), true],
    ['crl.pem', derToPem(h.crl, 'X509 CRL'), false],
    ['root-crl.pem', derToPem(h.rootCrl, 'X509 CRL'), false],
    ['anchors.pem', cert(h.root.certificate), false],
  ];
  const written: string[] = [];
  for (const [name, text, secret] of files) {
    const path = join(outDir, name);
    await writeFile(path, text, { mode: secret ? 0o600 : 0o644 });
    // writeFile's mode applies only on creation; an existing file keeps its old mode.
    if (secret) await chmod(path, 0o600);
    written.push(path);
  }
  return written;
}
