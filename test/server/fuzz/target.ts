import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import {
  addImageFromStream,
  createToken,
  listImages,
  openInstance,
  resolveConfig,
  type Role,
} from '../../../catalog/index.ts';
import { setSiteIdentity } from '../../../catalog/migration/site-identity.ts';
import { createApp } from '../../../server/app.ts';
import { loadWebConfig } from '../../../server/web/index.ts';
import { ensureDemo } from '../../../scripts/demo/demo-instance.ts';
import { VMIC_BIN } from '../../helpers/cli.ts';
import { opensslIdentity } from '../../helpers/temp-instance.ts';
import { appRoutes, type Route } from './routes.ts';

export const ENDORSERS = ['demo-rsa', 'demo-ecdsa'] as const;
export const TOKEN_ROLES: readonly Role[] = [
  'admin',
  'site-approver',
  'auditor',
  'endorser:demo-rsa',
  'endorser:demo-ecdsa',
];
export const SESSION_ROLES: readonly Role[] = [
  'admin',
  'site-approver',
  'auditor',
  'endorser:demo-rsa',
];

/** What the fuzzer knows of the prepared instance: valid names, hashes and credentials. */
export interface Prepared {
  routes: Route[];
  tokens: Map<Role, string>;
  /** A token whose lifetime (1 s) is over by the time the fuzzer runs. */
  expiredToken: string;
  identifiers: Record<string, string[]>;
  /** Bytes listed by a published catalog (public) and bytes that are not (private). */
  publishedBlobs: string[];
  unpublishedBlob: string;
  /** A PEM certificate (valid trust-store input) and the SAML IdP's certificate file. */
  certificatePem: string;
}

/**
 * The data directory the server will serve, prepared in this process with the library
 * (faster than a dozen CLI runs): the demo's two endorsers with their images and published
 * catalogs, one more image that no catalog lists, a site identity (so that transfers get
 * past "no identity"), a token of every role, and a web.json with SAML sign-in (so that
 * the /saml routes exist). Also lists the app's routes from a createApp() built on this
 * very instance and web configuration, which is what the server child will build.
 */
export async function prepareInstance(dataDir: string, publicUrl: string): Promise<Prepared> {
  fs.mkdirSync(dataDir, { recursive: true });
  const idp = opensslIdentity(path.dirname(dataDir), { name: 'fuzz-idp' });
  fs.writeFileSync(
    path.join(dataDir, 'web.json'),
    JSON.stringify({
      saml: {
        entryPoint: 'http://127.0.0.1:9/idp/sso',
        idpIssuer: 'http://127.0.0.1:9/idp',
        idpCerts: [idp.certFile],
        roleAttribute: 'eduPersonEntitlement',
        roleMapping: { 'urn:example:admin': ['admin'] },
      },
    }),
  );
  const inst = await openInstance(resolveConfig({ dataDir, publicUrl, env: {} }), { env: {} });
  try {
    await ensureDemo(inst);
    const publishedBlobs = (await listImages(inst, {})).map((i) => i.sha256);
    const unpublished = await addImageFromStream(inst, {
      endorser: 'demo-rsa',
      identifier: 'fuzz-unpublished',
      metadata: { title: 'Not in any published catalog' },
      actor: 'fuzz:setup',
      source: Readable.from([Buffer.from('fuzz: bytes that no published catalog lists\n')]),
    });
    const site = opensslIdentity(path.dirname(dataDir), { name: 'fuzz-site' });
    await setSiteIdentity(inst, {
      certificatePem: site.certificatePem,
      keyPem: site.keyPem,
      actor: 'fuzz:setup',
    });
    const tokens = new Map<Role, string>();
    for (const role of TOKEN_ROLES)
      tokens.set(
        role,
        (await createToken(inst, { role, ttlSeconds: 3600, actor: 'fuzz:setup' })).token,
      );
    const expiredToken = (
      await createToken(inst, { role: 'admin', ttlSeconds: 1, actor: 'fuzz:setup' })
    ).token;
    const identifiers: Record<string, string[]> = {};
    for (const e of ENDORSERS)
      identifiers[e] = (await listImages(inst, { endorser: e })).map((i) => i.identifier);
    const web = loadWebConfig(inst, { demoMode: true, env: {} });
    const routes = appRoutes(createApp(inst, { web, log: () => {} }));
    return {
      routes,
      tokens,
      expiredToken,
      identifiers,
      publishedBlobs,
      unpublishedBlob: unpublished.sha256,
      certificatePem: site.certificatePem,
    };
  } finally {
    await inst.close();
  }
}

