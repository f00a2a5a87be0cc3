import type { CacheItem, CacheProvider } from '@node-saml/passport-saml';
import type { Instance } from '../../catalog/index.ts';

/** Expired rows are swept at most this often, on a save. */
const SWEEP_INTERVAL_MS = 10 * 60 * 1000;

/**
 * node-saml's InResponseTo cache in the instance database instead of one process's
 * memory: the AuthnRequest may be sent by one replica and the IdP's response posted to
 * another (threat: sign-in failing at random behind a load balancer, or, with the check
 * relaxed to make it work, IdP-initiated and replayed responses accepted).
 *
 * Single use holds across replicas too: node-saml calls `removeAsync` once it has
 * accepted a response, and here that is one DELETE of an unexpired row; the replica whose
 * DELETE removes nothing throws, which fails the validation (threat: one response posted
 * to two replicas at once, both reading the id before either removed it).
 */
export class DatabaseSamlRequestCache implements CacheProvider {
  readonly #inst: Instance;
  readonly #ttlMs: number;
  #lastSweep = 0;

  constructor(inst: Instance, ttlMs: number) {
    this.#inst = inst;
    this.#ttlMs = ttlMs;
  }

  async saveAsync(key: string, value: string): Promise<CacheItem | null> {
    const now = this.#inst.now();
    await this.#sweep(now);
    const saved = await this.#inst.store.db
      .insertInto('saml_requests')
      .values({
        id: key,
        value,
        created_at: now.toISOString(),
        expires_at: new Date(now.getTime() + this.#ttlMs).toISOString(),
      })
      // Ids are random (node-saml's generateUniqueId); a clash keeps the first, as the
      // in-memory provider does.
      .onConflict((oc) => oc.column('id').doNothing())
      .returning('id')
      .executeTakeFirst();
    return saved ? { value, createdAt: now.getTime() } : null;
  }

  async getAsync(key: string): Promise<string | null> {
    const row = await this.#inst.store.db
      .selectFrom('saml_requests')
      .select('value')
      .where('id', '=', key)
      .where('expires_at', '>', this.#inst.now().toISOString())
      .executeTakeFirst();
    return row?.value ?? null;
  }

  async removeAsync(key: string | null): Promise<string | null> {
    if (key === null) return null;
    const row = await this.#inst.store.db
      .deleteFrom('saml_requests')
      .where('id', '=', key)
      .where('expires_at', '>', this.#inst.now().toISOString())
      .returning('value')
      .executeTakeFirst();
    // Worded as node-saml's own refusal of an unknown id, which it is: this id was
    // answered a moment ago (possibly on another replica), or expired meanwhile.
    if (!row) throw new Error('InResponseTo is not valid (already used or expired)');
    return row.value;
  }

  async #sweep(now: Date): Promise<void> {
    if (now.getTime() - this.#lastSweep < SWEEP_INTERVAL_MS) return;
    this.#lastSweep = now.getTime();
    await this.#inst.store.db
      .deleteFrom('saml_requests')
      .where('expires_at', '<=', now.toISOString())
      .execute();
  }
}
