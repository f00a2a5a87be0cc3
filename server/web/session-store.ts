import crypto from 'node:crypto';
import session, { type SessionData } from 'express-session';
import type { Instance } from '../../catalog/index.ts';

type Callback<T = void> = (err?: unknown, value?: T) => void;

/** Expired rows are swept at most this often, on a write. */
const SWEEP_INTERVAL_MS = 10 * 60 * 1000;

/**
 * express-session store on the instance database (table `web_sessions`, migration
 * 0005). Rows are keyed by SHA-256 of the session id (threat: a leaked backup of the
 * database turned into live cookies). The expiry is the idle deadline that
 * express-session renews on every request (`rolling`); a row past it is never returned.
 */
export class SqliteSessionStore extends session.Store {
  readonly #inst: Instance;
  readonly #idleMs: number;
  #lastSweep = 0;

  constructor(inst: Instance, idleSeconds: number) {
    super();
    this.#inst = inst;
    this.#idleMs = idleSeconds * 1000;
  }

  override get(sid: string, cb: Callback<SessionData | null>): void {
    void this.#run(cb, async () => {
      const row = await this.#inst.store.db
        .selectFrom('web_sessions')
        .select(['data', 'expires_at'])
        .where('sid_hash', '=', hashSid(sid))
        .executeTakeFirst();
      if (!row) return null;
      if (Date.parse(row.expires_at) <= this.#inst.now().getTime()) {
        await this.#delete(sid);
        return null;
      }
      return JSON.parse(row.data) as SessionData;
    });
  }

  override set(sid: string, data: SessionData, cb?: Callback): void {
    void this.#run(cb, async () => {
      const now = this.#inst.now();
      const row = {
        data: JSON.stringify(data),
        expires_at: this.#expiry(now).toISOString(),
        updated_at: now.toISOString(),
      };
      await this.#inst.store.db
        .insertInto('web_sessions')
        .values({ sid_hash: hashSid(sid), ...row })
        .onConflict((oc) => oc.column('sid_hash').doUpdateSet(row))
        .execute();
      await this.#sweep(now);
    });
  }

  override touch(sid: string, _data: SessionData, cb?: Callback): void {
    void this.#run(cb, async () => {
      const now = this.#inst.now();
      await this.#inst.store.db
        .updateTable('web_sessions')
        .set({ expires_at: this.#expiry(now).toISOString(), updated_at: now.toISOString() })
        .where('sid_hash', '=', hashSid(sid))
        .execute();
    });
  }

  override destroy(sid: string, cb?: Callback): void {
    void this.#run(cb, () => this.#delete(sid));
  }

  /** The idle deadline is kept by the server, not taken from the client's cookie. */
  #expiry(now: Date): Date {
    return new Date(now.getTime() + this.#idleMs);
  }

  async #delete(sid: string): Promise<void> {
    await this.#inst.store.db
      .deleteFrom('web_sessions')
      .where('sid_hash', '=', hashSid(sid))
      .execute();
  }

  async #sweep(now: Date): Promise<void> {
    if (now.getTime() - this.#lastSweep < SWEEP_INTERVAL_MS) return;
    this.#lastSweep = now.getTime();
    await this.#inst.store.db
      .deleteFrom('web_sessions')
      .where('expires_at', '<=', now.toISOString())
      .execute();
  }

  async #run<T>(cb: Callback<T> | undefined, work: () => Promise<T>): Promise<void> {
    let value: T;
    try {
      value = await work();
    } catch (e) {
      cb?.(e);
      return;
    }
    cb?.(undefined, value);
  }
}

function hashSid(sid: string): string {
  return crypto.createHash('sha256').update(sid).digest('hex');
}
