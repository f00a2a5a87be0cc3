import { isVmicError } from '../../errors/index.ts';
import { UsageError } from './usage-error.ts';

export const EXIT = { ok: 0, refused: 1, usage: 2, notDeployable: 3 } as const;

/** Prints a result: JSON for machines, or the given human lines. */
export function emit(json: boolean, data: unknown, human: () => string | string[]): void {
  if (json) {
    process.stdout.write(JSON.stringify(data, null, 2) + '\n');
    return;
  }
  const lines = human();
  process.stdout.write((Array.isArray(lines) ? lines.join('\n') : lines) + '\n');
}

/** One-line errors with the reason code first; exit codes of docs/design.md §5. */
export function exitCodeFor(e: unknown, json: boolean): number {
  if (e instanceof UsageError) {
    process.stderr.write(`vmic: ${e.message} (see vmic --help)\n`);
    return EXIT.usage;
  }
  if (isVmicError(e)) {
    const rule = e.rule ? ` [${e.rule}]` : '';
    if (json)
      process.stdout.write(
        JSON.stringify({ error: { code: e.code, rule: e.rule, message: e.message } }) + '\n',
      );
    process.stderr.write(`vmic: ${e.code}${rule}: ${e.message}\n`);
    return e.code === 'CONFIG' ? EXIT.usage : EXIT.refused;
  }
  process.stderr.write(
    `vmic: internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`,
  );
  return EXIT.refused;
}
