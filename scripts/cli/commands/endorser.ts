import fs from 'node:fs';
import { addEndorser, listEndorsers } from '../../../catalog/index.ts';
import { flag, parse, required, str } from '../options.ts';
import { emit } from '../output.ts';
import { cliActor, withInstance } from '../instance-scope.ts';
import { UsageError } from '../usage-error.ts';

export async function endorserCommand(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === 'add') {
    const p = parse(rest, {
      cert: { type: 'string' },
      key: { type: 'string' },
      pkcs11: { type: 'string' },
      chain: { type: 'string' },
      title: { type: 'string' },
    });
    const name = p.positionals[0];
    if (!name || p.positionals.length > 1)
      throw new UsageError(
        'usage: vmic endorser add NAME --cert F (--key F | --pkcs11 URI) [--chain F] [--title T]',
      );
    const read = (file: string) => {
      try {
        return fs.readFileSync(file, 'utf8');
      } catch (e) {
        throw new UsageError(`cannot read ${file}: ${(e as Error).message}`);
      }
    };
    const chainFile = str(p, 'chain');
    const title = str(p, 'title');
    const keyFile = str(p, 'key');
    const pkcs11 = str(p, 'pkcs11');
    if ((keyFile === undefined) === (pkcs11 === undefined))
      throw new UsageError('give --key FILE or --pkcs11 URI (one of them)');
    const endorser = await withInstance(p, (inst) =>
      addEndorser(inst, {
        name,
        ...(title === undefined ? {} : { title }),
        certificatePem: read(required(p, 'cert')),
        ...(keyFile !== undefined ? { keyPem: read(keyFile) } : { pkcs11 }),
        ...(chainFile ? { chainPem: read(chainFile) } : {}),
        actor: cliActor(),
      }),
    );
    emit(flag(p, 'json'), endorser, () => [
      `endorser ${endorser.name} added`,
      `  subject: ${endorser.subject}`,
      `  issuer:  ${endorser.issuer}`,
      pkcs11
        ? `  private key in the PKCS#11 token: ${pkcs11} (never leaves it)`
        : '  private key sealed at rest with the instance master key',
    ]);
    return 0;
  }
  if (sub === 'list') {
    const p = parse(rest, {}, false);
    const list = await withInstance(p, (inst) => listEndorsers(inst));
    emit(flag(p, 'json'), list, () =>
      list.length ? list.map((e) => `${e.name}\t${e.subject}\t${e.title}`) : ['no endorsers'],
    );
    return 0;
  }
  throw new UsageError('usage: vmic endorser add|list ...');
}
