import type { webcrypto } from 'node:crypto';
import { VmicError } from '../../errors/index.ts';
import { derToPem, describeCertificate, importPrivateKey, pemToDers } from '../../pki/index.ts';
import type { Instance } from '../instance.ts';
import { appendAudit } from '../audit/audit-log.ts';
import { refreshApprovalFeedAfterChange } from '../site/approval-feed.ts';
import { open, seal } from '../secrets/sealed-box.ts';
import { writeTransaction } from '../store/write-transaction.ts';
import { endorserTokenKey, privateKeyMatching, tokenKeyForCertificate } from '../endorser-key.ts';

const SEALING_CONTEXT = 'vmic site identity key';

/** What may be shown of the site identity: the public certificate and its chain. */
export interface SiteIdentity {
  subject: string;
  issuer: string;
  certificatePem: string;
  chainPem: string;
  updatedAt: string;
}

/**
 * The site's own X.509 identity, which signs migration manifests and receives wrapped
 * data keys. Stored like an endorser's: the key sealed at rest, never returned.
 */
export async function setSiteIdentity(
  inst: Instance,
  input: {
    certificatePem: string;
    /** The private key, sealed with the master key; or `pkcs11`, a key held in a token. */
    keyPem?: string | undefined;
    pkcs11?: string | undefined;
    chainPem?: string | undefined;
    actor: string;
  },
): Promise<SiteIdentity> {
  const [leaf, ...rest] = pemToDers(input.certificatePem, 'CERTIFICATE') as [
    Uint8Array,
    ...Uint8Array[],
  ];
  const chain = [...rest, ...(input.chainPem ? pemToDers(input.chainPem, 'CERTIFICATE') : [])];
  const info = describeCertificate(leaf);
  if (info.isCA)
    throw new VmicError('KEY_USAGE', 'a site identity must not be a CA certificate', {
      rule: 'basicConstraints.cA',
    });
  if (info.keyUsage.length > 0 && !info.keyUsage.includes('digitalSignature')) {
    throw new VmicError('KEY_USAGE', 'the site certificate does not allow digitalSignature', {
      rule: 'keyUsage.digitalSignature',
    });
  }
  if ((input.keyPem === undefined) === (input.pkcs11 === undefined))
    throw new VmicError(
      'BAD_REQUEST',
      'give the site key as a file or as a PKCS#11 URI, one of them',
    );
  let sealedKey: Uint8Array = new Uint8Array(0);
  let keyUri: string | null = null;
  if (input.keyPem !== undefined) {
    const pkcs8 = privateKeyMatching(input.keyPem, leaf);
    await importPrivateKey(pkcs8);
    sealedKey = seal(inst.keys.sealing, pkcs8, SEALING_CONTEXT);
    pkcs8.fill(0);
  } else keyUri = await tokenKeyForCertificate(input.pkcs11!, leaf);
  const now = inst.now().toISOString();
  const row = {
    certificate_pem: derToPem(leaf, 'CERTIFICATE'),
    chain_pem: chain.map((c) => derToPem(c, 'CERTIFICATE')).join(''),
    sealed_key: sealedKey,
    key_uri: keyUri,
    subject: info.subject,
    issuer: info.issuer,
    updated_at: now,
  };
  await writeTransaction(inst.store, async (tx) => {
    await tx
      .insertInto('site_identity')
      .values({ id: 1, ...row })
      .onConflict((oc) => oc.column('id').doUpdateSet(row))
      .execute();
    await appendAudit(tx, {
      at: inst.now(),
      actor: input.actor,
      action: 'site.identity.set',
      subject: info.subject,
      details: {
        issuer: info.issuer,
        certificateSha256: info.fingerprintSha256,
        ...(keyUri ? { pkcs11: keyUri } : {}),
      },
    });
  });
  // Signed with the new identity at once: compute nodes pinned to it need a feed to boot.
  await refreshApprovalFeedAfterChange(inst);
  return {
    subject: info.subject,
    issuer: info.issuer,
    certificatePem: row.certificate_pem,
    chainPem: row.chain_pem,
    updatedAt: now,
  };
}

export async function getSiteIdentity(inst: Instance): Promise<SiteIdentity> {
  const r = await inst.store.db
    .selectFrom('site_identity')
    .select(['subject', 'issuer', 'certificate_pem', 'chain_pem', 'updated_at'])
    .where('id', '=', 1)
    .executeTakeFirst();
  if (!r)
    throw new VmicError(
      'CONFIG',
      'this site has no identity yet: vmic site identity set --cert F --key F [--chain F]',
    );
  return {
    subject: r.subject,
    issuer: r.issuer,
    certificatePem: r.certificate_pem,
    chainPem: r.chain_pem,
    updatedAt: r.updated_at,
  };
}

/**
 * Opens the sealed key for one use (signing a manifest, unwrapping a data key); a key in a
 * token is used there (`keyUri`), and nothing of it is in this process.
 */
export async function loadSiteKey(inst: Instance): Promise<{
  unwrapWith: { pkcs8Pem: string } | { keyUri: string };
  signingKey: webcrypto.CryptoKey;
  certificate: Uint8Array;
  chain: Uint8Array[];
  subject: string;
}> {
  const r = await inst.store.db
    .selectFrom('site_identity')
    .selectAll()
    .where('id', '=', 1)
    .executeTakeFirst();
  if (!r) throw new VmicError('CONFIG', 'this site has no identity yet');
  const common = {
    certificate: pemToDers(r.certificate_pem, 'CERTIFICATE')[0]!,
    chain: r.chain_pem ? pemToDers(r.chain_pem, 'CERTIFICATE') : [],
    subject: r.subject,
  };
  if (r.key_uri !== null)
    return {
      ...common,
      unwrapWith: { keyUri: r.key_uri },
      signingKey: await endorserTokenKey(r.key_uri),
    };
  const pkcs8 = open(inst.keys.sealing, r.sealed_key, SEALING_CONTEXT);
  try {
    return {
      ...common,
      unwrapWith: { pkcs8Pem: derToPem(pkcs8, 'PRIVATE KEY') },
      signingKey: await importPrivateKey(pkcs8),
    };
  } finally {
    pkcs8.fill(0);
  }
}
