import { setFlagsFromString } from 'node:v8';
import type { TamgaConfig } from './config/tamga-config.js';

/** How far past what a full collection left live a heap's old generation grows before the next one, percent. */
export const HEAP_GROWING_PERCENT = 30;

/**
 * Makes V8 collect each thread's old generation once it has grown {@link HEAP_GROWING_PERCENT} past what the last full
 * collection left live. With V8's own factor (up to 4×), the request thread's heap reached 150 MB over ~20 MB live
 * during ingest: each batch waits for its commit long enough to outlive the young generation, and is garbage soon
 * after. A process-wide flag that V8 reads at each collection, so it holds for the threads started before and after;
 * `tamga serve` sets it at start (decision 0052).
 */
export function limitHeapGrowth(percent = HEAP_GROWING_PERCENT): void {
  setFlagsFromString(`--heap-growing-percent=${percent}`);
}

/**
 * Whether a server process with `config` should call {@link limitHeapGrowth}: on SQLite (embedded, in the process), not
 * on PostgreSQL, where the request thread seals, encodes and holds every batch across its round trips, and collecting
 * at 30% growth cost it ~8 µs of CPU per event (29–30 µs/event with V8's own growth, 37–38 with the limit; RSS ~210
 * against ~145 MB: decision 0054).
 */
export function shouldLimitHeapGrowth(config: Pick<TamgaConfig, 'databaseUrl'>): boolean {
  return config.databaseUrl === undefined;
}
