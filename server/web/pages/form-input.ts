import type { Request } from 'express';
import {
  KindGuard,
  Type,
  type Static,
  type TInteger,
  type TObject,
  type TSchema,
  type TString,
} from '@sinclair/typebox';
import { VmicError } from '../../../errors/index.ts';
import { firstMismatch, topKeyOf, type Mismatch } from '../../../catalog/schema-check.ts';
import { formFields } from './form-body.ts';

/*
 * The web admin's forms are checked by TypeBox schemas through the same checker as the
 * JSON API (catalog/schema-check.ts), so a handler only ever sees typed, checked input.
 * A urlencoded form carries text only: a text field is trimmed and an empty one reads as
 * absent; an integer field is read from its digits and then bounded by its schema.
 */

/** Schema keyword of a text kept exactly as typed: its emptiness means something. */
const AS_TYPED = 'x-form-as-typed';
/** Plain digits only: `0x10` or `1e3` would be read by Number() as numbers nobody typed. */
const DIGITS = /^[0-9]{1,16}$/;

/**
 * A single text field. `label` names it in messages, `pattern` with `description`
 * restricts it; `asTyped` keeps it untrimmed and keeps an empty value (a metadata field
 * on the edit form is cleared by sending it empty).
 */
export function FormText(
  o: { label?: string; pattern?: RegExp; description?: string; asTyped?: boolean } = {},
): TString {
  return Type.String({
    ...(o.label === undefined ? {} : { title: o.label }),
    ...(o.pattern === undefined ? {} : { pattern: o.pattern.source }),
    ...(o.description === undefined ? {} : { description: o.description }),
    ...(o.asTyped ? { [AS_TYPED]: true } : {}),
  });
}

/** A whole number within bounds, typed as digits. */
export function FormInteger(o: { min: number; max: number; label: string }): TInteger {
  return Type.Integer({
    minimum: o.min,
    maximum: o.max,
    title: o.label,
    description: `${o.label} must be a whole number from ${o.min} to ${o.max}`,
  });
}

/** One field as the schema reads it; a repeated field (an array) is left for the schema to refuse. */
function read(field: TSchema, given: unknown): unknown {
  if (typeof given !== 'string' || field[AS_TYPED] === true) return given;
  const text = given.trim();
  if (text === '') return undefined;
  return KindGuard.IsInteger(field) && DIGITS.test(text) ? Number(text) : text;
}

/**
 * The refusal of a form: BAD_REQUEST whose `rule` is the JSON pointer of the field
 * (`/body/size`), worded as the page's labels word it.
 */
function refusal(schema: TObject, input: Record<string, unknown>, miss: Mismatch): VmicError {
  const key = topKeyOf(miss.path) ?? '';
  const field = Object.hasOwn(schema.properties, key) ? schema.properties[key] : undefined;
  const label = typeof field?.title === 'string' ? field.title : key;
  const given = input[key];
  const message =
    given !== undefined && typeof given !== 'string' && typeof given !== 'number'
      ? `${key} must be given once`
      : miss.missing
        ? `${label} is required`
        : typeof field?.description === 'string'
          ? field.description
          : `${label}: ${miss.message}`;
  return new VmicError('BAD_REQUEST', message, { rule: `/body${miss.path}` });
}

/**
 * The fields the schema declares, read and checked; others are ignored, as a browser may
 * send more than the handler uses. Own properties only (threat: `__proto__` or
 * `constructor` as a field name reaching a prototype).
 */
export function formInput<T extends TObject>(
  schema: T,
  fields: Readonly<Record<string, unknown>>,
): Static<T> {
  const input = Object.create(null) as Record<string, unknown>;
  for (const [key, field] of Object.entries(schema.properties)) {
    if (!Object.hasOwn(fields, key)) continue;
    const value = read(field, fields[key]);
    if (value !== undefined) input[key] = value;
  }
  const miss = firstMismatch(schema, input);
  if (miss) throw refusal(schema, input, miss);
  return input;
}

/** The request's urlencoded form, checked against `schema` (`_csrf` is never part of it). */
export function formOf<T extends TObject>(schema: T, req: Request): Static<T> {
  return formInput(schema, formFields(req));
}
