import http from 'node:http';
import https from 'node:https';
import { VmicError } from '../../errors/index.ts';

/**
 * The one HTTP client of vmic (feeds, image downloads, peers' identity documents,
 * migration sends), on node:http/https: streaming bodies, Range requests and socket-level
 * control without a dependency. Policy, in one place:
 *
 * - only `http:` and `https:` URLs (threat: a catalog or a configured URL making the site
 *   read local files or speak other protocols): FETCH_FAILED;
 * - GETs follow at most MAX_REDIRECTS redirects, to the same scheme or from http to
 *   https, never from https down to http (threat: a redirect stripping TLS); POSTs follow
 *   none;
 * - `accept-encoding: identity` on every GET: bytes are hashed and counted as sent;
 * - time and size limits are the caller's (`boundedGet` here, the download's watchdog,
 *   the migration send's idle and answer deadlines), applied through `signal`.
 */
export const MAX_REDIRECTS = 5;

export interface OpenResponse {
  response: http.IncomingMessage;
  /** Ends the exchange early (a body not read to the end is discarded). */
  close(): void;
}

export interface GetOptions {
  headers?: Record<string, string>;
  signal?: AbortSignal;
  /** Names what is read, for messages; defaults to the URL. */
  what?: string;
  /** Called when a request is sent and when its headers arrive (idle timers). */
  onActivity?: () => void;
}

/** The URL if it is one vmic may speak to, else FETCH_FAILED naming `what`. */
export function checkUrl(url: string | URL, what?: string): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new VmicError('FETCH_FAILED', `${what ?? String(url)}: not a URL: ${String(url)}`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')
    throw new VmicError(
      'FETCH_FAILED',
      `${what ?? String(url)}: only http and https URLs are allowed`,
    );
  return parsed;
}

/**
 * A GET whose response is handed over unread (streaming), after following redirects under
 * the policy above. Errors of the request are rejected as they are: the caller maps them
 * (deadline, watchdog) to its codes.
 */
export async function openGet(url: string, opts: GetOptions = {}): Promise<OpenResponse> {
  const what = opts.what ?? url;
  let current = checkUrl(url, what);
  for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
    const res = await getOnce(current, opts);
    const status = res.response.statusCode ?? 0;
    const location = res.response.headers.location;
    if (status < 300 || status >= 400 || status === 304 || !location) return res;
    res.close();
    const next = checkUrl(new URL(location, current), what);
    if (current.protocol === 'https:' && next.protocol === 'http:')
      throw new VmicError('FETCH_FAILED', `${what}: redirect from https to http refused`);
    current = next;
  }
  throw new VmicError('FETCH_FAILED', `${what}: more than ${MAX_REDIRECTS} redirects`);
}

function getOnce(url: URL, opts: GetOptions): Promise<OpenResponse> {
  opts.onActivity?.();
  return new Promise((resolve, reject) => {
    const req = (url.protocol === 'https:' ? https : http).get(
      url,
      {
        ...(opts.signal ? { signal: opts.signal } : {}),
        // Raw bytes only: a transfer coding would change what is hashed and counted.
        headers: { 'accept-encoding': 'identity', ...opts.headers },
      },
      (response) => {
        opts.onActivity?.();
        resolve({
          response,
          close() {
            if (!response.complete) response.destroy();
          },
        });
      },
    );
    req.on('error', reject);
  });
}

export interface PostOptions {
  headers: Record<string, string | number>;
  signal?: AbortSignal;
  /** CA certificates (PEM) for an https URL, instead of the system's (clouds.yaml `cacert`). */
  ca?: Buffer;
  /**
   * A connection of its own, not one from the keep-alive pool: a pooled socket that the
   * server closed just as it is reused fails a POST or PUT, which cannot simply be retried.
   */
  ownConnection?: boolean;
}

/**
 * A POST whose body the caller streams into the returned request; no redirect is
 * followed (a 3xx is an answer like any other). Timeouts and the answer's bound are the
 * caller's (see catalog/migration/send.ts).
 */
export function openPost(url: string, opts: PostOptions): http.ClientRequest {
  return openRequest('POST', url, opts);
}

/**
 * Any method (an API such as Glance's: PUT, PATCH, DELETE), under the same rules as
 * `openPost`: the caller writes the body, ends the request and bounds the answer.
 */
