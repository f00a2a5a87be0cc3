import { VmicError } from '../../errors/index.ts';

/** Query parameters of a libpq-style URL that hold secrets. */
const SECRET_PARAMS = ['password', 'sslpassword'];

function parse(url: string): URL {
  try {
    return new URL(url);
  } catch {
    // Not passed on: Node's URL error carries the whole input, password included.
    throw new VmicError('CONFIG', 'the database URL is not a valid postgres:// URL');
  }
}

/** The secrets a database URL holds, to be kept out of every message about it. */
export function secretsOf(url: string): string[] {
  const u = parse(url);
  const secrets = [decodeURIComponent(u.password), u.password];
  for (const p of SECRET_PARAMS) secrets.push(u.searchParams.get(p) ?? '');
  return secrets.filter((s) => s.length > 0);
}

/**
 * The database URL as it may be printed: its password and secret parameters replaced by
 * `***` (threat: a password in logs, error pages or a support ticket).
 */
export function redactDatabaseUrl(url: string): string {
  const u = parse(url);
  if (u.password) u.password = '***';
  for (const p of SECRET_PARAMS) if (u.searchParams.has(p)) u.searchParams.set(p, '***');
  return u.toString();
}

/** `text` with every secret replaced, for messages built from a driver's. */
export function scrub(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of secrets) out = out.split(s).join('***');
  return out;
}
