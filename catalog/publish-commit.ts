import { VmicError } from '../errors/index.ts';
import type { Instance } from './instance.ts';
import { discardUnreferencedBlob } from './images.ts';
import type { Tx } from './store/write-transaction.ts';
import { appendAudit } from './audit/audit-log.ts';
import { appendLogLeaves } from './log/instance-log.ts';
import { catalogLeaf, hepixLeaf } from './log/leaves.ts';
import type { VersionFileRefs } from './publish-files.ts';

export interface PublishedVersion {
  endorser: string;
  sequence: number;
  issuedAt: string;
  expiresAt: string;
  imageCount: number;
  contentSha256: string;
  /** Set when the endorser needs more signatures: a pending catalog, nothing published yet. */
  pending?: { threshold: number; signers: string[]; needed: number };
  /** Adopted images this publish withdrew because their upstream no longer endorses them. */
  withdrawnUpstream?: { identifier: string; from: string; why: string }[];
}

/**
 * Records a version whose files are in the blob store, in the caller's write transaction:
 * its row, its log leaves and the audit entry. Used by a plain publish and by the last
 * signature of a co-signed catalog alike, so both reach sites the same way.
 */
export async function commitVersion(
  tx: Tx,
  inst: Instance,
  v: {
    endorser: string;
    endorserId: number;
    sequence: number;
    issued: Date;
    expires: Date;
    imageCount: number;
    files: VersionFileRefs;
    actor: string;
    details?: Record<string, unknown>;
  },
): Promise<PublishedVersion> {
  const contentSha256 = v.files.nquads.sha256;
  await recordVersion(tx, inst.now(), v.files, {
    endorser_id: v.endorserId,
    sequence: v.sequence,
    issued_at: v.issued.toISOString(),
    expires_at: v.expires.toISOString(),
    image_count: v.imageCount,
    content_sha256: contentSha256,
  });
  await appendLogLeaves(
    tx,
    [
      catalogLeaf(v.endorser, v.sequence, v.files.p7m.sha256),
      hepixLeaf(v.endorser, v.sequence, v.files.image_list.sha256),
    ],
    inst.now(),
  );
  await appendAudit(tx, {
    at: inst.now(),
    actor: v.actor,
    action: 'catalog.published',
    subject: v.endorser,
    details: {
      sequence: v.sequence,
      imageCount: v.imageCount,
      expires: v.expires.toISOString(),
      contentSha256,
      ...v.details,
    },
  });
  return {
    endorser: v.endorser,
    sequence: v.sequence,
    issuedAt: v.issued.toISOString(),
    expiresAt: v.expires.toISOString(),
    imageCount: v.imageCount,
    contentSha256,
  };
}

/**
 * The row names its files in the blob store; the inline columns of older versions stay
 * empty (migration-0011.ts). Each file also gets a `blobs` row: that keeps it from the
 * start-up sweep of unreferenced blobs (catalog/cleanup/orphan-blobs.ts), and a crash
 * before this transaction commits leaves files without rows, which that sweep removes.
 */
async function recordVersion(
  tx: Tx,
  now: Date,
  files: VersionFileRefs,
  row: {
    endorser_id: number;
    sequence: number;
    issued_at: string;
    expires_at: string;
    image_count: number;
    content_sha256: string;
  },
): Promise<void> {
  await tx
    .insertInto('catalog_versions')
    .values({
      ...row,
      nquads: '',
      turtle: '',
      jsonld: '',
      p7m: new Uint8Array(0),
      p7s: new Uint8Array(0),
      image_list: null,
      nquads_sha256: files.nquads.sha256,
      nquads_size: files.nquads.size,
      turtle_sha256: files.turtle.sha256,
      turtle_size: files.turtle.size,
      jsonld_sha256: files.jsonld.sha256,
      jsonld_size: files.jsonld.size,
      p7m_sha256: files.p7m.sha256,
      p7m_size: files.p7m.size,
      p7s_sha256: files.p7s.sha256,
      p7s_size: files.p7s.size,
      image_list_sha256: files.image_list.sha256,
      image_list_size: files.image_list.size,
    })
    .execute();
  for (const file of Object.values(files)) await adoptBlob(tx, now, file);
}

/** A `blobs` row for a file this server wrote, so that no sweep of unreferenced blobs takes it. */
export async function adoptBlob(
  tx: Tx,
  now: Date,
  file: { sha256: string; size: number },
): Promise<void> {
  await tx
    .insertInto('blobs')
    .values({
      sha256: file.sha256,
      sha512: null,
      byte_size: file.size,
      created_at: now.toISOString(),
    })
    .onConflict((oc) => oc.column('sha256').doNothing())
    .execute();
}

/**
 * After a failed publish: its files have no row and would wait a day for the orphan sweep
 * (hundreds of MB for a large catalog). Removed now unless a row names them (a pending
 * catalog's N-Quads have their `blobs` row, and stay).
 */
export async function discardStored(inst: Instance, stored: string[]): Promise<void> {
  for (const sha256 of stored) await discardUnreferencedBlob(inst, sha256).catch(() => {});
}

/**
 * A limit met by a catalog too large to build (a string or buffer past V8's largest, a
 * value past SQLite's) is the publisher's TOO_LARGE with what to do, not an internal error.
 */
export function tooLargeOrAsIs(e: unknown): unknown {
  const code = (e as { code?: unknown }).code;
  const message = (e as Error).message ?? '';
  if (
    code === 'SQLITE_TOOBIG' ||
    (e instanceof RangeError &&
      /Invalid string length|Array buffer allocation failed/.test(message))
  )
    return new VmicError(
      'TOO_LARGE',
      `the catalog is too large to publish (${message}); withdraw images or shorten their descriptions`,
      { rule: 'catalog.size', cause: e },
    );
  return e;
}
