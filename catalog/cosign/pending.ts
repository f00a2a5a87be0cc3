import { createHash } from 'node:crypto';
import type { Kysely, Selectable } from 'kysely';
import { VmicError } from '../../errors/index.ts';
import type { Instance } from '../instance.ts';
import type { Database } from '../store/schema.ts';
import type { PendingCatalogTable } from '../store/schema-cosign.ts';
import { writeTransaction, type Tx } from '../store/write-transaction.ts';
import { discardStored } from '../publish-commit.ts';
import { appendAudit } from '../audit/audit-log.ts';
import { readVersionFile } from '../catalog-versions.ts';

export type PendingRow = Selectable<PendingCatalogTable>;

/** The endorser's pending catalog; CONFLICT when there is none (nothing takes a signature). */
export async function pendingRow(db: Kysely<Database>, endorser: string): Promise<PendingRow> {
  const e = await db
    .selectFrom('endorsers')
    .select('id')
    .where('name', '=', endorser)
    .executeTakeFirst();
  if (!e) throw new VmicError('NOT_FOUND', `no endorser named ${endorser}`);
  const row = await db
    .selectFrom('pending_catalogs')
    .selectAll()
    .where('endorser_id', '=', e.id)
    .executeTakeFirst();
  if (!row)
    throw new VmicError(
      'CONFLICT',
      `${endorser} has no pending catalog: a published catalog takes no more signatures`,
    );
  return row;
}

/** The exact bytes every signature of the pending catalog covers. */
export async function readPendingNQuads(inst: Instance, row: PendingRow): Promise<Buffer> {
  const bytes = await readVersionFile(inst, {
    kind: 'blob',
    sha256: row.nquads_sha256,
    size: row.nquads_size,
  });
  // Signatures are checked over these bytes: they must be the ones the endorser signed.
  if (createHash('sha256').update(bytes).digest('hex') !== row.nquads_sha256)
    throw new Error(`the pending N-Quads ${row.nquads_sha256} changed in the blob store`);
  return bytes;
}

export interface PendingCatalog {
  endorser: string;
  sequence: number;
  threshold: number;
  issuedAt: string;
  expiresAt: string;
  imageCount: number;
  contentSha256: string;
  createdBy: string;
  signed: { signer: string; subject: string; signedAt: string }[];
  /** Co-signers who have not signed yet; any `threshold - signed` of them complete it. */
  notYet: string[];
  needed: number;
}

/** `vmic catalog pending [ENDORSER]`: who signed, who may still sign, how many are needed. */
export async function listPending(inst: Instance, endorser?: string): Promise<PendingCatalog[]> {
  const db = inst.store.db;
  let q = db
    .selectFrom('pending_catalogs')
    .innerJoin('endorsers', 'endorsers.id', 'pending_catalogs.endorser_id')
    .selectAll('pending_catalogs')
    .select('endorsers.name as endorser');
  if (endorser !== undefined) q = q.where('endorsers.name', '=', endorser);
  const rows = await q.orderBy('endorsers.name').execute();
  const out: PendingCatalog[] = [];
  for (const r of rows) {
    const signed = await db
      .selectFrom('pending_catalog_signatures')
      .select(['signer', 'subject', 'signed_at'])
      .where('pending_id', '=', r.id)
      .orderBy('id')
      .execute();
    const cosigners = await db
      .selectFrom('endorser_cosigners')
      .select('name')
      .where('endorser_id', '=', r.endorser_id)
      .orderBy('name')
      .execute();
    out.push({
      endorser: r.endorser,
      sequence: r.sequence,
      threshold: r.threshold,
      issuedAt: r.issued_at,
      expiresAt: r.expires_at,
      imageCount: r.image_count,
      contentSha256: r.nquads_sha256,
      createdBy: r.created_by,
      signed: signed.map((s) => ({ signer: s.signer, subject: s.subject, signedAt: s.signed_at })),
      notYet: cosigners.map((c) => c.name).filter((n) => !signed.some((s) => s.signer === n)),
      needed: Math.max(0, r.threshold - signed.length),
    });
  }
  return out;
}

/** Removes a pending catalog's rows, in the caller's transaction (published or discarded). */
export async function deletePending(tx: Tx, id: number): Promise<number> {
  const sigs = await tx
    .deleteFrom('pending_catalog_signatures')
    .where('pending_id', '=', id)
    .executeTakeFirst();
  await tx.deleteFrom('pending_catalogs').where('id', '=', id).execute();
  return Number(sigs.numDeletedRows);
}

/**
 * `vmic catalog discard ENDORSER`: drops the pending catalog and its signatures, freeing
 * its sequence for the next publish. Its N-Quads are removed unless a published version
 * names the same bytes.
 */
export async function discardPending(
  inst: Instance,
  input: { endorser: string; actor: string },
): Promise<{ endorser: string; sequence: number; signatures: number }> {
  const out = await writeTransaction(inst.store, async (tx) => {
    const row = await pendingRow(tx, input.endorser);
    const signatures = await deletePending(tx, row.id);
    const used = await tx
      .selectFrom('catalog_versions')
      .select('id')
      .where('nquads_sha256', '=', row.nquads_sha256)
      .executeTakeFirst();
    if (!used) await tx.deleteFrom('blobs').where('sha256', '=', row.nquads_sha256).execute();
    await appendAudit(tx, {
      at: inst.now(),
      actor: input.actor,
      action: 'catalog.pending-discarded',
      subject: input.endorser,
      details: { sequence: row.sequence, signatures, contentSha256: row.nquads_sha256 },
    });
    return {
      endorser: input.endorser,
      sequence: row.sequence,
      signatures,
      sha256: row.nquads_sha256,
    };
  });
  await discardStored(inst, [out.sha256]);
  return { endorser: out.endorser, sequence: out.sequence, signatures: out.signatures };
}
