import { Type, type TOptional, type TString } from '@sinclair/typebox';
import { IMAGE_FIELD_KEYS, type ImageFieldKey } from '../../../catalog/index.ts';
import { FormInteger, FormText } from './form-input.ts';

/** The forms of the endorser pages, as their handlers receive them. */

/**
 * The metadata fields, kept as typed: the catalog trims and bounds them itself, and an
 * empty field on the edit form clears it.
 */
const metadataFields = Object.fromEntries(
  IMAGE_FIELD_KEYS.map((k) => [k, Type.Optional(FormText({ asTyped: true }))]),
) as unknown as Record<ImageFieldKey, TOptional<TString>>;

const identifier = Type.Optional(FormText());

/** Editing an image's metadata. */
export const MetadataForm = Type.Object(metadataFields);

/** The text fields sent along with uploaded bytes (multipart, read by the upload receiver). */
export const UploadForm = Type.Object({ ...metadataFields, identifier });

/** Registering bytes served elsewhere; the size is bounded by the instance's image limit. */
export function registerForm(maxImageBytes: number) {
  return Type.Object({
    ...metadataFields,
    identifier,
    url: FormText({ label: 'Download URL' }),
    sha256: FormText({ label: 'SHA-256' }),
    size: FormInteger({ min: 0, max: maxImageBytes, label: 'Size in bytes' }),
  });
}

/** Publishing the catalog, valid for a number of days. */
export const PublishForm = Type.Object({
  expiresInDays: FormInteger({ min: 1, max: 366, label: 'Expiry in days' }),
});

/** The metadata fields of a checked form, and nothing else of it. */
export function metadataOf(
  input: Readonly<Partial<Record<ImageFieldKey, string>>>,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of IMAGE_FIELD_KEYS) {
    const v = input[k];
    if (v !== undefined) out[k] = v;
  }
  return out;
}
