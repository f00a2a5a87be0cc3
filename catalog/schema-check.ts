import type { TSchema } from '@sinclair/typebox';
import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler';
import { ValueErrorType } from '@sinclair/typebox/errors';

/*
 * The one place input is checked against a TypeBox schema: API requests, the web admin's
 * forms, `vmic policy set` and web.json all come through here, so a rule written in a
 * schema holds the same way wherever the input enters.
 */

const compiled = new WeakMap<TSchema, TypeCheck<TSchema>>();

/** The schema's compiled checker, built on first use and kept with the schema. */
export function checkerOf(schema: TSchema): TypeCheck<TSchema> {
  let c = compiled.get(schema);
  if (!c) {
    c = TypeCompiler.Compile(schema);
    compiled.set(schema, c);
  }
  return c;
}

/** One way a value misses its schema. */
export interface Mismatch {
  /** JSON pointer of the failing part within the value; '' for the value itself. */
  path: string;
  /** The schema of the failing part. */
  schema: TSchema;
  /** The failing part is a required property that is absent. */
  missing: boolean;
  /** The failing part as given. */
  value: unknown;
  /** TypeBox's own wording ("Expected string"). */
  message: string;
}

/** The first way `value` misses `schema`, or undefined when it fits. */
export function firstMismatch(schema: TSchema, value: unknown): Mismatch | undefined {
  const checker = checkerOf(schema);
  if (checker.Check(value)) return undefined;
  const e = checker.Errors(value).First();
  if (!e) return { path: '', schema, missing: false, value, message: 'invalid' };
  return {
    path: e.path,
    schema: e.schema,
    missing: e.type === ValueErrorType.ObjectRequiredProperty,
    value: e.value,
    message: e.message,
  };
}

/**
 * What a mismatch says to a person: the failing field's own description, written for
 * people, where it has one; TypeBox's generic message for the whole value or a field
 * without one.
 */
export function mismatchText(e: Mismatch): string {
  return typeof e.schema.description === 'string' && e.path !== ''
    ? e.schema.description
    : e.message;
}

/** A JSON pointer (RFC 6901) from its segments: `~` and `/` inside a segment are escaped. */
export function jsonPointer(...segments: readonly (string | number)[]): string {
  return segments.map((s) => `/${String(s).replace(/~/g, '~0').replace(/\//g, '~1')}`).join('');
}

/** The first segment of a JSON pointer, unescaped: the top-level key a mismatch is under. */
export function topKeyOf(pointer: string): string | undefined {
  const first = pointer.split('/')[1];
  return first === undefined ? undefined : first.replace(/~1/g, '/').replace(/~0/g, '~');
}
