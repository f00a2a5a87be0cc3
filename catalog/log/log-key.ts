import { randomBytes, verify } from 'node:crypto';
import { VmicError } from '../../errors/index.ts';
import { open, seal } from '../secrets/sealed-box.ts';
import { tokenEd25519 } from '../secrets/pkcs11-eddsa.ts';
import type { Instance } from '../instance.ts';
import type { Queryable } from '../store/database.ts';
import { lockedTransaction, type Tx } from '../store/write-transaction.ts';
import {
  cosignerFromKey,
  cosignerFromSeed,
  signerFromKey,
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
 * Either may instead be a key in a PKCS#11 token (`vmic log key --pkcs11`, `vmic witness
 * key --pkcs11`): the row then holds the key's URI and nothing of the key, which signs in
 * the token (threat: a copied host, master key and all, yielding the key).
 */
type StoredKey = { name: string; sealed: string } | { name: string; uri: string };

interface KeyKind<K> {
  metaKey: string;
  context: string;
  nameOf(publicUrl: string): string;
  make(name: string, seed: Uint8Array): K;
  fromToken: typeof signerFromKey;
  /** Why the key may not be replaced now, or undefined if it may. */
  lockedBecause(tx: Tx): Promise<string | undefined>;
  /** Drops what the old key signed that the new one signs again. */
  forgetSigned?(tx: Tx): Promise<void>;
}

const LOG: KeyKind<NoteSigner> = {
  metaKey: 'log-key',
  context: 'vmic log key',
  nameOf: originOf,
  make: signerFromSeed,
  fromToken: signerFromKey,
  lockedBecause: logLockedBecause,
  // The empty log's checkpoints (size 0, proving nothing) are signed again by the new key.
  forgetSigned: async (tx) => void (await tx.deleteFrom('log_checkpoints').execute()),
};
const WITNESS: KeyKind<Cosigner> = {
  metaKey: 'witness-key',
  context: 'vmic witness key',
  nameOf: (url) => `${originOf(url)}/witness`,
  make: cosignerFromSeed,
  fromToken: cosignerFromKey,
  lockedBecause: witnessLockedBecause,
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

async function read(db: Queryable, metaKey: string): Promise<StoredKey | undefined> {
  const row = await db
    .selectFrom('instance_meta')
    .select('value')
    .where('key', '=', metaKey)
    .executeTakeFirst();
  return row ? (JSON.parse(row.value) as StoredKey) : undefined;
}

async function loadOrCreate<K>(inst: Instance, kind: KeyKind<K>): Promise<K> {
  let stored = await read(inst.store.db, kind.metaKey);
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
    stored = (await read(inst.store.db, kind.metaKey))!;
  }
  if ('uri' in stored) {
    // The module and PIN come from the environment ($VMIC_PKCS11_MODULE, $VMIC_PKCS11_PIN).
    const key = tokenEd25519(stored.uri);
    return kind.fromToken(stored.name, key.publicKey, key.sign) as K;
  }
  const seed = open(
    inst.keys.sealing,
    Buffer.from(stored.sealed, 'base64'),
    `${kind.context}:${stored.name}`,
  );
  return kind.make(stored.name, seed);
}

/** Makes the log key the token key `uri` names; see setInToken. */
export function setLogKeyInToken(inst: Instance, uri: string): Promise<NoteSigner> {
  return setInToken(inst, LOG, uri);
}

/** Makes the witness key the token key `uri` names; see setInToken. */
export function setWitnessKeyInToken(inst: Instance, uri: string): Promise<Cosigner> {
  return setInToken(inst, WITNESS, uri);
}

/**
 * Replaces the key by the token key `uri` names, once it signed a fresh challenge that
 * verifies under its public key (threat: a URI naming a public key alone, or a token
 * answering with another key, found only at the next checkpoint). Fails closed (CONFLICT)
 * once the old key may have been relied on (lockedBecause). Setting the same URI again is
 * a no-op. Other processes (replicas) keep their cached key until they restart.
 */
async function setInToken<K extends NoteSigner>(
  inst: Instance,
  kind: KeyKind<K>,
  uri: string,
): Promise<K> {
  const key = tokenEd25519(uri);
  const challenge = Buffer.concat([Buffer.from(`${kind.context} challenge\n`), randomBytes(32)]);
  if (!verify(null, challenge, key.publicKey, key.sign(challenge)))
    throw new VmicError('BAD_REQUEST', `the token key ${uri} does not sign for its public key`);
  const value: StoredKey = { name: kind.nameOf(inst.config.publicUrl), uri };
  const signer = kind.fromToken(value.name, key.publicKey, key.sign) as K;
  await lockedTransaction(inst.store, async (tx) => {
    const held = await read(tx, kind.metaKey);
    if (held && 'uri' in held && held.uri === uri) return;
    // No key made yet: nothing was signed with one, so nothing relies on it.
    const why = held === undefined ? undefined : await kind.lockedBecause(tx);
    if (why !== undefined)
      throw new VmicError('CONFLICT', `the ${kind.context} cannot be replaced: ${why}`);
    await kind.forgetSigned?.(tx);
    await tx
      .insertInto('instance_meta')
      .values({ key: kind.metaKey, value: JSON.stringify(value) })
      .onConflict((oc) => oc.column('key').doUpdateSet({ value: JSON.stringify(value) }))
      .execute();
  });
  CACHE.get(inst)?.delete(kind.metaKey);
  return signer;
}

/**
 * The log key may be replaced only while the log has no entry. Sites pin the log key, and
 * every checkpoint after a change would be signed by a key they do not know: under a new
 * key the log is a new log (threat: an operator, or an attacker with the CLI, swapping
 * keys to sign a history that contradicts the one sites hold). An empty log's only
 * checkpoints are of size 0 and prove nothing; they are signed again.
 */
async function logLockedBecause(tx: Tx): Promise<string | undefined> {
  const leaf = await tx.selectFrom('log_leaves').select('idx').limit(1).executeTakeFirst();
  return leaf
    ? 'the log already has entries, and sites pin its key: a new key is a new log (a new instance)'
    : undefined;
}

/**
 * The witness key may be replaced only while this instance has never cosigned. No record
 * of issued cosignatures is kept, but every one (add-checkpoint, heldCheckpoint) is of a
 * view this instance then holds in log_views (its note), so the rule is: no log_views row
 * holds a view, no fork was found as a witness (log_evidence), and no followed log was
 * ever unfollowed (its view, maybe cosigned, went with it: audit 'witness.log-unfollowed').
 * Threat: a log or site that counts this witness seeing its cosignatures stop verifying,
 * or a second key cosigning a history the first one cosigned otherwise.
 */
async function witnessLockedBecause(tx: Tx): Promise<string | undefined> {
  const view = await tx
    .selectFrom('log_views')
    .select('origin')
    .where('note', 'is not', null)
    .limit(1)
    .executeTakeFirst();
  if (view)
    return `this witness holds a view of the log ${view.origin}, which it may have cosigned`;
  const fork = await tx
    .selectFrom('log_evidence')
    .select('id')
    .where('found_by', '=', 'witness')
    .limit(1)
    .executeTakeFirst();
  if (fork) return 'this witness found a fork, so it cosigned before';
  const gone = await tx
    .selectFrom('audit_log')
    .select('seq')
    .where('action', '=', 'witness.log-unfollowed')
    .limit(1)
    .executeTakeFirst();
  return gone ? 'this witness unfollowed a log whose view it may have cosigned' : undefined;
}
