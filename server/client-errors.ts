import crypto from 'node:crypto';
import type { Server } from 'node:http';
import type { Duplex } from 'node:stream';

/**
 * Requests that Node's HTTP parser rejects before Express sees them (bytes that are not
 * allowed in a URL, headers over the size limit, broken framing) are answered as
 * problem+json like every other refusal, instead of Node's bare status line, so that
 * clients and log tooling see one error format (threat: error paths nobody parses).
 */
export function answerParserErrors(server: Server): void {
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => {
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
    const body = JSON.stringify({
      type: `https://w3id.org/vmic/problems/${code.toLowerCase().replaceAll('_', '-')}`,
      title: tooLarge ? 'Request Header Fields Too Large' : 'Bad Request',
      status,
      detail: tooLarge
        ? 'the request headers are larger than the server accepts'
        : 'the request is not valid HTTP (for example, bytes that are not allowed in a URL)',
      code,
      requestId: crypto.randomUUID(),
    });
    socket.end(
      `HTTP/1.1 ${status} ${tooLarge ? 'Request Header Fields Too Large' : 'Bad Request'}\r\n` +
        'Content-Type: application/problem+json\r\n' +
        `Content-Length: ${Buffer.byteLength(body)}\r\n` +
        'Cache-Control: no-store\r\nConnection: close\r\n\r\n' +
        body,
    );
  });
}
