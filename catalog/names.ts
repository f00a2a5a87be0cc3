import { VmicError } from '../errors/index.ts';

/**
 * Endorser names appear in feed paths and IRIs, so they are restricted to a URL- and
 * file-safe alphabet (threat: path traversal and IRI injection through a name).
 */
export const ENDORSER_NAME = /^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$/;

export function checkEndorserName(name: string): string {
  if (!ENDORSER_NAME.test(name)) {
    throw new VmicError(
      'BAD_REQUEST',
      `endorser name must be 1-64 lowercase letters, digits or '-' (got ${JSON.stringify(name)})`,
    );
  }
  return name;
}

/** Image identifiers are stable across versions and appear in IRIs: same restriction, wider. */
export const IMAGE_IDENTIFIER = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

export function checkImageIdentifier(id: string): string {
  if (!IMAGE_IDENTIFIER.test(id)) {
    throw new VmicError(
      'BAD_REQUEST',
      `image identifier must be 1-128 letters, digits, '.', '_' or '-' (got ${JSON.stringify(id)})`,
    );
  }
  return id;
}
