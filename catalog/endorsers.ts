import type { webcrypto } from 'node:crypto';
import { VmicError } from '../errors/index.ts';
import { derToPem, importPrivateKey, pemToDers } from '../pki/index.ts';
import type { Instance } from './instance.ts';
import { checkEndorserName } from './names.ts';
import { endorserCredential, endorserTokenKey, sealingContext } from './endorser-key.ts';
import { open } from './secrets/sealed-box.ts';
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
  const { leaf, chain, info, sealedKey, keyUri } = await endorserCredential(inst, name, input);
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
