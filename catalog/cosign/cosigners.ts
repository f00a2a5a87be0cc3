import { VmicError } from '../../errors/index.ts';
import { derToPem, describeCertificate, importPrivateKey, pemToDers } from '../../pki/index.ts';
import type { Instance } from '../instance.ts';
import type { Signer } from '../endorsers.ts';
import { checkEndorserName } from '../names.ts';
import { endorserCredential, endorserTokenKey, sealingContext } from '../endorser-key.ts';
import { open } from '../secrets/sealed-box.ts';
import { writeTransaction, type Tx } from '../store/write-transaction.ts';
import { appendAudit } from '../audit/audit-log.ts';

/** What any command may show of a co-signer: never the key. */
export interface Cosigner {
  name: string;
  subject: string;
  issuer: string;
  certificateSha256: string;
  /** Where the key is: sealed here, in a PKCS#11 token, or with the signer (`external`). */
  key: 'sealed' | 'pkcs11' | 'external';
  addedAt: string;
}

/** The name a co-signer's sealed key is bound to: never an endorser's (names have no '/'). */
const cosignerKeyName = (endorser: string, name: string) => `${endorser}/cosigner/${name}`;

export async function endorserId(tx: Tx, name: string): Promise<number> {
  const row = await tx
    .selectFrom('endorsers')
    .select('id')
    .where('name', '=', name)
    .executeTakeFirst();
  if (!row) throw new VmicError('NOT_FOUND', `no endorser named ${name}`);
  return row.id;
}

/**
 * `vmic endorser cosigner add ENDORSER SIGNER --cert F (--key F | --pkcs11 URI | --external)`:
 * a signer whose signature counts towards the endorser's threshold. Its certificate is
 * checked as an endorser's is (may sign, not a CA); a key given is proved to be its own
 * and sealed (or named in its token); an external signer has no key here.
 */
export async function addCosigner(
  inst: Instance,
  input: {
    endorser: string;
    name: string;
    certificatePem: string;
    keyPem?: string | undefined;
    pkcs11?: string | undefined;
    chainPem?: string | undefined;
    external?: boolean;
    actor: string;
  },
): Promise<Cosigner> {
  const name = checkEndorserName(input.name);
  let cred: ReturnType<typeof externalCredential>;
  if (input.external) {
    if (input.keyPem !== undefined || input.pkcs11 !== undefined)
      throw new VmicError('BAD_REQUEST', 'an external co-signer has no key here');
    cred = externalCredential(input);
  } else cred = await endorserCredential(inst, cosignerKeyName(input.endorser, name), input);
  const { leaf, chain, info, sealedKey, keyUri } = cred;
  const at = inst.now().toISOString();
  return writeTransaction(inst.store, async (tx) => {
    const id = await endorserId(tx, input.endorser);
    const endorser = await tx
      .selectFrom('endorsers')
      .select('certificate_pem')
      .where('id', '=', id)
      .executeTakeFirstOrThrow();
    if (
      describeCertificate(pemToDers(endorser.certificate_pem)[0]!).fingerprintSha256 ===
      info.fingerprintSha256
    )
      throw new VmicError('CONFLICT', 'the endorser itself cannot be its own co-signer');
    const clash = await tx
      .selectFrom('endorser_cosigners')
      .select(['name', 'certificate_pem'])
      .where('endorser_id', '=', id)
      .execute();
    for (const c of clash) {
      if (c.name === name) throw new VmicError('CONFLICT', `co-signer ${name} already exists`);
      if (
        describeCertificate(pemToDers(c.certificate_pem)[0]!).fingerprintSha256 ===
        info.fingerprintSha256
      )
        throw new VmicError('CONFLICT', `co-signer ${c.name} has the same certificate`);
    }
    await tx
      .insertInto('endorser_cosigners')
      .values({
        endorser_id: id,
        name,
        subject: info.subject,
        issuer: info.issuer,
        certificate_pem: derToPem(leaf, 'CERTIFICATE'),
        chain_pem: chain.map((c) => derToPem(c, 'CERTIFICATE')).join(''),
        sealed_key: sealedKey,
        key_uri: keyUri,
        external: input.external ? 1 : 0,
        added_at: at,
      })
      .execute();
    const key = input.external ? 'external' : keyUri ? 'pkcs11' : 'sealed';
    await appendAudit(tx, {
      at: inst.now(),
      actor: input.actor,
      action: 'endorser.cosigner-added',
      subject: input.endorser,
      details: {
        cosigner: name,
        subject: info.subject,
        issuer: info.issuer,
        certificateSha256: info.fingerprintSha256,
        key,
        ...(keyUri ? { pkcs11: keyUri } : {}),
      },
    });
    return {
      name,
      subject: info.subject,
      issuer: info.issuer,
      certificateSha256: info.fingerprintSha256,
      key,
      addedAt: at,
    };
  });
}

