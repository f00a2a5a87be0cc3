import fs from 'node:fs';
import { iterateAudit, toAuditRecord, verifyAuditChain } from '../../../catalog/index.ts';
import { checkAuditAgainstLog } from '../../../catalog/log/audit-check.ts';
import { auditInclusion } from '../../../catalog/log/proofs.ts';
import { verifierKeyText } from '../../../tlog/index.ts';
import { logSigner } from '../../../catalog/log/log-key.ts';
import { flag, parse, str } from '../options.ts';
import { emit } from '../output.ts';
import { withInstance } from '../instance-scope.ts';
import { UsageError } from '../usage-error.ts';

/**
 * `vmic audit verify [--checkpoint FILE]`: the hash chain, and the chain against the
 * transparency log and its signed checkpoints (the latest, and one a witness or site
 * holds); `vmic audit prove SEQ`: an entry's leaf and inclusion proof, for a third party;
 * `vmic audit export`.
 */
export async function auditCommand(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === 'verify') {
    const p = parse(rest, { checkpoint: { type: 'string' } }, false);
    const file = str(p, 'checkpoint');
    const held = file === undefined ? undefined : fs.readFileSync(file, 'utf8');
    const { chain, log } = await withInstance(p, async (inst) => ({
      chain: await verifyAuditChain(inst.store.db),
      log: await checkAuditAgainstLog(inst, held === undefined ? {} : { heldCheckpoint: held }),
    }));
    const ok = chain.ok && log.ok;
    emit(flag(p, 'json'), { ok, chain, log }, () => [
      chain.ok
        ? `audit log intact: ${chain.entries} entries, head ${chain.head}`
        : `audit log BROKEN at entry ${chain.firstBad}: ${chain.problem}`,
      log.ok
        ? `transparency log agrees: ${log.logged} entries logged${log.firstLoggedSeq && log.firstLoggedSeq > 1 ? ` (entries before ${log.firstLoggedSeq} predate the log)` : ''}; checkpoints ${log.checkpoints.map((c) => `${c.size} (${c.source})`).join(', ') || 'none'}`
        : `transparency log DISAGREES:\n${log.problems.map((x) => `  ${x}`).join('\n')}`,
    ]);
    if (!chain.ok) process.stderr.write(`vmic: audit chain broken at entry ${chain.firstBad}\n`);
    if (!log.ok) process.stderr.write(`vmic: the audit log does not match the transparency log\n`);
    return ok ? 0 : 1;
  }
  if (sub === 'prove') {
    const p = parse(rest, {}, true);
    const seqText = p.positionals[0];
    if (p.positionals.length !== 1 || !/^[1-9][0-9]{0,15}$/.test(seqText ?? ''))
      throw new UsageError('usage: vmic audit prove SEQ');
    const proof = await withInstance(p, async (inst) => ({
      ...(await auditInclusion(inst, Number(seqText))),
      verifierKey: verifierKeyText(await logSigner(inst)),
    }));
    emit(true, proof, () => '');
    return 0;
  }
  if (sub === 'export') {
    const p = parse(rest, {}, false);
    await withInstance(p, async (inst) => {
      for await (const row of iterateAudit(inst.store.db))
        process.stdout.write(JSON.stringify(toAuditRecord(row)) + '\n');
    });
    return 0;
  }
  throw new UsageError(
    'usage: vmic audit verify [--checkpoint FILE] | audit prove SEQ | audit export',
  );
}
