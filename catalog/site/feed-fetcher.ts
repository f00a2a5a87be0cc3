import { VmicError } from '../../pki/errors.ts';

export type FeedResponse =
  { status: 'not-modified' } | { status: 'ok'; body: Buffer; etag: string | undefined };

/** Injected so that tests and other transports can stand in; the default speaks HTTP(S). */
export interface FeedFetcher {
  fetch(
    url: string,
    opts: { etag?: string | undefined; maxBytes: number; timeoutMs: number },
  ): Promise<FeedResponse>;
}

/**
 * DESIGN.md §6 step 1. The body is read with a running byte count and abandoned at the
 * limit (threat: endless data), and the whole request is bounded in time (threat: a feed
 * that trickles bytes to hold the cron job forever).
 */
export const httpFeedFetcher: FeedFetcher = {
  async fetch(url, { etag, maxBytes, timeoutMs }) {
    let res: Response;
    const signal = AbortSignal.timeout(timeoutMs);
    const request = () =>
      fetch(url, {
        headers: { accept: 'application/pkcs7-mime', ...(etag ? { 'if-none-match': etag } : {}) },
        signal,
        redirect: 'follow',
      });
    try {
      // A GET is idempotent: one retry covers a pooled keep-alive connection that the
      // server closed just as it was reused (ECONNRESET), which is not the feed's fault.
      res = await request().catch((e: unknown) => {
        if (signal.aborted) throw e;
        return request();
      });
    } catch (e) {
      throw new VmicError(
        'FETCH_FAILED',
        `${url}: ${(e as Error).cause instanceof Error ? ((e as Error).cause as Error).message : (e as Error).message}`,
        { cause: e },
      );
    }
    if (res.status === 304) return { status: 'not-modified' };
    if (res.status !== 200) {
      await res.body?.cancel().catch(() => {});
      throw new VmicError('FETCH_FAILED', `${url}: HTTP ${res.status}`);
    }
    const declared = Number(res.headers.get('content-length') ?? NaN);
    if (Number.isFinite(declared) && declared > maxBytes) {
      await res.body?.cancel().catch(() => {});
      throw new VmicError('TOO_LARGE', `${url}: ${declared} bytes declared, limit ${maxBytes}`);
    }
    const chunks: Buffer[] = [];
    let total = 0;
    try {
      for await (const chunk of res.body ?? []) {
        total += (chunk as Uint8Array).length;
        if (total > maxBytes) {
          await res.body?.cancel().catch(() => {});
          throw new VmicError('TOO_LARGE', `${url}: more than ${maxBytes} bytes`);
        }
        chunks.push(Buffer.from(chunk as Uint8Array));
      }
    } catch (e) {
      if (e instanceof VmicError) throw e;
      throw new VmicError('FETCH_FAILED', `${url}: ${(e as Error).message}`, { cause: e });
    }
    return {
      status: 'ok',
      body: Buffer.concat(chunks),
      etag: res.headers.get('etag') ?? undefined,
    };
  },
};
