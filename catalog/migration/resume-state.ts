import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Instance } from '../instance.ts';
import { open as openSealed, seal } from '../secrets/sealed-box.ts';
import { durableRename, fsyncFile } from '../blobs/durable-files.ts';
import { migrationTempDir } from '../cleanup/owned-temporaries.ts';
import type { TransferManifest } from './manifest.ts';

/*
 * Resume state of transfers (schema 0012). A transfer cut off (a dropped connection, a
 * truncated bundle, a sender that failed) goes on from the last authenticated chunk.
 *
 * At the receiver the authenticated plaintext of the chunks held is moved, truncated to
 * whole chunks and fsynced, to `tmp/migrations/resumable/<migration id>.part` (0600): a
 * name that start-up cleanup does not sweep, unlike the owned temporaries of a transfer
 * in progress, which a crash leaves half-written and cleanup removes (then the transfer
 * starts again from chunk 0). Only authenticated bytes are ever kept, and the final
 * SHA-256 check still covers the whole file. Partials untouched for RESUME_KEEP_MS are
 * removed at the next incoming transfer.
 */
export const RESUME_KEEP_MS = 24 * 3600_000;

const ID = /^[0-9a-f-]{36}$/;

export function resumableDir(dataDir: string): string {
  const dir = path.join(migrationTempDir(dataDir), 'resumable');
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  return dir;
}

function resumablePath(inst: Instance, id: string): string {
  if (!ID.test(id)) throw new Error(`not a migration id: ${id}`);
  return path.join(resumableDir(inst.config.dataDir), `${id}.part`);
}

/** Binds the held chunks to the data key without storing it (threat: a resume under another key). */
export function keyCheck(key: Uint8Array, migrationId: string): string {
  return crypto.createHmac('sha256', key).update(`vmic resume ${migrationId}`).digest('hex');
}

export interface IncomingPartial {
  migrationId: string;
  sender: string;
  nonce: string;
  keyCheck: string;
  sha256: string;
  size: number;
  chunkBytes: number;
  chunks: number;
  salt: string;
  held: number;
}

/** A resumable incoming transfer whose file is there and whole; a stale row is dropped. */
export async function findIncomingPartial(
  inst: Instance,
  by: { migrationId?: string; nonce?: string },
): Promise<IncomingPartial | undefined> {
  let q = inst.store.db
    .selectFrom('transfer_resume')
    .selectAll()
    .where('direction', '=', 'incoming');
  if (by.migrationId !== undefined) q = q.where('migration_id', '=', by.migrationId);
  else if (by.nonce !== undefined) q = q.where('nonce', '=', by.nonce);
  else return undefined;
  const row = await q.executeTakeFirst();
  if (!row) return undefined;
  const file = resumablePath(inst, row.migration_id);
  const st = fs.statSync(file, { throwIfNoEntry: false });
  if (!st || st.size !== row.chunks_held * row.chunk_bytes) {
    await dropResume(inst, row.migration_id);
    return undefined;
  }
  return {
    migrationId: row.migration_id,
    sender: row.sender ?? '',
    nonce: row.nonce ?? '',
    keyCheck: row.key_check ?? '',
    sha256: row.sha256,
    size: row.byte_size,
    chunkBytes: row.chunk_bytes,
    chunks: row.chunks,
    salt: row.salt,
    held: row.chunks_held,
  };
}

/** The held file moves back to `to` (an owned temporary) for the transfer that goes on. */
export async function takeIncomingPartial(inst: Instance, id: string, to: string): Promise<void> {
  fs.renameSync(resumablePath(inst, id), to);
  await dropResume(inst, id);
}

/**
 * Keeps the authenticated chunks of an interrupted incoming transfer: the file is cut to
 * `held` whole chunks (never the final one: a complete stream is committed, not kept) and
 * made durable before the row says so.
 */
