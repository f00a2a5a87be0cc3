import crypto from 'node:crypto';
import type { Request, RequestHandler } from 'express';
import { boundedBody } from '../bounded-body.ts';
import { VmicError } from '../../errors/index.ts';

const UNSAFE_METHODS: ReadonlySet<string> = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** Form bodies of the web admin are small; image bytes come as multipart, not this. */
const FORM_BODY_LIMIT = 64 * 1024;

/**
 * Where a request may carry the CSRF token, in this order: the `x-csrf-token` header
 * (the pages' JavaScript, including uploads), the `_csrf` query parameter (a multipart
 * upload form, whose body is streamed to disk and read only after the check), the `_csrf`
 * field of an urlencoded form body.
 */
function presentedToken(req: Request): string | undefined {
  const header = req.get('x-csrf-token');
  if (header !== undefined) return header;
  const query: unknown = req.query._csrf;
  if (typeof query === 'string') return query;
  const body: unknown = (req.body as Record<string, unknown> | undefined)?._csrf;
  return typeof body === 'string' ? body : undefined;
}

/**
 * Refuses a request whose CSRF token does not equal the session's (threat: a page on
 * another site making the signed-in browser submit a form). Compared in constant time.
 */
export const requireCsrf: RequestHandler = (req, _res, next) => {
  next(csrfFailure(req));
};

function csrfFailure(req: Request): VmicError | undefined {
  const expected = req.session?.csrfToken;
  const given = presentedToken(req);
  if (expected === undefined || given === undefined)
    return new VmicError('FORBIDDEN', 'missing CSRF token: reload the page and try again', {
      rule: 'csrf',
    });
  const a = Buffer.from(given, 'utf8');
  const b = Buffer.from(expected, 'utf8');
  if (a.length !== b.length || !crypto.timingSafeEqual(a, b))
    return new VmicError('FORBIDDEN', 'invalid CSRF token: reload the page and try again', {
      rule: 'csrf',
    });
  return undefined;
}

/** Parses an urlencoded form body (once: later parsers see it parsed), bounded. */
export const parseForm: RequestHandler = boundedBody({
  limitBytes: FORM_BODY_LIMIT,
  type: 'form',
  maxFields: 100,
  what: 'form body',
});

/**
 * Applies requireCsrf to every state-changing request that a session cookie
 * authenticates. Exempt: requests with an Authorization header (bearer tokens, which a
 * cross-site form cannot send and a cross-origin script cannot add without CORS, which
 * vmic does not grant) and paths in `exempt` (the SAML ACS, which the IdP posts and which
 * is protected by the signed, single-use response instead).
 */
export function csrfForSessionRequests(exempt: readonly string[]): RequestHandler {
  return (req, res, next) => {
    if (
      !UNSAFE_METHODS.has(req.method) ||
      req.get('authorization') !== undefined ||
      exempt.includes(req.path) ||
      req.session?.csrfToken === undefined
    ) {
      next();
      return;
    }
    parseForm(req, res, (err?: unknown) => {
      next(err ?? csrfFailure(req));
    });
  };
}
