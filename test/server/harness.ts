import crypto from 'node:crypto';
import {
  addEndorser,
  createToken,
  publishCatalog,
  type Instance,
  type Limits,
  type Role,
} from '../../catalog/index.ts';
import { registerImageByUrl } from '../../catalog/images.ts';
import { startServer } from '../../server/index.ts';
import { opensslIdentity } from '../helpers/openssl/index.ts';
import { tempInstance } from '../helpers/temp-instance.ts';

export const PUBLIC_URL = 'http://vmic.test';

export interface Harness {
  inst: Instance;
  /** Where the real server listens (127.0.0.1, an ephemeral port). */
  url: string;
  dir: string;
  endorser: string;
  /** Server-side 500 log lines; a test that expects none asserts this stays empty. */
  logs: string[];
  /** Moves the instance clock (tokens, publish times) forward. */
  advance(seconds: number): void;
  token(role: Role, ttlSeconds?: number): Promise<string>;
  close(): Promise<void>;
}

/** A fresh instance with one endorser (a self-signed identity made by stock openssl), served over HTTP. */
export async function startHarness(opts: { limits?: Partial<Limits> } = {}): Promise<Harness> {
  let nowMs = Date.now();
  const t = await tempInstance({
    now: () => new Date(nowMs),
    publicUrl: PUBLIC_URL,
    ...(opts.limits ? { limits: opts.limits } : {}),
  });
  const endorser = 'cern';
  const id = opensslIdentity(t.dir, { name: 'test-endorser' });
  await addEndorser(t.inst, {
    name: endorser,
    title: 'CERN test endorser',
    certificatePem: id.certificatePem,
    keyPem: id.keyPem,
    actor: 'test',
  });
  const logs: string[] = [];
  const server = await startServer(
    t.inst,
    { host: '127.0.0.1', port: 0 },
    { log: (l) => logs.push(l) },
  );
  return {
    inst: t.inst,
    url: server.url,
    dir: t.dir,
    endorser,
    logs,
    advance: (seconds) => {
      nowMs += seconds * 1000;
    },
    token: async (role, ttlSeconds = 3600) =>
      (await createToken(t.inst, { role, ttlSeconds, actor: 'test' })).token,
    close: async () => {
      await server.close();
      await t.cleanup();
    },
  };
}

export function sha256(data: Uint8Array | string): string {
  return crypto.createHash('sha256').update(data).digest('hex');
}

export function bearer(token: string): Record<string, string> {
  return { authorization: `Bearer ${token}` };
}

/** Deterministic pseudo-random bytes, so that a test's upload is the same on every run. */
export function testBytes(size: number, seed = 'vmic'): Buffer {
  const out = Buffer.alloc(size);
  let block = crypto.createHash('sha256').update(seed).digest();
  for (let off = 0; off < size; off += block.length) {
    block.copy(out, off);
    block = crypto.createHash('sha256').update(block).digest();
  }
  return out;
}

export async function problemOf(res: Response): Promise<Record<string, unknown>> {
  const type = res.headers.get('content-type') ?? '';
  if (!type.startsWith('application/problem+json'))
    throw new Error(`expected application/problem+json, got ${type} (${res.status})`);
  return (await res.json()) as Record<string, unknown>;
}

/**
 * Registers an image by URL (no bytes) named `title` and publishes the endorser's next
 * catalog: a new version, with its leaves in the transparency log. Returns its sequence
 * and the SHA-256 of the catalog.p7m the server now serves.
 */
export async function publishTitled(
  h: Harness,
  title: string,
): Promise<{ sequence: number; p7mSha256: string }> {
  await registerImageByUrl(h.inst, {
    endorser: h.endorser,
    url: `https://images.example/${title}.qcow2`,
    sha256: sha256(title),
    size: 1234,
    metadata: { title },
    actor: 'test',
  });
  const { sequence } = await publishCatalog(h.inst, { endorser: h.endorser, actor: 'test' });
  const res = await fetch(`${h.url}/feeds/${h.endorser}/${sequence}/catalog.p7m`);
  return { sequence, p7mSha256: sha256(Buffer.from(await res.arrayBuffer())) };
}
