import type { RecordExtra } from '@tamga/core';
import type { EventSort, EventSortField } from '../journal/journal-store.js';

/**
 * The added fields with `pollable` taken from the `pollable` column, which is what the Event API's poll reads
 * (both stores keep `extra.pollable` in a column of its own for its index). A column changed behind the journal's
 * back then rebuilds other canonical bytes than the stored ones, and the record checks as tampered.
 */
export function withPollable(extra: RecordExtra, pollable: boolean | undefined): RecordExtra {
  if (extra.pollable === pollable) return extra;
  const { pollable: _stored, ...rest } = extra;
  return pollable === undefined ? rest : { ...rest, pollable };
}

/** Where the Event API's sort keys that are added fields live in the `extra` JSON. */
const EXTRA_SORT_PATHS: Readonly<Partial<Record<EventSortField, readonly string[]>>> = Object.freeze({
  objectVersion: ['object', 'version'],
  objectId: ['object', 'id'],
  schema: ['object', 'schema'],
  userDisplayName: ['userDisplayName'],
});

/** How one store writes the terms of the Event API's ORDER BY. */
export interface EventOrderDialect {
  /** A sort key that is a column, with its direction, e.g. `seq DESC`. */
  column(field: 'seq' | 'createdAt' | 'eventName', direction: 'ASC' | 'DESC'): string;
  /** The terms ordering by the added field at `path` in `extra` (in the order `EventListQuery` describes). */
  extra(path: readonly string[], direction: 'ASC' | 'DESC'): string[];
}

/** The ORDER BY of the Event API's list: the keys in order, then `seq` in the direction of the last key for ties. */
export function eventOrderBy(sort: readonly EventSort[], dialect: EventOrderDialect): string {
  const terms: string[] = [];
  for (const { field, descending } of sort) {
    const direction = descending ? 'DESC' : 'ASC';
    const path = EXTRA_SORT_PATHS[field];
    if (path !== undefined) terms.push(...dialect.extra(path, direction));
    else terms.push(dialect.column(field as 'seq' | 'createdAt' | 'eventName', direction));
  }
  if (!sort.some((s) => s.field === 'seq')) terms.push(dialect.column('seq', sort.at(-1)?.descending === true ? 'DESC' : 'ASC'));
  return terms.join(', ');
}
