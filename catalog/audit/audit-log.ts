import crypto from 'node:crypto';
import type { Kysely, Selectable } from 'kysely';
import type { AuditTable, Database } from '../store/schema.ts';
import { appendLogLeaves } from '../log/instance-log.ts';
import { auditLeaf } from '../log/leaves.ts';
import type { Tx } from '../store/write-transaction.ts';

export const GENESIS_HASH = '0'.repeat(64);

/**
 * Every action the catalog records. A union, so that a misspelt action does not compile;
 * records read back from the log keep `action: string` (older entries may predate a rename).
 */
export type AuditAction =
  | 'approval.endorser.granted'
  | 'approval.endorser.revoked'
  | 'approval.image.granted'
  | 'approval.image.revoked'
  | 'catalog.published'
  | 'catalog.pending'
  | 'catalog.cosigned'
  | 'catalog.pending-discarded'
  | 'cleanup.temporaries.removed'
  | 'endorser.added'
  | 'endorser.rotated'
  | 'endorser.cosigner-added'
  | 'endorser.cosigner-removed'
  | 'endorser.threshold-set'
  | 'endorser.claims-set'
  | 'glance.image.created'
  | 'glance.image.deactivated'
  | 'glance.image.deleted'
  | 'glance.image.failed'
  | 'glance.image.reactivated'
  | 'glance.image.updated'
  | 'log.witness-added'
  | 'log.witness-removed'
  | 'witness.log-followed'
  | 'witness.log-unfollowed'
  | 'witness.fork-acknowledged'
  | 'image.added'
  | 'image.adopted'
  | 'image.withdrawn-upstream'
  | 'image.claims-set'
  | 'image.fetched'
  | 'image.quarantined'
  | 'image.replaced'
  | 'image.sbom-attached'
  | 'image.sbom-detached'
  | 'image.updated'
  | 'image.withdrawn'
  | 'import.applied'
  | 'import.failed'
  | 'migration.done'
  | 'migration.failed'
  | 'migration.refused'
  | 'migration.import.refused'
  | 'migration.incoming.started'
  | 'migration.outgoing.started'
  | 'migration.export.started'
  | 'migration.export.done'
  | 'migration.export.failed'
  | 'migration.transfer.started'
  | 'migration.transfer.done'
  | 'migration.transfer.failed'
  | 'migration.import.started'
  | 'migration.import.done'
  | 'migration.import.failed'
  | 'peer.added'
  | 'peer.issuer.pinned'
  | 'peer.removed'
  | 'policy.set'
  | 'site.approval-feed.signed'
  | 'site.identity.set'
  | 'subscription.added'
  | 'subscription.policies-set'
  | 'subscription.disabled'
  | 'subscription.enabled'
  | 'subscription.issuer-pinned'
  | 'subscription.issuer-unpinned'
  | 'subscription.removed'
  | 'token.created'
  | 'trust.anchor.added'
  | 'trust.crl.added'
  | 'trust.intermediate.added';

export interface AuditEvent {
  /** When the change happened: the caller's clock (`inst.now()`), never read here. */
  at: Date;
  actor: string;
  action: AuditAction;
  subject: string;
  details?: Record<string, unknown>;
}

export interface AuditRecord {
  seq: number;
  at: string;
  actor: string;
  action: string;
  subject: string;
  details: Record<string, unknown>;
  prevHash: string;
  hash: string;
}

/**
 * Hash of one entry over all its fields and the previous hash. Threat: history edited in
 * the database (an entry changed, removed or reordered) — any such edit breaks every later
 * link, and `vmic audit verify` names the first entry that no longer matches.
 */
export function entryHash(e: Omit<AuditRecord, 'hash' | 'details'> & { details: string }): string {
  const material = JSON.stringify([
    e.seq,
    e.at,
    e.actor,
    e.action,
    e.subject,
    e.details,
    e.prevHash,
  ]);
  return crypto.createHash('sha256').update(material, 'utf8').digest('hex');
}

/** Appends inside the caller's write transaction, so the entry commits with the change it records. */
export async function appendAudit(tx: Tx, event: AuditEvent): Promise<AuditRecord> {
  const head = await tx
    .selectFrom('audit_log')
    .select(['seq', 'hash'])
    .orderBy('seq', 'desc')
    .limit(1)
    .executeTakeFirst();
  const seq = (head?.seq ?? 0) + 1;
  const prevHash = head?.hash ?? GENESIS_HASH;
  const details = JSON.stringify(event.details ?? {});
  const row = {
    seq,
    at: event.at.toISOString(),
    actor: event.actor,
    action: event.action,
    subject: event.subject,
    details,
    prevHash,
  };
  const hash = entryHash(row);
  await tx
    .insertInto('audit_log')
    .values({
      seq,
      at: row.at,
      actor: row.actor,
      action: row.action,
      subject: row.subject,
      details,
      prev_hash: prevHash,
      hash,
    })
    .execute();
  // The entry's chain hash goes into the transparency log in the same transaction: a
  // rewritten chain no longer matches the leaves that witnesses have seen (issue 17).
  await appendLogLeaves(tx, [auditLeaf(seq, hash)], event.at);
  return { ...row, details: event.details ?? {}, hash };
}

export type AuditVerdict =
  | { ok: true; entries: number; head: string }
  | { ok: false; entries: number; firstBad: number; problem: string };

/** Recomputes the whole chain in order; reports the first entry that does not match. */
export async function verifyAuditChain(db: Kysely<Database>): Promise<AuditVerdict> {
  let prev = GENESIS_HASH;
  let expectedSeq = 1;
  let count = 0;
  for await (const r of iterateAudit(db)) {
    count++;
    const problem =
      r.seq !== expectedSeq
        ? `entry ${expectedSeq} is missing (next is ${r.seq})`
        : r.prev_hash !== prev
          ? 'prev_hash does not match the previous entry'
          : entryHash({
                seq: r.seq,
                at: r.at,
                actor: r.actor,
                action: r.action,
                subject: r.subject,
                details: r.details,
                prevHash: r.prev_hash,
              }) !== r.hash
            ? 'content does not match its hash'
            : undefined;
    if (problem)
      return { ok: false, entries: count, firstBad: Math.min(r.seq, expectedSeq), problem };
    prev = r.hash;
    expectedSeq++;
  }
  return { ok: true, entries: count, head: prev };
}

/** Pages through the log so that verifying or exporting a long history stays in bounded memory. */
export async function* iterateAudit(
  db: Kysely<Database>,
  opts: { pageSize?: number; fromSeq?: number } = {},
) {
  const pageSize = opts.pageSize ?? 1000;
  let after = (opts.fromSeq ?? 1) - 1;
  for (;;) {
    const page = await db
      .selectFrom('audit_log')
      .selectAll()
      .where('seq', '>', after)
      .orderBy('seq')
      .limit(pageSize)
      .execute();
    if (page.length === 0) return;
    yield* page;
    after = page[page.length - 1]!.seq;
  }
}

export function toAuditRecord(r: Selectable<AuditTable>): AuditRecord {
  return {
    seq: r.seq,
    at: r.at,
    actor: r.actor,
    action: r.action,
    subject: r.subject,
    details: JSON.parse(r.details) as Record<string, unknown>,
    prevHash: r.prev_hash,
    hash: r.hash,
  };
}
