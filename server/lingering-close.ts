import type { Socket } from 'node:net';
import type { Request, Response } from 'express';

/** After a refusal, how long the connection stays open for the client to read why. */
const LINGER_MS = 2000;

const lingering = new WeakSet<Socket>();

/**
 * When the answer is sent before the body was read to its end (any refusal), the rest is
 * not drained: the request stream stays paused, so TCP flow control stops the sender. Our
 * side is closed once the answer is out (FIN) and the socket destroyed only after
 * LINGER_MS: destroying a socket with unread input at once makes the kernel send a reset,
 * and the sender's TCP stack may then discard the answer before the sender reads it (why
 * web servers do a "lingering close"). Node itself destroys such a socket right after an
 * answer marked `Connection: close` (set with this for unread bodies), through
 * `destroySoon`, which is therefore replaced by the lingering close for this connection.
 */
export function closeUnreadBodyAfterAnswer(req: Request, res: Response): void {
  const socket: Socket = req.socket;
  if (lingering.has(socket)) return;
  lingering.add(socket);
  let closing = false;
  const lingeringClose = () => {
    if (closing) return;
    closing = true;
    req.pause();
    socket.end();
    const timer = setTimeout(() => socket.destroy(), LINGER_MS);
    timer.unref();
    socket.once('close', () => clearTimeout(timer));
  };
  socket.destroySoon = lingeringClose;
  res.on('finish', () => {
    if (!req.complete) lingeringClose();
  });
}
