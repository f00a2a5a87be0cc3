import { VmicError } from '../../errors/index.ts';
import { refreshApprovalFeedAfterChange } from './approval-feed.ts';
import {
  assessCrl,
  describeCertificate,
  describeCrl,
  pemToDers,
  type CrlInfo,
} from '../../pki/index.ts';
import { x509 } from '../../pki/crypto-provider.ts';
import type { Instance } from '../instance.ts';
import { appendAudit } from '../audit/audit-log.ts';
import { writeTransaction } from '../store/write-transaction.ts';
import type { Queryable } from '../store/database.ts';
import { refreshAllSignerChecks } from './signer-checks.ts';

export interface TrustMaterial {
  anchors: Uint8Array[];
  intermediates: Uint8Array[];
  crls: Uint8Array[];
}

export interface TrustAddResult {
  anchors: string[];
  intermediates: string[];
  crls: string[];
  unchanged: number;
  /** CRLs held with a defect that makes other certificates of their CA fail (crl-assessment.ts) */
  warnings: string[];
}

const MAX_TRUST_FILE_CHARS = 8 * 1024 * 1024;

/**
 * Adds CA certificates and CRLs from PEM text. Self-signed CA certificates become trust
 * anchors; other CA certificates become intermediates, which help build paths but are
 * never trusted by themselves. A CRL is accepted only if a CA certificate we hold (or one
 * in the same file) with its issuer name signed it, and it could be used
 * (pki/crl-assessment.ts): a CRL the site holds is never ignored by verification, so one
 * it could never use is refused here with CRL_INVALID and the reason, not kept to fail
 * every decision later.
 */
export async function addTrustMaterial(
  inst: Instance,
  pem: string,
  actor: string,
): Promise<TrustAddResult> {
  if (pem.length > MAX_TRUST_FILE_CHARS)
    throw new VmicError('TOO_LARGE', 'trust file is too large');
  const certs = pem.includes('-----BEGIN CERTIFICATE-----') ? pemToDers(pem, 'CERTIFICATE') : [];
  const crls = pem.includes('-----BEGIN X509 CRL-----') ? pemToDers(pem, 'X509 CRL') : [];
  if (certs.length + crls.length === 0)
    throw new VmicError('MALFORMED', 'no CERTIFICATE or X509 CRL block found');
  const now = inst.now().toISOString();
  const result: TrustAddResult = {
    anchors: [],
    intermediates: [],
    crls: [],
    unchanged: 0,
    warnings: [],
  };

  const infos = certs.map((der) => describeCertificate(der));
  for (const info of infos) {
    if (!info.isCA)
      throw new VmicError('KEY_USAGE', `${info.subject} is not a CA certificate`, {
        rule: 'basicConstraints.cA',
      });
  }
  const held = await inst.store.db
    .selectFrom('trust_certificates')
    .select(['der', 'fingerprint'])
    .execute();
  const issuers = [
    ...held.map((h) => ({ der: h.der, fingerprint: h.fingerprint })),
    ...infos.map((i) => ({ der: i.der, fingerprint: i.fingerprintSha256 })),
  ];
  const crlRows: { info: CrlInfo; issuerFingerprint: string }[] = [];
  for (const der of crls) {
    const info = await describeCrl(der);
    const assessed = await assessCrl(
      der,
      issuers.map((i) => i.der),
      inst.now(),
    );
    const signer = Buffer.from(assessed.signerDer);
    const issuerFingerprint = issuers.find((i) => signer.equals(Buffer.from(i.der)))
      ?.fingerprint as string;
    result.warnings.push(...assessed.warnings.map((w) => w.message));
    crlRows.push({ info, issuerFingerprint });
  }

  await writeTransaction(inst.store, async (tx) => {
    for (const info of infos) {
      const kind =
        info.subject === info.issuer && (await selfSigned(info.der)) ? 'anchor' : 'intermediate';
      const inserted = await tx
        .insertInto('trust_certificates')
        .values({
          kind,
          subject: info.subject,
          issuer: info.issuer,
          fingerprint: info.fingerprintSha256,
          not_before: info.notBefore.toISOString(),
          not_after: info.notAfter.toISOString(),
          der: Buffer.from(info.der),
          added_at: now,
        })
        .onConflict((oc) => oc.column('fingerprint').doNothing())
        .executeTakeFirst();
      if (Number(inserted.numInsertedOrUpdatedRows ?? 0) === 0) {
        result.unchanged++;
        continue;
      }
      (kind === 'anchor' ? result.anchors : result.intermediates).push(info.subject);
      await appendAudit(tx, {
        at: inst.now(),
        actor,
        action: `trust.${kind}.added`,
        subject: info.subject,
        details: { fingerprint: info.fingerprintSha256, notAfter: info.notAfter.toISOString() },
      });
    }
    for (const { info, issuerFingerprint } of crlRows) {
      const inserted = await tx
        .insertInto('trust_crls')
        .values({
          issuer: info.issuer,
          issuer_fingerprint: issuerFingerprint,
          fingerprint: info.fingerprintSha256,
          crl_number: info.crlNumber ?? null,
          this_update: info.thisUpdate.toISOString(),
          next_update: info.nextUpdate?.toISOString() ?? null,
          revoked_count: info.revokedSerials.length,
          der: Buffer.from(info.der),
          added_at: now,
        })
        .onConflict((oc) => oc.column('fingerprint').doNothing())
        .executeTakeFirst();
      if (Number(inserted.numInsertedOrUpdatedRows ?? 0) === 0) {
        result.unchanged++;
        continue;
      }
      result.crls.push(info.issuer);
      await appendAudit(tx, {
        at: inst.now(),
        actor,
        action: 'trust.crl.added',
        subject: info.issuer,
        details: {
          fingerprint: info.fingerprintSha256,
          thisUpdate: info.thisUpdate.toISOString(),
          nextUpdate: info.nextUpdate?.toISOString() ?? null,
          revoked: info.revokedSerials.length,
        },
      });
    }
    // The gate's kept signer checks name the trust generation, which this changed: check
    // again now, in the same transaction, rather than in the next gate answers.
    if (result.anchors.length + result.intermediates.length + result.crls.length > 0)
      await refreshAllSignerChecks(inst, tx);
  });
  await refreshApprovalFeedAfterChange(inst);
  return result;
}

