import fs from 'node:fs';
import { addCosigner, listCosigners } from '../../../catalog/cosign/cosigners.ts';
import { removeCosigner, setThreshold } from '../../../catalog/cosign/threshold.ts';
import { flag, parse, required, str } from '../options.ts';
import { emit } from '../output.ts';
import { cliActor, withInstance } from '../instance-scope.ts';
import { UsageError } from '../usage-error.ts';

const USAGE = `usage: vmic endorser cosigner add ENDORSER SIGNER --cert F (--key F | --pkcs11 URI | --external) [--chain F]
       vmic endorser cosigner list ENDORSER
       vmic endorser cosigner remove ENDORSER SIGNER`;

function readFile(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new UsageError(`cannot read ${file}: ${(e as Error).message}`);
  }
}

/** `vmic endorser cosigner add|list|remove …` (catalog/cosign/cosigners.ts). */
export async function cosignerCommand(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === 'add') {
    const p = parse(rest, {
      cert: { type: 'string' },
      key: { type: 'string' },
      pkcs11: { type: 'string' },
      chain: { type: 'string' },
      external: { type: 'boolean', default: false },
    });
    const [endorser, name] = p.positionals;
    const keyFile = str(p, 'key');
    const pkcs11 = str(p, 'pkcs11');
    const external = flag(p, 'external');
    const ways = [keyFile !== undefined, pkcs11 !== undefined, external].filter(Boolean).length;
    if (!endorser || !name || p.positionals.length > 2 || ways !== 1) throw new UsageError(USAGE);
    const chainFile = str(p, 'chain');
    const c = await withInstance(p, (inst) =>
      addCosigner(inst, {
        endorser,
        name,
        certificatePem: readFile(required(p, 'cert')),
        ...(keyFile !== undefined ? { keyPem: readFile(keyFile) } : {}),
        ...(pkcs11 !== undefined ? { pkcs11 } : {}),
        ...(chainFile ? { chainPem: readFile(chainFile) } : {}),
        external,
        actor: cliActor(),
      }),
    );
    emit(flag(p, 'json'), c, () => [
      `co-signer ${c.name} added to ${endorser}`,
      `  subject: ${c.subject}`,
      `  issuer:  ${c.issuer}`,
      c.key === 'external'
        ? `  signs elsewhere: vmic catalog pending ${endorser} --nquads OUT, then openssl cms -sign, then vmic catalog sign ${endorser} --as ${c.name} --signature FILE`
        : `  key ${c.key === 'pkcs11' ? 'in the PKCS#11 token' : 'sealed at rest with the instance master key'}: vmic catalog sign ${endorser} --as ${c.name}`,
      `  counts once the threshold asks for it: vmic endorser threshold ${endorser} K`,
    ]);
    return 0;
  }
  if (sub === 'list') {
    const p = parse(rest, {});
    const endorser = p.positionals[0];
    if (!endorser || p.positionals.length > 1) throw new UsageError(USAGE);
    const list = await withInstance(p, (inst) => listCosigners(inst, endorser));
    emit(flag(p, 'json'), list, () =>
      list.length
        ? list.map((c) => `${c.name}\t${c.key}\t${c.subject}`)
        : [`${endorser} has no co-signers`],
    );
    return 0;
  }
  if (sub === 'remove') {
    const p = parse(rest, {});
    const [endorser, name] = p.positionals;
    if (!endorser || !name || p.positionals.length > 2) throw new UsageError(USAGE);
    await withInstance(p, (inst) => removeCosigner(inst, { endorser, name, actor: cliActor() }));
    emit(flag(p, 'json'), { endorser, removed: name }, () => `co-signer ${name} removed`);
    return 0;
  }
  throw new UsageError(USAGE);
}

/** `vmic endorser threshold ENDORSER K`: K signatures in all, the endorser's own included. */
export async function thresholdCommand(argv: string[]): Promise<number> {
  const p = parse(argv, {});
  const [endorser, k] = p.positionals;
  if (!endorser || !k || p.positionals.length > 2 || !/^\d+$/.test(k))
    throw new UsageError('usage: vmic endorser threshold ENDORSER K');
  const r = await withInstance(p, (inst) =>
    setThreshold(inst, { endorser, threshold: Number(k), actor: cliActor() }),
  );
  emit(flag(p, 'json'), r, () =>
    r.threshold === 1
      ? `${endorser} signs its catalogs alone (threshold 1)`
      : `${endorser} catalogs need ${r.threshold} signatures (its own and ${r.threshold - 1} of ${r.cosigners} co-signers): publish makes a pending catalog`,
  );
  return 0;
}
