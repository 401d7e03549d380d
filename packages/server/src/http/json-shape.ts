import { TamgaError, ValidationError } from '@tamga/core';

/** Bodies from this size on are checked before `JSON.parse`; smaller ones cannot make it allocate 100 MB. */
export const JSON_SHAPE_CHECK_FROM_BYTES = 1024 * 1024;
/** Deepest nesting of arrays and objects in a request body (an event's `entityData` may nest 32 levels). */
export const MAX_JSON_DEPTH = 64;
/**
 * Most values (array elements and object members) in one request body: a batch of 10,000 events with 50 values each.
 * Half a million small values parse into about 50 MB.
 */
export const MAX_JSON_VALUES = 500_000;

/**
 * Refuses a large JSON (or NDJSON) body whose shape would make `JSON.parse` allocate far more than its size: each
 * `[`, `{` or `,` becomes an object or a slot, so 16 MiB of `[[[…]]]` took about 480 MB and `[{},{},…]` over 200 MB.
 * Counts them outside strings (skipped with `indexOf`) in one pass; bodies under {@link JSON_SHAPE_CHECK_FROM_BYTES}
 * are not scanned at all, so the usual append (1,000 events, a few hundred KB) pays nothing.
 *
 * @throws ValidationError `VALIDATION_FAILED` (`field: body`) when nested deeper than {@link MAX_JSON_DEPTH};
 *   `BODY_TOO_LARGE` when holding more than {@link MAX_JSON_VALUES} values.
 */
export function checkJsonShape(body: Buffer): void {
  if (body.length < JSON_SHAPE_CHECK_FROM_BYTES) return;
  let depth = 0;
  let values = 0;
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    if (c === 0x22) {
      // The closing quote: the next one not escaped by an odd run of backslashes.
      for (;;) {
        const q = body.indexOf(0x22, i + 1);
        if (q < 0) return; // unterminated: JSON.parse says so
        let b = q - 1;
        while (body[b] === 0x5c) b--;
        i = q;
        if ((q - 1 - b) % 2 === 0) break;
      }
    } else if (c === 0x5b || c === 0x7b) {
      if (++depth > MAX_JSON_DEPTH) {
        throw new ValidationError('VALIDATION_FAILED', `body: arrays and objects are nested deeper than ${MAX_JSON_DEPTH} levels`, {
          field: 'body',
          limit: MAX_JSON_DEPTH,
        });
      }
      values++;
    } else if (c === 0x5d || c === 0x7d) {
      depth--;
    } else if (c === 0x2c) {
      values++;
    }
    if (values > MAX_JSON_VALUES) {
      throw new TamgaError('BODY_TOO_LARGE', `body: more than ${MAX_JSON_VALUES} JSON values in one request`, { field: 'body', limit: MAX_JSON_VALUES });
    }
  }
}
