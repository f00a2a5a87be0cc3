import assert from 'node:assert/strict';
import crypto from 'node:crypto';

/** What the API answers about an image and a catalog version (server/api-schema). */
export interface ImageAnswer {
  identifier: string;
  sha256: string;
  byteSize: number;
}
export interface VersionAnswer {
  sequence: number;
  issuedAt: string;
}

export function sha256(bytes: Uint8Array): string {
  return crypto.createHash('sha256').update(bytes).digest('hex');
}

async function expectJson<T>(res: Response, status: number, what: string): Promise<T> {
  const text = await res.text();
  assert.equal(res.status, status, `${what}: ${res.status} ${text.slice(0, 500)}`);
  return JSON.parse(text) as T;
}

/** POST /api/v1/endorsers/{e}/images as a multipart upload, the way the API documents it. */
export async function uploadImage(
  base: string,
  token: string,
  endorser: string,
  identifier: string,
  bytes: Uint8Array,
): Promise<ImageAnswer> {
  const form = new FormData();
  form.append('title', `Image ${identifier}`);
  form.append('identifier', identifier);
  form.append('file', new Blob([bytes]), `${identifier}.img`);
  const res = await fetch(`${base}/api/v1/endorsers/${endorser}/images`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}` },
    body: form,
  });
  return expectJson<ImageAnswer>(res, 201, `upload ${identifier} through ${base}`);
}

export async function publish(
  base: string,
  token: string,
  endorser: string,
): Promise<VersionAnswer> {
  const res = await fetch(`${base}/api/v1/endorsers/${endorser}/publish`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ expiresInSeconds: 7 * 86400 }),
  });
  return expectJson<VersionAnswer>(res, 201, `publish through ${base}`);
}

export async function getJson<T>(url: string, token?: string): Promise<T> {
  const res = await fetch(url, token ? { headers: { authorization: `Bearer ${token}` } } : {});
  return expectJson<T>(res, 200, `GET ${url}`);
}

/** The latest sequence of an endorser's feed, as `GET /feeds/{e}/` says. */
export async function latestSequence(base: string, endorser: string): Promise<number> {
  const index = await getJson<{ latest: { sequence: number } | null }>(
    `${base}/feeds/${endorser}/`,
  );
  assert.ok(index.latest, `${base}/feeds/${endorser}/ has no published version`);
  return index.latest.sequence;
}

export async function getBytes(
  url: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: Buffer; headers: Headers }> {
  const res = await fetch(url, { headers });
  return { status: res.status, body: Buffer.from(await res.arrayBuffer()), headers: res.headers };
}

/** A browser's cookie jar for one site, enough for a session cookie. */
export class Cookies {
  private readonly jar = new Map<string, string>();

  take(res: Response): void {
    for (const line of res.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const at = pair!.indexOf('=');
      const name = pair!.slice(0, at).trim();
      const value = pair!.slice(at + 1).trim();
      if (value === '' || /expires=Thu, 01 Jan 1970/i.test(line)) this.jar.delete(name);
      else this.jar.set(name, value);
    }
  }

  header(): string {
    return [...this.jar].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  get size(): number {
    return this.jar.size;
  }
}

/** The CSRF token a page carries (the `_csrf` field or the layout's meta tag). */
export function csrfOf(html: string): string {
  const m =
    /name="_csrf" value="([^"]+)"/.exec(html) ?? /name="csrf-token" content="([^"]+)"/.exec(html);
  assert.ok(m, `no CSRF token in the page: ${html.slice(0, 300)}`);
  return m[1]!;
}
