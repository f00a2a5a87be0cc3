import type { Request, RequestHandler } from 'express';
import { boundedBody } from '../../bounded-body.ts';
import { VmicError } from '../../../pki/errors.ts';

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

/** A single text field; repeated fields (arrays) are refused rather than guessed at. */
export function textField(fields: Record<string, unknown>, key: string): string | undefined {
  const v = fields[key];
  if (v === undefined) return undefined;
  if (typeof v !== 'string') throw new VmicError('BAD_REQUEST', `${key} must be given once`);
  const t = v.trim();
  return t === '' ? undefined : t;
}

export function requiredField(fields: Record<string, unknown>, key: string, label = key): string {
  const v = textField(fields, key);
  if (v === undefined) throw new VmicError('BAD_REQUEST', `${label} is required`);
  return v;
}

/** A whole number within bounds, from a form field. */
export function integerField(
  fields: Record<string, unknown>,
  key: string,
  bounds: { min: number; max: number; label: string },
): number {
  const text = requiredField(fields, key, bounds.label);
  const n = /^[0-9]{1,16}$/.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(n) || n < bounds.min || n > bounds.max)
    throw new VmicError(
      'BAD_REQUEST',
      `${bounds.label} must be a whole number from ${bounds.min} to ${bounds.max}`,
    );
  return n;
}
