import os from 'node:os';
import { openInstance, type Instance } from '../../catalog/instance.ts';
import { instanceConfig, type Parsed } from './options.ts';

/** Who acts, as recorded in the audit log for commands run on this machine. */
export function cliActor(): string {
  let user = 'unknown';
  try {
    user = os.userInfo().username;
  } catch {
    // no passwd entry (containers): keep 'unknown'
  }
  return `cli:${user}`;
}

export async function withInstance<T>(p: Parsed, fn: (inst: Instance) => Promise<T>): Promise<T> {
  const inst = await openInstance(instanceConfig(p));
  try {
    return await fn(inst);
  } finally {
    await inst.close();
  }
}
