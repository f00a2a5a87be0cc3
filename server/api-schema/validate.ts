import type { TSchema } from '@sinclair/typebox';
import { VmicError } from '../../errors/index.ts';
import { firstMismatch, mismatchText } from '../../catalog/schema-check.ts';

/** Where in a request a checked value came from; the first segment of every pointer. */
export type RequestPart = 'params' | 'query' | 'body';

/**
 * Checks one part of a request against its schema. The first mismatch is a BAD_REQUEST
 * problem whose `rule` is the JSON pointer of the bad field within the request
 * (`/params/endorser`, `/query/status`, `/body/size`) and whose message starts with it.
 */
export function check(schema: TSchema, value: unknown, where: RequestPart): void {
  const miss = firstMismatch(schema, value);
  if (!miss) return;
  const pointer = `/${where}${miss.path}`;
  throw new VmicError('BAD_REQUEST', `${pointer}: ${mismatchText(miss)}`, { rule: pointer });
}
