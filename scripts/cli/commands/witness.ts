import { cosignerKeyText } from '../../../tlog/index.ts';
import { setWitnessKeyInToken, witnessCosigner } from '../../../catalog/log/log-key.ts';
import {
  acknowledgeFork,
  followCommandLog,
  listFollowedLogs,
  unfollowCommandLog,
  witnessRun,
} from '../../../catalog/witness/follow.ts';
import { listEvidence } from '../../../catalog/log/log-views.ts';
import { flag, parse, str } from '../options.ts';
import { emit } from '../output.ts';
import { cliActor, withInstance } from '../instance-scope.ts';
import { UsageError } from '../usage-error.ts';

const USAGE =
  'usage: vmic witness key [--pkcs11 URI] | follow LOG-KEY [--url LOG-URL] | unfollow ORIGIN | list | run | evidence [--ack ID]';

/**
 * The witness role (docs/design.md §13): `key` prints this instance's cosigner key for
 * other sites' `--witness` (`--pkcs11 URI` first makes it the Ed25519 key in a token, only
 * while this witness has never cosigned: see catalog/log/log-key.ts); `follow` names a log to witness (by its verifier key, and
 * where to read it for `run`); `run` reads every followed log and grows the view, or
 * keeps the evidence of a fork (exit 1); `evidence` lists the forks found.
 */
export async function witnessCommand(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === 'key') {
    const p = parse(rest, { pkcs11: { type: 'string' } }, false);
    const uri = str(p, 'pkcs11');
    const key = await withInstance(p, async (inst) =>
      cosignerKeyText(
        await (uri === undefined ? witnessCosigner(inst) : setWitnessKeyInToken(inst, uri)),
      ),
    );
    emit(flag(p, 'json'), { witnessKey: key, ...(uri !== undefined ? { uri } : {}) }, () => key);
    return 0;
  }
  if (sub === 'follow') {
    const p = parse(rest, { url: { type: 'string' } });
    const key = p.positionals[0];
    if (!key || p.positionals.length > 1) throw new UsageError(USAGE);
    const f = await withInstance(p, (inst) =>
      followCommandLog(inst, { key, url: str(p, 'url'), actor: cliActor() }),
    );
    emit(flag(p, 'json'), f, () => `following the log ${f.origin}${f.url ? ` at ${f.url}` : ''}`);
    return 0;
  }
  if (sub === 'unfollow') {
    const p = parse(rest, {});
    const origin = p.positionals[0];
    if (!origin || p.positionals.length > 1) throw new UsageError(USAGE);
    await withInstance(p, (inst) => unfollowCommandLog(inst, origin, cliActor()));
    emit(flag(p, 'json'), { unfollowed: origin }, () => `no longer following ${origin}`);
    return 0;
  }
  if (sub === 'list') {
    const p = parse(rest, {}, false);
    const logs = await withInstance(p, (inst) => listFollowedLogs(inst.store.db));
    emit(
      flag(p, 'json'),
      logs.map((l) => ({
        ...l,
        view: l.view ? { size: l.view.size, note: l.view.note } : undefined,
      })),
      () =>
        logs.length
          ? logs.map(
              (l) =>
                `${l.origin}\t${l.view ? `size ${l.view.size}` : 'nothing seen yet'}\t${l.url ?? '(no URL)'}\n  key ${l.logKey}`,
            )
          : ['no logs followed'],
    );
    return 0;
  }
  if (sub === 'run') {
    const p = parse(rest, {}, false);
    const out = await withInstance(p, (inst) => witnessRun(inst));
    emit(flag(p, 'json'), out, () =>
      out.length
        ? out.map(
            (o) =>
              `${o.origin}\t${o.result}${o.size === undefined ? '' : ` size ${o.size}`}${o.message ? `: ${o.message}` : ''}`,
          )
        : ['no logs followed'],
    );
    return out.some((o) => o.result === 'fork' || o.result === 'failed') ? 1 : 0;
  }
  if (sub === 'evidence') {
    const p = parse(rest, { ack: { type: 'string' } }, false);
    const ack = str(p, 'ack');
    if (ack !== undefined) {
      if (!/^[1-9][0-9]{0,15}$/.test(ack)) throw new UsageError('--ack takes an evidence id');
      await withInstance(p, (inst) => acknowledgeFork(inst, Number(ack), cliActor()));
      emit(
        flag(p, 'json'),
        { acknowledged: Number(ack) },
        () => `evidence ${ack} acknowledged (kept)`,
      );
      return 0;
    }
    const ev = await withInstance(p, (inst) => listEvidence(inst.store.db));
    emit(flag(p, 'json'), ev, () =>
      ev.length
        ? ev.map(
            (e) =>
              `#${e.id}\t${e.foundAt}\t${e.origin}${e.acknowledgedAt ? ` (acknowledged ${e.acknowledgedAt})` : ''}\tfound by ${e.foundBy}${e.subscription ? ` (subscription ${e.subscription})` : ''}\n  ${e.message}\n  held:\n${indent(e.held)}  served:\n${indent(e.served)}`,
          )
        : ['no forks found'],
    );
    return 0;
  }
  throw new UsageError(USAGE);
}

const indent = (note: string) =>
  note
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => `    ${l}\n`)
    .join('');
