import { VmicError } from '../../errors/index.ts';
import { cmsVerifySignature, describeCertificate, pemToDers } from '../../pki/index.ts';
import { encodeContentInfo, signedDataOverDigest } from '../../pki/cms-sign.ts';
import { signedDataParts } from '../../pki/cms-cosign.ts';
import { OID_DATA } from '../../pki/cms-oids.ts';
import type { Instance } from '../instance.ts';
import { writeTransaction } from '../store/write-transaction.ts';
import { appendAudit } from '../audit/audit-log.ts';
import { collectCosignatures } from '../log/log-witnesses.ts';
import { discardStored, tooLargeOrAsIs, type PublishedVersion } from '../publish-commit.ts';
import { loadCosignerSigner } from './cosigners.ts';
import { pendingRow, readPendingNQuads } from './pending.ts';
import { publishPending } from './complete.ts';

export interface SignOutcome {
  endorser: string;
  sequence: number;
  signer: string;
  signers: string[];
  threshold: number;
  /** The version, when this signature was the K-th and the catalog is published. */
  published?: PublishedVersion;
}

/**
 * `vmic catalog sign ENDORSER --as SIGNER [--signature FILE]`: one more signature over
 * the pending catalog's N-Quads, by the co-signer's key held here, or uploaded as a
 * detached CMS made elsewhere (`openssl cms -sign -binary … -outform DER`), which must
 * verify over exactly those bytes and be made by that co-signer's certificate. Refused:
 * a signer that is not a co-signer of the endorser, a second signature by one signer or
 * one certificate, a signature over other bytes, and anything once the catalog is
 * published. The K-th signature publishes it in the same write transaction.
 */
export async function signPending(
  inst: Instance,
  input: {
    endorser: string;
    as: string;
    signature?: Uint8Array;
    actor: string;
    /** A person's own sign-in (the web admin): refused if this actor already signed it. */
    onePerActor?: boolean;
  },
): Promise<SignOutcome> {
  const pending = await pendingRow(inst.store.db, input.endorser);
  const cosigner = await inst.store.db
    .selectFrom('endorser_cosigners')
    .selectAll()
    .where('endorser_id', '=', pending.endorser_id)
    .where('name', '=', input.as)
    .executeTakeFirst();
  if (!cosigner)
    throw new VmicError('FORBIDDEN', `${input.as} is not a co-signer of ${input.endorser}`);
  const certificate = pemToDers(cosigner.certificate_pem, 'CERTIFICATE')[0]!;
  const fingerprint = describeCertificate(certificate).fingerprintSha256;
  let cms: Uint8Array;
  if (input.signature !== undefined) {
    cms = input.signature;
    const parts = signedDataParts(cms);
    if (parts.eContentType !== OID_DATA || parts.signerInfos.length !== 1)
      throw new VmicError('MALFORMED', 'expected a detached CMS with one signer over id-data');
    const content = await readPendingNQuads(inst, pending);
    const verified = await cmsVerifySignature({ cms, detachedContent: content });
    if (verified.signer.fingerprintSha256 !== fingerprint)
      throw new VmicError(
        'SUBJECT_MISMATCH',
        `the signature is by ${verified.signer.subject} (certificate ${verified.signer.fingerprintSha256.slice(0, 16)}…), not by co-signer ${input.as}`,
      );
  } else {
    if (cosigner.external)
      throw new VmicError(
        'BAD_REQUEST',
        `${input.as} signs elsewhere: give --signature FILE (a detached CMS over vmic catalog pending ${input.endorser} --nquads OUT)`,
      );
    const signer = await loadCosignerSigner(inst, input.endorser, cosigner);
    cms = encodeContentInfo(
      await signedDataOverDigest({
        signer: { certificate: signer.certificate, privateKey: signer.privateKey },
        chain: signer.chain,
        signingTime: inst.now(),
        sha256: Buffer.from(pending.nquads_sha256, 'hex'),
      }),
    );
  }
  const stored: string[] = [];
  let outcome: SignOutcome;
  try {
    outcome = await writeTransaction(inst.store, async (tx) => {
      // Read again under the write lock: the catalog may have been completed or discarded.
      const now = await pendingRow(tx, input.endorser);
      if (now.id !== pending.id)
        throw new VmicError('CONFLICT', 'the pending catalog changed while signing');
      const held = await tx
        .selectFrom('pending_catalog_signatures')
        .select(['signer', 'certificate_sha256', 'signed_by'])
        .where('pending_id', '=', now.id)
        .orderBy('id')
        .execute();
      if (held.some((h) => h.signer === input.as || h.certificate_sha256 === fingerprint))
        throw new VmicError('CONFLICT', `${input.as} has already signed this catalog`);
      const own = input.onePerActor && held.find((h) => h.signed_by === input.actor);
      if (own)
        throw new VmicError(
          'CONFLICT',
          `${input.actor} has already signed this catalog (as ${own.signer}): each signature is another person's`,
        );
      await tx
        .insertInto('pending_catalog_signatures')
        .values({
          pending_id: now.id,
          signer: input.as,
          cosigner_id: cosigner.id,
          subject: cosigner.subject,
          certificate_sha256: fingerprint,
          cms,
          signed_by: input.actor,
          signed_at: inst.now().toISOString(),
        })
        .execute();
      const signers = [...held.map((h) => h.signer), input.as];
      await appendAudit(tx, {
        at: inst.now(),
        actor: input.actor,
        action: 'catalog.cosigned',
        subject: input.endorser,
        details: {
          sequence: now.sequence,
          signer: input.as,
          subject: cosigner.subject,
          certificateSha256: fingerprint,
          signatures: signers.length,
          threshold: now.threshold,
          uploaded: input.signature !== undefined,
        },
      });
      const result: SignOutcome = {
        endorser: input.endorser,
        sequence: now.sequence,
        signer: input.as,
        signers,
        threshold: now.threshold,
      };
      if (signers.length >= now.threshold)
        result.published = await publishPending(inst, tx, {
          endorser: input.endorser,
          pending: now,
          actor: input.actor,
          stored: (sha256) => stored.push(sha256),
        });
      return result;
    });
  } catch (e) {
    await discardStored(inst, stored);
    throw tooLargeOrAsIs(e);
  }
  if (outcome.published) await collectCosignatures(inst);
  return outcome;
}
