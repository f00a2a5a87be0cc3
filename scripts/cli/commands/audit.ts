import { iterateAudit, toAuditRecord, verifyAuditChain } from '../../../catalog/index.ts';
import { flag, parse } from '../options.ts';
import { emit } from '../output.ts';
import { withInstance } from '../instance-scope.ts';
import { UsageError } from '../usage-error.ts';

export async function auditCommand(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  const p = parse(rest, {}, false);
  if (sub === 'verify') {
    const verdict = await withInstance(p, (inst) => verifyAuditChain(inst.store.db));
    emit(flag(p, 'json'), verdict, () =>
      verdict.ok
        ? `audit log intact: ${verdict.entries} entries, head ${verdict.head}`
        : `audit log BROKEN at entry ${verdict.firstBad}: ${verdict.problem}`,
    );
    if (!verdict.ok && !flag(p, 'json'))
      process.stderr.write(`vmic: audit chain broken at entry ${verdict.firstBad}\n`);
    return verdict.ok ? 0 : 1;
  }
  if (sub === 'export') {
    await withInstance(p, async (inst) => {
      for await (const row of iterateAudit(inst.store.db))
        process.stdout.write(JSON.stringify(toAuditRecord(row)) + '\n');
    });
    return 0;
  }
  throw new UsageError('usage: vmic audit verify|export');
}
