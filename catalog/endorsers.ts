import crypto, { type webcrypto } from 'node:crypto';
import { VmicError } from '../errors/index.ts';
import { derToPem, describeCertificate, importPrivateKey, pemToDers } from '../pki/index.ts';
import type { Instance } from './instance.ts';
import { checkEndorserName } from './names.ts';
import { endorserTokenKey, tokenKeyForCertificate } from './endorser-key.ts';
import { open, seal } from './secrets/sealed-box.ts';
import { writeTransaction } from './store/write-transaction.ts';
import { appendAudit } from './audit/audit-log.ts';

/** What any API or command may show of an endorser: never the key, sealed or not. */
export interface Endorser {
  id: number;
  name: string;
  title: string;
  subject: string;
  issuer: string;
  certificatePem: string;
  chainPem: string;
  createdAt: string;
}

export interface Signer {
  certificate: Uint8Array;
  chain: Uint8Array[];
  privateKey: webcrypto.CryptoKey;
  subject: string;
  issuer: string;
}

const MAX_PEM_CHARS = 256 * 1024;

function sealingContext(name: string): string {
  return `vmic endorser key:${name}`;
}

export async function addEndorser(
  inst: Instance,
  input: {
    name: string;
    title?: string;
    certificatePem: string;
    /** The private key, sealed with the master key; or `pkcs11`, a key held in a token. */
    keyPem?: string | undefined;
    pkcs11?: string | undefined;
    chainPem?: string;
    actor: string;
  },
): Promise<Endorser> {
  const name = checkEndorserName(input.name);
  for (const [what, text] of [
    ['certificate', input.certificatePem],
    ['key', input.keyPem ?? ''],
    ['chain', input.chainPem ?? ''],
  ] as const) {
    if (text.length > MAX_PEM_CHARS) throw new VmicError('TOO_LARGE', `${what} file is too large`);
  }
  const certs = pemToDers(input.certificatePem, 'CERTIFICATE');
  if (certs.length === 0)
    throw new VmicError('MALFORMED', 'no CERTIFICATE block in the certificate file');
  // A file may carry the leaf followed by its chain (the usual "fullchain" layout).
  const [leaf, ...rest] = certs as [Uint8Array, ...Uint8Array[]];
  const chain = [...rest, ...(input.chainPem ? pemToDers(input.chainPem, 'CERTIFICATE') : [])];
  const info = describeCertificate(leaf);
  if (info.isCA)
    throw new VmicError('KEY_USAGE', 'an endorser certificate must not be a CA certificate', {
      rule: 'basicConstraints.cA',
    });
  if (info.keyUsage.length > 0 && !info.keyUsage.includes('digitalSignature')) {
    throw new VmicError('KEY_USAGE', 'the endorser certificate does not allow digitalSignature', {
      rule: 'keyUsage.digitalSignature',
    });
  }
  if ((input.keyPem === undefined) === (input.pkcs11 === undefined))
    throw new VmicError(
      'BAD_REQUEST',
      'give the endorser key as a file or as a PKCS#11 URI, one of them',
    );
  let sealedKey: Uint8Array = new Uint8Array(0);
  let keyUri: string | null = null;
  if (input.keyPem !== undefined) {
    const pkcs8 = privateKeyMatching(input.keyPem, leaf);
    await importPrivateKey(pkcs8); // refuses key types that cannot sign catalogs
    sealedKey = seal(inst.keys.sealing, pkcs8, sealingContext(name));
    pkcs8.fill(0);
  } else keyUri = await tokenKeyForCertificate(input.pkcs11!, leaf);

  const now = inst.now().toISOString();
  const title = (input.title ?? info.subject).slice(0, inst.config.limits.metadataChars);
  return writeTransaction(inst.store, async (tx) => {
    const exists = await tx
      .selectFrom('endorsers')
      .select('id')
      .where('name', '=', name)
      .executeTakeFirst();
    if (exists) throw new VmicError('CONFLICT', `endorser ${name} already exists`);
    const row = await tx
      .insertInto('endorsers')
      .values({
        name,
        title,
        certificate_pem: derToPem(leaf, 'CERTIFICATE'),
        chain_pem: chain.map((c) => derToPem(c, 'CERTIFICATE')).join(''),
        sealed_key: sealedKey,
        key_uri: keyUri,
        subject: info.subject,
        issuer: info.issuer,
        created_at: now,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    await appendAudit(tx, {
      at: inst.now(),
      actor: input.actor,
      action: 'endorser.added',
      subject: name,
      details: {
        subject: info.subject,
        issuer: info.issuer,
        certificateSha256: info.fingerprintSha256,
        ...(keyUri ? { pkcs11: keyUri } : {}),
      },
    });
    return toEndorser({
      id: row.id,
      name,
      title,
      subject: info.subject,
      issuer: info.issuer,
      certificate_pem: derToPem(leaf, 'CERTIFICATE'),
      chain_pem: chain.map((c) => derToPem(c, 'CERTIFICATE')).join(''),
      created_at: now,
    });
  });
}

/** Checks that the key file holds the private half of the certificate's key; returns PKCS#8 DER. */
function privateKeyMatching(keyPem: string, certificate: Uint8Array): Buffer {
  let key: crypto.KeyObject;
  try {
    key = crypto.createPrivateKey({ key: keyPem, format: 'pem' });
  } catch (e) {
    throw new VmicError('MALFORMED', 'the key file is not an unencrypted PEM private key', {
      cause: e,
    });
  }
  const fromKey = crypto.createPublicKey(key).export({ type: 'spki', format: 'der' });
  const fromCert = new crypto.X509Certificate(certificate).publicKey.export({
    type: 'spki',
    format: 'der',
  });
  // Public keys are not secret: a plain comparison is fine here.
  if (!fromKey.equals(fromCert)) {
    throw new VmicError('BAD_REQUEST', 'the private key does not belong to the certificate');
  }
  return key.export({ type: 'pkcs8', format: 'der' });
}

type EndorserRow = {
  id: number;
  name: string;
  title: string;
  subject: string;
  issuer: string;
  certificate_pem: string;
  chain_pem: string;
  created_at: string;
};

function toEndorser(r: EndorserRow): Endorser {
  return {
    id: r.id,
    name: r.name,
    title: r.title,
    subject: r.subject,
    issuer: r.issuer,
    certificatePem: r.certificate_pem,
    chainPem: r.chain_pem,
    createdAt: r.created_at,
  };
}

const PUBLIC_COLUMNS = [
  'id',
  'name',
  'title',
  'subject',
  'issuer',
  'certificate_pem',
  'chain_pem',
  'created_at',
] as const;

export async function listEndorsers(inst: Instance): Promise<Endorser[]> {
  const rows = await inst.store.db
    .selectFrom('endorsers')
    .select(PUBLIC_COLUMNS)
    .orderBy('name')
    .execute();
  return rows.map(toEndorser);
}

export async function getEndorser(inst: Instance, name: string): Promise<Endorser> {
  const row = await inst.store.db
    .selectFrom('endorsers')
    .select(PUBLIC_COLUMNS)
    .where('name', '=', name)
    .executeTakeFirst();
  if (!row) throw new VmicError('NOT_FOUND', `no endorser named ${name}`);
  return toEndorser(row);
}

/** Opens the sealed key for signing; used only inside the publish use case, never returned. */
export async function loadSigner(inst: Instance, name: string): Promise<Signer> {
  const row = await inst.store.db
    .selectFrom('endorsers')
    .selectAll()
    .where('name', '=', name)
    .executeTakeFirst();
  if (!row) throw new VmicError('NOT_FOUND', `no endorser named ${name}`);
  const common = {
    certificate: pemToDers(row.certificate_pem, 'CERTIFICATE')[0]!,
    chain: row.chain_pem === '' ? [] : pemToDers(row.chain_pem, 'CERTIFICATE'),
    subject: row.subject,
    issuer: row.issuer,
  };
  // A key in a token signs there: nothing to open, nothing in this process to wipe.
  if (row.key_uri !== null) return { ...common, privateKey: await endorserTokenKey(row.key_uri) };
  const pkcs8 = open(inst.keys.sealing, row.sealed_key, sealingContext(name));
  try {
    return {
      certificate: pemToDers(row.certificate_pem, 'CERTIFICATE')[0]!,
      chain: row.chain_pem === '' ? [] : pemToDers(row.chain_pem, 'CERTIFICATE'),
      privateKey: await importPrivateKey(pkcs8),
      subject: row.subject,
      issuer: row.issuer,
    };
  } finally {
    pkcs8.fill(0);
  }
}
