import type { Request, RequestHandler } from 'express';
import getRawBody from 'raw-body';
import { VmicError } from '../errors/index.ts';

export interface BodyLimits {
  /** most bytes of the body, after which it is refused without reading further */
  limitBytes: number;
  /** the media type this reader parses; other bodies are left unread (req.body undefined) */
  type: 'json' | 'form';
  /** forms: most fields (threat: hash-flooding a parser with many keys) */
  maxFields?: number;
  /** what the refusal calls the body, e.g. "JSON body", "form" */
  what: string;
}

const MEDIA_TYPES = { json: 'application/json', form: 'application/x-www-form-urlencoded' };

function hasBody(req: Request): boolean {
  return req.get('transfer-encoding') !== undefined || Number(req.get('content-length') ?? 0) > 0;
}

/**
 * Reads a JSON or urlencoded request body with a hard size bound. A body that declares
 * more than the bound is refused before a byte of it is read, and a streamed (chunked)
 * body is refused as soon as it crosses the bound; the refusal answers at once and closes
 * the connection instead of reading the rest (threat: a client making the server read and
 * discard gigabytes before hearing "too large"). body-parser drains the whole request
 * before it reports an oversize body, so the bytes are read here with raw-body, which stops.
 */
export function boundedBody(limits: BodyLimits): RequestHandler {
  return (req, _res, next) => {
    const flags = req as Request & { _body?: boolean };
    if (flags._body === true || !hasBody(req) || req.is(MEDIA_TYPES[limits.type]) === false) {
      next();
      return;
    }
    const declared = req.get('content-length');
    if (declared !== undefined && Number(declared) > limits.limitBytes) {
      next(tooLarge(limits));
      return;
    }
    const encoding = (req.get('content-encoding') ?? 'identity').toLowerCase();
    if (encoding !== 'identity') {
      next(
        new VmicError(
          'BAD_REQUEST',
          `${limits.what}: content-encoding ${encoding} is not accepted`,
        ),
      );
      return;
    }
    const charset = /charset=([^;\s]+)/i.exec(req.get('content-type') ?? '')?.[1]?.toLowerCase();
    if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8') {
      next(new VmicError('BAD_REQUEST', `${limits.what} must be UTF-8, not ${charset}`));
      return;
    }
    getRawBody(req, {
      limit: limits.limitBytes,
      ...(declared !== undefined ? { length: Number(declared) } : {}),
      encoding: 'utf-8',
    }).then(
      (text) => {
        try {
          req.body = limits.type === 'json' ? parseJson(text, limits) : parseForm(text, limits);
          flags._body = true;
          next();
        } catch (e) {
          next(e);
        }
      },
      (err: unknown) => {
        const status = (err as { status?: number }).status;
        next(
          status === 413
            ? tooLarge(limits)
            : new VmicError('BAD_REQUEST', `${limits.what} could not be read`, { cause: err }),
        );
      },
    );
  };
}

function tooLarge(limits: BodyLimits): VmicError {
  return new VmicError('TOO_LARGE', `${limits.what} is larger than ${limits.limitBytes} bytes`);
}

/** Strict JSON: an object or array at the top, as body-parser's `strict` option. */
function parseJson(text: string, limits: BodyLimits): unknown {
  const first = /\S/.exec(text)?.[0];
  if (first === undefined) return undefined;
  if (first !== '{' && first !== '[')
    throw new VmicError('BAD_REQUEST', `${limits.what} must be a JSON object or array`);
  try {
    return JSON.parse(text) as unknown;
  } catch (cause) {
    throw new VmicError('BAD_REQUEST', 'request body is not valid JSON', { cause });
  }
}

/** Flat fields; a repeated field becomes an array, which the form readers refuse. */
function parseForm(text: string, limits: BodyLimits): Record<string, string | string[]> {
  const params = new URLSearchParams(text);
  const fields: Record<string, string | string[]> = Object.create(null) as Record<
    string,
    string | string[]
  >;
  let count = 0;
  for (const [key, value] of params) {
    if (++count > (limits.maxFields ?? 100))
      throw new VmicError('TOO_LARGE', `${limits.what} has more than ${limits.maxFields} fields`);
    const had = fields[key];
    fields[key] = had === undefined ? value : [...(Array.isArray(had) ? had : [had]), value];
  }
  return fields;
}
