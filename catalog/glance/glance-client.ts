import { Readable } from 'node:stream';
import { VmicError } from '../../errors/index.ts';
import { answerExcerpt, apiRequest, jsonOf, type ApiAnswer } from '../net/api-request.ts';
import type { GlanceConnection } from './glance-connection.ts';
import { keystoneSession } from './keystone.ts';

/** The fields of a Glance image that the sync reads. */
export interface GlanceImage {
  id: string;
  name: string | null;
  status: string;
  visibility: string;
  diskFormat: string | null;
  containerFormat: string | null;
  size: number | null;
  osHashAlgo: string | null;
  osHashValue: string | null;
  /** Every string-valued field of the image (custom properties sit beside the core ones). */
  fields: Readonly<Record<string, string>>;
}

export type PatchOp =
  { op: 'add' | 'replace'; path: string; value: string } | { op: 'remove'; path: string };

const ANSWER_BYTES = 16 * 1024 * 1024;
const IDLE_MS = 60_000;
/** Glance may write and hash for a while after the last byte before it answers. */
const UPLOAD_IDLE_MS = 5 * 60_000;
const PAGE = 200;
const MAX_PAGES = 10_000;

/**
 * The Glance v2 image API calls the sync makes. Every answer other than the documented
 * success is GLANCE_FAILED with Glance's own words (shortened): nothing is retried behind
 * the operator's back, the next run starts from what Glance then holds.
 */
export class GlanceClient {
  private readonly session: ReturnType<typeof keystoneSession> | undefined;

  constructor(
    readonly conn: GlanceConnection,
    /** The Keystone session to use (one is made for `conn` if not given). */
    session?: ReturnType<typeof keystoneSession>,
  ) {
    this.session = conn.auth === 'none' ? undefined : (session ?? keystoneSession(conn));
  }

  /** The endpoint's root, for reports (resolved through Keystone when there is one). */
  async endpoint(): Promise<string> {
    return (await this.target()).base;
  }

  private async target(): Promise<{ base: string; headers: Record<string, string> }> {
    if (this.conn.auth === 'none' || !this.session)
      return { base: root(this.conn.auth === 'none' ? this.conn.imageEndpoint : ''), headers: {} };
    const t = await this.session.token();
    return { base: root(t.imageEndpoint), headers: { 'x-auth-token': t.token } };
  }

  private async call(
    method: string,
    path: string,
    opts: { body?: unknown; headers?: Record<string, string | number>; idleMs?: number } = {},
  ): Promise<ApiAnswer> {
    const send = async () => {
      const t = await this.target();
      return apiRequest(method, `${t.base}${path}`, {
        headers: { accept: 'application/json', ...t.headers, ...opts.headers },
        body: opts.body,
        idleMs: opts.idleMs ?? IDLE_MS,
        maxBytes: ANSWER_BYTES,
        what: `Glance ${method} ${path.split('?')[0]}`,
        failCode: 'GLANCE_FAILED',
        ca: this.conn.ca,
      });
    };
    const a = await send();
    // A token Glance no longer accepts (revoked, or expired early): one new token and one
    // more try, as OpenStack's own clients re-authenticate; a stream cannot be sent twice.
    if (a.status === 401 && this.session && !(opts.body instanceof Readable)) {
      this.session.forget();
      return send();
    }
    return a;
  }

  private expect(a: ApiAnswer, ok: number[], what: string): ApiAnswer {
    if (ok.includes(a.status)) return a;
    const code = a.status === 401 ? 'UNAUTHENTICATED' : 'GLANCE_FAILED';
    throw new VmicError(code, `Glance ${what}: HTTP ${a.status}: ${answerExcerpt(a)}`);
  }

  /** Every image whose `vmic_site` property names this site, following `next` links. */
  async listManaged(site: string): Promise<GlanceImage[]> {
    const out: GlanceImage[] = [];
    let path: string | undefined = `/v2/images?limit=${PAGE}&vmic_site=${encodeURIComponent(site)}`;
    for (let page = 0; path; page++) {
      if (page >= MAX_PAGES)
        throw new VmicError('TOO_LARGE', `Glance image list: more than ${MAX_PAGES} pages`);
      const a = this.expect(await this.call('GET', path), [200], 'list images');
      const doc = jsonOf(a, 'Glance image list', 'GLANCE_FAILED');
      if (!Array.isArray(doc.images))
        throw new VmicError('GLANCE_FAILED', 'Glance image list: no images array');
      for (const i of doc.images as unknown[]) out.push(imageOf(i));
      path = typeof doc.next === 'string' ? nextPath(doc.next) : undefined;
    }
    return out;
  }