/** Only a certificate that verifies under its own key is an anchor (RFC 5280 §3.2 self-signed). */
async function selfSigned(der: Uint8Array): Promise<boolean> {
  try {
    return await new x509.X509Certificate(der).verify({ signatureOnly: true });
  } catch {
    return false;
  }
}

/** What verification uses: every anchor, every intermediate candidate, every CRL held. */
export async function loadTrustMaterial(db: Queryable): Promise<TrustMaterial> {
  const certs = await db.selectFrom('trust_certificates').select(['kind', 'der']).execute();
  const crls = await db.selectFrom('trust_crls').select('der').execute();
  return {
    anchors: certs.filter((c) => c.kind === 'anchor').map((c) => c.der),
    intermediates: certs.filter((c) => c.kind === 'intermediate').map((c) => c.der),
    crls: crls.map((c) => c.der),
  };
}

export interface TrustListing {
  certificates: {
    kind: 'anchor' | 'intermediate';
    subject: string;
    issuer: string;
    fingerprint: string;
    notBefore: string;
    notAfter: string;
    addedAt: string;
  }[];
  crls: {
    issuer: string;
    crlNumber: string | null;
    thisUpdate: string;
    nextUpdate: string | null;
    revoked: number;
    fingerprint: string;
    addedAt: string;
  }[];
}

export async function listTrust(db: Queryable): Promise<TrustListing> {
  const certs = await db
    .selectFrom('trust_certificates')
    .selectAll()
    .orderBy('kind')
    .orderBy('subject')
    .execute();
  const crls = await db
    .selectFrom('trust_crls')
    .selectAll()
    .orderBy('issuer')
    .orderBy('this_update', 'desc')
    .execute();
  return {
    certificates: certs.map((c) => ({
      kind: c.kind,
      subject: c.subject,
      issuer: c.issuer,
      fingerprint: c.fingerprint,
      notBefore: c.not_before,
      notAfter: c.not_after,
      addedAt: c.added_at,
    })),
    crls: crls.map((c) => ({
      issuer: c.issuer,
      crlNumber: c.crl_number,
      thisUpdate: c.this_update,
      nextUpdate: c.next_update,
      revoked: c.revoked_count,
      fingerprint: c.fingerprint,
      addedAt: c.added_at,
    })),
  };
}
