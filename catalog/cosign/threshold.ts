import { VmicError } from '../../errors/index.ts';
import type { Instance } from '../instance.ts';
import { writeTransaction, type Tx } from '../store/write-transaction.ts';
import { appendAudit } from '../audit/audit-log.ts';
import { endorserId } from './cosigners.ts';

async function cosignerCount(tx: Tx, id: number): Promise<number> {
  const { n } = await tx
    .selectFrom('endorser_cosigners')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('endorser_id', '=', id)
    .executeTakeFirstOrThrow();
  return Number(n);
}

/**
 * `vmic endorser threshold ENDORSER K`: K signatures in all, the endorser's own included,
 * for the next publish on (a pending catalog keeps the threshold it was made with). K
 * must be reachable: at most 1 + the number of co-signers.
 */
export async function setThreshold(
  inst: Instance,
  input: { endorser: string; threshold: number; actor: string },
): Promise<{ endorser: string; threshold: number; previous: number; cosigners: number }> {
  const k = input.threshold;
  if (!Number.isSafeInteger(k) || k < 1)
    throw new VmicError('BAD_REQUEST', 'the threshold is a whole number of signatures, at least 1');
  return writeTransaction(inst.store, async (tx) => {
    const id = await endorserId(tx, input.endorser);
    const n = await cosignerCount(tx, id);
    if (k > 1 + n)
      throw new VmicError(
        'BAD_REQUEST',
        `${input.endorser} has ${n} co-signer(s): at most ${1 + n} signatures can be had (vmic endorser cosigner add first)`,
      );
    const { signature_threshold: previous } = await tx
      .selectFrom('endorsers')
      .select('signature_threshold')
      .where('id', '=', id)
      .executeTakeFirstOrThrow();
    await tx
      .updateTable('endorsers')
      .set({ signature_threshold: k })
      .where('id', '=', id)
      .execute();
    await appendAudit(tx, {
      at: inst.now(),
      actor: input.actor,
      action: 'endorser.threshold-set',
      subject: input.endorser,
      details: { threshold: k, previous, cosigners: n },
    });
    return { endorser: input.endorser, threshold: k, previous, cosigners: n };
  });
}

/**
 * `vmic endorser cosigner remove ENDORSER SIGNER`. Refused while the threshold needs the
 * signer (lower it first), or while a pending catalog holds the signer's signature
 * (discard that catalog first): a signature never counts for a signer that is gone.
 */
export async function removeCosigner(
  inst: Instance,
  input: { endorser: string; name: string; actor: string },
): Promise<void> {
  await writeTransaction(inst.store, async (tx) => {
    const id = await endorserId(tx, input.endorser);
    const row = await tx
      .selectFrom('endorser_cosigners')
      .select(['id', 'subject'])
      .where('endorser_id', '=', id)
      .where('name', '=', input.name)
      .executeTakeFirst();
    if (!row) throw new VmicError('NOT_FOUND', `${input.endorser} has no co-signer ${input.name}`);
    const { signature_threshold: k } = await tx
      .selectFrom('endorsers')
      .select('signature_threshold')
      .where('id', '=', id)
      .executeTakeFirstOrThrow();
    const n = await cosignerCount(tx, id);
    if (k > n)
      throw new VmicError(
        'CONFLICT',
        `${input.endorser} needs ${k} signatures and has ${n} co-signer(s): lower the threshold first (vmic endorser threshold ${input.endorser} ${n})`,
      );
    const signed = await tx
      .selectFrom('pending_catalog_signatures')
      .select('id')
      .where('cosigner_id', '=', row.id)
      .executeTakeFirst();
    if (signed)
      throw new VmicError(
        'CONFLICT',
        `${input.name} has signed the pending catalog of ${input.endorser}: discard it first (vmic catalog discard ${input.endorser})`,
      );
    await tx.deleteFrom('endorser_cosigners').where('id', '=', row.id).execute();
    await appendAudit(tx, {
      at: inst.now(),
      actor: input.actor,
      action: 'endorser.cosigner-removed',
      subject: input.endorser,
      details: { cosigner: input.name, subject: row.subject },
    });
  });
}
