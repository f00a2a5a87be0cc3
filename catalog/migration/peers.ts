import { VmicError } from '../../pki/errors.ts';
import { describeCertificate, formatDn, parseDn, pemToDers } from '../../pki/index.ts';
import type { Instance } from '../instance.ts';
import { appendAudit } from '../audit/audit-log.ts';
import { checkEndorserName } from '../names.ts';
import { writeTransaction } from '../store/write-transaction.ts';

/**
 * A site this one may send images to or receive them from. A peer is named by the subject
 * of its site certificate; with a URL, the certificate is fetched from the peer and
 * checked against the trust store and this pinned subject at each transfer; for bundles
 * carried by hand, the certificate is given once.
 */
export interface Peer {
  name: string;
  url: string | undefined;
  certificatePem: string | undefined;
  expectSubject: string;
  createdAt: string;
}

export async function addPeer(
  inst: Instance,
  input: {
    name: string;
    url?: string | undefined;
    certificatePem?: string | undefined;
    expectSubject: string;
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
    const subject = describeCertificate(der).subject;
    if (formatDn(parseDn(subject)) !== expectSubject)
      throw new VmicError(
        'SUBJECT_MISMATCH',
        `the certificate names ${subject}, not ${expectSubject}`,
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
      })
      .execute();
    await appendAudit(
      tx,
      { actor: input.actor, action: 'peer.added', subject: name, details: { url, expectSubject } },
      inst.now(),
    );
  });
  return {
    name,
    url: url ?? undefined,
    certificatePem: certificatePem ?? undefined,
    expectSubject,
    createdAt,
  };
}

export async function listPeers(inst: Instance): Promise<Peer[]> {
  const rows = await inst.store.db.selectFrom('peers').selectAll().orderBy('name').execute();
  return rows.map((r) => ({
    name: r.name,
    url: r.url ?? undefined,
    certificatePem: r.certificate_pem ?? undefined,
    expectSubject: r.expect_subject,
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
    await appendAudit(tx, { actor, action: 'peer.removed', subject: name }, inst.now());
  });
}
