/**
 * Token buckets keyed by caller (API key, IP, login), in memory on this node (`openRateLimiter` keeps them in the
 * database when nodes share it). A bucket holds up to
 * `capacity` tokens and refills `ratePerSecond` tokens a second; a request costs one token or more.
 */
export class TokenBuckets {
  readonly #capacity: number;
  readonly #rate: number;
  readonly #maxKeys: number;
  readonly #buckets = new Map<string, { tokens: number; at: number }>();

  /**
   * @param capacity - the burst: most tokens a bucket holds.
   * @param ratePerSecond - refill rate.
   * @param maxKeys - buckets kept; beyond it, full buckets are forgotten (they are equal to new ones). Default 100,000.
   */
  constructor(capacity: number, ratePerSecond: number, maxKeys = 100_000) {
    this.#capacity = capacity;
    this.#rate = ratePerSecond;
    this.#maxKeys = maxKeys;
  }

  /**
   * Takes `cost` tokens (at most the capacity) from `key`'s bucket at time `nowMs`. Returns 0 when taken,
   * else the whole seconds to wait before the same request would pass (nothing is taken then).
   */
  take(key: string, cost: number, nowMs: number): number {
    const need = Math.min(Math.max(cost, 0), this.#capacity);
    const bucket = this.#refilled(key, nowMs);
    if (bucket.tokens >= need) {
      bucket.tokens -= need;
      return 0;
    }
    return Math.max(1, Math.ceil((need - bucket.tokens) / this.#rate));
  }

  #refilled(key: string, nowMs: number): { tokens: number; at: number } {
    let bucket = this.#buckets.get(key);
    if (bucket === undefined) {
      if (this.#buckets.size >= this.#maxKeys) this.#prune(nowMs);
      bucket = { tokens: this.#capacity, at: nowMs };
      this.#buckets.set(key, bucket);
      return bucket;
    }
    const elapsed = Math.max(0, nowMs - bucket.at) / 1000;
    bucket.tokens = Math.min(this.#capacity, bucket.tokens + elapsed * this.#rate);
    bucket.at = nowMs;
    return bucket;
  }

  #prune(nowMs: number): void {
    for (const [key, bucket] of this.#buckets) {
      if (bucket.tokens + ((nowMs - bucket.at) / 1000) * this.#rate >= this.#capacity) this.#buckets.delete(key);
    }
    // Still full of busy callers: forget the oldest rather than grow without bound.
    for (const key of this.#buckets.keys()) {
      if (this.#buckets.size < this.#maxKeys) break;
      this.#buckets.delete(key);
    }
  }
}
