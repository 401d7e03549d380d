import type { AccessStore } from './access-store.js';
import { TokenBuckets } from './token-bucket.js';

/** A token-bucket limit keyed by caller (API key, IP, login). */
export interface RateLimiter {
  /** Takes `cost` tokens from `key`'s bucket at `nowMs`: 0 when taken, else the whole seconds to wait (nothing taken). */
  take(key: string, cost: number, nowMs: number): Promise<number>;
}

/**
 * A limit of `capacity` tokens refilled `ratePerSecond` a second: kept in the database when the access store is
 * shared by several nodes (`takeTokens`, PostgreSQL), so it holds for the cluster instead of once per node; in
 * memory otherwise (SQLite: one node). `name` keeps the limits apart in the shared table.
 */
export function openRateLimiter(store: AccessStore, name: string, capacity: number, ratePerSecond: number, maxKeys?: number): RateLimiter {
  if (store.takeTokens !== undefined) {
    const take = store.takeTokens.bind(store);
    return { take: (key, cost, nowMs) => take(`${name}:${key}`, cost, capacity, ratePerSecond, nowMs) };
  }
  const buckets = new TokenBuckets(capacity, ratePerSecond, maxKeys);
  return { take: (key, cost, nowMs) => Promise.resolve(buckets.take(key, cost, nowMs)) };
}
