import crypto from 'node:crypto';
import type { Request, Response } from 'express';

export const LATEST_CACHE = 'public, max-age=60, must-revalidate';
export const IMMUTABLE_CACHE = 'public, max-age=31536000, immutable';

/**
 * If-None-Match per RFC 9110 §13.1.2 (weak comparison, `*` matches any current
 * representation). Evaluated here rather than with `req.fresh`: that helper applies cache
 * semantics and ignores the condition when the client sends `Cache-Control: no-cache`,
 * which fetch() does on every conditional request.
 */
export function notModified(req: Request, etag: string): boolean {
  if (req.method !== 'GET' && req.method !== 'HEAD') return false;
  const header = req.get('if-none-match');
  if (header === undefined) return false;
  const opaque = (tag: string) => tag.trim().replace(/^W\//, '');
  const ours = opaque(etag);
  return header.split(',').some((t) => t.trim() === '*' || opaque(t) === ours);
}

/**
 * Sends a representation with a strong ETag over its exact bytes, answering a matching
 * If-None-Match with 304 (RFC 9110 §13.1.2). HEAD gets the same headers without a body.
 */
export function sendRepresentation(
  req: Request,
  res: Response,
  body: Buffer,
  headers: { contentType: string; cacheControl: string },
): void {
  const etag = `"${crypto.createHash('sha256').update(body).digest('hex')}"`;
  if (answeredWithoutBody(req, res, etag, body.length, headers)) return;
  res.end(body);
}

/**
 * The headers of a representation of `size` bytes with a strong ETag; a matching
 * If-None-Match is answered 304 and HEAD without a body. True when the answer is complete;
 * false when the caller sends the body next.
 */
export function answeredWithoutBody(
  req: Request,
  res: Response,
  etag: string,
  size: number,
  headers: { contentType: string; cacheControl: string },
): boolean {
  res.setHeader('ETag', etag);
  res.setHeader('Cache-Control', headers.cacheControl);
  res.setHeader('Content-Type', headers.contentType);
  if (notModified(req, etag)) {
    res.status(304).end();
    return true;
  }
  res.setHeader('Content-Length', String(size));
  if (req.method === 'HEAD') {
    res.end();
    return true;
  }
  return false;
}
