/**
 * Why a signed note, checkpoint or proof was refused. Pure code of tlog/ reports these as
 * values (`TlogRefusal`), not VmicErrors: the caller decides which reason code of the
 * contract a refusal becomes (an import's NOT_LOGGED or LOG_INCONSISTENT, a CLI's exit).
 */
export class TlogError extends Error {
  constructor(
    readonly reason:
      | 'malformed-note'
      | 'unknown-key'
      | 'bad-signature'
      | 'malformed-checkpoint'
      | 'wrong-origin'
      | 'malformed-key',
    message: string,
  ) {
    super(message);
    this.name = 'TlogError';
  }
}
