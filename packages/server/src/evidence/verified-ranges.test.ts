import { describe, expect, it } from 'vitest';
import { VerifiedRanges } from './verified-ranges.js';

const LOG = 1;

describe('VerifiedRanges', () => {
  it('names what a range lacks of the parts verified since a time', () => {
    const v = new VerifiedRanges();
    v.add(LOG, { from: 10, to: 20, at: 100, notValid: [] }, 100);
    v.add(LOG, { from: 30, to: 40, at: 50, notValid: [] }, 50);
    expect(v.gaps(LOG, { from: 0, to: 50 }, 0)).toEqual([
      { from: 0, to: 10 },
      { from: 20, to: 30 },
      { from: 40, to: 50 },
    ]);
    // The part of time 50 is too old for `since` 60.
    expect(v.gaps(LOG, { from: 0, to: 50 }, 60)).toEqual([
      { from: 0, to: 10 },
      { from: 20, to: 50 },
    ]);
    expect(v.gaps(LOG, { from: 12, to: 18 }, 0)).toEqual([]);
    expect(v.gaps(2, { from: 12, to: 18 }, 0)).toEqual([{ from: 12, to: 18 }]);
  });

  it('joins fresh neighbours into one part as old as its older side, keeping their non-valid records', () => {
    const v = new VerifiedRanges();
    v.add(LOG, { from: 0, to: 10, at: 100, notValid: [{ seq: 3, status: 'redacted' }] }, 100);
    v.add(LOG, { from: 10, to: 15, at: 200, notValid: [{ seq: 12, status: 'unknown-key' }] }, 100);
    expect(v.gaps(LOG, { from: 0, to: 15 }, 100)).toEqual([]);
    expect(v.covering(LOG, { from: 0, to: 15 }, 100)).toEqual({
      verifiedAt: 100,
      notValid: [
        { seq: 3, status: 'redacted' },
        { seq: 12, status: 'unknown-key' },
      ],
    });
    expect(v.covering(LOG, { from: 5, to: 12 }, 100).notValid).toEqual([]);
  });

  it('replaces what a newer check overlaps, keeping the rest of the older part', () => {
    const v = new VerifiedRanges();
    v.add(LOG, { from: 0, to: 100, at: 10, notValid: [{ seq: 5, status: 'redacted' }, { seq: 95, status: 'redacted' }] }, 10);
    v.add(LOG, { from: 40, to: 60, at: 500, notValid: [] }, 500);
    expect(v.gaps(LOG, { from: 0, to: 100 }, 400)).toEqual([
      { from: 0, to: 40 },
      { from: 60, to: 100 },
    ]);
    expect(v.covering(LOG, { from: 0, to: 100 }, 0)).toEqual({
      verifiedAt: 10,
      notValid: [
        { seq: 5, status: 'redacted' },
        { seq: 95, status: 'redacted' },
      ],
    });
  });

  it('forgets what overlaps a range found tampered, and keeps nothing it could not list whole', () => {
    const v = new VerifiedRanges({ maxNotValid: 2 });
    v.add(LOG, { from: 0, to: 10, at: 1, notValid: [] }, 1);
    v.add(LOG, { from: 20, to: 30, at: 1, notValid: [] }, 1);
    v.forget(LOG, { from: 5, to: 6 });
    expect(v.gaps(LOG, { from: 0, to: 30 }, 0)).toEqual([{ from: 0, to: 20 }]);
    const many = [1, 2, 3].map((seq) => ({ seq, status: 'redacted' as const }));
    expect(v.add(LOG, { from: 0, to: 5, at: 2, notValid: many }, 2)).toBe(false);
    expect(v.gaps(LOG, { from: 0, to: 5 }, 0)).toEqual([{ from: 0, to: 5 }]);
  });

  it('keeps at most maxPartsPerLog parts, dropping the oldest', () => {
    const v = new VerifiedRanges({ maxPartsPerLog: 2 });
    v.add(LOG, { from: 0, to: 1, at: 1, notValid: [] }, 1);
    v.add(LOG, { from: 10, to: 11, at: 3, notValid: [] }, 3);
    v.add(LOG, { from: 20, to: 21, at: 2, notValid: [] }, 2);
    expect(v.gaps(LOG, { from: 0, to: 21 }, 0)).toEqual([
      { from: 0, to: 10 },
      { from: 11, to: 20 },
    ]);
  });
});
