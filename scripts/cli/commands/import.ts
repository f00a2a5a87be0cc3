import { runImport, type ImportOutcome } from '../../../catalog/site/import-run.ts';
import { flag, parse, str } from '../options.ts';
import { emit } from '../output.ts';
import { cliActor, withInstance } from '../instance-scope.ts';

export function describeOutcome(o: ImportOutcome): string {
  switch (o.status) {
    case 'applied':
      return `${o.subscription}: applied sequence ${o.sequence} (+${o.counts?.added ?? 0} new, ${o.counts?.changed ?? 0} changed, ${o.counts?.withdrawn ?? 0} withdrawn)${pinned(o)}`;
    case 'unchanged':
      return `${o.subscription}: unchanged (sequence ${o.sequence})${pinned(o)}`;
    case 'not-modified':
      return `${o.subscription}: 304 Not Modified: unchanged (sequence ${o.sequence}), last verified at ${o.lastVerifiedAt ?? 'unknown'}`;
    case 'failed':
      return `${o.subscription}: REFUSED ${o.code}${o.rule ? ` [${o.rule}]` : ''}: ${o.message}`;
  }
}

function pinned(o: ImportOutcome): string {
  return o.issuerPinned
    ? `; issuer pinned on first use: ${o.issuerPinned.subject} key ${o.issuerPinned.key}`
    : '';
}

/** The cron job: exit 0 when every subscription imported or was unchanged, 1 if any was refused. */
export async function importCommand(argv: string[]): Promise<number> {
  const p = parse(argv, { subscription: { type: 'string' } }, false);
  const outcomes = await withInstance(p, (inst) =>
    runImport(inst, { subscription: str(p, 'subscription'), actor: cliActor() }),
  );
  emit(flag(p, 'json'), outcomes, () =>
    outcomes.length ? outcomes.map(describeOutcome) : ['no enabled subscriptions'],
  );
  const failed = outcomes.filter((o) => o.status === 'failed');
  for (const f of failed)
    process.stderr.write(`vmic: ${f.code}: import of ${f.subscription} refused\n`);
  return failed.length ? 1 : 0;
}