export function openRequest(method: string, url: string, opts: PostOptions): http.ClientRequest {
  const u = checkUrl(url);
  return (u.protocol === 'https:' ? https : http).request(u, {
    method,
    headers: opts.headers,
    ...(opts.signal ? { signal: opts.signal } : {}),
    ...(opts.ca ? { ca: opts.ca } : {}),
    ...(opts.ownConnection ? { agent: false } : {}),
  });
}

/** Response headers as a `Headers` (one value per name, repeated ones joined). */
export function headersOf(res: http.IncomingMessage): Headers {
  const out = new Headers();
  for (const [name, value] of Object.entries(res.headers)) {
    if (value === undefined) continue;
    for (const v of Array.isArray(value) ? value : [value]) out.append(name, v);
  }
  return out;
}

export interface BoundedGetOptions {
  /** The body may not go past this many bytes: counted while streaming, `TOO_LARGE`. */
  maxBytes: number;
  /**
   * One deadline for the whole exchange (connecting, headers and every byte of the body),
   * `TOO_SLOW` when it passes. Threat: a host that trickles bytes, or never answers, to
   * hold a cron job, an import lock or a migration for ever.
   */
  timeoutMs: number;
  headers?: Record<string, string>;
  /** Names what is read, for messages (`feed https://…`, `peer lyon's identity`). */
  what?: string;
}

export interface BoundedResponse {
  status: number;
  headers: Headers;
  /** The body of a 200; empty for every other status (it is not read). */
  body: Buffer;
}

/**
 * A buffered read from another host (feeds, peers' identity documents): an HTTP(S) GET
 * through the one client (http-client.ts: schemes, redirects) whose time and size are
 * bounded before any byte is trusted. Redirects are followed within the same deadline.
 */
export async function boundedGet(url: string, opts: BoundedGetOptions): Promise<BoundedResponse> {
  const what = opts.what ?? url;
  checkUrl(url, what);

  const signal = AbortSignal.timeout(opts.timeoutMs);
  const failure = (e: unknown): VmicError => {
    if (e instanceof VmicError) return e;
    if (signal.aborted)
      return new VmicError(
        'TOO_SLOW',
        `${what}: no complete answer within ${opts.timeoutMs} ms (the deadline for this read)`,
        { cause: e },
      );
    return new VmicError('FETCH_FAILED', `${what}: ${(e as Error).message}`, { cause: e });
  };
  const request = () => openGet(url, { headers: opts.headers ?? {}, signal, what });

  let res: OpenResponse;
  try {
    // A GET is idempotent: one retry covers a pooled keep-alive connection that the
    // server closed just as it was reused (ECONNRESET), which is not the other host's fault.
    res = await request().catch((e: unknown) => {
      if (signal.aborted || e instanceof VmicError) throw e;
      return request();
    });
  } catch (e) {
    throw failure(e);
  }
  const status = res.response.statusCode ?? 0;
  const headers = headersOf(res.response);
  if (status !== 200) {
    res.close();
    return { status, headers, body: Buffer.alloc(0) };
  }
  const declared = Number(headers.get('content-length') ?? NaN);
  if (Number.isFinite(declared) && declared > opts.maxBytes) {
    res.close();
    throw new VmicError('TOO_LARGE', `${what}: ${declared} bytes declared, limit ${opts.maxBytes}`);
  }
  try {
    return { status, headers, body: await readAtMost(res.response, declared, { ...opts, what }) };
  } catch (e) {
    res.close();
    throw failure(e);
  }
}

/**
 * Reads the body with a running count, abandoning it at the limit (threat: endless data).
 * With a declared length the bytes go straight into one buffer of that size, so a large
 * feed is held once, not as chunks plus their concatenation.
 */
async function readAtMost(
  res: http.IncomingMessage,
  declared: number,
  opts: BoundedGetOptions,
): Promise<Buffer> {
  const into =
    Number.isSafeInteger(declared) && declared >= 0 && declared <= opts.maxBytes
      ? Buffer.allocUnsafe(declared)
      : undefined;
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of res) {
    const value = chunk as Buffer;
    if (total + value.length > opts.maxBytes)
      throw new VmicError(
        'TOO_LARGE',
        `${opts.what ?? 'response'}: more than ${opts.maxBytes} bytes`,
      );
    if (into !== undefined && total + value.length <= into.length) value.copy(into, total);
    else chunks.push(value);
    total += value.length;
  }
  if (into === undefined) return Buffer.concat(chunks);
  // A body longer or shorter than it declared is not the document the server described.
  if (total !== into.length || chunks.length > 0)
    throw new Error(`body of ${total} bytes, declared ${into.length}`);
  return into;
}
