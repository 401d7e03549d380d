import { describe, expect, it } from 'vitest';
import {
  defaultFilter,
  excludeValue,
  exclusionList,
  filterParams,
  hasNarrowing,
  newViewFilter,
  NO_EXCLUSIONS,
  parseView,
  removeExclusion,
  showOnly,
  showsSystemEvents,
  SYSTEM_TENANT,
  viewedLog,
  viewSearch,
  withPreset,
  withSystemEvents,
  withTenants,
} from './journal-query.js';
import type { JournalFilter } from './journal-query.js';

/** 2026-03-10 10:50 UTC, as in the end-to-end fixture. */
const NOW = Date.UTC(2026, 2, 10, 10, 50, 0);
const RANGE = 'from=2026-03-10T10%3A00%3A00Z&to=2026-03-10T11%3A00%3A00Z';

function journalFilter(search: string): JournalFilter {
  const { view } = parseView(search, NOW);
  if (view.kind !== 'journal') throw new Error(`not a journal view: ${view.kind}`);
  return view.filter;
}

describe('parseView', () => {
  describe('when the URL has no exclusions', () => {
    it('excludes nothing', () => {
      const filter = journalFilter(`?${RANGE}`);
      expect(filter.not).toEqual(NO_EXCLUSIONS);
      expect(hasNarrowing(filter)).toBe(false);
    });
  });

  describe('when the URL has not.* parameters', () => {
    it('reads codes, classes and tenants repeated or comma-separated', () => {
      const filter = journalFilter(
        `?${RANGE}&not.event=2001,2004&not.event=100&not.classifiedEvent=1&not.classifiedEvent=3,4&not.tenantId=default,acme`,
      );
      expect(filter.not.event).toEqual([2001, 2004, 100]);
      expect(filter.not.classifiedEvent).toEqual([1, 3, 4]);
      expect(filter.not.tenantId).toEqual(['default', 'acme']);
      expect(hasNarrowing(filter)).toBe(true);
    });

    it('never splits user ids, IPs or operation keys at commas', () => {
      const filter = journalFilter(
        `?${RANGE}&not.userId=${encodeURIComponent('doe, john')}&not.userId=alice&not.ip=10.0.0.24&not.operationKey=a,b`,
      );
      expect(filter.not.userId).toEqual(['doe, john', 'alice']);
      expect(filter.not.ip).toEqual(['10.0.0.24']);
      expect(filter.not.operationKey).toEqual(['a,b']);
    });

    it('drops values that are not codes or classes, empty values and repeats', () => {
      const filter = journalFilter(
        `?${RANGE}&not.event=x,-1,7&not.classifiedEvent=5,2&not.userId=&not.ip=1.2.3.4&not.ip=1.2.3.4`,
      );
      expect(filter.not.event).toEqual([7]);
      expect(filter.not.classifiedEvent).toEqual([2]);
      expect(filter.not.userId).toEqual([]);
      expect(filter.not.ip).toEqual(['1.2.3.4']);
    });

    it('keeps them in an operation view and in its way back to the journal', () => {
      const { view } = parseView(`?view=operation&operationKey=op-1&${RANGE}&not.userId=bob`, NOW);
      expect(view.kind).toBe('operation');
      expect(view.filter.not.userId).toEqual(['bob']);
      expect(new URLSearchParams(viewSearch(view)).getAll('not.userId')).toEqual(['bob']);
    });

    it('leads back to the journal the operation was opened from, not to one filtered by the operation', () => {
      const { view } = parseView(`?view=operation&operationKey=op-1&${RANGE}&userId=alice`, NOW);
      expect(view.kind === 'operation' && view.operationKey).toBe('op-1');
      const back = new URLSearchParams(viewSearch({ kind: 'journal', filter: view.filter }));
      expect(back.get('operationKey')).toBeNull();
      expect(back.get('userId')).toBe('alice');
    });
  });
});

describe('filterParams', () => {
  it('writes each excluded value as its own not.<field> parameter, which parseView reads back', () => {
    const filter: JournalFilter = {
      ...defaultFilter(NOW),
      not: {
        ...NO_EXCLUSIONS,
        event: [2001],
        classifiedEvent: [3],
        tenantId: ['default'],
        userId: ['doe, john'],
        ip: ['10.0.0.24', '10.0.0.31'],
        operationKey: ['op-1'],
      },
    };
    const params = filterParams(filter);
    expect(params.getAll('not.userId')).toEqual(['doe, john']);
    expect(params.getAll('not.ip')).toEqual(['10.0.0.24', '10.0.0.31']);
    expect(params.toString()).toContain('not.event=2001&not.classifiedEvent=3&not.tenantId=default');
    expect(journalFilter(`?${params.toString()}`)).toEqual(filter);
  });

  it('writes nothing for an empty exclusion', () => {
    expect([...filterParams(defaultFilter(NOW)).keys()]).toEqual(['from', 'to']);
  });
});

describe('excludeValue', () => {
  it('adds the value once', () => {
    const once = excludeValue(defaultFilter(NOW), { field: 'userId', value: 'alice' });
    const twice = excludeValue(once, { field: 'userId', value: 'alice' });
    expect(twice.not.userId).toEqual(['alice']);
    expect(exclusionList(twice.not)).toEqual([{ field: 'userId', value: 'alice' }]);
  });

  it('clears a text filter equal to the value, and keeps one that differs', () => {
    const filter = { ...defaultFilter(NOW), ip: '10.0.0.24', userId: 'bob' };
    const next = excludeValue(excludeValue(filter, { field: 'ip', value: '10.0.0.24' }), {
      field: 'userId',
      value: 'alice',
    });
    expect(next.ip).toBe('');
    expect(next.userId).toBe('bob');
    expect(next.not.ip).toEqual(['10.0.0.24']);
  });

  it('takes the value out of a list filter', () => {
    const filter = { ...defaultFilter(NOW), event: [2001, 2004], classifiedEvent: [1, 3] as const };
    const next = excludeValue(excludeValue(filter, { field: 'event', value: 2001 }), {
      field: 'classifiedEvent',
      value: 3,
    });
    expect(next.event).toEqual([2004]);
    expect(next.classifiedEvent).toEqual([1]);
    expect(next.not.event).toEqual([2001]);
    expect(next.not.classifiedEvent).toEqual([3]);
  });
});

