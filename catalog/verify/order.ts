import { VmicError } from '../../errors/index.ts';

/**
 * docs/design.md §6 step 9 for a document in a series (catalog `vmic:sequence`, image list
 * `hv:version`), against the last one this subscription applied.
 */
export interface SequenceOrder {
  kind: 'sequence';
  /** How the sequence reads in messages (`sequence`, `hv:version`) and the rule it names. */
  label: string;
  rule: string;
  current: string | number;
  previous:
    | {
        value: string | number;
        contentSha256: string;
        /** A series that may not change (HEPiX `dc:identifier`), checked first. */
        series?: { what: string; current: string; previous: string; rule: string } | undefined;
      }
    | undefined;
  /** The order of `current` against `previous.value`: negative, zero or positive. */
  compare(): number;
}

/** §8: a transfer manifest's nonce, used once. */
export interface NonceOrder {
  kind: 'nonce';
  nonce: string;
  seen(nonce: string): Promise<boolean>;
}

export type Order = SequenceOrder | NonceOrder;

/**
 * Step 9, or the §8 nonce: `true` when the document is the one applied before (same
 * sequence, same content: nothing to apply).
 */
export async function checkOrder(order: Order, contentSha256: string): Promise<boolean> {
  if (order.kind === 'nonce') {
    if (await order.seen(order.nonce))
      throw new VmicError('REPLAY', 'this transfer was received before', { rule: 'nonce' });
    return false;
  }
  return checkSequence(order, contentSha256);
}

/**
 * Rollback and equivocation (threat: an old signed version served again, or two different
 * documents under one sequence), after the series (threat: another list of the same
 * endorser swapped in).
 */
export function checkSequence(s: SequenceOrder, contentSha256: string): boolean {
  const prev = s.previous;
  if (!prev) return false;
  const series = prev.series;
  if (series && series.current !== series.previous)
    throw new VmicError(
      'SUBJECT_MISMATCH',
      `${series.what} ${series.current} is not the ${series.what} ${series.previous} this subscription follows`,
      { rule: series.rule },
    );
  const order = s.compare();
  if (order < 0)
    throw new VmicError(
      'ROLLBACK',
      `${s.label} ${s.current} is lower than the last imported ${prev.value}`,
      { rule: s.rule },
    );
  if (order > 0) return false;
  if (contentSha256 !== prev.contentSha256)
    throw new VmicError(
      'EQUIVOCATION',
      `${s.label} ${s.current} was imported before with other content`,
      { rule: s.rule },
    );
  return true;
}
