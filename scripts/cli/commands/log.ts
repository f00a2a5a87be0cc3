import { verifierKeyText } from '../../../tlog/index.ts';
import { logSigner, setLogKeyInToken } from '../../../catalog/log/log-key.ts';
import { currentCheckpoint } from '../../../catalog/log/proofs.ts';
import { flag, parse, str } from '../options.ts';
import { emit } from '../output.ts';
import { cliActor, withInstance } from '../instance-scope.ts';
import {
  addLogWitness,
  listLogWitnesses,
  removeLogWitness,
} from '../../../catalog/log/log-witnesses.ts';
import { UsageError } from '../usage-error.ts';

/**
 * `vmic log key`: the log's verifier key (`name+hash+base64`), to give to sites out of band,
 * who pin it; `--pkcs11 URI` first makes it the Ed25519 key in a token (`vmic pki keygen
 * --key-algorithm Ed25519 --for log`), only while the log has no entry (a new key is a new
 * log; module and PIN from $VMIC_PKCS11_MODULE and $VMIC_PKCS11_PIN(_FILE));
 * `vmic log checkpoint`: the latest signed checkpoint (signing one first if the
 * log has grown since).
 */
export async function logCommand(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === 'witness') return logWitnessCommand(rest);
  const p = parse(rest, sub === 'key' ? { pkcs11: { type: 'string' } } : {}, false);
  if (sub === 'key') {
    const uri = str(p, 'pkcs11');
    const key = await withInstance(p, async (inst) =>
      verifierKeyText(await (uri === undefined ? logSigner(inst) : setLogKeyInToken(inst, uri))),
    );
    emit(flag(p, 'json'), { verifierKey: key, ...(uri !== undefined ? { uri } : {}) }, () => key);
    return 0;
  }
  if (sub === 'checkpoint') {
    const c = await withInstance(p, (inst) => currentCheckpoint(inst));
    if (flag(p, 'json')) emit(true, c, () => '');
    else process.stdout.write(c.note);
    return 0;
  }
  throw new UsageError(
    'usage: vmic log key [--pkcs11 URI] | log checkpoint | log witness add KEY URL | log witness list | log witness remove KEY',
  );
}

/** The witnesses this log asks to cosign at publish (catalog/log/log-witnesses.ts). */
async function logWitnessCommand(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  const p = parse(rest, {});
  if (sub === 'add' && p.positionals.length === 2) {
    const [key, url] = p.positionals as [string, string];
    const w = await withInstance(p, (inst) => addLogWitness(inst, { key, url, actor: cliActor() }));
    emit(flag(p, 'json'), w, () => `the log asks ${w.key} at ${w.url} to cosign at each publish`);
    return 0;
  }
  if (sub === 'remove' && p.positionals.length === 1) {
    const key = p.positionals[0]!;
    await withInstance(p, (inst) => removeLogWitness(inst, key, cliActor()));
    emit(flag(p, 'json'), { removed: key }, () => `witness ${key} removed`);
    return 0;
  }
  if (sub === 'list' && p.positionals.length === 0) {
    const ws = await withInstance(p, (inst) => listLogWitnesses(inst));
    emit(flag(p, 'json'), ws, () =>
      ws.length ? ws.map((w) => `${w.key}	${w.url}`) : ['no witnesses configured'],
    );
    return 0;
  }
  throw new UsageError(
    'usage: vmic log witness add KEY URL | log witness list | log witness remove KEY',
  );
}
