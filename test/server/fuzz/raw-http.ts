import net from 'node:net';

/**
 * One HTTP/1.1 exchange over its own socket, byte for byte as given: a fuzzer must send
 * what fetch() refuses to (raw bytes in the URL and headers, wrong Content-Length, bodies
 * on GET, unknown methods, 20 KB headers).
 */
export interface RawResponse {
  status: number;
  /** Lowercase names; repeated headers joined with ", ". */
  headers: Record<string, string>;
  body: Buffer;
}

export type Exchange =
  | { kind: 'answer'; response: RawResponse; ms: number }
  /** The server closed or reset the connection without a complete answer. */
  | { kind: 'closed'; partial: string; ms: number }
  | { kind: 'timeout'; partial: string; ms: number };

export interface ExchangeOptions {
  host: string;
  port: number;
  /** The request's method, to know that a HEAD answer has no body. */
  method: string;
  /** Sent after `head`; `halfClose` ends our side afterwards (a body cut short). */
  body?: Buffer;
  halfClose?: boolean;
  timeoutMs: number;
}

export function exchange(head: Buffer, opts: ExchangeOptions): Promise<Exchange> {
  const started = Date.now();
  return new Promise((resolve) => {
    const socket = net.connect(opts.port, opts.host);
    let input = Buffer.alloc(0);
    let settled = false;
    const finish = (result: Exchange) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(result);
    };
    const ms = () => Date.now() - started;
    const timer = setTimeout(
      () => finish({ kind: 'timeout', partial: preview(input), ms: ms() }),
      opts.timeoutMs,
    );
    socket.on('data', (chunk: Buffer) => {
      input = Buffer.concat([input, chunk]);
      const parsed = parseResponse(input, opts.method, false);
      if (parsed) finish({ kind: 'answer', response: parsed, ms: ms() });
    });
    const onEnd = () => {
      const parsed = parseResponse(input, opts.method, true);
      finish(
        parsed
          ? { kind: 'answer', response: parsed, ms: ms() }
          : { kind: 'closed', partial: preview(input), ms: ms() },
      );
    };
    socket.on('end', onEnd);
    socket.on('close', onEnd);
    // A server that answers and closes before reading the whole body makes our writes
    // fail (EPIPE, ECONNRESET): what it answered is what counts.
    socket.on('error', onEnd);
    socket.on('connect', () => {
      socket.write(head);
      if (opts.body && opts.body.length > 0) socket.write(opts.body);
      if (opts.halfClose) socket.end();
    });
  });
}

function preview(b: Buffer): string {
  return b.subarray(0, 300).toString('latin1');
}

/**
 * The first final response in `input` once it is complete (interim 1xx answers skipped),
 * or undefined while more bytes are needed. At the end of the stream, a body without a
 * length is whatever arrived.
 */
export function parseResponse(
  input: Buffer,
  method: string,
  atEnd: boolean,
): RawResponse | undefined {
  let offset = 0;
  for (;;) {
    const headEnd = input.indexOf('\r\n\r\n', offset);
    if (headEnd < 0) return undefined;
    const lines = input.subarray(offset, headEnd).toString('latin1').split('\r\n');
    const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(lines[0] ?? '')?.[1] ?? NaN);
    if (!Number.isInteger(status)) return undefined;
    const headers: Record<string, string> = {};
    for (const line of lines.slice(1)) {
      const colon = line.indexOf(':');
      if (colon <= 0) continue;
      const name = line.slice(0, colon).trim().toLowerCase();
      const value = line.slice(colon + 1).trim();
      headers[name] = headers[name] === undefined ? value : `${headers[name]}, ${value}`;
    }
    const bodyStart = headEnd + 4;
    if (status >= 100 && status < 200 && status !== 101) {
      offset = bodyStart;
      continue;
    }
    const rest = input.subarray(bodyStart);
    if (method === 'HEAD' || status === 204 || status === 304 || status === 101)
      return { status, headers, body: Buffer.alloc(0) };
    if (/\bchunked\b/i.test(headers['transfer-encoding'] ?? '')) {
      const body = dechunk(rest);
      if (body) return { status, headers, body };
      return atEnd ? { status, headers, body: rest } : undefined;
    }
    const length = headers['content-length'];
    if (length !== undefined && /^\d+$/.test(length)) {
      const n = Number(length);
      if (rest.length >= n) return { status, headers, body: rest.subarray(0, n) };
      return atEnd ? { status, headers, body: rest } : undefined;
    }
    return atEnd ? { status, headers, body: rest } : undefined;
  }
}

function dechunk(data: Buffer): Buffer | undefined {
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const lineEnd = data.indexOf('\r\n', at);
    if (lineEnd < 0) return undefined;
    const size = parseInt(data.subarray(at, lineEnd).toString('latin1').split(';')[0]!, 16);
    if (!Number.isInteger(size)) return undefined;
    if (size === 0) return Buffer.concat(parts);
    const start = lineEnd + 2;
    if (data.length < start + size + 2) return undefined;
    parts.push(data.subarray(start, start + size));
    at = start + size + 2;
  }
}
