import type { Request, RequestHandler } from 'express';
import { boundedBody } from './bounded-body.ts';
import { VmicError } from '../pki/errors.ts';

/**
 * JSON request bodies, bounded by the configured limit (threat: endless data). Used after
 * authorisation, so an anonymous caller never makes the server parse anything.
 */
export function jsonBody(limitBytes: number): RequestHandler {
  const read = boundedBody({ limitBytes, type: 'json', what: 'JSON body' });
  return (req, res, next) => {
    read(req, res, (err?: unknown) => {
      if (err) return next(err);
      const bad = illFormedTextAt(req.body);
      if (bad === undefined) return next();
      return next(
        new VmicError('BAD_REQUEST', `text at ${bad} is not well-formed Unicode (lone surrogate)`, {
          rule: 'unicode',
        }),
      );
    });
  };
}

/** In a `u` regex a paired surrogate is one code point, so only a lone one matches. */
const LONE_SURROGATE = /\p{Cs}/u;

/**
 * JSON escapes can carry lone UTF-16 surrogates (`"\ud800"`), which no UTF-8 output can
 * hold: stored, they would be replaced by U+FFFD on the way out, so a signed title would
 * differ from the title the endorser sent (threat: what is signed is not what was asked).
 * Returns the JSON pointer of the first such string, key or value.
 */
export function illFormedTextAt(value: unknown, pointer = ''): string | undefined {
  if (typeof value === 'string') return !LONE_SURROGATE.test(value) ? undefined : pointer || '/';
  if (typeof value !== 'object' || value === null) return undefined;
  const entries = Array.isArray(value) ? value.entries() : Object.entries(value);
  for (const [key, child] of entries) {
    const here = `${pointer}/${String(key).replaceAll('~', '~0').replaceAll('/', '~1')}`;
    if (typeof key === 'string' && LONE_SURROGATE.test(key)) return here;
    const bad = illFormedTextAt(child, here);
    if (bad !== undefined) return bad;
  }
  return undefined;
}

/** The parsed body as a plain object; any other JSON value or no body is refused. */
export function objectBody(req: Request, allowed: readonly string[]): Record<string, unknown> {
  const body: unknown = req.body;
  const hasContent =
    req.get('transfer-encoding') !== undefined || Number(req.get('content-length') ?? 0) > 0;
  if (body === undefined && !hasContent) return {};
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw new VmicError('BAD_REQUEST', 'the request body must be a JSON object (application/json)');
  for (const key of Object.keys(body)) {
    if (!allowed.includes(key))
      throw new VmicError('BAD_REQUEST', `unknown field ${JSON.stringify(key)}`);
  }
  return body as Record<string, unknown>;
}
