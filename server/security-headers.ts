import type { RequestHandler } from 'express';

/**
 * Headers on every response. The API and feeds never serve active content, so the policy
 * forbids everything (threat: a stored value rendered as HTML or script by a browser,
 * clickjacking, MIME sniffing of blobs into HTML, leaking URLs through Referer).
 */
export const securityHeaders: RequestHandler = (_req, res, next) => {
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Referrer-Policy', 'no-referrer');
  res.setHeader('X-Frame-Options', 'DENY');
  res.setHeader('Content-Security-Policy', "default-src 'none'; frame-ancestors 'none'");
  res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
  next();
};
