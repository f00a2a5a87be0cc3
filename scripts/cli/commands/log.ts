import { verifierKeyText } from '../../../tlog/index.ts';
import { logSigner } from '../../../catalog/log/log-key.ts';
import { currentCheckpoint } from '../../../catalog/log/proofs.ts';
import { flag, parse } from '../options.ts';
import { emit } from '../output.ts';
import { withInstance } from '../instance-scope.ts';
import { UsageError } from '../usage-error.ts';

/**
 * `vmic log key`: the log's verifier key (`name+hash+base64`), to give to sites out of band,
 * who pin it; `vmic log checkpoint`: the latest signed checkpoint (signing one first if the
 * log has grown since).
 */
export async function logCommand(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  const p = parse(rest, {}, false);
  if (sub === 'key') {
    const key = await withInstance(p, async (inst) => verifierKeyText(await logSigner(inst)));
    emit(flag(p, 'json'), { verifierKey: key }, () => key);
    return 0;
  }
  if (sub === 'checkpoint') {
    const c = await withInstance(p, (inst) => currentCheckpoint(inst));
    if (flag(p, 'json')) emit(true, c, () => '');
    else process.stdout.write(c.note);
    return 0;
  }
  throw new UsageError('usage: vmic log key | vmic log checkpoint');
}
