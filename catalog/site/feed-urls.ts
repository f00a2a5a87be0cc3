import { VmicError } from '../../errors/index.ts';
import { formatDn, parseDn } from '../../pki/index.ts';

/**
 * Accepts an endorser feed URL (`.../feeds/{endorser}/`) or its `catalog.p7m`, and
 * returns the `catalog.p7m` URL: imports only ever read the attached form, so a catalog
 * can never be paired with the wrong signature.
 */
export function catalogUrlOf(input: string): string {
  let url: URL;
  try {
    url = new URL(input);
  } catch {
    throw new VmicError('BAD_REQUEST', `not a URL: ${input}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new VmicError('BAD_REQUEST', 'feed URL must be http or https');
  if (url.username || url.password)
    throw new VmicError('BAD_REQUEST', 'feed URL must not carry credentials');
  url.hash = '';
  if (url.pathname.endsWith('/catalog.p7m')) return url.toString();
  if (!url.pathname.endsWith('/')) url.pathname += '/';
  url.pathname += 'catalog.p7m';
  return url.toString();
}

/**
 * A HEPiX image list URL (AppDB, vmcaster) is used as given; a vmic feed URL
 * (`.../feeds/{endorser}/`) gets its `image.list`.
 */
export function imageListUrlOf(input: string): string {
  catalogUrlOf(input); // the same checks: a URL, http(s), no credentials
  const url = new URL(input);
  url.hash = '';
  if (/\/feeds\/[^/]+\/?$/.test(url.pathname) || url.pathname.endsWith('/catalog.p7m'))
    url.pathname = url.pathname.replace(/\/?(catalog\.p7m)?$/, '/image.list');
  return url.toString();
}

/** Default subscription name: the endorser segment of a `/feeds/{endorser}/` URL. */
export function defaultName(catalogUrl: string): string {
  const m = /\/feeds\/([^/]+)\/(?:catalog\.p7m|image\.list)$/.exec(new URL(catalogUrl).pathname);
  if (!m)
    throw new VmicError(
      'BAD_REQUEST',
      'cannot derive a subscription name from this URL; give --name',
    );
  return m[1]!;
}

export function normaliseDn(dn: string, what: string): string {
  try {
    return formatDn(parseDn(dn));
  } catch (e) {
    throw new VmicError('BAD_REQUEST', `${what} is not a distinguished name: ${dn}`, { cause: e });
  }
}
