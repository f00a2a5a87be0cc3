import { createToken, type Instance, type Role } from '../../catalog/index.ts';
import { startServer } from '../../server/index.ts';
import { acquireRunLock } from '../../catalog/site/run-lock.ts';
import { tempInstance } from '../helpers/temp-instance.ts';
import { bearer } from './harness.ts';

export interface SiteHarness {
  inst: Instance;
  /** Where the real server listens (127.0.0.1, an ephemeral port). */
  url: string;
  dir: string;
  /** Server-side 500 log lines; tests assert this stays empty. */
  logs: string[];
  token(role: Role): Promise<string>;
  /** A JSON API call; `body` is sent as JSON unless it is a string. */
  call(
    method: string,
    route: string,
    opts?: { token?: string; body?: unknown; type?: string },
  ): Promise<Response>;
  /** Makes the next import or fetch find its run lease held by another holder (this test). */
  holdRunLock(name: 'import' | 'fetch'): Promise<() => Promise<void>>;
  close(): Promise<void>;
}

/** A site instance (no endorsers) on the test backend (tempInstance), served over HTTP, with a fixed clock. */
export async function startSite(opts: { now: Date }): Promise<SiteHarness> {
  const t = await tempInstance({ now: () => opts.now, publicUrl: 'http://site.test' });
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
    logs,
    token: async (role) =>
      (await createToken(t.inst, { role, ttlSeconds: 3600, actor: 'test' })).token,
    call: (method, route, o = {}) => {
      const headers: Record<string, string> = o.token ? bearer(o.token) : {};
      let body: string | undefined;
      if (typeof o.body === 'string') {
        body = o.body;
        headers['content-type'] = o.type ?? 'text/plain';
      } else if (o.body !== undefined) {
        body = JSON.stringify(o.body);
        headers['content-type'] = o.type ?? 'application/json';
      }
      return fetch(`${server.url}/api/v1${route}`, {
        method,
        headers,
        ...(body === undefined ? {} : { body }),
      });
    },
    holdRunLock: async (name) => {
      const lock = await acquireRunLock(t.inst.store.db, name, { now: () => opts.now });
      return () => lock.release();
    },
    close: async () => {
      await server.close();
      await t.cleanup();
    },
  };
}
