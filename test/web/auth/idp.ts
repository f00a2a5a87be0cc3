import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../../helpers/free-port.ts';
import { opensslSelfSigned } from '../../helpers/openssl/index.ts';

/**
 * A real SAML 2.0 identity provider on loopback: Debian's SimpleSAMLphp under PHP's
 * built-in server, configured from test/saml-idp/ (shared/notes/saml-idp.md). Each run
 * works in a copy of that directory in a temporary folder, so test files can run in
 * parallel and nothing generated lands in the work tree.
 */

const COMMITTED = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../saml-idp');
const WEB_ROOT = '/usr/share/simplesamlphp/www';

/** The example users of test/saml-idp/config/authsources.php and their passwords. */
export const IDP_USERS = {
  endorser1: 'endorser1-pass',
  approver1: 'approver1-pass',
  auditor1: 'auditor1-pass',
  admin1: 'admin1-pass',
  nobody1: 'nobody1-pass',
} as const;
export type IdpUser = keyof typeof IDP_USERS;

/** The roleMapping vmic is configured with for these users' eduPersonEntitlement values. */
export const ROLE_MAPPING: Record<string, string[]> = {
  'urn:example:vmic:endorser:demo-rsa': ['endorser:demo-rsa'],
  'urn:example:vmic:site-approver': ['site-approver'],
  'urn:example:vmic:auditor': ['auditor'],
  'urn:example:vmic:admin': ['admin'],
};

export interface TestIdp {
  /** http://127.0.0.1:PORT */
  url: string;
  entityId: string;
  ssoUrl: string;
  /** The IdP's signing certificate (PEM), made by openssl for this run. */
  certPem: string;
  certFile: string;
  dir: string;
  /** Registers a service provider from its SAML metadata, as an IdP administrator would. */
  registerSp(metadataXml: string): void;
  /** The IdP's own log (for a failing test's message). */
  log(): string;
  stop(): Promise<void>;
}

/** Generates the key pair, then starts the IdP; call registerSp before the first login. */
export async function startIdp(): Promise<TestIdp> {
  const port = await freePort();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vmic-idp-'));
  fs.cpSync(path.join(COMMITTED, 'config'), path.join(dir, 'config'), { recursive: true });
  fs.cpSync(path.join(COMMITTED, 'metadata'), path.join(dir, 'metadata'), { recursive: true });
  for (const sub of ['cert', 'data', 'tmp', 'sessions', 'log'])
    fs.mkdirSync(path.join(dir, sub), { recursive: true });
  const certFile = path.join(dir, 'cert/idp.crt');
  opensslSelfSigned({
    keyFile: path.join(dir, 'cert/idp.key'),
    certFile,
    subject: '/CN=vmic-test-idp',
    days: 30,
    alg: 'rsa',
  });
  const url = `http://127.0.0.1:${port}`;
  // Its own process group, so that stop() also reaches any PHP worker processes.
  const php: ChildProcess = spawn('php', ['-S', `127.0.0.1:${port}`, '-t', WEB_ROOT], {
    env: {
      ...process.env,
      SIMPLESAMLPHP_CONFIG_DIR: path.join(dir, 'config'),
      SAML_IDP_PORT: String(port),
    },
    detached: true,
    stdio: 'ignore',
  });
  const exited = new Promise<void>((resolve) => php.once('exit', () => resolve()));
  const entityId = `${url}/saml2/idp/metadata.php`;
  const logFile = path.join(dir, 'log/simplesamlphp.log');
  const log = () => (fs.existsSync(logFile) ? fs.readFileSync(logFile, 'utf8') : '');
  const stop = async () => {
    if (php.exitCode === null && php.pid !== undefined) {
      try {
        process.kill(-php.pid, 'SIGTERM');
      } catch {
        // already gone
      }
      await exited;
    }
    fs.rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitForMetadata(entityId);
  } catch (e) {
    await stop();
    throw e;
  }
  return {
    url,
    entityId,
    ssoUrl: `${url}/saml2/idp/SSOService.php`,
    certPem: fs.readFileSync(certFile, 'utf8'),
    certFile,
    dir,
    registerSp: (xml) =>
      fs.writeFileSync(path.join(dir, 'metadata/saml20-sp-remote.php'), spRemote(xml)),
    log,
    stop,
  };
}

/** SimpleSAMLphp error pages come back as 200 too: ready means a real EntityDescriptor. */
async function waitForMetadata(metadataUrl: string): Promise<void> {
  const deadline = Date.now() + 15_000;
  let last = '';
  while (Date.now() < deadline) {
    try {
      const res = await fetch(metadataUrl);
      last = await res.text();
      if (last.includes('EntityDescriptor')) return;
    } catch (e) {
      last = String(e);
    }
    await new Promise((r) => setTimeout(r, 150));
  }
  throw new Error(`SimpleSAMLphp did not serve its metadata: ${last.slice(0, 300)}`);
}

/** The SP entry of saml20-sp-remote.php, from the entityID and ACS in the SP's metadata. */
function spRemote(xml: string): string {
  const entityId = /<(?:\w+:)?EntityDescriptor\b[^>]*\bentityID="([^"]+)"/.exec(xml)?.[1];
  const acs = /<(?:\w+:)?AssertionConsumerService\b[^>]*\bLocation="([^"]+)"/.exec(xml)?.[1];
  if (!entityId || !acs) throw new Error(`not SP metadata: ${xml.slice(0, 300)}`);
  const q = (s: string) => `'${s.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'`;
  return [
    '<?php',
    `$metadata[${q(entityId)}] = [`,
    `    'AssertionConsumerService' => ${q(acs)},`,
    "    'NameIDFormat' => 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress',",
    "    'simplesaml.nameidattribute' => 'mail',",
    '];',
    '',
  ].join('\n');
}
