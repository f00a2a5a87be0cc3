import express, { type Request, type RequestHandler } from 'express';
import { VmicError } from '../pki/errors.ts';

/**
 * JSON request bodies, bounded by the configured limit (threat: endless data). Used after
 * authorisation, so an anonymous caller never makes the server parse anything.
 */
export function jsonBody(limitBytes: number): RequestHandler {
  const parse = express.json({ limit: limitBytes, strict: true, type: 'application/json' });
  return (req, res, next) => {
    parse(req, res, (err?: unknown) => {
      if (!err) return next();
      const e = err as { type?: string; status?: number };
      if (e.type === 'entity.too.large')
        return next(new VmicError('TOO_LARGE', `JSON body is larger than ${limitBytes} bytes`));
      if (typeof e.status === 'number' && e.status >= 400 && e.status < 500)
        return next(new VmicError('BAD_REQUEST', 'request body is not valid JSON', { cause: err }));
      return next(err);
    });
  };
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
