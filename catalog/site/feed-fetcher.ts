import { boundedGet } from '../net/http-client.ts';
import { VmicError } from '../../errors/index.ts';

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
 * docs/design.md §6 step 1. The body is read with a running byte count and abandoned at the
 * limit (`TOO_LARGE`, threat: endless data), and the whole request, body included, has one
 * deadline (`TOO_SLOW`, threat: a feed that trickles bytes to hold the cron job forever).
 */
export const httpFeedFetcher: FeedFetcher = {
  async fetch(url, { etag, maxBytes, timeoutMs }) {
    const res = await boundedGet(url, {
      maxBytes,
      timeoutMs,
      what: `feed ${url}`,
      headers: { accept: 'application/pkcs7-mime', ...(etag ? { 'if-none-match': etag } : {}) },
    });
    if (res.status === 304) return { status: 'not-modified' };
    if (res.status !== 200) throw new VmicError('FETCH_FAILED', `${url}: HTTP ${res.status}`);
    return { status: 'ok', body: res.body, etag: res.headers.get('etag') ?? undefined };
  },
};
