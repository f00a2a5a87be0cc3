import { randomBytes } from 'node:crypto';
import { open, seal } from '../secrets/sealed-box.ts';
import type { Instance } from '../instance.ts';
import { signerFromSeed, type NoteSigner } from '../../tlog/index.ts';

/**
 * The log's Ed25519 key, made on first use and sealed with the master key like endorser
 * keys (threat: a copied database yielding the key that vouches for the log). Its name is
 * the log's origin: the public URL without its scheme when the key was made, kept with the
 * key, so that a later change of public URL never changes what sites pinned.
 */
const META_KEY = 'log-key';
const CONTEXT = 'vmic log key';
const CACHE = new WeakMap<Instance, Promise<NoteSigner>>();

interface StoredLogKey {
  name: string;
  sealed: string;
}

/** The origin a new log gets: `vmic.example.org` for `https://vmic.example.org/`. */
export function originOf(publicUrl: string): string {
  return publicUrl.replace(/^[a-z][a-z0-9+.-]*:\/\//i, '').replace(/\/+$/, '');
}

export function logSigner(inst: Instance): Promise<NoteSigner> {
  let p = CACHE.get(inst);
  if (!p) {
    p = loadOrCreate(inst);
    CACHE.set(inst, p);
    p.catch(() => CACHE.delete(inst));
  }
  return p;
}

async function read(inst: Instance): Promise<StoredLogKey | undefined> {
  const row = await inst.store.db
    .selectFrom('instance_meta')
    .select('value')
    .where('key', '=', META_KEY)
    .executeTakeFirst();
  return row ? (JSON.parse(row.value) as StoredLogKey) : undefined;
}

async function loadOrCreate(inst: Instance): Promise<NoteSigner> {
  let stored = await read(inst);
  if (!stored) {
    const name = originOf(inst.config.publicUrl);
    const value: StoredLogKey = {
      name,
      sealed: seal(inst.keys.sealing, randomBytes(32), `${CONTEXT}:${name}`).toString('base64'),
    };
    // Two replicas making the key at once: the first insert wins, both then read it.
    await inst.store.db
      .insertInto('instance_meta')
      .values({ key: META_KEY, value: JSON.stringify(value) })
      .onConflict((oc) => oc.column('key').doNothing())
      .execute();
    stored = (await read(inst))!;
  }
  const seed = open(
    inst.keys.sealing,
    Buffer.from(stored.sealed, 'base64'),
    `${CONTEXT}:${stored.name}`,
  );
  return signerFromSeed(stored.name, seed);
}
