import type http from 'node:http';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { VmicError, type ErrorCode } from '../../errors/index.ts';
import { headersOf, openRequest } from './http-client.ts';

/**
 * One request to an HTTP API (Keystone, Glance, a log witness) through vmic's HTTP client: JSON or a
 * streamed body out, a bounded answer in. Both ends are bounded (threat: an API endpoint
 * that stalls or answers without end holding the sync's run lock for ever): `idleMs`
 * without a byte moving either way aborts with TOO_SLOW; an answer longer than `maxBytes`
 * is cut off with TOO_LARGE. An idle bound, not a deadline: an image upload of many GiB
 * takes as long as it takes while bytes flow.
 */
export interface ApiRequest {
  headers?: Record<string, string | number>;
  /** A JSON value, raw bytes, or a stream (an image upload). */
  body?: unknown;
  idleMs: number;
  maxBytes: number;
  /** Names the exchange in messages (`Glance POST /v2/images`). */
  what: string;
  /** The code of a failure to talk to the endpoint at all. */
  failCode: ErrorCode;
  ca?: Buffer | undefined;
}

export interface ApiAnswer {
  status: number;
  headers: Headers;
  body: Buffer;
}

export async function apiRequest(method: string, url: string, o: ApiRequest): Promise<ApiAnswer> {
  const ctl = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const touch = () => {
    clearTimeout(timer);
    timer = setTimeout(() => ctl.abort(), o.idleMs);
  };
  touch();
  const fail = (e: unknown): VmicError => {
    if (e instanceof VmicError) return e;
    if (ctl.signal.aborted)
      return new VmicError('TOO_SLOW', `${o.what}: nothing moved for ${o.idleMs} ms`, { cause: e });
    return new VmicError(o.failCode, `${o.what}: ${(e as Error).message}`, { cause: e });
  };
  try {
    const { headers, payload } = bodyOf(o);
    const req = openRequest(method, url, {
      headers: { ...headers, ...o.headers },
      signal: ctl.signal,
      ownConnection: true,
      ...(o.ca ? { ca: o.ca } : {}),
    });
    const answer = new Promise<http.IncomingMessage>((resolve, reject) => {
      req.on('response', resolve);
      req.on('error', reject);
    });
    let sending: Promise<unknown>;
    if (payload instanceof Readable) {
      payload.on('data', touch);
      sending = pipeline(payload, req);
    } else {
      // Bytes in memory: written at once; a socket failure arrives as the request's error.
      req.end(payload);
      sending = Promise.resolve();
    }
    // A failed send (the source stream refused its bytes) explains a lost answer better
    // than the socket error it causes.
    const sendError = sending.then(
      () => undefined,
      (e: unknown) => e,
    );
    let res: http.IncomingMessage;
    try {
      res = await answer;
    } catch (e) {
      throw fail((await sendError) ?? e);
    }
    touch();
    const body = await readBounded(res, o, touch);
    // The answer came; a send still failing now only matters when the answer says success.
    const late = await sendError;
    const status = res.statusCode ?? 0;
    if (late !== undefined && status < 300) throw fail(late);
    return { status, headers: headersOf(res), body };
  } catch (e) {
    throw fail(e);
  } finally {
    clearTimeout(timer);
  }
}

function bodyOf(o: ApiRequest): {
  headers: Record<string, string | number>;
  payload: Readable | Buffer | undefined;
} {
  if (o.body === undefined) return { headers: {}, payload: undefined };
  if (o.body instanceof Readable) return { headers: {}, payload: o.body };
  if (Buffer.isBuffer(o.body))
    return { headers: { 'content-length': o.body.length }, payload: o.body };
  const json = Buffer.from(JSON.stringify(o.body));
  return {
    headers: { 'content-type': 'application/json', 'content-length': json.length },
    payload: json,
  };
}

async function readBounded(
  res: http.IncomingMessage,
  o: ApiRequest,
  touch: () => void,
): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of res) {
    touch();
    total += (chunk as Buffer).length;
    if (total > o.maxBytes) {
      res.destroy();
      throw new VmicError('TOO_LARGE', `${o.what}: answer longer than ${o.maxBytes} bytes`);
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/** The answer's JSON object; `failCode` when it is not one (an HTML error page, a proxy's). */
export function jsonOf(a: ApiAnswer, what: string, failCode: ErrorCode): Record<string, unknown> {
  try {
    const v: unknown = JSON.parse(a.body.toString('utf8'));
    if (v && typeof v === 'object' && !Array.isArray(v)) return v as Record<string, unknown>;
  } catch {
    // falls through to the error below
  }
  throw new VmicError(failCode, `${what}: the answer (HTTP ${a.status}) is not a JSON object`);
}

/** A short, single-line excerpt of an error answer for messages (never the whole body). */
export function answerExcerpt(a: ApiAnswer): string {
  const text = a.body
    .toString('utf8')
    .replace(/<[^>]*>/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
}
