import { createToken, parseRole } from '../../../catalog/index.ts';
import { flag, parse, parseDuration, required, str } from '../options.ts';
import { emit } from '../output.ts';
import { cliActor, withInstance } from '../instance-scope.ts';
import { UsageError } from '../usage-error.ts';

export async function tokenCommand(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub !== 'create')
    throw new UsageError('usage: vmic token create --role ROLE [--ttl 1h] [--description TEXT]');
  const p = parse(
    rest,
    { role: { type: 'string' }, ttl: { type: 'string' }, description: { type: 'string' } },
    false,
  );
  let role;
  try {
    role = parseRole(required(p, 'role'));
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const ttlSeconds = parseDuration(str(p, 'ttl') ?? '1h', '--ttl');
  const description = str(p, 'description');
  const t = await withInstance(p, (inst) =>
    createToken(inst, {
      role,
      ttlSeconds,
      actor: cliActor(),
      ...(description ? { description } : {}),
    }),
  );
  // The token itself goes to stdout alone, so `TOKEN=$(vmic token create ...)` works.
  emit(flag(p, 'json'), { ...t, role }, () => t.token);
  return 0;
}
