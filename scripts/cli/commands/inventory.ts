import { searchInventory } from '../../../catalog/site/inventory/search.ts';
import { flag, parse } from '../options.ts';
import { emit } from '../output.ts';
import { withInstance } from '../instance-scope.ts';
import { UsageError } from '../usage-error.ts';

/**
 * `vmic inventory search NAME[@VERSION] [--all] [--json]`: the deployable images whose
 * verified software inventory contains the package (catalog/site/inventory/search.ts).
 * NAME is a package name or a purl without version; VERSION is exact (3.0.11), a
 * wildcard (3.0.x) or comparisons (>=3.0.0,<3.0.13). Exit 0 whether or not any matched.
 */
export async function inventoryCommand(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  const p = parse(rest, { all: { type: 'boolean', default: false } });
  if (sub !== 'search' || p.positionals.length !== 1)
    throw new UsageError(
      "usage: vmic inventory search NAME[@VERSION] [--all] [--json]  (e.g. openssl@3.0.x, 'pkg:deb/debian/openssl@<3.0.13')",
    );
  const query = p.positionals[0]!;
  const found = await withInstance(p, (inst) =>
    searchInventory(inst, query, { all: flag(p, 'all') }),
  );
  emit(flag(p, 'json'), found, () => {
    const lines = found.images.map(
      (i) =>
        `${i.subscription}\t${i.identifier}\tsha256:${i.sha256}\t${i.title}\t${i.packages.map((x) => x.label).join(', ')}\t${
          i.deployable
            ? 'deployable'
            : `not deployable (${i.reasons.map((r) => r.code).join(', ')})`
        }`,
    );
    if (lines.length === 0)
      lines.push(`no ${flag(p, 'all') ? '' : 'deployable '}image contains ${found.query}`);
    if (found.unverified > 0)
      lines.push(
        `note: ${found.unverified} image(s) have a software inventory not verified here (vmic fetch); they were not searched`,
      );
    if (found.truncated) lines.push('note: too many packages of that name; narrow the query');
    return lines;
  });
  return 0;
}