  async create(body: Record<string, string>): Promise<GlanceImage> {
    const a = this.expect(await this.call('POST', '/v2/images', { body }), [201], 'create image');
    return imageOf(jsonOf(a, 'Glance create image', 'GLANCE_FAILED'));
  }

  async upload(id: string, bytes: Readable, size: number): Promise<void> {
    const a = await this.call('PUT', `/v2/images/${seg(id)}/file`, {
      body: bytes,
      headers: { 'content-type': 'application/octet-stream', 'content-length': size },
      idleMs: UPLOAD_IDLE_MS,
    });
    this.expect(a, [204], `upload to image ${id}`);
  }

  async get(id: string): Promise<GlanceImage | undefined> {
    const a = await this.call('GET', `/v2/images/${seg(id)}`);
    if (a.status === 404) return undefined;
    return imageOf(
      jsonOf(this.expect(a, [200], `get image ${id}`), 'Glance image', 'GLANCE_FAILED'),
    );
  }

  async patch(id: string, ops: PatchOp[]): Promise<void> {
    const a = await this.call('PATCH', `/v2/images/${seg(id)}`, {
      body: Buffer.from(JSON.stringify(ops)),
      headers: { 'content-type': 'application/openstack-images-v2.1-json-patch' },
    });
    this.expect(a, [200], `update image ${id}`);
  }

  async action(id: string, action: 'deactivate' | 'reactivate'): Promise<void> {
    const a = await this.call('POST', `/v2/images/${seg(id)}/actions/${action}`);
    this.expect(a, [204], `${action} image ${id}`);
  }

  /** Deletes; an image already gone counts as deleted. */
  async remove(id: string): Promise<void> {
    const a = await this.call('DELETE', `/v2/images/${seg(id)}`);
    this.expect(a, [204, 404], `delete image ${id}`);
  }
}

/** `http://glance:9292/` or `…/v2` → `http://glance:9292`: the client adds `/v2/…`. */
function root(endpoint: string): string {
  return endpoint.replace(/\/+$/, '').replace(/\/v2(\.\d+)?$/, '');
}

/** An image id in a path: Glance ids are UUIDs; anything else must not steer the path. */
function seg(id: string): string {
  if (!/^[0-9A-Za-z-]{1,64}$/.test(id))
    throw new VmicError(
      'GLANCE_FAILED',
      `Glance gave an image id that is not one: ${JSON.stringify(id.slice(0, 80))}`,
    );
  return id;
}

/** Glance's `next` is a path on the same endpoint; only its path and query are kept. */
function nextPath(next: string): string {
  const u = new URL(next, 'http://glance.invalid');
  if (!u.pathname.startsWith('/v2/images'))
    throw new VmicError(
      'GLANCE_FAILED',
      `Glance image list: odd next link ${JSON.stringify(next.slice(0, 80))}`,
    );
  return `${u.pathname}${u.search}`;
}

function imageOf(v: unknown): GlanceImage {
  if (!v || typeof v !== 'object' || typeof (v as { id?: unknown }).id !== 'string')
    throw new VmicError('GLANCE_FAILED', 'Glance gave an image without an id');
  const o = v as Record<string, unknown>;
  const str = (k: string): string | null => {
    const x = o[k];
    return typeof x === 'string' ? x : null;
  };
  const fields: Record<string, string> = {};
  for (const [k, x] of Object.entries(o)) if (typeof x === 'string') fields[k] = x;
  return {
    id: o.id as string,
    name: str('name'),
    status: str('status') ?? 'unknown',
    visibility: str('visibility') ?? 'unknown',
    diskFormat: str('disk_format'),
    containerFormat: str('container_format'),
    size: typeof o.size === 'number' ? o.size : null,
    osHashAlgo: str('os_hash_algo'),
    osHashValue: str('os_hash_value'),
    fields,
  };
}
