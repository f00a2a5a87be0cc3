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

/**
 * The web admin's policy for HTML: scripts, styles and images from this origin only (no
 * inline script: injected markup cannot run), no framing, no <base> rewriting, and forms
 * may post only here and to the IdP (threat: a form hijacked to send data elsewhere).
 */
export function htmlContentSecurityPolicy(formTargets: readonly string[] = []): string {
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    `form-action ${["'self'", ...formTargets].join(' ')}`,
    "frame-ancestors 'none'",
    "base-uri 'none'",
  ].join('; ');
}

export function htmlSecurityHeaders(formTargets: readonly string[] = []): RequestHandler {
  const policy = htmlContentSecurityPolicy(formTargets);
  return (_req, res, next) => {
    res.setHeader('Content-Security-Policy', policy);
    next();
  };
}
