import { setEndorserClaims, setImageClaims } from '../../../catalog/policy-claims.ts';
import { flag, parse, str } from '../options.ts';
import { emit } from '../output.ts';
import { cliActor, withInstance } from '../instance-scope.ts';
import { UsageError } from '../usage-error.ts';

/*
 * `vmic image conforms-to` and `vmic endorser conforms-to`: the endorser states which
 * policies an image, or its whole catalog, conforms to (catalog/policy-claims.ts). The
 * list given replaces the one held; `--clear` empties it, so that dropping a claim is an
 * explicit act and never the accident of an empty argument list.
 */

const IMAGE_USAGE = 'usage: vmic image conforms-to IDENTIFIER [--endorser NAME] (IRI... | --clear)';
const ENDORSER_USAGE = 'usage: vmic endorser conforms-to NAME (IRI... | --clear)';

/** The IRIs after the name, or [] with --clear; one of the two, never both nor neither. */
function claimsOf(positionals: string[], clear: boolean, usage: string): string[] {
  const iris = positionals.slice(1);
  if (!positionals[0] || clear === iris.length > 0) throw new UsageError(usage);
  return iris;
}

function describe(claims: string[], what: string): string[] {
  return claims.length
    ? [`${what} conforms to:`, ...claims.map((c) => `  ${c}`), '  (signed with the next publish)']
    : [`${what}: no policy claims (takes effect with the next publish)`];
}

export async function imageClaimsCommand(argv: string[]): Promise<number> {
  const p = parse(argv, {
    endorser: { type: 'string' },
    clear: { type: 'boolean', default: false },
  });
  const conformsTo = claimsOf(p.positionals, flag(p, 'clear'), IMAGE_USAGE);
  const img = await withInstance(p, (inst) =>
    setImageClaims(inst, {
      identifier: p.positionals[0]!,
      endorser: str(p, 'endorser'),
      conformsTo,
      actor: cliActor(),
    }),
  );
  emit(flag(p, 'json'), img, () =>
    describe(img.conformsTo ?? [], `image ${img.endorser}/${img.identifier}`),
  );
  return 0;
}

export async function endorserClaimsCommand(argv: string[]): Promise<number> {
  const p = parse(argv, { clear: { type: 'boolean', default: false } });
  const conformsTo = claimsOf(p.positionals, flag(p, 'clear'), ENDORSER_USAGE);
  const r = await withInstance(p, (inst) =>
    setEndorserClaims(inst, { endorser: p.positionals[0]!, conformsTo, actor: cliActor() }),
  );
  emit(flag(p, 'json'), r, () => describe(r.conformsTo, `every image of ${r.endorser}'s catalog`));
  return 0;
}
