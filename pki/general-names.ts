import type * as asn1js from 'asn1js';
import type * as pkijs from 'pkijs';
import { x509 } from './crypto-provider.ts';
import { nameToDn } from './certificates.ts';
import type { DistinguishedName } from './dn.ts';
import { dnEquals } from './dn.ts';

/**
 * GeneralName forms (RFC 5280 §4.2.1.6) in the neutral shape that name-constraint
 * processing needs. Certificate bytes are attacker-controlled: every parser here
 * validates syntax and returns `undefined` for a name that does not conform, so the
 * caller can refuse the certificate rather than match a half-parsed name.
 */
export type GeneralNameValue =
  | { form: 'dns'; value: string }
  | { form: 'email'; value: string }
  | { form: 'ip'; bytes: Uint8Array }
  | { form: 'dn'; value: DistinguishedName }
  /** otherName, x400Address, ediPartyName, URI, registeredID: never matched by vmic */
  | { form: 'other'; tag: number };

export const GENERAL_NAME_TAGS = {
  otherName: 0,
  rfc822Name: 1,
  dNSName: 2,
  directoryName: 4,
  uniformResourceIdentifier: 6,
  iPAddress: 7,
} as const;

const LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

/**
 * RFC 5280 §4.2.1.6: dNSName in the "preferred name syntax" (RFC 1034 §3.5, relaxed by
 * RFC 1123 §2.1 to allow a leading digit). Underscores, empty labels and a leading dot
 * are not host names. A final all-numeric label is an IPv4 address in disguise (RFC 3696
 * §2), which must be an iPAddress instead. A single left-most `*` label is accepted for
 * subjectAltName only (`wildcard`), as TLS certificates use it (RFC 6125 §6.4.3).
 */
export function isDnsName(name: string, wildcard: boolean): boolean {
  if (name.length === 0 || name.length > 253) return false;
  const labels = name.toLowerCase().split('.');
  if (wildcard && labels[0] === '*' && labels.length > 2) labels.shift();
  if (/^[0-9]+$/.test(labels[labels.length - 1] ?? '')) return false;
  return labels.every((l) => LABEL.test(l));
}

/** RFC 5280 §4.2.1.6: rfc822Name is an addr-spec (RFC 5321 §4.1.2) local@domain. */
export function isMailbox(name: string): boolean {
  const at = name.lastIndexOf('@');
  if (at <= 0 || name.indexOf('@') !== at) return false;
  const local = name.slice(0, at);
  return /^[\x21-\x7e]+$/.test(local) && isDnsName(name.slice(at + 1), false);
}

/** RFC 5280 §4.2.1.10: an rfc822Name constraint is a mailbox, a host, or `.domain`. */
export function isEmailConstraint(c: string): boolean {
  if (c.includes('@')) return isMailbox(c);
  return isDnsName(c.startsWith('.') ? c.slice(1) : c, false);
}

export function toGeneralName(g: pkijs.GeneralName): GeneralNameValue | undefined {
  switch (g.type) {
    case GENERAL_NAME_TAGS.rfc822Name:
      return typeof g.value === 'string' ? { form: 'email', value: g.value } : undefined;
    case GENERAL_NAME_TAGS.dNSName:
      return typeof g.value === 'string' ? { form: 'dns', value: g.value } : undefined;
    case GENERAL_NAME_TAGS.iPAddress: {
      const view = (g.value as asn1js.OctetString | undefined)?.valueBlock?.valueHexView;
      return view ? { form: 'ip', bytes: new Uint8Array(view) } : undefined;
    }
    case GENERAL_NAME_TAGS.directoryName: {
      const rdns = g.value as pkijs.RelativeDistinguishedNames | undefined;
      if (!rdns || typeof rdns.toSchema !== 'function') return undefined;
      const name = new x509.Name(rdns.toSchema().toBER(false));
      return { form: 'dn', value: nameToDn(name) };
    }
    default:
      return { form: 'other', tag: g.type };
  }
}

/**
 * Every name of a certificate that name constraints apply to (RFC 5280 §6.1.3(b)): the
 * subject DN, each emailAddress attribute in it (legacy mail, §4.2.1.10), and the SANs.
 */
export function subjectNames(
  subject: DistinguishedName,
  sans: GeneralNameValue[],
): GeneralNameValue[] {
  const names: GeneralNameValue[] = [];
  if (subject.length > 0) names.push({ form: 'dn', value: subject });
  for (const rdn of subject)
    for (const a of rdn)
      if (a.type === '1.2.840.113549.1.9.1') names.push({ form: 'email', value: a.value });
  return [...names, ...sans];
}

/** dNSName constraint (§4.2.1.10): the name, or the name with labels added on the left. */
function dnsWithin(name: string, base: string): boolean {
  const n = name.toLowerCase();
  const b = base.toLowerCase();
  return b === '' || n === b || n.endsWith(`.${b}`);
}

/**
 * A wildcard SAN stands for every name `x.rest`. It is inside a permitted subtree only if
 * all of them are; it hits an excluded subtree if any of them could (CVE-2025-61727:
 * a `*.example.com` SAN must not slip past an excluded `bar.example.com`).
 */
export function dnsMatches(name: string, base: string, mode: 'permitted' | 'excluded'): boolean {
  if (!name.startsWith('*.')) return dnsWithin(name, base);
  const rest = name.slice(2);
  if (dnsWithin(rest, base)) return true;
  if (mode === 'permitted') return false;
  const b = base.toLowerCase();
  return b.endsWith(`.${rest.toLowerCase()}`) && b.split('.').length === rest.split('.').length + 1;
}

/**
 * rfc822Name constraint (§4.2.1.10): `local@host` is one mailbox (local part compared
 * exactly, so `*` is a literal character), `host` every mailbox at that host, `.domain`
 * every mailbox at a host below it.
 */
export function emailMatches(mailbox: string, base: string): boolean {
  const at = mailbox.lastIndexOf('@');
  const host = mailbox.slice(at + 1).toLowerCase();
  if (base.includes('@')) {
    const bat = base.lastIndexOf('@');
    return (
      mailbox.slice(0, at) === base.slice(0, bat) && host === base.slice(bat + 1).toLowerCase()
    );
  }
  const b = base.toLowerCase();
  return b.startsWith('.') ? host.endsWith(b) : host === b;
}

/** iPAddress constraint (§4.2.1.10): address then mask, same family, contiguous mask. */
export function ipMatches(address: Uint8Array, base: Uint8Array): boolean {
  if (base.length !== address.length * 2) return false;
  return address.every((byte, i) => {
    const mask = base[address.length + i] as number;
    return (byte & mask) === ((base[i] as number) & mask);
  });
}

export function isIpConstraint(base: Uint8Array): boolean {
  if (base.length !== 8 && base.length !== 32) return false;
  const bits = Array.from(base.slice(base.length / 2), (b) => b.toString(2).padStart(8, '0'));
  return /^1*0*$/.test(bits.join(''));
}

/** directoryName constraint (§4.2.1.10): the base's RDNs are a prefix of the name's. */
export function dnWithin(name: DistinguishedName, base: DistinguishedName): boolean {
  return base.length <= name.length && dnEquals(name.slice(0, base.length), base);
}
