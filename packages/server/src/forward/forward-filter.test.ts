import { describe, expect, it } from 'vitest';
import { API_DESCRIPTION } from '../http/openapi.js';
import { FORWARD_FILTER_PARAMETERS, parseForwardFilter } from './forward-filter.js';

describe('parseForwardFilter', () => {
  it('reads the query language of GET /api/v1/events, without a time range', () => {
    expect(parseForwardFilter('')).toEqual({});
    expect(parseForwardFilter('classifiedEvent=3')).toEqual({ classes: [3] });
    expect(parseForwardFilter('event=2003,2004&tenantId=acme&tenantId=default')).toEqual({ events: [2003, 2004], tenants: ['acme', null] });
    expect(parseForwardFilter('?not.userId=svc%20backup&q=a%2Bb&operationKey=op-1')).toEqual({
      exclude: { userIds: ['svc backup'] },
      q: 'a+b',
      operationKey: 'op-1',
    });
  });

  it('refuses an unknown parameter, naming it', () => {
    for (const [text, field] of [
      ['usrId=alice', 'filter.usrId'],
      ['event=2001&from=2026-01-01T00:00:00Z', 'filter.from'],
      ['order=asc', 'filter.order'],
      ['limit=5', 'filter.limit'],
    ] as const) {
      expect(() => parseForwardFilter(text), text).toThrow(expect.objectContaining({ code: 'VALIDATION_FAILED', details: expect.objectContaining({ field }) }));
    }
  });

  it('refuses an invalid value, naming the parameter', () => {
    expect(() => parseForwardFilter('classifiedEvent=9')).toThrow(expect.objectContaining({ details: expect.objectContaining({ field: 'filter.classifiedEvent' }) }));
    expect(() => parseForwardFilter('event=x')).toThrow(expect.objectContaining({ details: expect.objectContaining({ field: 'filter.event' }) }));
    expect(() => parseForwardFilter('userId=a&userId=b')).toThrow(expect.objectContaining({ details: expect.objectContaining({ field: 'filter.userId' }) }));
    expect(() => parseForwardFilter('q=' + 'x'.repeat(5000))).toThrow(expect.objectContaining({ details: expect.objectContaining({ field: 'filter' }) }));
  });

  it('takes exactly the parameters the live stream documents', () => {
    const stream = API_DESCRIPTION.paths['/api/v1/events/stream'].get.parameters as readonly { name: string; in: string }[];
    expect([...FORWARD_FILTER_PARAMETERS].sort()).toEqual(stream.filter((p) => p.in === 'query').map((p) => p.name).sort());
  });
});
