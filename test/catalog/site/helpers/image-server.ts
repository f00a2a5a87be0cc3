import crypto from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * How a path is served:
 * - `normal`: the bytes, with Range support (RFC 9110 §14);
 * - `ignore-range`: the bytes, always 200 and whole, whatever Range says;
 * - `cut-once`: the first request gets half the body (Content-Length says all of it), then
 *   the socket is destroyed; later requests are served `normal`.
 */
export type ServeMode = 'normal' | 'ignore-range' | 'cut-once';

export interface SeenRequest {
  path: string;
  range: string | undefined;
}

/** A real HTTP server on 127.0.0.1, port 0, that records every request it sees. */
export interface ImageServer {
  url(path: string): string;
  serve(path: string, bytes: Buffer, mode?: ServeMode): void;
  requests: SeenRequest[];
  /** The most requests that were open at the same time. */
  maxInFlight(): number;
  close(): Promise<void>;
}

export async function startImageServer(): Promise<ImageServer> {
  const files = new Map<string, { bytes: Buffer; mode: ServeMode; served: number }>();
  const requests: SeenRequest[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const server = http.createServer((req, res) => {
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    res.on('close', () => inFlight--);
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    requests.push({ path, range: req.headers.range });
    const file = files.get(path);
    if (!file) {
      res.writeHead(404).end();
      return;
    }
    file.served++;
    const { bytes } = file;
    if (file.mode === 'cut-once' && file.served === 1) {
      res.writeHead(200, { 'content-length': bytes.length });
      res.write(bytes.subarray(0, Math.floor(bytes.length / 2)), () => res.socket?.destroy());
      return;
    }
    const m = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
    if (m && file.mode !== 'ignore-range') {
      const start = Number(m[1]);
      if (start >= bytes.length) {
        res.writeHead(416, { 'content-range': `bytes */${bytes.length}` }).end();
        return;
      }
      res.writeHead(206, {
        'content-length': bytes.length - start,
        'content-range': `bytes ${start}-${bytes.length - 1}/${bytes.length}`,
      });
      res.end(bytes.subarray(start));
      return;
    }
    res.writeHead(200, { 'content-length': bytes.length, 'accept-ranges': 'bytes' });
    res.end(bytes);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: (path) => `http://127.0.0.1:${port}${path}`,
    serve: (path, bytes, mode = 'normal') => files.set(path, { bytes, mode, served: 0 }),
    requests,
    maxInFlight: () => maxInFlight,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export function randomImage(size: number): { bytes: Buffer; sha256: string } {
  const bytes = crypto.randomBytes(size);
  return { bytes, sha256: sha256(bytes) };
}

export function sha256(bytes: Buffer): string {
  return crypto.createHash('sha256').update(bytes).digest('hex');
}