/** endorserCredential's checks on the certificate, for a signer whose key is elsewhere. */
function externalCredential(input: { certificatePem: string; chainPem?: string | undefined }) {
  if (input.certificatePem.length + (input.chainPem ?? '').length > 512 * 1024)
    throw new VmicError('TOO_LARGE', 'certificate file is too large');
  const [leaf, ...rest] = pemToDers(input.certificatePem, 'CERTIFICATE');
  if (leaf === undefined)
    throw new VmicError('MALFORMED', 'no CERTIFICATE block in the certificate file');
  const info = describeCertificate(leaf);
  if (info.isCA)
    throw new VmicError('KEY_USAGE', 'a co-signer certificate must not be a CA certificate', {
      rule: 'basicConstraints.cA',
    });
  if (info.keyUsage.length > 0 && !info.keyUsage.includes('digitalSignature'))
    throw new VmicError('KEY_USAGE', 'the co-signer certificate does not allow digitalSignature', {
      rule: 'keyUsage.digitalSignature',
    });
  const chain = [...rest, ...(input.chainPem ? pemToDers(input.chainPem, 'CERTIFICATE') : [])];
  return {
    leaf,
    chain,
    info,
    sealedKey: new Uint8Array(0) as Uint8Array,
    keyUri: null as string | null,
  };
}

export async function listCosigners(inst: Instance, endorser: string): Promise<Cosigner[]> {
  const rows = await inst.store.db
    .selectFrom('endorser_cosigners')
    .innerJoin('endorsers', 'endorsers.id', 'endorser_cosigners.endorser_id')
    .select([
      'endorser_cosigners.name',
      'endorser_cosigners.subject',
      'endorser_cosigners.issuer',
      'endorser_cosigners.certificate_pem',
      'endorser_cosigners.key_uri',
      'endorser_cosigners.external',
      'endorser_cosigners.added_at',
    ])
    .where('endorsers.name', '=', endorser)
    .orderBy('endorser_cosigners.name')
    .execute();
  return rows.map((r) => ({
    name: r.name,
    subject: r.subject,
    issuer: r.issuer,
    certificateSha256: describeCertificate(pemToDers(r.certificate_pem)[0]!).fingerprintSha256,
    key: r.external ? 'external' : r.key_uri ? 'pkcs11' : 'sealed',
    addedAt: r.added_at,
  }));
}

/** The co-signer's key, opened for one signature; never returned by any command. */
export async function loadCosignerSigner(
  inst: Instance,
  endorser: string,
  row: {
    name: string;
    certificate_pem: string;
    chain_pem: string;
    sealed_key: Uint8Array;
    key_uri: string | null;
    subject: string;
    issuer: string;
  },
): Promise<Signer> {
  const common = {
    certificate: pemToDers(row.certificate_pem, 'CERTIFICATE')[0]!,
    chain: row.chain_pem === '' ? [] : pemToDers(row.chain_pem, 'CERTIFICATE'),
    subject: row.subject,
    issuer: row.issuer,
  };
  if (row.key_uri !== null) return { ...common, privateKey: await endorserTokenKey(row.key_uri) };
  const pkcs8 = open(
    inst.keys.sealing,
    row.sealed_key,
    sealingContext(cosignerKeyName(endorser, row.name)),
  );
  try {
    return { ...common, privateKey: await importPrivateKey(pkcs8) };
  } finally {
    pkcs8.fill(0);
  }
}
