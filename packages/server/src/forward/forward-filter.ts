import { TamgaError, ValidationError } from '@tamga/core';
import type { RecordFilter } from '../journal/journal-store.js';
import { parseRecordFilter } from '../http/query-params.js';

/**
 * The parameters a destination's filter may use: those of `GET /api/v1/events/stream` (the filters of
 * `GET /api/v1/events` without the time range and the order, which have no meaning for a flow of new records).
 * `forward-filter.test.ts` keeps this list equal to the stream's documented parameters.
 */
export const FORWARD_FILTER_PARAMETERS: readonly string[] = Object.freeze([
  'event',
  'classifiedEvent',
  'outcome',
  'operationKey',
  'userId',
  'tenantId',
  'nodeId',
  'ip',
  'q',
  'not.event',
  'not.classifiedEvent',
  'not.tenantId',
  'not.userId',
  'not.ip',
  'not.operationKey',
  'not.nodeId',
]);

/** Longest filter text accepted, in characters. */
export const MAX_FILTER_LENGTH = 4096;

/**
 * Parses a destination's filter, written in the query language of `GET /api/v1/events`:
 * `classifiedEvent=3`, `event=2003,2004&tenantId=acme`, `not.userId=svc-backup`; empty means every record of every
 * tenant (Tamga's own tenant `tamga` included). A parameter outside {@link FORWARD_FILTER_PARAMETERS} or an invalid
 * value is a `VALIDATION_FAILED` naming `filter.<parameter>`.
 */
export function parseForwardFilter(text: string): RecordFilter {
  if (text.length > MAX_FILTER_LENGTH) {
    throw new ValidationError('VALIDATION_FAILED', `filter: must be at most ${MAX_FILTER_LENGTH} characters`, { field: 'filter' });
  }
  const query: Record<string, string | string[]> = {};
  for (const [name, value] of new URLSearchParams(text.startsWith('?') ? text.slice(1) : text)) {
    if (!FORWARD_FILTER_PARAMETERS.includes(name)) {
      throw new ValidationError(
        'VALIDATION_FAILED',
        `filter.${name}: "${name}" is not a filter; use ${FORWARD_FILTER_PARAMETERS.join(', ')}`,
        { field: `filter.${name}` },
      );
    }
    const previous = query[name];
    query[name] = previous === undefined ? value : [...(Array.isArray(previous) ? previous : [previous]), value];
  }
  try {
    // The default time range of a query (the current hour) is dropped: a flow of new records has none.
    const { from: _from, to: _to, ...filter } = parseRecordFilter({ ...query, from: undefined, to: undefined }, 0, undefined);
    return filter;
  } catch (error) {
    if (error instanceof TamgaError && typeof error.details.field === 'string') {
      const field = `filter.${error.details.field}`;
      throw new ValidationError('VALIDATION_FAILED', `filter.${error.message}`, { ...error.details, field });
    }
    throw error;
  }
}
