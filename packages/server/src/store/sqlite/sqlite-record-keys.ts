import type Database from 'better-sqlite3';
import { HOUR_MICROS } from '../hour-index.js';

/** The kinds of `record_keys` rows: the columns whose indexes are led by the hour (decision 0055). */
export const KEY_KIND = { user: 1, operation: 2 } as const;
export type KeyKind = (typeof KEY_KIND)[keyof typeof KEY_KIND];

/** The hour of a time as the hour-led indexes key it (`created_at / 3600000000`: SQL's integer division truncates). */
export const hourOf = (micros: number): number => Math.trunc(micros / HOUR_MICROS);

/**
 * Keys of each kind the writer remembers as written before it forgets them (~120 bytes each): every user of a large
 * deployment, and the operations of the last minute or so (an operation's records come together, then it is done).
 */
const MAX_REMEMBERED: Record<KeyKind, number> = { [KEY_KIND.user]: 200_000, [KEY_KIND.operation]: 20_000 };

/**
 * Keeps `record_keys` on the connection that appends: for each record's user id and operation key, the row of its log
 * is widened to the record's hour. A key whose row this connection last widened to that same hour costs a Map lookup,
 * not a statement: a user's records of one hour write the row once.
 *
 * What it remembers is true only once committed: {@link forget} must be called when a transaction or savepoint that
 * wrote rows is rolled back.
 */
export class RecordKeyWriter {
  readonly #widen: Database.Statement;
  /** Per kind, `log:value` → the hour the row was last widened to (it covers it). */
  readonly #known = new Map<KeyKind, Map<string, number>>([
    [KEY_KIND.user, new Map()],
    [KEY_KIND.operation, new Map()],
  ]);

  constructor(db: Database.Database) {
    this.#widen = db.prepare(
      `INSERT INTO record_keys (kind, value, log_id, first_hour, last_hour) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (kind, value, log_id) DO UPDATE SET first_hour = min(first_hour, excluded.first_hour), last_hour = max(last_hour, excluded.last_hour)`,
    );
  }

  /** Widens the row of (`kind`, `value`, `logId`) to `hour`, unless it is known to cover it. */
  add(kind: KeyKind, value: string | null, logId: number, hour: number): void {
    if (value === null) return;
    const known = this.#known.get(kind)!;
    const key = `${logId}:${value}`;
    if (known.get(key) === hour) return;
    this.#widen.run(kind, value, logId, hour, hour);
    if (known.size >= MAX_REMEMBERED[kind]) known.clear();
    known.set(key, hour);
  }

  /** Forgets what was written: after a rollback, the rows may not hold it. */
  forget(): void {
    for (const known of this.#known.values()) known.clear();
  }
}

/**
 * The hours, ascending, in which records of the filter's user id and operation key may be (`records_hour_user` and
 * `records_hour_op` are led by them), within `[from, to)` when given: per key, the hours from its first to its last in
 * `record_keys`, over `logIds` (every log when undefined); with both keys, the hours both have. Undefined when the
 * filter has neither key.
 */
export function keyHours(
  db: Database.Database,
  filter: { readonly userId?: string | undefined; readonly operationKey?: string | undefined; readonly from?: number | undefined; readonly to?: number | undefined },
  logIds: readonly number[] | undefined,
): number[] | undefined {
  if (logIds !== undefined && logIds.length === 0) return filter.userId === undefined && filter.operationKey === undefined ? undefined : [];
  const lo = filter.from === undefined ? -Infinity : hourOf(filter.from);
  const hi = filter.to === undefined ? Infinity : hourOf(filter.to - 1);
  let hours: Set<number> | undefined;
  for (const [kind, value] of [
    [KEY_KIND.user, filter.userId],
    [KEY_KIND.operation, filter.operationKey],
  ] as const) {
    if (value === undefined) continue;
    const logs = logIds === undefined ? '' : ` AND log_id IN (${logIds.join(',')})`;
    const spans = db.prepare(`SELECT first_hour AS first, last_hour AS last FROM record_keys WHERE kind = ? AND value = ?${logs}`).all(kind, value) as {
      first: number;
      last: number;
    }[];
    const mine = new Set<number>();
    for (const { first, last } of spans) {
      for (let h = Math.max(first, lo); h <= Math.min(last, hi); h++) if (hours === undefined || hours.has(h)) mine.add(h);
    }
    hours = mine;
  }
  return hours === undefined ? undefined : [...hours].sort((a, b) => a - b);
}
