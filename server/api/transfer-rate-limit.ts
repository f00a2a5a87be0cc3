import { sql, type RawBuilder } from 'kysely';
import type { Queryable } from '../../catalog/store/database.ts';

/**
 * A token bucket per client address for `POST /api/v1/transfers`, the one write endpoint
 * that takes no bearer token (threat: a stranger making the site verify signatures and
 * write refusal records as fast as it can send). The buckets are rows of the instance
 * database (`rate_limit_buckets`, migration 0014), not one process's memory: N replicas
 * behind a balancer would otherwise grant N times the limit. An address that is quiet for
 * long enough simply starts full again (its row is swept).
 *
 * Defaults: a burst of 20 transfers, then one every 3 s (20 per minute) per address.
 * Peers send one transfer per image, so a migration of many images at once is the only
 * thing that meets the limit, and `vmic migrate` sends one at a time.
 */
export interface RateLimit {
  burst: number;
  perMinute: number;
}

export const TRANSFER_RATE_LIMIT: RateLimit = { burst: 20, perMinute: 20 };

/** Full buckets are swept at most this often, on a take. */
const SWEEP_INTERVAL_MS = 60 * 1000;

/** A number as a double on both SQLite and PostgreSQL (an untyped parameter is not). */
function num(n: number): RawBuilder<number> {
  return sql<number>`cast(${n} as double precision)`;
}

export class RateLimiter {
  #lastSweep = 0;

  constructor(
    private readonly db: Queryable,
    private readonly limit: RateLimit = TRANSFER_RATE_LIMIT,
    private readonly clock: () => number = () => Date.now(),
  ) {}

  /** Takes one token for `key`; resolves 0 when allowed, else the seconds until one is due. */
  async take(key: string): Promise<number> {
    const now = this.clock();
    const { burst } = this.limit;
    const perMs = this.limit.perMinute / 60_000;
    await this.#sweep(now, burst / perMs);
    // The refilled count, capped at the burst; a clock behind the row's (another replica's
    // clock a little ahead) refills nothing rather than taking tokens away.
    const elapsed = sql<number>`(case when ${num(now)} > rate_limit_buckets.updated_ms then ${num(now)} - rate_limit_buckets.updated_ms else 0 end)`;
    const refilled = sql<number>`(case when rate_limit_buckets.tokens + ${elapsed} * ${num(perMs)} > ${num(burst)} then ${num(burst)} else rate_limit_buckets.tokens + ${elapsed} * ${num(perMs)} end)`;
    // One statement per take, so that two replicas taking the last token of one address
    // at once cannot both succeed: the update applies only while a whole token is left,
    // and on PostgreSQL the second upsert waits for the first and sees its row.
    const taken = await this.db
      .insertInto('rate_limit_buckets')
      .values({ key, tokens: num(burst - 1), updated_ms: num(now) })
      .onConflict((oc) =>
        oc
          .column('key')
          .doUpdateSet({
            tokens: sql<number>`${refilled} - 1`,
            updated_ms: sql<number>`(case when ${num(now)} > rate_limit_buckets.updated_ms then ${num(now)} else rate_limit_buckets.updated_ms end)`,
          })
          .where(sql<boolean>`${refilled} >= 1`),
      )
      .returning('tokens')
      .executeTakeFirst();
    if (taken) return 0;
    // Refused: how long until a whole token is due (advisory, so read without a lock).
    const row = await this.db
      .selectFrom('rate_limit_buckets')
      .select(['tokens', 'updated_ms'])
      .where('key', '=', key)
      .executeTakeFirst();
    const have = row
      ? Math.min(burst, Number(row.tokens) + Math.max(0, now - Number(row.updated_ms)) * perMs)
      : 0;
    return Math.max(1, Math.ceil((1 - have) / perMs / 1000));
  }

  /** Rows idle long enough to be full again say nothing an absent row does not. */
  async #sweep(now: number, fullAfterMs: number): Promise<void> {
    if (now - this.#lastSweep < SWEEP_INTERVAL_MS) return;
    this.#lastSweep = now;
    await this.db
      .deleteFrom('rate_limit_buckets')
      .where('updated_ms', '<', num(now - fullAfterMs))
      .execute();
  }
}
