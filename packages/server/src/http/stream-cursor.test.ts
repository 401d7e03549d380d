import { describe, expect, it } from 'vitest';
import { decodeStreamCursor, encodeStreamCursor, MAX_CURSOR_LENGTH } from './stream-cursor.js';

describe('the live stream cursor', () => {
  it('gives back the positions it was made of, in an id line’s alphabet', () => {
    const positions = new Map([
      [1, 0],
      [7, 123_456],
      [42, 2 ** 40],
    ]);
    const cursor = encodeStreamCursor(positions);
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeStreamCursor(cursor)).toEqual(positions);
    expect(decodeStreamCursor(encodeStreamCursor(new Map()))).toEqual(new Map());
  });

  it('refuses what this server did not write', () => {
    const b64 = (text: string) => Buffer.from(text, 'latin1').toString('base64url');
    for (const bad of [
      '',
      'not base64!',
      b64('2;1:5'),
      b64('1;1:x'),
      b64('1;1:5,1:6'),
      b64('1;-1:5'),
      b64('1;1:5,'),
      'A'.repeat(MAX_CURSOR_LENGTH + 4),
    ]) {
      expect(decodeStreamCursor(bad), bad.slice(0, 20)).toBeUndefined();
    }
  });
});
