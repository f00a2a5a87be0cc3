import { VmicError } from '../../pki/errors.ts';

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
 * The one way vmic reads from another host (feeds, peers' identity documents): an HTTP(S)
 * GET whose time and size are bounded before any byte is trusted. Only http and https
 * (threat: a configured URL making the server read `data:` or other schemes). Redirects are
 * followed within the same deadline.
 */
export async function boundedGet(url: string, opts: BoundedGetOptions): Promise<BoundedResponse> {
  const what = opts.what ?? url;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new VmicError('FETCH_FAILED', `${what}: not a URL: ${url}`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')
    throw new VmicError('FETCH_FAILED', `${what}: only http and https URLs are allowed`);

  const signal = AbortSignal.timeout(opts.timeoutMs);
  const failure = (e: unknown): VmicError => {
    if (e instanceof VmicError) return e;
    if (signal.aborted)
      return new VmicError(
        'TOO_SLOW',
        `${what}: no complete answer within ${opts.timeoutMs} ms (the deadline for this read)`,
        { cause: e },
      );
    const cause = (e as Error).cause;
    const message = cause instanceof Error ? cause.message : (e as Error).message;
    return new VmicError('FETCH_FAILED', `${what}: ${message}`, { cause: e });
  };
  const request = () => fetch(parsed, { headers: opts.headers ?? {}, signal, redirect: 'follow' });

  let res: Response;
  try {
    // A GET is idempotent: one retry covers a pooled keep-alive connection that the
    // server closed just as it was reused (ECONNRESET), which is not the other host's fault.
    res = await request().catch((e: unknown) => {
      if (signal.aborted) throw e;
      return request();
    });
  } catch (e) {
    throw failure(e);
  }
  if (res.status !== 200) {
    await res.body?.cancel().catch(() => {});
    return { status: res.status, headers: res.headers, body: Buffer.alloc(0) };
  }
  const declared = Number(res.headers.get('content-length') ?? NaN);
  if (Number.isFinite(declared) && declared > opts.maxBytes) {
    await res.body?.cancel().catch(() => {});
    throw new VmicError('TOO_LARGE', `${what}: ${declared} bytes declared, limit ${opts.maxBytes}`);
  }
  return {
    status: res.status,
    headers: res.headers,
    body: await readAtMost(res, { ...opts, what }, failure),
  };
}

/**
 * Reads the body with a running count, abandoning it at the limit (threat: endless data).
 * With a declared length the bytes go straight into one buffer of that size, so a large
 * feed is held once, not as chunks plus their concatenation.
 */
async function readAtMost(
  res: Response,
  opts: BoundedGetOptions,
  failure: (e: unknown) => VmicError,
): Promise<Buffer> {
  const declared = Number(res.headers.get('content-length') ?? NaN);
  const into =
    Number.isSafeInteger(declared) && declared >= 0 && declared <= opts.maxBytes
      ? Buffer.allocUnsafe(declared)
      : undefined;
  const chunks: Uint8Array[] = [];
  let total = 0;
  const reader = res.body?.getReader();
  if (!reader) return Buffer.alloc(0);
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (total + value.length > opts.maxBytes) {
        await reader.cancel().catch(() => {});
        throw new VmicError(
          'TOO_LARGE',
          `${opts.what ?? 'response'}: more than ${opts.maxBytes} bytes`,
        );
      }
      if (into !== undefined && total + value.length <= into.length) into.set(value, total);
      else chunks.push(value);
      total += value.length;
    }
  } catch (e) {
    await reader.cancel().catch(() => {});
    throw failure(e);
  }
  if (into === undefined) return Buffer.concat(chunks);
  // A body longer or shorter than it declared is not the document the server described.
  if (total !== into.length || chunks.length > 0)
    throw failure(new Error(`body of ${total} bytes, declared ${into.length}`));
  return into;
}
