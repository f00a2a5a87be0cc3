import fs from 'node:fs';
import { signPending } from '../../../catalog/cosign/sign.ts';
import {
  discardPending,
  listPending,
  pendingRow,
  readPendingNQuads,
} from '../../../catalog/cosign/pending.ts';
import { diffPending } from '../../../catalog/cosign/pending-diff.ts';
import { flag, parse, required, str } from '../options.ts';
import { emit } from '../output.ts';
import { cliActor, withInstance } from '../instance-scope.ts';
import { UsageError } from '../usage-error.ts';

const USAGE = `usage: vmic catalog pending [ENDORSER] [--nquads OUT]
       vmic catalog diff ENDORSER
       vmic catalog sign ENDORSER --as SIGNER [--signature FILE.p7s]
       vmic catalog discard ENDORSER`;

/** A detached CMS is a few kB; anything far larger is not one. */
const MAX_SIGNATURE_BYTES = 1024 * 1024;

/** Co-signed catalogs (catalog/cosign/, docs/design.md §3): pending, diff, sign, discard. */
export async function catalogCommand(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === 'pending') return pendingCommand(rest);
  if (sub === 'diff') {
    const p = parse(rest, {});
    const endorser = p.positionals[0];
    if (!endorser || p.positionals.length > 1) throw new UsageError(USAGE);
    const d = await withInstance(p, (inst) => diffPending(inst, endorser));
    const line = (mark: string, i: { identifier: string; title: string; fields: string[] }) =>
      `  ${mark} ${i.identifier}\t${i.title}${i.fields.length ? ` (${i.fields.join(', ')})` : ''}`;
    emit(flag(p, 'json'), d, () => [
      `pending ${endorser} sequence ${d.nextSequence} against ${d.last ? `published sequence ${d.last.sequence}` : 'nothing published'}:`,
      ...d.added.map((i) => line('+', i)),
      ...d.changed.map((i) => line('~', i)),
      ...d.withdrawn.map((i) => line('-', i)),
      `  ${d.unchanged} unchanged`,
    ]);
    return 0;
  }
  if (sub === 'sign') {
    const p = parse(rest, { as: { type: 'string' }, signature: { type: 'string' } });
    const endorser = p.positionals[0];
    if (!endorser || p.positionals.length > 1) throw new UsageError(USAGE);
    const file = str(p, 'signature');
    let signature: Buffer | undefined;
    if (file !== undefined) {
      try {
        if (fs.statSync(file).size > MAX_SIGNATURE_BYTES)
          throw new UsageError(`${file} is too large for a detached CMS signature`);
        signature = fs.readFileSync(file);
      } catch (e) {
        if (e instanceof UsageError) throw e;
        throw new UsageError(`cannot read ${file}: ${(e as Error).message}`);
      }
    }
    const r = await withInstance(p, (inst) =>
      signPending(inst, {
        endorser,
        as: required(p, 'as'),
        ...(signature ? { signature } : {}),
        actor: cliActor(),
      }),
    );
    emit(flag(p, 'json'), r, () =>
      r.published
        ? [
            `${r.signer} signed: ${r.signers.length} of ${r.threshold} signatures (${r.signers.join(', ')})`,
            `published ${endorser} catalog sequence ${r.sequence} (${r.published.imageCount} images)`,
          ]
        : `${r.signer} signed: ${r.signers.length} of ${r.threshold} signatures (${r.signers.join(', ')}); pending`,
    );
    return 0;
  }
  if (sub === 'discard') {
    const p = parse(rest, {});
    const endorser = p.positionals[0];
    if (!endorser || p.positionals.length > 1) throw new UsageError(USAGE);
    const r = await withInstance(p, (inst) =>
      discardPending(inst, { endorser, actor: cliActor() }),
    );
    emit(flag(p, 'json'), r, () => `pending ${endorser} sequence ${r.sequence} discarded`);
    return 0;
  }
  throw new UsageError(USAGE);
}

async function pendingCommand(argv: string[]): Promise<number> {
  const p = parse(argv, { nquads: { type: 'string' } });
  const endorser = p.positionals[0];
  const out = str(p, 'nquads');
  if (p.positionals.length > 1 || (out !== undefined && !endorser)) throw new UsageError(USAGE);
  const list = await withInstance(p, async (inst) => {
    if (out !== undefined)
      fs.writeFileSync(
        out,
        await readPendingNQuads(inst, await pendingRow(inst.store.db, endorser!)),
      );
    return listPending(inst, endorser);
  });
  emit(flag(p, 'json'), list, () =>
    list.length === 0
      ? [endorser ? `${endorser} has no pending catalog` : 'no pending catalogs']
      : list.flatMap((c) => [
          `${c.endorser} sequence ${c.sequence}: ${c.signed.length} of ${c.threshold} signatures, ${c.needed} more needed (${c.imageCount} images, expires ${c.expiresAt})`,
          `  signed:  ${c.signed.map((s) => `${s.signer} (${s.subject}, ${s.signedAt})`).join('; ')}`,
          `  not yet: ${c.notYet.join(', ') || '-'}`,
          ...(out !== undefined
            ? [`  N-Quads written to ${out} (SHA-256 ${c.contentSha256})`]
            : []),
        ]),
  );
  return 0;
}
