import { describe, expect, it } from 'vitest';
import { isUuid, uuidv7 } from './uuid.js';

const VERSION_7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('uuidv7', () => {
  it('is a version 7, RFC 9562 variant UUID whose first 48 bits are the time in ms', () => {
    const id = uuidv7(Date.UTC(2026, 11, 4, 12, 0, 0, 123));
    expect(id).toMatch(VERSION_7);
    expect(isUuid(id)).toBe(true);
    expect(parseInt(id.replace(/-/g, '').slice(0, 12), 16)).toBe(Date.UTC(2026, 11, 4, 12, 0, 0, 123));
  });

  describe('when many ids are made within one millisecond (RFC 9562 §6.2)', () => {
    it('makes them strictly increasing, all distinct, keeping the version and variant bits', () => {
      const ms = Date.UTC(2027, 0, 1);
      const ids = Array.from({ length: 100_000 }, () => uuidv7(ms));
      for (let i = 1; i < ids.length; i++) {
        if (!(ids[i]! > ids[i - 1]!)) throw new Error(`id ${i} (${ids[i]}) does not sort after ${ids[i - 1]}`);
      }
      expect(new Set(ids).size).toBe(ids.length);
      expect(ids.every((id) => VERSION_7.test(id))).toBe(true);
    });
  });

  describe('when the clock steps back', () => {
    it('still sorts each new id after the previous one', () => {
      const later = uuidv7(Date.UTC(2027, 5, 1));
      const earlier = uuidv7(Date.UTC(2027, 4, 1));
      expect(earlier > later).toBe(true);
    });
  });
});
