import { publishCatalog } from '../../../catalog/index.ts';
import { flag, parse, parseDuration, required, str } from '../options.ts';
import { emit } from '../output.ts';
import { cliActor, withInstance } from '../instance-scope.ts';
import { feedBase } from '../../../catalog/index.ts';

export async function publishCommand(argv: string[]): Promise<number> {
  const p = parse(argv, { endorser: { type: 'string' }, 'expires-in': { type: 'string' } }, false);
  const endorser = required(p, 'endorser');
  const expiresIn = str(p, 'expires-in');
  const result = await withInstance(p, async (inst) => ({
    ...(await publishCatalog(inst, {
      endorser,
      actor: cliActor(),
      ...(expiresIn ? { expiresInSeconds: parseDuration(expiresIn, '--expires-in') } : {}),
    })),
    feed: feedBase(inst.config.publicUrl, endorser) + '/',
  }));
  const pending = result.pending;
  // Adopted images whose upstream withdrew them (or went stale) left with this version.
  const lapsed = (result.withdrawnUpstream ?? []).map(
    (l) => `  withdrawn: ${l.identifier} (adopted from ${l.from}): ${l.why}`,
  );
  if (pending)
    emit(flag(p, 'json'), result, () => [
      `${endorser} catalog sequence ${result.sequence} (${result.imageCount} images) is pending: ${pending.signers.length} of ${pending.threshold} signatures, nothing published yet`,
      `  co-signers: vmic catalog sign ${endorser} --as SIGNER (see vmic catalog pending ${endorser}, vmic catalog diff ${endorser})`,
      ...lapsed,
    ]);
  else
    emit(flag(p, 'json'), result, () => [
      `published ${endorser} catalog sequence ${result.sequence} (${result.imageCount} images)`,
      `  issued ${result.issuedAt}, expires ${result.expiresAt}`,
      `  feed: ${result.feed}catalog.p7m`,
      ...lapsed,
    ]);
  return 0;
}
