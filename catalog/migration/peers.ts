import { VmicError } from '../../errors/index.ts';
import { describeCertificate, dnEquals, formatDn, parseDn, pemToDers } from '../../pki/index.ts';
import type { Instance } from '../instance.ts';
import { appendAudit } from '../audit/audit-log.ts';
import { checkEndorserName } from '../names.ts';
import { writeTransaction } from '../store/write-transaction.ts';
import type { IssuerIdentity } from '../verify/index.ts';

/**
 * A site this one may send images to or receive them from. A peer is named by the subject
 * of its site certificate; with a URL, the certificate is fetched from the peer and
 * checked against the trust store and this pinned subject at each transfer; for bundles
 * carried by hand, the certificate is given once (and is then the only one that may sign
 * its manifests). The issuing CA is pinned too: given with `--expect-issuer`, or learned on
 * the first verified manifest or identity (trust on first use), subject and key.
 */
export interface Peer {
  name: string;
  url: string | undefined;
  certificatePem: string | undefined;
  expectSubject: string;
  /** The issuing CA's subject and key id, and how the pin was set (undefined: not yet). */
  issuerPin: IssuerPinRecord;
  createdAt: string;
}

export interface IssuerPinRecord {
  subject: string | undefined;
  keyId: string | undefined;
  source: 'configured' | 'first-use' | undefined;
}

export async function addPeer(
  inst: Instance,
  input: {
    name: string;
    url?: string | undefined;
    certificatePem?: string | undefined;
    expectSubject: string;
    expectIssuer?: string | undefined;
    actor: string;
  },
): Promise<Peer> {
  const name = checkEndorserName(input.name);
  let expectSubject: string;
  try {
    expectSubject = formatDn(parseDn(input.expectSubject));
  } catch (e) {
    throw new VmicError(
      'BAD_REQUEST',
      `--expect-subject is not a distinguished name: ${input.expectSubject}`,
      { cause: e },
    );
  }
  let expectIssuer: string | null = null;
  if (input.expectIssuer !== undefined) {
    try {
      expectIssuer = formatDn(parseDn(input.expectIssuer));
    } catch (e) {
      throw new VmicError(
        'BAD_REQUEST',
        `--expect-issuer is not a distinguished name: ${input.expectIssuer}`,
        { cause: e },
      );
    }
  }
  if (!input.url && !input.certificatePem)
    throw new VmicError(
      'BAD_REQUEST',
      'a peer needs --url (a vmic site) or --cert (for bundles carried by hand)',
    );
  let url: string | null = null;
  if (input.url) {
    const u = new URL(input.url);
    if (u.protocol !== 'https:' && u.protocol !== 'http:')
      throw new VmicError('BAD_REQUEST', 'peer URL must be http or https');
    url = u.toString().replace(/\/+$/, '');
  }
  let certificatePem: string | null = null;
  if (input.certificatePem) {
    const der = pemToDers(input.certificatePem, 'CERTIFICATE')[0];
    if (!der) throw new VmicError('MALFORMED', 'no CERTIFICATE block in the peer certificate file');
    certificatePem = input.certificatePem;
    const info = describeCertificate(der);
    if (formatDn(parseDn(info.subject)) !== expectSubject)
      throw new VmicError(
        'SUBJECT_MISMATCH',
        `the certificate names ${info.subject}, not ${expectSubject}`,
      );
    if (expectIssuer !== null && !dnEquals(info.issuer, expectIssuer))
      throw new VmicError(
        'SUBJECT_MISMATCH',
        `the certificate is issued by ${info.issuer}, not ${expectIssuer}`,
        { rule: 'peer.issuer' },
      );
  }
  const createdAt = inst.now().toISOString();
  await writeTransaction(inst.store, async (tx) => {
    if (await tx.selectFrom('peers').select('id').where('name', '=', name).executeTakeFirst())
      throw new VmicError('CONFLICT', `a peer named ${name} exists`);
    await tx
      .insertInto('peers')
      .values({
        name,
        url,
        certificate_pem: certificatePem,
        expect_subject: expectSubject,
        created_at: createdAt,
        expect_issuer: expectIssuer,
        issuer_key_id: null,
        issuer_pinned: expectIssuer === null ? null : 'configured',
      })
      .execute();
    await appendAudit(tx, {
      at: inst.now(),
      actor: input.actor,
      action: 'peer.added',
      subject: name,
      details: { url, expectSubject, expectIssuer },
    });
  });
  return {
    name,
    url: url ?? undefined,
    certificatePem: certificatePem ?? undefined,
    expectSubject,
    issuerPin: {
      subject: expectIssuer ?? undefined,
      keyId: undefined,
      source: expectIssuer === null ? undefined : 'configured',
    },
    createdAt,
  };
}

/**
 * Trust on first use of the issuer: the first verified manifest or identity of a peer
 * records its issuing CA's subject (unless configured) and key id; later ones must match
 * (catalog/verify/pins.ts). Audited; a pin already set is never changed here.
 */
export async function pinPeerIssuer(
  inst: Instance,
  peer: Peer,
  issuer: IssuerIdentity,
  actor: string,
): Promise<void> {
  if (peer.issuerPin.keyId !== undefined) return;
  await writeTransaction(inst.store, async (tx) => {
    const r = await tx
      .updateTable('peers')
      .set({
        expect_issuer: peer.issuerPin.subject ?? issuer.subject,
        issuer_key_id: issuer.keyId,
        issuer_pinned: peer.issuerPin.source ?? 'first-use',
      })
      .where('name', '=', peer.name)
      .where('issuer_key_id', 'is', null)
      .executeTakeFirst();
    if (Number(r.numUpdatedRows) === 0) return;
    await appendAudit(tx, {
      at: inst.now(),
      actor,
      action: 'peer.issuer.pinned',
      subject: peer.name,
      details: { issuer: issuer.subject, keyId: issuer.keyId },
    });
  });
}

export async function listPeers(inst: Instance): Promise<Peer[]> {
  const rows = await inst.store.db.selectFrom('peers').selectAll().orderBy('name').execute();
  return rows.map((r) => ({
    name: r.name,
    url: r.url ?? undefined,
    certificatePem: r.certificate_pem ?? undefined,
    expectSubject: r.expect_subject,
    issuerPin: {
      subject: r.expect_issuer ?? undefined,
      keyId: r.issuer_key_id ?? undefined,
      source: r.issuer_pinned ?? undefined,
    },
    createdAt: r.created_at,
  }));
}

export async function getPeer(inst: Instance, name: string): Promise<Peer> {
  const peer = (await listPeers(inst)).find((p) => p.name === name);
  if (!peer) throw new VmicError('NOT_FOUND', `no peer named ${name}`);
  return peer;
}

export async function removePeer(inst: Instance, name: string, actor: string): Promise<void> {
  await writeTransaction(inst.store, async (tx) => {
    const r = await tx.deleteFrom('peers').where('name', '=', name).executeTakeFirst();
    if (Number(r.numDeletedRows) === 0) throw new VmicError('NOT_FOUND', `no peer named ${name}`);
    await appendAudit(tx, { at: inst.now(), actor, action: 'peer.removed', subject: name });
  });
}
