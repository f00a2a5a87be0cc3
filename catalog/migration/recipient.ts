import { VmicError } from '../../pki/errors.ts';
import { describeCertificate, dnEquals, pemToDers, validatePath } from '../../pki/index.ts';
import type { Instance } from '../instance.ts';
import { readPolicy } from '../site/policy.ts';
import { loadTrustMaterial } from '../site/trust-store.ts';
import type { Peer } from './peers.ts';

export interface Recipient {
  subject: string;
  certificatePem: string;
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
    let res: Response;
    try {
      res = await fetch(`${peer.url}/api/v1/site/identity`, {
        signal: AbortSignal.timeout(fetchTimeoutMs),
      });
    } catch (e) {
      throw new VmicError('FETCH_FAILED', `peer ${peer.name}: ${(e as Error).message}`, {
        cause: e,
      });
    }
    if (res.status !== 200)
      throw new VmicError(
        'FETCH_FAILED',
        `peer ${peer.name} answered HTTP ${res.status} for its identity`,
      );
    const body = (await res.json()) as { certificatePem?: unknown; chainPem?: unknown };
    if (typeof body.certificatePem !== 'string')
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
  await validatePath({
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
  return { subject: info.subject, certificatePem };
}
