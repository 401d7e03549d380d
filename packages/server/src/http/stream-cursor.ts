/**
 * The live stream's resume cursor: the SSE `id:` of every event, sent back by a reconnecting client as
 * `Last-Event-ID`. A stream may cover several logs (an administrator's view spans tenants), each appending
 * independently and ordered by its own `seq`, so no one record id says where the stream was in all of them: the
 * cursor holds, for every log the stream covers, the `seq` it reads next. Opaque to clients: base64url of
 * `1;<logId>:<seq>,<logId>:<seq>…` (decimal; `1` is the format version).
 */

/** Log id → the next `seq` of that log the stream has not yet sent (or skipped as not matching). */
export type StreamPositions = Map<number, number>;

/** Longest `Last-Event-ID` read, in characters: the request's headers may not exceed 16 KiB (client-errors.ts) anyway. */
export const MAX_CURSOR_LENGTH = 16 * 1024;

const VERSION = '1;';
const BASE64URL = /^[A-Za-z0-9_-]*$/;
const PAIRS = /^(?:\d{1,15}:\d{1,15}(?:,\d{1,15}:\d{1,15})*)?$/;

/** The cursor of `positions`. */
export function encodeStreamCursor(positions: StreamPositions): string {
  let text = VERSION;
  let first = true;
  for (const [logId, seq] of positions) {
    text += `${first ? '' : ','}${logId}:${seq}`;
    first = false;
  }
  return Buffer.from(text, 'latin1').toString('base64url');
}

/** The positions a cursor holds, or undefined when it is not one this server wrote (malformed). */
export function decodeStreamCursor(cursor: string): StreamPositions | undefined {
  if (cursor.length === 0 || cursor.length > MAX_CURSOR_LENGTH || !BASE64URL.test(cursor)) return undefined;
  const text = Buffer.from(cursor, 'base64url').toString('latin1');
  if (!text.startsWith(VERSION)) return undefined;
  const pairs = text.slice(VERSION.length);
  if (!PAIRS.test(pairs)) return undefined;
  const positions: StreamPositions = new Map();
  if (pairs === '') return positions;
  for (const pair of pairs.split(',')) {
    const [logId, seq] = pair.split(':').map(Number) as [number, number];
    if (positions.has(logId)) return undefined;
    positions.set(logId, seq);
  }
  return positions;
}