export interface ServerChild {
  url: string;
  pid: number;
  /** Everything the server wrote to stderr so far. */
  stderr(): string;
  alive(): boolean;
  stop(): Promise<void>;
}

/**
 * The real server: `vmic demo` on the prepared directory, as its own process. `demo` is
 * `serve` (the same startServer, web config from DATA/web.json, same middleware) plus the
 * demo's site setup (trust the demo root, subscribe to both feeds, import them) and its
 * local sign-in, which lets the fuzzer hold a web session of each role. Resolves once the
 * imports are done ("vmic demo is ready").
 */
export function startServerChild(dataDir: string, port: number): Promise<ServerChild> {
  const child: ChildProcess = spawn(
    process.execPath,
    [VMIC_BIN, 'demo', '--data', dataDir, '--port', String(port)],
    {
      env: {
        ...process.env,
        VMIC_MASTER_KEY: '',
        VMIC_DATA: '',
        VMIC_PUBLIC_URL: '',
        VMIC_WEB_CONFIG: '',
        VMIC_SESSION_SECRET: '',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let out = '';
  let err = '';
  let exited = false;
  const exit = new Promise<void>((resolve) =>
    child.on('exit', () => {
      exited = true;
      resolve();
    }),
  );
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`vmic demo did not get ready in time:\n${err}\n${out}`));
    }, 180_000);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (!out.includes('vmic demo is ready')) return;
      clearTimeout(timer);
      resolve({
        url: `http://127.0.0.1:${port}`,
        pid: child.pid!,
        stderr: () => err,
        alive: () => !exited,
        stop: async () => {
          if (!exited) child.kill('SIGTERM');
          await exit;
        },
      });
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`vmic demo exited with ${code}:\n${err}`));
    });
  });
}

/** Resident set size of a process in bytes, from /proc (VmRSS). */
export function rssOf(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = /^VmRSS:\s+(\d+) kB/m.exec(status)?.[1];
  if (kb === undefined) throw new Error(`no VmRSS for process ${pid}`);
  return Number(kb) * 1024;
}

export interface WebSession {
  role: Role;
  cookie: string;
  csrf: string;
}

/**
 * A web session of `role` through the demo's local sign-in, as a browser gets one: the
 * sign-in form's CSRF token, the form post, then the signed-in page's token.
 */
export async function signIn(url: string, role: Role, name: string): Promise<WebSession> {
  const cookieOf = (res: Response) => {
    const set = res.headers.getSetCookie().find((c) => c.startsWith('vmic_session='));
    if (!set) throw new Error(`no session cookie from ${res.url} (${res.status})`);
    return set.split(';')[0]!;
  };
  const login = await fetch(`${url}/login`);
  const first = cookieOf(login);
  const formToken = /name="_csrf" value="([^"]+)"/.exec(await login.text())?.[1];
  if (!formToken) throw new Error('no CSRF token on the sign-in page');
  const posted = await fetch(`${url}/login/dev`, {
    method: 'POST',
    redirect: 'manual',
    headers: { cookie: first, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ name, role, _csrf: formToken, next: '/admin' }),
  });
  if (posted.status !== 303) throw new Error(`sign-in as ${role}: ${posted.status}`);
  const cookie = cookieOf(posted);
  const home = await fetch(`${url}/admin`, { headers: { cookie } });
  const csrf = /<meta name="csrf-token" content="([^"]+)"/.exec(await home.text())?.[1];
  if (home.status !== 200 || !csrf) throw new Error(`signed in as ${role}, /admin: ${home.status}`);
  return { role, cookie, csrf };
}
