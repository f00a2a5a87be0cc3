import { randomBytes } from 'node:crypto';
import { open, seal } from '../secrets/sealed-box.ts';
import type { Instance } from '../instance.ts';
import {
  cosignerFromSeed,
  signerFromSeed,
  type Cosigner,
  type NoteSigner,
} from '../../tlog/index.ts';

/**
 * The instance's two Ed25519 note keys, each made on first use and sealed with the master
 * key like endorser keys (threat: a copied database yielding a key that vouches for the
 * log, or cosigns others' logs):
 * - the log key, named after the log's origin: the public URL without its scheme when the
 *   key was made, kept with the key, so that a later change of public URL never changes
 *   what sites pinned;
 * - the witness key (C2SP tlog-cosignature), named `<origin>/witness`: a key of its own,
 *   as the cosignature format asks, so a cosignature is never the log's own signature.
 */
interface StoredKey {
  name: string;
  sealed: string;
}

interface KeyKind<K> {
  metaKey: string;
  context: string;
  nameOf(publicUrl: string): string;
  make(name: string, seed: Uint8Array): K;
}

const LOG: KeyKind<NoteSigner> = {
  metaKey: 'log-key',
  context: 'vmic log key',
  nameOf: originOf,
  make: signerFromSeed,
};
const WITNESS: KeyKind<Cosigner> = {
  metaKey: 'witness-key',
  context: 'vmic witness key',
  nameOf: (url) => `${originOf(url)}/witness`,
  make: cosignerFromSeed,
};

const CACHE = new WeakMap<Instance, Map<string, Promise<unknown>>>();

/** The origin a new log gets: `vmic.example.org` for `https://vmic.example.org/`. */
export function originOf(publicUrl: string): string {
  return publicUrl.replace(/^[a-z][a-z0-9+.-]*:\/\//i, '').replace(/\/+$/, '');
}

export function logSigner(inst: Instance): Promise<NoteSigner> {
  return cached(inst, LOG);
}

export function witnessCosigner(inst: Instance): Promise<Cosigner> {
  return cached(inst, WITNESS);
}

function cached<K>(inst: Instance, kind: KeyKind<K>): Promise<K> {
  let byKind = CACHE.get(inst);
  if (!byKind) CACHE.set(inst, (byKind = new Map<string, Promise<unknown>>()));
  let p = byKind.get(kind.metaKey) as Promise<K> | undefined;
  if (!p) {
    p = loadOrCreate(inst, kind);
    byKind.set(kind.metaKey, p);
    p.catch(() => byKind.delete(kind.metaKey));
  }
  return p;
}

async function read(inst: Instance, metaKey: string): Promise<StoredKey | undefined> {
  const row = await inst.store.db
    .selectFrom('instance_meta')
    .select('value')
    .where('key', '=', metaKey)
    .executeTakeFirst();
  return row ? (JSON.parse(row.value) as StoredKey) : undefined;
}

async function loadOrCreate<K>(inst: Instance, kind: KeyKind<K>): Promise<K> {
  let stored = await read(inst, kind.metaKey);
  if (!stored) {
    const name = kind.nameOf(inst.config.publicUrl);
    const value: StoredKey = {
      name,
      sealed: seal(inst.keys.sealing, randomBytes(32), `${kind.context}:${name}`).toString(
        'base64',
      ),
    };
    // Two replicas making the key at once: the first insert wins, both then read it.
    await inst.store.db
      .insertInto('instance_meta')
      .values({ key: kind.metaKey, value: JSON.stringify(value) })
      .onConflict((oc) => oc.column('key').doNothing())
      .execute();
    stored = (await read(inst, kind.metaKey))!;
  }
  const seed = open(
    inst.keys.sealing,
    Buffer.from(stored.sealed, 'base64'),
    `${kind.context}:${stored.name}`,
  );
  return kind.make(stored.name, seed);
}