export async function keepIncomingPartial(
  inst: Instance,
  tmp: string,
  m: TransferManifest,
  held: number,
  sender: string,
  check: string,
): Promise<number> {
  const keep = Math.min(held, m.stream.chunks - 1);
  if (keep <= 0) return 0;
  fs.truncateSync(tmp, keep * m.stream.chunkBytes);
  await fsyncFile(tmp);
  await durableRename(tmp, resumablePath(inst, m.migrationId));
  const row = {
    direction: 'incoming' as const,
    sha256: m.plaintext.sha256,
    byte_size: m.plaintext.size,
    chunk_bytes: m.stream.chunkBytes,
    chunks: m.stream.chunks,
    salt: m.stream.salt,
    sealed_key: null,
    chunks_held: keep,
    nonce: m.nonce,
    key_check: check,
    sender,
    updated_at: inst.now().toISOString(),
  };
  await inst.store.db
    .insertInto('transfer_resume')
    .values({ migration_id: m.migrationId, ...row })
    .onConflict((oc) => oc.column('migration_id').doUpdateSet(row))
    .execute();
  return keep;
}

/** Removes incoming partials idle for longer than RESUME_KEEP_MS (threat: a full disk). */
export async function pruneIncomingPartials(inst: Instance): Promise<void> {
  const before = new Date(inst.now().getTime() - RESUME_KEEP_MS).toISOString();
  const stale = await inst.store.db
    .selectFrom('transfer_resume')
    .select('migration_id')
    .where('direction', '=', 'incoming')
    .where('updated_at', '<', before)
    .execute();
  for (const r of stale) await dropResume(inst, r.migration_id);
}

export async function dropResume(inst: Instance, id: string): Promise<void> {
  await inst.store.db.deleteFrom('transfer_resume').where('migration_id', '=', id).execute();
  if (ID.test(id)) fs.rmSync(resumablePath(inst, id), { force: true });
}

export interface OutgoingResume {
  migrationId: string;
  key: Buffer;
  salt: string;
  chunkBytes: number;
  chunks: number;
}

export async function saveOutgoing(
  inst: Instance,
  r: OutgoingResume & { sha256: string; size: number },
): Promise<void> {
  await inst.store.db
    .insertInto('transfer_resume')
    .values({
      migration_id: r.migrationId,
      direction: 'outgoing',
      sha256: r.sha256,
      byte_size: r.size,
      chunk_bytes: r.chunkBytes,
      chunks: r.chunks,
      salt: r.salt,
      sealed_key: seal(inst.keys.sealing, r.key, `vmic transfer key:${r.migrationId}`),
      nonce: null,
      key_check: null,
      sender: null,
      updated_at: inst.now().toISOString(),
    })
    .execute();
}

/**
 * The last failed outgoing HTTP transfer of this image to this peer that kept its resume
 * state (a network failure, not a refusal), newest first.
 */
export async function findOutgoingResume(
  inst: Instance,
  q: { peer: string; sha256: string; target: string },
): Promise<OutgoingResume | undefined> {
  const row = await inst.store.db
    .selectFrom('transfer_resume as r')
    .innerJoin('migrations as m', 'm.id', 'r.migration_id')
    .select(['r.migration_id', 'r.sealed_key', 'r.salt', 'r.chunk_bytes', 'r.chunks'])
    .where('r.direction', '=', 'outgoing')
    .where('m.state', '=', 'failed')
    .where('m.peer', '=', q.peer)
    .where('m.sha256', '=', q.sha256)
    .where('m.target', '=', q.target)
    .orderBy('m.updated_at', 'desc')
    .executeTakeFirst();
  if (!row?.sealed_key) return undefined;
  return {
    migrationId: row.migration_id,
    key: openSealed(inst.keys.sealing, row.sealed_key, `vmic transfer key:${row.migration_id}`),
    salt: row.salt,
    chunkBytes: row.chunk_bytes,
    chunks: row.chunks,
  };
}

/** What `GET /api/v1/transfers/{id}` answers: the chunks held, or that it is being received. */
export async function transferState(
  inst: Instance,
  migrationId: string,
): Promise<{ migrationId: string; chunksHeld: number; chunks: number } | 'running' | undefined> {
  const m = await inst.store.db
    .selectFrom('migrations')
    .select('state')
    .where('id', '=', migrationId)
    .where('direction', '=', 'incoming')
    .executeTakeFirst();
  if (m?.state === 'running') return 'running';
  const p = await findIncomingPartial(inst, { migrationId });
  return p && { migrationId, chunksHeld: p.held, chunks: p.chunks };
}
