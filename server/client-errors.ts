import crypto from 'node:crypto';
import http, { type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import type { RequestHandler } from 'express';
import { sendProblem } from './problem.ts';
import { LINGER_MS } from './lingering-close.ts';

/** A problem body for an answer written outside Express (no request id from the app yet). */
function problemBody(status: number, code: string, detail: string): string {
  return JSON.stringify({
    type: `https://w3id.org/vmic/problems/${code.toLowerCase().replaceAll('_', '-')}`,
    title: http.STATUS_CODES[status] ?? 'Error',
    status,
    detail,
    code,
    requestId: crypto.randomUUID(),
  });
}

/**
 * Requests that Node's HTTP parser rejects before Express sees them (bytes that are not
 * allowed in a URL, headers over the size limit, broken framing) are answered as
 * problem+json like every other refusal, instead of Node's bare status line, so that
 * clients and log tooling see one error format (threat: error paths nobody parses).
 */
export function answerParserErrors(server: Server): void {
  const answered = new WeakSet<Duplex>();
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => {
    // Bytes that arrive after the refusal fail the parser again: the answer is already on
    // its way and the socket closes after the linger below.
    if (answered.has(socket)) return;
    if (!socket.writable || (socket as { _httpMessage?: unknown })._httpMessage) {
      socket.destroy();
      return;
    }
    // A peer that resets or times out gets no answer: there is nobody to read it.
    if (err.code === 'ECONNRESET' || err.code === 'ERR_HTTP_REQUEST_TIMEOUT') {
      socket.destroy();
      return;
    }
    const tooLarge = err.code === 'HPE_HEADER_OVERFLOW';
    const status = tooLarge ? 431 : 400;
    const code = tooLarge ? 'HEADERS_TOO_LARGE' : 'BAD_REQUEST';
    const body = problemBody(
      status,
      code,
      tooLarge
        ? 'the request headers are larger than the server accepts'
        : 'the request is not valid HTTP (for example, bytes that are not allowed in a URL)',
    );
    answered.add(socket);
    lingerThenDestroy(socket);
    socket.end(
      `HTTP/1.1 ${status} ${tooLarge ? 'Request Header Fields Too Large' : 'Bad Request'}\r\n` +
        'Content-Type: application/problem+json\r\n' +
        `Content-Length: ${Buffer.byteLength(body)}\r\n` +
        'Cache-Control: no-store\r\nConnection: close\r\n\r\n' +
        body,
    );
  });
}

/**
 * A refusal sent while the client is still sending (a bad header followed by a 1 MB body)
 * must not be followed at once by destroying the socket: with unread input, the kernel
 * answers with a reset that can discard the refusal before the client reads it (found by
 * the fuzz test). Reading stops (TCP flow control holds the sender) and the socket is
 * destroyed after a short linger, as for refused bodies (lingering-close.ts).
 */
function lingerThenDestroy(socket: Duplex): void {
  socket.pause();
  const timer = setTimeout(() => socket.destroy(), LINGER_MS);
  timer.unref();
  socket.once('close', () => clearTimeout(timer));
}

/**
 * The two refusals Node's HTTP server writes itself for a request that parsed, as bare
 * status lines: 417 for an `Expect` other than `100-continue`, and 400 for an HTTP/1.1
 * request without `Host`. Both come as problem+json instead (found by the fuzz test;
 * threat: error paths nobody parses). The Host rule stays (RFC 9112 §3.2), checked by
 * `requireHost` in the app rather than by Node.
 */
export function answerProtocolRefusals(server: Server): void {
  (server as Server & { requireHostHeader: boolean }).requireHostHeader = false;
  server.on('checkExpectation', (req, res) => {
    const body = problemBody(
      417,
      'EXPECTATION_FAILED',
      `the expectation ${JSON.stringify(String(req.headers.expect).slice(0, 100))} is not supported; only 100-continue is`,
    );
    res.writeHead(417, {
      'Content-Type': 'application/problem+json; charset=utf-8',
      'Content-Length': Buffer.byteLength(body),
      'Cache-Control': 'no-store',
      Connection: 'close',
    });
    res.end(body);
  });
}

/** HTTP/1.1 requires a Host header (RFC 9112 §3.2); without one, a 400 problem. */
export const requireHost: RequestHandler = (req, res, next) => {
  if (req.httpVersion === '1.1' && req.headers.host === undefined) {
    sendProblem(res, 'BAD_REQUEST', 'an HTTP/1.1 request must carry a Host header');
    return;
  }
  next();
};
