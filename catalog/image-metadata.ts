import { VmicError } from '../errors/index.ts';
import { IMAGE_FIELDS, IMAGE_FIELD_KEYS, type ImageMetadata } from './image-fields.ts';

export type { ImageMetadata } from './image-fields.ts';

// Control characters other than newline/tab in a description would make feeds and the
// admin pages misleading (threat: log and display spoofing); they are refused outright.
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f]/;
// eslint-disable-next-line no-control-regex -- as above
const SINGLE_LINE_CONTROL = /[\u0000-\u001f\u007f]/;

/** Copies the known fields into plain data, trims them, and enforces bounds. */
export function checkMetadata(
  input: Record<string, unknown>,
  maxChars: number,
  opts: { partial?: boolean } = {},
): Partial<ImageMetadata> {
  const out: Record<string, string | undefined> = {};
  for (const field of IMAGE_FIELD_KEYS) {
    const raw = input[field];
    if (raw === undefined) continue;
    if (raw === null) {
      // null clears an optional field in an update. The title cannot be cleared: a PATCH
      // with `"title": null` reached the database's NOT NULL and answered 500 (found by
      // the fuzz test).
      if (field === 'title') throw new VmicError('BAD_REQUEST', 'title must not be empty');
      continue;
    }
    if (typeof raw !== 'string') throw new VmicError('BAD_REQUEST', `${field} must be a string`);
    const value = raw.trim();
    if (value.length > maxChars)
      throw new VmicError('TOO_LARGE', `${field} is longer than ${maxChars} characters`);
    if ((IMAGE_FIELDS[field].lines === 'many' ? CONTROL : SINGLE_LINE_CONTROL).test(value)) {
      throw new VmicError('BAD_REQUEST', `${field} contains control characters`);
    }
    out[field] = value === '' ? undefined : value;
  }
  if (!opts.partial && !out.title) throw new VmicError('BAD_REQUEST', 'title is required');
  if ('title' in out && !out.title) throw new VmicError('BAD_REQUEST', 'title must not be empty');
  return out;
}
