import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { nameToDn } from './certificates.ts';
import { isDnsName, isMailbox, toGeneralName } from './general-names.ts';
import type { GeneralNameValue } from './general-names.ts';
import type { CertNode, RawExtension } from './path-building.ts';
import { failure } from './path-failure.ts';
import type { PathFailure } from './path-failure.ts';

/**
 * Certificate profile rules of RFC 5280 §4 that the §6 algorithm takes for granted,
 * checked on every certificate of a path, the anchor included: a certificate that breaks
 * them was not made by a conforming CA, and software disagrees about what it means.
 */

const OID = {
  basicConstraints: '2.5.29.19',
  keyUsage: '2.5.29.15',
  extKeyUsage: '2.5.29.37',
  subjectKeyIdentifier: '2.5.29.14',
  authorityKeyIdentifier: '2.5.29.35',
  subjectAltName: '2.5.29.17',
  nameConstraints: '2.5.29.30',
  policyConstraints: '2.5.29.36',
} as const;

/**
 * Extensions we process; an unknown critical extension is a constraint we would silently
 * ignore (e.g. policyConstraints, a critical CRL distribution point), so RFC 5280 §4.2
 * says reject.
 */
const PROCESSED_EXTENSIONS = new Set<string>([
  OID.basicConstraints,
  OID.keyUsage,
  OID.extKeyUsage,
  OID.subjectKeyIdentifier,
  OID.authorityKeyIdentifier,
  OID.subjectAltName,
  OID.nameConstraints,
]);

function ext(node: CertNode, oid: string): RawExtension | undefined {
  return node.extensions.find((e) => e.oid === oid);
}

const untrusted = (rule: string, message: string, node: CertNode): PathFailure =>
  failure('CHAIN_UNTRUSTED', rule, message, node);

export function checkCriticalExtensions(path: CertNode[]): PathFailure[] {
  return path.flatMap((node) =>
    node.extensions
      .filter((e) => e.critical && !PROCESSED_EXTENSIONS.has(e.oid))
      .map((e) => untrusted('criticalExtension', `unknown critical extension ${e.oid}`, node)),
  );
}

/** RFC 5280 §4.2: at most one instance of each extension. */
function duplicateExtensions(node: CertNode): PathFailure[] {
  const oids = node.extensions.map((e) => e.oid);
  const dup = oids.find((oid, i) => oids.indexOf(oid) !== i);
  return dup ? [failure('MALFORMED', 'extensions.duplicate', `extension ${dup} twice`, node)] : [];
}

/**
 * RFC 5280 §4.1.2.2: a positive integer of at most 20 octets. Zero and negative serials
 * come from broken issuers; over-long ones overflow other implementations' buffers.
 */
function serialNumber(node: CertNode): PathFailure[] {
  const s = node.serial;
  const negative = s.length > 0 && ((s[0] as number) & 0x80) !== 0;
  const zero = s.every((b) => b === 0);
  if (s.length > 20 || negative || zero) {
    return [untrusted('serialNumber', 'serial number is not 1..20 positive octets', node)];
  }
  return [];
}

/**
 * Criticality the profile fixes: AKI and SKI non-critical (§4.2.1.1, §4.2.1.2); name and
 * policy constraints critical (§4.2.1.10, §4.2.1.11); basicConstraints critical in CA
 * certificates (§4.2.1.9); subjectAltName critical when the subject is empty (§4.2.1.6).
 */
function criticality(node: CertNode): PathFailure[] {
  const out: PathFailure[] = [];
  const rule = (oid: string, critical: boolean, name: string): void => {
    const e = ext(node, oid);
    if (e && e.critical !== critical) {
      out.push(
        untrusted(`${name}.critical`, `${name} must be ${critical ? '' : 'non-'}critical`, node),
      );
    }
  };
  rule(OID.authorityKeyIdentifier, false, 'authorityKeyIdentifier');
  rule(OID.subjectKeyIdentifier, false, 'subjectKeyIdentifier');
  rule(OID.nameConstraints, true, 'nameConstraints');
  rule(OID.policyConstraints, true, 'policyConstraints');
  if (node.info.isCA) rule(OID.basicConstraints, true, 'basicConstraints');
  if (node.cert.subjectName.toJSON().length === 0) rule(OID.subjectAltName, true, 'subjectAltName');
  return out;
}

