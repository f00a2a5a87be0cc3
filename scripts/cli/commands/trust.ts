import fs from 'node:fs';
import { addTrustMaterial, listTrust } from '../../../catalog/site/trust-store.ts';
import { flag, parse } from '../options.ts';
import { emit } from '../output.ts';
import { cliActor, withInstance } from '../instance-scope.ts';
import { UsageError } from '../usage-error.ts';

export async function trustCommand(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === 'add') {
    const p = parse(rest, {});
    if (p.positionals.length === 0)
      throw new UsageError('usage: vmic trust add FILE.pem [FILE.pem ...]');
    const texts = p.positionals.map((f) => {
      try {
        return fs.readFileSync(f, 'utf8');
      } catch (e) {
        throw new UsageError(`cannot read ${f}: ${(e as Error).message}`);
      }
    });
    const results = await withInstance(p, async (inst) => {
      const out = [];
      for (const t of texts) out.push(await addTrustMaterial(inst, t, cliActor()));
      return out;
    });
    emit(flag(p, 'json'), results, () =>
      results.flatMap((r) => [
        ...r.anchors.map((s) => `anchor added: ${s}`),
        ...r.intermediates.map(
          (s) => `intermediate added (path candidate, not trusted by itself): ${s}`,
        ),
        ...r.crls.map((s) => `CRL added: ${s}`),
        ...(r.unchanged ? [`${r.unchanged} already held`] : []),
        ...r.warnings.map((w) => `warning: ${w}`),
      ]),
    );
    return 0;
  }
  if (sub === 'list') {
    const p = parse(rest, {}, false);
    const t = await withInstance(p, (inst) => listTrust(inst.store.db));
    emit(flag(p, 'json'), t, () => [
      ...t.certificates.map(
        (c) =>
          `${c.kind.padEnd(12)} ${c.subject}  (valid ${c.notBefore.slice(0, 10)} .. ${c.notAfter.slice(0, 10)})`,
      ),
      ...t.crls.map(
        (c) =>
          `crl          ${c.issuer}  (this ${c.thisUpdate.slice(0, 10)}, next ${c.nextUpdate?.slice(0, 10) ?? 'none'}, ${c.revoked} revoked)`,
      ),
      ...(t.certificates.length + t.crls.length === 0
        ? ['trust store is empty: vmic trust add CA.pem']
        : []),
    ]);
    return 0;
  }
  throw new UsageError('usage: vmic trust add FILE.pem | vmic trust list');
}
