import { VmicError } from '../../errors/index.ts';
import { describeCertificate, dnEquals, pemToDers, validatePath } from '../../pki/index.ts';
import type { Instance } from '../instance.ts';
import { readPolicy } from '../site/policy.ts';
import { loadTrustMaterial } from '../site/trust-store.ts';
import type { Peer } from './peers.ts';
import { withPeerAdvice } from './peer-advice.ts';
import { boundedGet } from '../net/http-client.ts';
import { issuerOf, type IssuerIdentity } from '../verify/index.ts';

/**
 * A site identity is a certificate and its chain: a few KiB. The bound keeps a hostile or
 * broken peer from making the sender buffer an endless body before any check.
 */
const IDENTITY_MAX_BYTES = 1024 * 1024;

export interface Recipient {
  subject: string;
  certificatePem: string;
  /** the CA that issued it, from the validated path (for the peer's issuer pin) */
  issuer: IssuerIdentity;
}

/**
 * The receiving site's certificate, checked before any data key is wrapped for it: a
 * chain to one of our anchors (with revocation), the peer's pinned subject, and a key
 * usage that allows receiving a wrapped key. Threat: sending an image to an impostor.
 */
export async function resolveRecipient(
  inst: Instance,
  peer: Peer,
  fetchTimeoutMs = 30_000,
): Promise<Recipient> {
  let certificatePem: string;
  let chainPem = '';
  if (peer.url) {
    const res = await boundedGet(`${peer.url}/api/v1/site/identity`, {
      maxBytes: IDENTITY_MAX_BYTES,
      timeoutMs: fetchTimeoutMs,
      what: `peer ${peer.name}'s identity`,
      headers: { accept: 'application/json' },
    });
    if (res.status !== 200)
      throw new VmicError(
        'FETCH_FAILED',
        `peer ${peer.name} answered HTTP ${res.status} for its identity`,
      );
    let body: { certificatePem?: unknown; chainPem?: unknown };
    try {
      body = JSON.parse(res.body.toString('utf8')) as typeof body;
    } catch {
      throw new VmicError('MALFORMED', `peer ${peer.name} sent an identity that is not JSON`);
    }
    if (typeof body !== 'object' || body === null || typeof body.certificatePem !== 'string')
      throw new VmicError('MALFORMED', `peer ${peer.name} sent no certificate`);
    certificatePem = body.certificatePem;
    chainPem = typeof body.chainPem === 'string' ? body.chainPem : '';
  } else {
    certificatePem = peer.certificatePem!;
  }
  const leaf = pemToDers(certificatePem, 'CERTIFICATE')[0];
  if (!leaf) throw new VmicError('MALFORMED', `peer ${peer.name}: no certificate`);
  const trust = await loadTrustMaterial(inst.store.db);
  const policy = await readPolicy(inst.store.db);
  const { chain } = await validatePath({
    leaf,
    intermediates: [
      ...(chainPem ? pemToDers(chainPem, 'CERTIFICATE') : []),
      ...trust.intermediates,
    ],
    anchors: trust.anchors,
    crls: trust.crls,
    time: inst.now(),
    revocation: policy.revocation,
    leafKeyUsage: 'none',
  }).catch((e: unknown) => {
    throw withPeerAdvice(e, { name: peer.name, subject: peer.expectSubject, url: peer.url });
  });
  const info = describeCertificate(leaf);
  if (!dnEquals(info.subject, peer.expectSubject)) {
    throw new VmicError(
      'SUBJECT_MISMATCH',
      `peer ${peer.name} presents ${info.subject}, expected ${peer.expectSubject}`,
      { rule: 'peer.subject' },
    );
  }
  const canReceive =
    info.keyUsage.length === 0 ||
    info.keyUsage.includes(
      info.publicKeyAlgorithm.startsWith('RSA') ? 'keyEncipherment' : 'keyAgreement',
    );
  if (!canReceive)
    throw new VmicError(
      'KEY_USAGE',
      `peer certificate ${info.subject} may not receive wrapped keys`,
      { rule: 'keyUsage.keyEncipherment' },
    );
  return { subject: info.subject, certificatePem, issuer: issuerOf(chain) };
}
