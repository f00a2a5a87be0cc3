import fs from 'node:fs';
import { addEndorser, listEndorsers } from '../../../catalog/index.ts';
import { rotateEndorser } from '../../../catalog/endorser-rotate.ts';
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
  if (sub === 'rotate') return rotateCommand(rest);
  if (sub === 'cosigner') return (await import('./endorser-cosign.ts')).cosignerCommand(rest);
  if (sub === 'threshold') return (await import('./endorser-cosign.ts')).thresholdCommand(rest);
  if (sub === 'conforms-to')
    return (await import('./policy-claims.ts')).endorserClaimsCommand(rest);
  throw new UsageError('usage: vmic endorser add|rotate|list|cosigner|threshold|conforms-to ...');
}

/** `vmic endorser rotate NAME --cert NEW (--key F | --pkcs11 URI) [--chain F]`. */
async function rotateCommand(argv: string[]): Promise<number> {
  const p = parse(argv, {
    cert: { type: 'string' },
    key: { type: 'string' },
    pkcs11: { type: 'string' },
    chain: { type: 'string' },
  });
  const name = p.positionals[0];
  const keyFile = str(p, 'key');
  const pkcs11 = str(p, 'pkcs11');
  if (!name || p.positionals.length > 1 || (keyFile === undefined) === (pkcs11 === undefined))
    throw new UsageError(
      'usage: vmic endorser rotate NAME --cert F (--key F | --pkcs11 URI) [--chain F]',
    );
  const chainFile = str(p, 'chain');
  const r = await withInstance(p, (inst) =>
    rotateEndorser(inst, {
      name,
      certificatePem: readFile(required(p, 'cert')),
      ...(keyFile !== undefined ? { keyPem: readFile(keyFile) } : { pkcs11 }),
      ...(chainFile ? { chainPem: readFile(chainFile) } : {}),
      actor: cliActor(),
    }),
  );
  emit(flag(p, 'json'), r, () => [
    `endorser ${r.endorser} rotated: the next publish signs with the new certificate`,
    `  subject:  ${r.subject}`,
    `  previous: ${r.previous.certificateSha256.slice(0, 16)}… issued by ${r.previous.issuer}, expires ${r.previous.notAfter}`,
    `  current:  ${r.current.certificateSha256.slice(0, 16)}… issued by ${r.current.issuer}, expires ${r.current.notAfter}`,
    '  published versions keep the signatures they were made with',
    ...(r.issuerChanged
      ? [
          '  THE ISSUING CA CHANGED: subscribed sites refuse the next catalog until they trust the',
          '  new CA (vmic trust add NEW-CA.pem) and confirm it (vmic subscription repin NAME)',
        ]
      : ['  same issuing CA: sites pinned to the subject and issuer accept it with no action']),
  ]);
  return 0;
}

function readFile(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new UsageError(`cannot read ${file}: ${(e as Error).message}`);
  }
}
