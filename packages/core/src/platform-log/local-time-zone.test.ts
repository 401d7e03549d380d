import { describe, expect, it } from 'vitest';
import { formatUtcOffset, LocalTimeZone } from './local-time-zone.js';

const wall = (y: number, mo: number, d: number, h: number, mi: number, s = 0, ms = 0): number => Date.UTC(y, mo - 1, d, h, mi, s, ms);
const iso = (ms: number): string => new Date(ms).toISOString();

describe('LocalTimeZone', () => {
  it('places a Moscow wall time at UTC+3 (the seed platform is in Europe/Moscow)', () => {
    const z = new LocalTimeZone('Europe/Moscow');
    expect(z.resolve(wall(2023, 11, 30, 14, 34, 23, 448))).toEqual({ utcMs: Date.UTC(2023, 10, 30, 11, 34, 23, 448), offsetMinutes: 180, isAmbiguous: false, isSkipped: false });
  });

  it('uses the offset the zone had at that date (Moscow was UTC+4 in 2012)', () => {
    expect(new LocalTimeZone('Europe/Moscow').resolve(wall(2012, 6, 1, 12, 0)).offsetMinutes).toBe(240);
  });

  it('reads UTC as UTC and gives the runtime spelling of the name', () => {
    const z = new LocalTimeZone('utc');
    expect(z.resolve(wall(2023, 1, 1, 0, 0)).utcMs).toBe(wall(2023, 1, 1, 0, 0));
  });

  it('takes the machine zone when none is given', () => {
    expect(new LocalTimeZone().name).toBe(Intl.DateTimeFormat().resolvedOptions().timeZone);
  });

  it('refuses an unknown zone with CONFIG_INVALID', () => {
    expect(() => new LocalTimeZone('Mars/Olympus')).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }));
  });

  describe('when clocks go forward (Europe/Berlin, 2023-03-26 02:00 → 03:00)', () => {
    const z = new LocalTimeZone('Europe/Berlin');

    it('reads the times on either side with their own offsets', () => {
      expect(iso(z.resolve(wall(2023, 3, 26, 1, 59, 59, 999)).utcMs)).toBe('2023-03-26T00:59:59.999Z');
      expect(iso(z.resolve(wall(2023, 3, 26, 3, 0)).utcMs)).toBe('2023-03-26T01:00:00.000Z');
    });

    it('flags a wall time that never happened and reads it with the offset before the change', () => {
      const r = z.resolve(wall(2023, 3, 26, 2, 30));
      expect(r).toMatchObject({ isSkipped: true, offsetMinutes: 60 });
      expect(iso(r.utcMs)).toBe('2023-03-26T01:30:00.000Z');
    });
  });

  describe('when clocks go back (America/New_York, 2023-11-05 02:00 → 01:00)', () => {
    const z = new LocalTimeZone('America/New_York');

    it('takes the earlier of the two instants of a repeated wall time by default', () => {
      const r = z.resolve(wall(2023, 11, 5, 1, 30));
      expect(r).toMatchObject({ isAmbiguous: true, offsetMinutes: -240 });
      expect(iso(r.utcMs)).toBe('2023-11-05T05:30:00.000Z');
    });

    it('keeps a log in order through the repeated hour: after 01:59 comes the second 01:00', () => {
      const first = z.resolve(wall(2023, 11, 5, 1, 59, 59));
      const second = z.resolve(wall(2023, 11, 5, 1, 0, 0), first.utcMs);
      expect(iso(first.utcMs)).toBe('2023-11-05T05:59:59.000Z');
      expect(iso(second.utcMs)).toBe('2023-11-05T06:00:00.000Z');
      expect(second.offsetMinutes).toBe(-300);
      // Later in the repeated hour, the lower bound keeps it on the second pass.
      expect(iso(z.resolve(wall(2023, 11, 5, 1, 45), second.utcMs).utcMs)).toBe('2023-11-05T06:45:00.000Z');
    });

    it('reads 02:00, after the repeated hour, with the winter offset', () => {
      expect(z.resolve(wall(2023, 11, 5, 2, 0))).toMatchObject({ utcMs: Date.UTC(2023, 10, 5, 7, 0), offsetMinutes: -300, isAmbiguous: false });
    });
  });

  it('handles a zone with a quarter-hour offset (Asia/Kathmandu, UTC+5:45)', () => {
    expect(new LocalTimeZone('Asia/Kathmandu').resolve(wall(2023, 6, 1, 12, 0))).toMatchObject({ utcMs: Date.UTC(2023, 5, 1, 6, 15), offsetMinutes: 345 });
  });
});

describe('formatUtcOffset', () => {
  it.each([
    [180, '+03:00'],
    [0, '+00:00'],
    [-300, '-05:00'],
    [345, '+05:45'],
    [-210, '-03:30'],
  ])('%i → %s', (minutes, text) => {
    expect(formatUtcOffset(minutes)).toBe(text);
  });
});
