import crypto from 'node:crypto';
import { VmicError } from '../../errors/index.ts';
import type { Store } from '../store/database.ts';
import { deriveKey } from './master-key.ts';

const META_KEY = 'master-key-check';

/** A value that names the master key without revealing it (HKDF, then HMAC of a label). */
export function masterKeyCheckValue(master: Buffer): string {
  return crypto
    .createHmac('sha256', deriveKey(master, 'key check'))
    .update('vmic master key check')
    .digest('hex');
}

/**
 * Refuses to open a database with a master key other than the one it was first opened
 * with (threat: a replica on another host that was given no key creating its own in its
 * data directory, then signing tokens and session cookies no other replica accepts, and
 * failing to open every sealed signing key). The first opening records the check value.
 */
export async function checkMasterKey(store: Store, master: Buffer): Promise<void> {
  const mine = masterKeyCheckValue(master);
  let kept = await store.db
    .selectFrom('instance_meta')
    .select('value')
    .where('key', '=', META_KEY)
    .executeTakeFirst();
  if (!kept) {
    // Two replicas' first openings at once: the first insert wins, the other compares.
    await store.db
      .insertInto('instance_meta')
      .values({ key: META_KEY, value: mine })
      .onConflict((oc) => oc.column('key').doNothing())
      .execute();
    kept = await store.db
      .selectFrom('instance_meta')
      .select('value')
      .where('key', '=', META_KEY)
      .executeTakeFirstOrThrow();
  }
  if (kept.value !== mine)
    throw new VmicError(
      'CONFIG',
      'the master key is not the one this database was set up with: every replica must read the same key ($VMIC_MASTER_KEY or $VMIC_MASTER_KEY_FILE)',
    );
}
