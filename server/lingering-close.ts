import type { Socket } from 'node:net';
import type { Request, RequestHandler, Response } from 'express';

/** After a refusal, how long the connection stays open for the client to read why. */
export const LINGER_MS = 2000;

/** The request last answered on each socket whose close lingers, and sockets closing. */
const answering = new WeakMap<Socket, Request>();
const closing = new WeakSet<Socket>();
const watched = new WeakSet<Response>();

/**
 * When the answer is sent before the body was read to its end (any refusal), the rest is
 * not drained: the request stream stays paused, so TCP flow control stops the sender. Our
 * side is closed once the answer is out (FIN) and the socket destroyed only after
 * LINGER_MS: destroying a socket with unread input at once makes the kernel send a reset,
 * and the sender's TCP stack may then discard the answer before the sender reads it (why
 * web servers do a "lingering close"). Node itself destroys such a socket right after an
 * answer marked `Connection: close` (set with this for unread bodies), through
 * `destroySoon`, which is therefore replaced by the lingering close for this connection.
 * A keep-alive connection may carry several requests: the one being answered is the one
 * paused.
 */
export function closeUnreadBodyAfterAnswer(req: Request, res: Response): void {
  const socket: Socket = req.socket;
  lingerInsteadOfReset(req);
  if (watched.has(res)) return;
  watched.add(res);
  res.on('finish', () => {
    if (!req.complete) lingeringClose(socket);
  });
}

function lingeringClose(socket: Socket): void {
  if (closing.has(socket)) return;
  closing.add(socket);
  answering.get(socket)?.pause();
  socket.end();
  const timer = setTimeout(() => socket.destroy(), LINGER_MS);
  timer.unref();
  socket.once('close', () => clearTimeout(timer));
}

/** When Node closes this connection after an answer, it lingers (see above) rather than resetting. */
function lingerInsteadOfReset(req: Request): void {
  const socket: Socket = req.socket;
  if (!answering.has(socket)) socket.destroySoon = () => lingeringClose(socket);
  answering.set(socket, req);
}

/**
 * Not only refusals: any answer after which Node closes the connection (`Connection:
 * close`) while body bytes are still coming, say a page or a redirect that ignores a 1 MB
 * body, gets the lingering close instead of an immediate destroy, whose reset could
 * discard that answer (found by the fuzz test). On a keep-alive connection Node still
 * reads past an ignored body to the next request, as before.
 */
export const lingerOnClose: RequestHandler = (req, _res, next) => {
  lingerInsteadOfReset(req);
  next();
};
