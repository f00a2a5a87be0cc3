/**
 * A token bucket per client address for `POST /api/v1/transfers`, the one write endpoint
 * that takes no bearer token (threat: a stranger making the site verify signatures and
 * write refusal records as fast as it can send). In process and in memory: one server
 * process, and an address that is quiet for long enough simply starts full again.
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

/** Addresses tracked at most; beyond it, full (idle) buckets are forgotten first. */
const MAX_TRACKED = 10_000;

export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    private readonly limit: RateLimit = TRANSFER_RATE_LIMIT,
    private readonly clock: () => number = () => Date.now(),
  ) {}

  /** Takes one token for `key`; returns 0 when allowed, else the seconds until one is due. */
  take(key: string): number {
    const now = this.clock();
    const perMs = this.limit.perMinute / 60_000;
    const b = this.buckets.get(key) ?? { tokens: this.limit.burst, at: now };
    b.tokens = Math.min(this.limit.burst, b.tokens + (now - b.at) * perMs);
    b.at = now;
    this.buckets.delete(key); // re-inserted last: the map's order is least recently used first
    this.buckets.set(key, b);
    this.prune();
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil((1 - b.tokens) / perMs / 1000));
  }

  private prune(): void {
    if (this.buckets.size <= MAX_TRACKED) return;
    for (const key of this.buckets.keys()) {
      this.buckets.delete(key);
      if (this.buckets.size <= MAX_TRACKED / 2) return;
    }
  }
}
