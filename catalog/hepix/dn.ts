import { VmicError } from '../../errors/index.ts';
import { attributeShortName } from '../../pki/dn.ts';
import { parseDn } from '../../pki/index.ts';

/**
 * RFC 4514 (`CN=x,O=y,C=z`) to the OpenSSL slash form (`/C=z/O=y/CN=x`) that HEPiX lists
 * use for `hv:dn` and `hv:ca`. A `/` inside a value cannot be written in the slash form
 * unambiguously (vmcatcher compares the strings as they are), so such a name is refused.
 */
export function toSlashDn(dn: string): string {
  return parseDn(dn)
    .map((rdn) =>
      rdn
        .map((a) => {
          if (a.value.includes('/'))
            throw new VmicError('BAD_REQUEST', `a '/' in ${dn} cannot be written in slash form`);
          return `${attributeShortName(a.type)}=${a.value}`;
        })
        .join('+'),
    )
    .map((rdn) => `/${rdn}`)
    .join('');
}
