import crypto from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * How a feed path answers:
 * - `etag`: 200 with a strong ETag, and `304 Not Modified` when If-None-Match matches it
 *   (what a well-behaved feed host does);
 * - `304-forever`: the first request gets the body, every later request `304 Not
 *   Modified`, whatever it asks (a frozen or hostile host keeping a site on an old catalog).
 */
export type FeedMode = 'etag' | '304-forever';

export interface FeedRequest {
  path: string;
  ifNoneMatch: string | undefined;
  status: number;
}

/** A real HTTP feed host on 127.0.0.1 with a body and an answering mode per path. */
export interface FeedHost {
  url(path: string): string;
  serve(path: string, body: Uint8Array | undefined, mode?: FeedMode): void;
  requests: FeedRequest[];
  stop(): Promise<void>;
}

export async function startFeedHost(): Promise<FeedHost> {
  const files = new Map<string, { body: Buffer; etag: string; mode: FeedMode; served: number }>();
  const requests: FeedRequest[] = [];
  const server = http.createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    const ifNoneMatch = req.headers['if-none-match'];
    const answer = (status: number, headers: http.OutgoingHttpHeaders = {}, body?: Buffer) => {
      requests.push({ path, ifNoneMatch, status });
      res.writeHead(status, headers).end(body);
    };
    const file = files.get(path);
    if (!file) return answer(404);
    file.served++;
    if (file.mode === '304-forever' ? file.served > 1 : ifNoneMatch === file.etag)
      return answer(304, { etag: file.etag });
    answer(200, { etag: file.etag, 'content-length': file.body.length }, file.body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: (p) => `http://127.0.0.1:${port}${p}`,
    serve(p, body, mode = 'etag') {
      if (body === undefined) {
        files.delete(p);
        return;
      }
      const bytes = Buffer.from(body);
      const etag = `"${crypto.createHash('sha256').update(bytes).digest('hex').slice(0, 16)}"`;
      files.set(p, { body: bytes, etag, mode, served: 0 });
    },
    requests,
    stop: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
