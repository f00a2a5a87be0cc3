import { VmicError } from '../errors/index.ts';
import { derToPem, describeCertificate, dnEquals, pemToDers } from '../pki/index.ts';
import type { Instance } from './instance.ts';
import { appendAudit } from './audit/audit-log.ts';
import { writeTransaction } from './store/write-transaction.ts';
import { endorserCredential, type EndorserCredentialInput } from './endorser-key.ts';
import { x509 } from '../pki/crypto-provider.ts';

function authorityKeyId(der: Uint8Array): string | undefined {
  return new x509.X509Certificate(der).getExtension(x509.AuthorityKeyIdentifierExtension)?.keyId;
}

export interface RotationResult {
  endorser: string;
  subject: string;
  previous: { issuer: string; certificateSha256: string; notAfter: string };
  current: { issuer: string; certificateSha256: string; notAfter: string };
  /** The issuing CA changed: subscribed sites must act before they accept the next catalog. */
  issuerChanged: boolean;
}

/**
 * `vmic endorser rotate NAME --cert NEW (--key F | --pkcs11 URI)`: from the next publish
 * on, catalogs are signed with the new certificate and key. Versions already published
 * keep the signatures they were made with (their files are immutable), so they still
 * verify with the certificate that signed them.
 *
 * The subject must stay: every subscribed site pins it (threat: a rotation that silently
 * moves the catalog to another identity; a new identity is a new endorser). A new issuing
 * CA is allowed here but reported: sites pinned to the old CA's key refuse the next
 * catalog until they trust the new CA and re-pin, which is their decision to make.
 */
export async function rotateEndorser(
  inst: Instance,
  input: EndorserCredentialInput & { name: string; actor: string },
): Promise<RotationResult> {
  const row = await inst.store.db
    .selectFrom('endorsers')
    .select(['id', 'subject', 'issuer', 'certificate_pem'])
    .where('name', '=', input.name)
    .executeTakeFirst();
  if (!row) throw new VmicError('NOT_FOUND', `no endorser named ${input.name}`);
  const cred = await endorserCredential(inst, input.name, input);
  if (!dnEquals(cred.info.subject, row.subject))
    throw new VmicError(
      'BAD_REQUEST',
      `the new certificate is for ${cred.info.subject}, not ${row.subject}: sites pin the subject ` +
        `and would refuse every catalog; a new identity is a new endorser (vmic endorser add)`,
    );
  const old = describeCertificate(pemToDers(row.certificate_pem, 'CERTIFICATE')[0]!);

  if (old.fingerprintSha256 === cred.info.fingerprintSha256)
    throw new VmicError('CONFLICT', `endorser ${input.name} already has this certificate`);
  const oldDer = pemToDers(row.certificate_pem, 'CERTIFICATE')[0]!;
  // Another CA name, or the same name with another key (its authority key identifier).
  const issuerChanged =
    !dnEquals(cred.info.issuer, row.issuer) ||
    authorityKeyId(cred.leaf) === undefined ||
    authorityKeyId(cred.leaf) !== authorityKeyId(oldDer);
  const result: RotationResult = {
    endorser: input.name,
    subject: row.subject,
    previous: {
      issuer: old.issuer,
      certificateSha256: old.fingerprintSha256,
      notAfter: old.notAfter.toISOString(),
    },
    current: {
      issuer: cred.info.issuer,
      certificateSha256: cred.info.fingerprintSha256,
      notAfter: cred.info.notAfter.toISOString(),
    },
    issuerChanged,
  };
  await writeTransaction(inst.store, async (tx) => {
    await tx
      .updateTable('endorsers')
      .set({
        certificate_pem: derToPem(cred.leaf, 'CERTIFICATE'),
        chain_pem: cred.chain.map((c) => derToPem(c, 'CERTIFICATE')).join(''),
        sealed_key: cred.sealedKey,
        key_uri: cred.keyUri,
        issuer: cred.info.issuer,
      })
      .where('id', '=', row.id)
      .execute();
    await appendAudit(tx, {
      at: inst.now(),
      actor: input.actor,
      action: 'endorser.rotated',
      subject: input.name,
      details: {
        previous: result.previous,
        current: result.current,
        issuerChanged,
        ...(cred.keyUri ? { pkcs11: cred.keyUri } : {}),
      },
    });
  });
  return result;
}