/**
 * Key identifiers (§4.2.1.1, §4.2.1.2): every certificate but a self-signed one names its
 * issuer's key, and every CA names its own; chain building depends on both.
 */
function keyIdentifiers(node: CertNode): PathFailure[] {
  const out: PathFailure[] = [];
  if (!node.selfIssued && !ext(node, OID.authorityKeyIdentifier)) {
    out.push(untrusted('authorityKeyIdentifier', 'has no authorityKeyIdentifier', node));
  }
  if (node.info.isCA && !ext(node, OID.subjectKeyIdentifier)) {
    out.push(untrusted('subjectKeyIdentifier', 'CA has no subjectKeyIdentifier', node));
  }
  return out;
}

/**
 * Names (§4.1.2.4, §4.1.2.6, §4.2.1.10): the issuer is never empty, a CA's subject is
 * never empty, and only a CA may carry name constraints.
 */
function names(node: CertNode): PathFailure[] {
  const out: PathFailure[] = [];
  if (node.cert.issuerName.toJSON().length === 0) {
    out.push(untrusted('issuer.empty', 'issuer name is empty', node));
  }
  if (node.info.isCA && node.cert.subjectName.toJSON().length === 0) {
    out.push(untrusted('subject.empty', 'CA subject name is empty', node));
  }
  if (!node.info.isCA && ext(node, OID.nameConstraints)) {
    out.push(untrusted('nameConstraints.notCa', 'end entity carries nameConstraints', node));
  }
  return out;
}

/** RFC 5280 §4.2.1.12: KeyPurposeId SEQUENCE SIZE (1..MAX); an empty list is malformed. */
function extKeyUsageNotEmpty(node: CertNode): PathFailure[] {
  const e = ext(node, OID.extKeyUsage);
  if (!e) return [];
  const seq = asn1js.fromBER(e.value).result;
  const empty = !(seq instanceof asn1js.Sequence) || seq.valueBlock.value.length === 0;
  return empty ? [failure('MALFORMED', 'extKeyUsage.empty', 'extKeyUsage is empty', node)] : [];
}

/**
 * The subjectAltName names, or `undefined` if the extension does not decode or holds a
 * name that breaks its syntax (§4.2.1.6: SIZE (1..MAX), preferred name syntax, 4- or
 * 16-octet addresses): such a name could be read differently by each matcher.
 */
export function certificateSans(node: CertNode): GeneralNameValue[] | undefined {
  const e = ext(node, OID.subjectAltName);
  if (!e) return [];
  let names: GeneralNameValue[];
  try {
    const alt = pkijs.AltName.fromBER(e.value);
    if (alt.altNames.length === 0) return undefined;
    const parsed = alt.altNames.map(toGeneralName);
    if (parsed.some((n) => n === undefined)) return undefined;
    names = parsed as GeneralNameValue[];
  } catch {
    return undefined;
  }
  const wellFormed = names.every((n) =>
    n.form === 'dns'
      ? isDnsName(n.value, true)
      : n.form === 'email'
        ? isMailbox(n.value)
        : n.form === 'ip'
          ? n.bytes.length === 4 || n.bytes.length === 16
          : true,
  );
  return wellFormed ? names : undefined;
}

function subjectAltName(node: CertNode): PathFailure[] {
  if (certificateSans(node) !== undefined) return [];
  return [untrusted('subjectAltName', 'subjectAltName is malformed', node)];
}

export function subjectDn(node: CertNode): ReturnType<typeof nameToDn> {
  return nameToDn(node.cert.subjectName);
}

export function checkCertificateProfile(path: CertNode[]): PathFailure[] {
  return path.flatMap((node) => [
    ...duplicateExtensions(node),
    ...serialNumber(node),
    ...criticality(node),
    ...keyIdentifiers(node),
    ...names(node),
    ...extKeyUsageNotEmpty(node),
    ...subjectAltName(node),
  ]);
}
