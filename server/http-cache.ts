import crypto from 'node:crypto';
import type { Request, Response } from 'express';
import { VmicError } from '../errors/index.ts';

/** How long a shared cache may answer a feed's latest path without asking (issue 15). */
export const DEFAULT_FEED_MAX_AGE_SECONDS = 60;
/**
 * The bound on it: a cache may serve a superseded catalog this long after a publish, which
 * is a window for a freeze attack (a site kept on an old catalog); the catalog's own
 * expiry still bounds what a site accepts, but an hour is the most worth trading for load.
 */
export const MAX_FEED_MAX_AGE_SECONDS = 3600;

export function latestCacheControl(maxAgeSeconds: number): string {
  return `public, max-age=${maxAgeSeconds}, must-revalidate`;
}

export const LATEST_CACHE = latestCacheControl(DEFAULT_FEED_MAX_AGE_SECONDS);
export const IMMUTABLE_CACHE = 'public, max-age=31536000, immutable';

// Keyed by the instance, as the import schedule is: a process (the tests) may serve more
// than one instance, each with its own setting.
const LATEST_BY_INSTANCE = new WeakMap<object, string>();

/**
 * `vmic serve --feed-max-age` (or `$VMIC_FEED_MAX_AGE`) for the feeds of `inst`. Set once
 * at start-up, before serving; every replica behind one cache should get the same value.
 */
export function setFeedMaxAge(inst: object, maxAgeSeconds: number): void {
  if (
    !Number.isSafeInteger(maxAgeSeconds) ||
    maxAgeSeconds < 0 ||
    maxAgeSeconds > MAX_FEED_MAX_AGE_SECONDS
  )
    throw new VmicError(
      'CONFIG',
      `feed max-age must be 0 to ${MAX_FEED_MAX_AGE_SECONDS} seconds, got ${maxAgeSeconds}`,
    );
  LATEST_BY_INSTANCE.set(inst, latestCacheControl(maxAgeSeconds));
}

/** Cache-Control of the latest paths (`/feeds/E`, `/feeds/E/catalog.p7m`, …) of `inst`. */
export function latestCacheOf(inst: object): string {
  return LATEST_BY_INSTANCE.get(inst) ?? LATEST_CACHE;
}

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
