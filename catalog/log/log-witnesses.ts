import { VmicError } from '../../errors/index.ts';
import {
  addSignatureLines,
  cosignerKeyText,
  parseCosignerKey,
  parseNote,
} from '../../tlog/index.ts';
import type { Instance } from '../instance.ts';
import { appendAudit } from '../audit/audit-log.ts';
import { lockedTransaction, writeTransaction } from '../store/write-transaction.ts';
import { checkUrl } from '../net/http-client.ts';
import { observe } from '../observe.ts';
import { requestCosignature } from '../witness/witness-client.ts';
import { currentCheckpoint, consistency } from './proofs.ts';

/**
 * The witnesses this instance's log asks to cosign its checkpoint at publish (issue 17,
 * docs/design.md §13), so that a site needing k cosignatures finds them served with the
 * proof. A witness that cannot be reached or refuses never stops a publish: sites that
 * require it refuse the catalog (WITNESS_QUORUM_NOT_MET) until it cosigns.
 */
export interface LogWitness {
  key: string;
  url: string;
  addedAt: string;
}

const TIMEOUT_MS = 10_000;

export async function addLogWitness(
  inst: Instance,
  input: { key: string; url: string; actor: string },
): Promise<LogWitness> {
  let key: string;
  try {
    key = cosignerKeyText(parseCosignerKey(input.key));
  } catch (e) {
    throw new VmicError('BAD_REQUEST', (e as Error).message, { cause: e });
  }
  const u = checkUrl(input.url, 'witness URL');
  if (u.username || u.password)
    throw new VmicError('BAD_REQUEST', 'a witness URL must not carry credentials');
  const url = u.toString().replace(/\/?$/, '/');
  const addedAt = inst.now().toISOString();
  await writeTransaction(inst.store, async (tx) => {
    await tx
      .insertInto('log_witnesses')
      .values({ key, url, added_at: addedAt })
      .onConflict((oc) => oc.column('key').doUpdateSet({ url }))
      .execute();
    await appendAudit(tx, {
      at: inst.now(),
      actor: input.actor,
      action: 'log.witness-added',
      subject: key,
      details: { url },
    });
  });
  return { key, url, addedAt };
}

export async function removeLogWitness(inst: Instance, key: string, actor: string): Promise<void> {
  await writeTransaction(inst.store, async (tx) => {
    const r = await tx.deleteFrom('log_witnesses').where('key', '=', key).executeTakeFirst();
    if (Number(r.numDeletedRows) === 0)
      throw new VmicError('NOT_FOUND', `no witness ${key} is configured`);
    await appendAudit(tx, { at: inst.now(), actor, action: 'log.witness-removed', subject: key });
  });
}

export async function listLogWitnesses(inst: Instance): Promise<LogWitness[]> {
  const rows = await inst.store.db.selectFrom('log_witnesses').selectAll().orderBy('key').execute();
  return rows.map((r) => ({ key: r.key, url: r.url, addedAt: r.added_at }));
}

export interface CosignOutcome {
  witness: string;
  cosigned: boolean;
  message?: string;
}

/** Asks every configured witness to cosign the current checkpoint; keeps what they sign. */
export async function collectCosignatures(inst: Instance): Promise<CosignOutcome[]> {
  const witnesses = await listLogWitnesses(inst);
  if (!witnesses.length) return [];
  const cp = await currentCheckpoint(inst);
  const out: CosignOutcome[] = [];
  for (const w of witnesses) {
    const key = parseCosignerKey(w.key);
    const a = await requestCosignature({
      url: w.url,
      key,
      note: cp.note,
      size: cp.size,
      consistency: (from, to) => consistency(inst, from, to),
      timeoutMs: TIMEOUT_MS,
      now: inst.now(),
    });
    if (a.kind === 'cosigned') {
      await keepCosignature(inst, cp.size, a.note);
      out.push({ witness: key.name, cosigned: true });
    } else {
      const message = a.kind === 'ahead' ? `it holds a larger tree (${a.size})` : a.message;
      out.push({ witness: key.name, cosigned: false, message });
    }
  }
  for (const o of out)
    observe(inst, {
      type: 'log-cosign',
      witness: o.witness,
      result: o.cosigned ? 'cosigned' : 'failed',
      message: o.message,
    });
  return out;
}

/** Adds a witness's lines to the stored checkpoint of `size`, under the write lock. */
async function keepCosignature(inst: Instance, size: number, cosigned: string): Promise<void> {
  await lockedTransaction(inst.store, async (tx) => {
    const row = await tx
      .selectFrom('log_checkpoints')
      .select('note')
      .where('size', '=', size)
      .executeTakeFirst();
    if (!row) return;
    const note = addSignatureLines(row.note, cosigned);
    // The log's own signature is the first line; every further one is a cosignature.
    const cosignatures = parseNote(note).signatures.length - 1;
    await tx
      .updateTable('log_checkpoints')
      .set({ note, cosignatures })
      .where('size', '=', size)
      .execute();
  });
}