describe('showOnly', () => {
  it('filters by the value and ends its exclusion', () => {
    const excluded = excludeValue(defaultFilter(NOW), { field: 'tenantId', value: 'acme' });
    const next = showOnly(excluded, { field: 'tenantId', value: 'acme' });
    expect(next.tenantId).toEqual(['acme']);
    expect(next.not).toEqual(NO_EXCLUSIONS);
  });

  it('keeps the exclusions of other values', () => {
    let filter = excludeValue(defaultFilter(NOW), { field: 'ip', value: '10.0.0.24' });
    filter = excludeValue(filter, { field: 'ip', value: '10.0.0.31' });
    const next = showOnly(filter, { field: 'ip', value: '10.0.0.31' });
    expect(next.ip).toBe('10.0.0.31');
    expect(next.not.ip).toEqual(['10.0.0.24']);
  });
});

describe('removeExclusion', () => {
  it('removes one value and leaves the others', () => {
    let filter = excludeValue(defaultFilter(NOW), { field: 'event', value: 2001 });
    filter = excludeValue(filter, { field: 'userId', value: 'alice' });
    const next = removeExclusion(filter, { field: 'event', value: 2001 });
    expect(exclusionList(next.not)).toEqual([{ field: 'userId', value: 'alice' }]);
    expect(removeExclusion(next, { field: 'userId', value: 'alice' })).toEqual(defaultFilter(NOW));
  });
});

describe('viewedLog', () => {
  it('is the one tenant the filter names, else the one log the view holds, else the default tenant', () => {
    expect(viewedLog(defaultFilter(NOW))).toEqual({ tenant: 'default', several: [] });
    expect(viewedLog({ ...defaultFilter(NOW), tenantId: ['acme'] })).toEqual({ tenant: 'acme', several: [] });
    expect(viewedLog(defaultFilter(NOW), ['acme'])).toEqual({ tenant: 'acme', several: [] });
  });

  it('names the tenants when the view spans several logs', () => {
    expect(viewedLog({ ...defaultFilter(NOW), tenantId: ['acme', 'default'] })).toEqual({
      tenant: null,
      several: ['acme', 'default'],
    });
    expect(viewedLog(defaultFilter(NOW), ['default', 'acme'])).toEqual({
      tenant: null,
      several: ['default', 'acme'],
    });
  });
});

describe("Tamga's own events", () => {
  it('are left out of a new view (a URL without a range) and the URL then says so', () => {
    const { view, needsCanonical } = parseView('', NOW);
    expect(needsCanonical).toBe(true);
    expect(view.filter.not.tenantId).toEqual([SYSTEM_TENANT]);
    expect(showsSystemEvents(view.filter)).toBe(false);
    expect(new URLSearchParams(viewSearch(view)).getAll('not.tenantId')).toEqual(['tamga']);
    expect(newViewFilter(NOW)).toEqual(view.filter);
  });

  it('stay in a URL with a range as it is, and in a new view that names tenants', () => {
    expect(showsSystemEvents(journalFilter(`?${RANGE}`))).toBe(true);
    expect(journalFilter('?tenantId=tamga').tenantId).toEqual(['tamga']);
    expect(showsSystemEvents(journalFilter('?tenantId=tamga'))).toBe(true);
  });

  it('are shown again by withSystemEvents, and by naming the tenant', () => {
    const hidden = newViewFilter(NOW);
    expect(withSystemEvents(hidden, true)).toEqual(defaultFilter(NOW));
    expect(withSystemEvents(withSystemEvents(hidden, true), false)).toEqual(hidden);
    expect(withTenants(hidden, ['tamga', 'acme'])).toMatchObject({
      tenantId: ['tamga', 'acme'],
      not: NO_EXCLUSIONS,
    });
  });
});

describe('rolling ranges', () => {
  it('are worked out at now whenever the view is opened, and the URL keeps the preset', () => {
    const later = NOW + 3_600_000;
    const { view, needsCanonical } = parseView(`?${RANGE}&range=15m`, later);
    expect(view.filter).toMatchObject({
      rolling: '15m',
      from: '2026-03-10T11:35:01Z',
      to: '2026-03-10T11:50:01Z',
    });
    // The address bar is rewritten with the range worked out.
    expect(needsCanonical).toBe(true);
    expect(new URLSearchParams(viewSearch(view)).get('from')).toBe('2026-03-10T11:35:01Z');
    expect(new URLSearchParams(viewSearch(view)).get('range')).toBe('15m');
    // The API never sees the page's own parameter.
    expect(filterParams(view.filter).has('range')).toBe(false);
  });

  it('come from the presets that span a time before now; "today" stays fixed', () => {
    expect(withPreset(defaultFilter(NOW), '1h', NOW)).toMatchObject({
      rolling: '1h',
      from: '2026-03-10T09:50:01Z',
    });
    expect(withPreset(defaultFilter(NOW), 'today', NOW).rolling).toBeNull();
    expect(journalFilter(`?${RANGE}&range=today`).rolling).toBeNull();
  });
});
