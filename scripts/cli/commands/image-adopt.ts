import { adoptImage } from '../../../catalog/adopt.ts';
import { flag, parse, required, str } from '../options.ts';
import { emit } from '../output.ts';
import { cliActor, withInstance } from '../instance-scope.ts';
import { UsageError } from '../usage-error.ts';

const USAGE = 'usage: vmic image adopt SUBSCRIPTION/IDENTIFIER --endorser NAME [--as ID]';

/**
 * `vmic image adopt SUBSCRIPTION/IDENTIFIER --endorser NAME [--as ID]`: re-endorse an
 * imported image in one of this instance's catalogs, with its provenance (catalog/adopt.ts).
 */
export async function imageAdoptCommand(argv: string[]): Promise<number> {
  const p = parse(argv, { endorser: { type: 'string' }, as: { type: 'string' } });
  const ref = p.positionals[0];
  const m = ref === undefined ? null : /^([^/]+)\/(.+)$/.exec(ref);
  if (!m || p.positionals.length !== 1) throw new UsageError(USAGE);
  const img = await withInstance(p, (inst) =>
    adoptImage(inst, {
      subscription: m[1]!,
      identifier: m[2]!,
      endorser: required(p, 'endorser'),
      as: str(p, 'as'),
      actor: cliActor(),
    }),
  );
  const from = img.derivedFrom;
  emit(flag(p, 'json'), img, () => [
    `image ${img.endorser}/${img.identifier} adopted from ${ref} (sha256:${img.sha256}), served from here`,
    ...(from
      ? [
          `  derived from ${from.image} in ${from.catalog} sequence ${from.sequence}, signed by ${from.x509Subject}`,
        ]
      : []),
    'takes effect in the next published catalog (vmic publish)',
  ]);
  return 0;
}
