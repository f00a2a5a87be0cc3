import express, { type Request, type RequestHandler } from 'express';
import { VmicError } from '../../../pki/errors.ts';

/**
 * `application/x-www-form-urlencoded` bodies of the page forms, bounded (threat: endless
 * data). Mounted after the role check, so an unauthorised caller makes the server read
 * nothing. A body the sign-in layer already parsed (for its CSRF check) is left as is.
 */
export function formBody(limitBytes: number): RequestHandler {
  const parse = express.urlencoded({ extended: false, limit: limitBytes, parameterLimit: 64 });
  return (req, res, next) => {
    parse(req, res, (err?: unknown) => {
      if (!err) return next();
      const e = err as { type?: string; status?: number };
      if (e.type === 'entity.too.large')
        return next(new VmicError('TOO_LARGE', `form is larger than ${limitBytes} bytes`));
      if (typeof e.status === 'number' && e.status >= 400 && e.status < 500)
        return next(new VmicError('BAD_REQUEST', 'form body cannot be read', { cause: err }));
      return next(err);
    });
  };
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
