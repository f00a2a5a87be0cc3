import type { RequestHandler } from 'express';
import { boundedBody } from './bounded-body.ts';
import { VmicError } from '../errors/index.ts';

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
      if (bad === TOO_DEEP)
        return next(
          new VmicError('BAD_REQUEST', `JSON body is nested deeper than ${MAX_JSON_DEPTH} levels`, {
            rule: 'depth',
          }),
        );
      return next(
        new VmicError('BAD_REQUEST', `text at ${bad} is not well-formed Unicode (lone surrogate)`, {
          rule: 'unicode',
        }),
      );
    });
  };
}

/**
 * No request body of the API nests deeper than a few levels. A 256 KiB body can nest
 * 100,000 arrays, which JSON.parse accepts; a recursive walk over it overflowed the stack
 * and answered 500 (threat: a cheap request crashing a handler; found by the fuzz test).
 * The walk below is iterative and refuses anything deeper than this.
 */
export const MAX_JSON_DEPTH = 64;
const TOO_DEEP = Symbol('too deep');

/** In a `u` regex a paired surrogate is one code point, so only a lone one matches. */
const LONE_SURROGATE = /\p{Cs}/u;

/**
 * JSON escapes can carry lone UTF-16 surrogates (`"\ud800"`), which no UTF-8 output can
 * hold: stored, they would be replaced by U+FFFD on the way out, so a signed title would
 * differ from the title the endorser sent (threat: what is signed is not what was asked).
 * Returns the JSON pointer of the first such string, key or value, or TOO_DEEP for a
 * value nested deeper than MAX_JSON_DEPTH (walked with an explicit stack, not recursion).
 */
export function illFormedTextAt(value: unknown): string | typeof TOO_DEEP | undefined {
  const stack: { value: unknown; pointer: string; depth: number; badKey?: true }[] = [
    { value, pointer: '', depth: 0 },
  ];
  for (let item = stack.pop(); item !== undefined; item = stack.pop()) {
    const { value: v, pointer, depth } = item;
    if (item.badKey) return pointer;
    if (typeof v === 'string') {
      if (LONE_SURROGATE.test(v)) return pointer || '/';
      continue;
    }
    if (typeof v !== 'object' || v === null) continue;
    if (depth >= MAX_JSON_DEPTH) return TOO_DEEP;
    const entries = Array.isArray(v) ? [...v.entries()] : Object.entries(v);
    // Pushed in reverse, so that the first offending key or value in document order is
    // the one reported (a key before its value).
    for (const [key, child] of entries.reverse()) {
      const here = `${pointer}/${String(key).replaceAll('~', '~0').replaceAll('/', '~1')}`;
      stack.push({ value: child, pointer: here, depth: depth + 1 });
      if (typeof key === 'string' && LONE_SURROGATE.test(key))
        stack.push({ value: key, pointer: here, depth: depth + 1, badKey: true });
    }
  }
  return undefined;
}
