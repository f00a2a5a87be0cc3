import type { Request, RequestHandler } from 'express';
import { boundedBody } from '../../bounded-body.ts';

/**
 * `application/x-www-form-urlencoded` bodies of the page forms, bounded (threat: endless
 * data). Mounted after the role check, so an unauthorised caller makes the server read
 * nothing. A body the sign-in layer already parsed (for its CSRF check) is left as is.
 */
export function formBody(limitBytes: number): RequestHandler {
  return boundedBody({ limitBytes, type: 'form', maxFields: 64, what: 'form' });
}

/** The form's fields as plain data; `_csrf` belongs to the sign-in layer and is dropped. */
export function formFields(req: Request): Record<string, unknown> {
  const body: unknown = req.body;
  if (typeof body !== 'object' || body === null) return {};
  const fields: Record<string, unknown> = { ...(body as Record<string, unknown>) };
  delete fields._csrf;
  return fields;
}
