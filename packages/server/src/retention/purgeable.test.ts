import { describe, expect, it } from 'vitest';
import type { LegalHold, RetentionFact } from '../journal/journal-store.js';
import { parseKeepDays, purgeable } from './retention-service.js';

const DAY = 86_400_000_000;
const NOW = 1000 * DAY;
const fact = (seq: number, ageDays: number, extra: Partial<RetentionFact> = {}): RetentionFact => ({
  seq,
  createdAt: NOW - ageDays * DAY,
  classifiedEvent: 1,
  userId: null,
  operationKey: null,
  ...extra,
});
const hold = (scope: Partial<LegalHold>): LegalHold => ({
  id: 'h',
  tenantId: 'acme',
  userId: null,
  operationKey: null,
  reason: 'r',
  setBy: 'admin',
  setAt: 0,
  ...scope,
});
const KEEP_30 = parseKeepDays({ keepDays: { '1': 30, '2': 30, '3': 30, '4': 30 } });

describe('purgeable', () => {
  it('takes records from the start while each is older than its class keeps them', () => {
    expect(purgeable([fact(0, 40), fact(1, 31), fact(2, 29), fact(3, 50)], KEEP_30, [], NOW)).toEqual({ count: 2, stoppedBy: 'retention' });
    expect(purgeable([fact(0, 40), fact(1, 31)], KEEP_30, [], NOW)).toEqual({ count: 2 });
    // Exactly 30 days old is kept (older than, not as old as).
    expect(purgeable([fact(0, 30)], KEEP_30, [], NOW)).toEqual({ count: 0, stoppedBy: 'retention' });
  });

  it('keeps a class without retention forever, and stops at its first record', () => {
    const keep = parseKeepDays({ keepDays: { '1': 30, '3': null } });
    expect(purgeable([fact(0, 40), fact(1, 400, { classifiedEvent: 3 }), fact(2, 40)], keep, [], NOW)).toEqual({ count: 1, stoppedBy: 'retention' });
    expect(purgeable([fact(0, 400, { classifiedEvent: 2 })], keep, [], NOW)).toEqual({ count: 0, stoppedBy: 'retention' });
  });

  it('stops at the first record a user or operation hold covers', () => {
    const facts = [fact(0, 40), fact(1, 40, { userId: 'bob' }), fact(2, 40, { operationKey: 'op-7' }), fact(3, 40)];
    expect(purgeable(facts, KEEP_30, [hold({ userId: 'bob' })], NOW)).toEqual({ count: 1, stoppedBy: 'hold' });
    expect(purgeable(facts, KEEP_30, [hold({ operationKey: 'op-7' })], NOW)).toEqual({ count: 2, stoppedBy: 'hold' });
    expect(purgeable(facts, KEEP_30, [hold({ userId: 'carol' })], NOW)).toEqual({ count: 4 });
  });
});

describe('parseKeepDays', () => {
  it('fills classes left out with forever', () => {
    expect(parseKeepDays({ keepDays: { '2': 7 } })).toEqual({ '1': null, '2': 7, '3': null, '4': null });
    expect(parseKeepDays({ keepDays: {} })).toEqual({ '1': null, '2': null, '3': null, '4': null });
  });

  it('names the field of a bad value', () => {
    for (const [body, field] of [
      [null, 'keepDays'],
      [{ keepDays: { '1': 36_501 } }, 'keepDays.1'],
      [{ keepDays: { '1': '30' } }, 'keepDays.1'],
      [{ keepDays: { class1: 30 } }, 'keepDays.class1'],
    ] as const) {
      expect(() => parseKeepDays(body), JSON.stringify(body)).toThrow(expect.objectContaining({ code: 'VALIDATION_FAILED', details: expect.objectContaining({ field }) }));
    }
  });
});
