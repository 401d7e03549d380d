import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer } from '../test-support/test-server.js';
import type { TestServer } from '../test-support/test-server.js';

const RANGE = 'from=2026-11-22T00:00:00Z&to=2026-11-23T00:00:00Z';

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
  const events = [
    // Seed 002's Login: userId null, the login in entityData (as text, and as an object).
    { event: 2001, createdAt: '2026-11-22T10:00:01Z', userId: null, entityData: 'logs, tenantId=', ip: '10.0.0.24', classifiedEvent: 3 },
    { event: 2004, createdAt: '2026-11-22T10:00:02Z', entityData: { login: 'Ivanov', tenantId: null } },
    { event: 9000, createdAt: '2026-11-22T10:00:03Z', userId: 'logs', text: 'Ошибка: модель не загружена' },
    { event: 9000, createdAt: '2026-11-22T10:00:04Z', userId: 'ivanov', text: 'ERROR while loading' },
    { event: 9000, createdAt: '2026-11-22T10:00:05Z', userId: 'logs', entityData: { reason: 'ОШИБКА сети' } },
  ];
  const res = await t.request({ method: 'POST', url: '/api/v1/events', payload: events });
  expect(res.statusCode).toBe(201);
});
afterAll(async () => {
  await t.close();
});

const get = (url: string) => t.request({ method: 'GET', url });
const times = (r: { json(): { items: { createdAt: string }[] } }): string[] => r.json().items.map((i) => i.createdAt.slice(17, 19));

describe('text search (q)', () => {
  it('ignores case for Cyrillic and Latin alike and says how far the text index has caught up', async () => {
    for (const q of ['ошибка', 'Ошибка', 'ОШИБКА']) {
      const res = await get(`/api/v1/events?${RANGE}&q=${encodeURIComponent(q)}`);
      expect(res.statusCode).toBe(200);
      expect(times(res)).toEqual(['05', '03']);
      expect(res.json().searchIndex).toMatchObject({ pending: expect.any(Number), building: false });
    }
    expect(times(await get(`/api/v1/events?${RANGE}&q=error`))).toEqual(['04']);
    const stats = await get(`/api/v1/events/stats?${RANGE}&q=${encodeURIComponent('ошибка')}`);
    expect(stats.json().count).toBe(2);
    // An answer without q says nothing of the index.
    expect((await get(`/api/v1/events?${RANGE}`)).json()).not.toHaveProperty('searchIndex');
  });

  it('indexes in the background: the follower catches up with the appends', async () => {
    const batch = Array.from({ length: 2500 }, (_, i) => ({ event: 9000, createdAt: '2026-11-22T11:00:00Z', text: `запись ${i}` }));
    expect((await t.request({ method: 'POST', url: '/api/v1/events', payload: batch })).statusCode).toBe(201);
    const progress = async () => (await get(`/api/v1/events?${RANGE}&q=${encodeURIComponent('запись 2499')}`)).json();
    let answer = await progress();
    for (let i = 0; i < 100 && answer.searchIndex.pending > 0; i++) {
      await new Promise((r) => setTimeout(r, 50));
      answer = await progress();
    }
    expect(answer.searchIndex.pending).toBe(0);
    expect(answer.items).toHaveLength(1);
  });

  it('refuses fewer than 3 characters with a problem naming q', async () => {
    const res = await get(`/api/v1/events?${RANGE}&q=${encodeURIComponent('ош')}`);
    expect(res.statusCode).toBe(400);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.json()).toMatchObject({ code: 'VALIDATION_FAILED', field: 'q' });
    expect(res.json().detail).toMatch(/at least 3 characters/);
  });
});

describe('the user filter and its suggestions', () => {
  it('finds a user’s sign-ins, whose login is in entityData (catalogue rule subject)', async () => {
    expect(times(await get(`/api/v1/events?${RANGE}&userId=logs`))).toEqual(['05', '03', '01']);
    expect(times(await get(`/api/v1/events?${RANGE}&userId=logs&event=2001`))).toEqual(['01']);
    expect(times(await get(`/api/v1/events?${RANGE}&userId=Ivanov`))).toEqual(['02']);
    expect((await get(`/api/v1/events/stats?${RANGE}&userId=logs`)).json().count).toBe(3);
    // not.userId leaves the sign-in out too.
    expect(times(await get(`/api/v1/events?${RANGE}&event=2001,2004&not.userId=logs`))).toEqual(['02']);
    // The record as the API gives it is unchanged: userId stays null, as the producer sent it.
    expect((await get(`/api/v1/events?${RANGE}&userId=logs&event=2001`)).json().items[0]).toMatchObject({ userId: null, entityData: 'logs, tenantId=' });
  });

  it('suggests user names by prefix, from userId and the sign-ins’ logins', async () => {
    const suggest = async (q: string) => (await get(`/api/v1/users/suggest?${q}`)).json();
    expect(await suggest('prefix=lo')).toEqual({ items: ['logs'] });
    expect(await suggest('prefix=I')).toEqual({ items: ['Ivanov'] });
    expect(await suggest('prefix=i')).toEqual({ items: ['ivanov'] });
    expect((await suggest('prefix=')).items).toEqual(expect.arrayContaining(['Ivanov', 'ivanov', 'logs']));
    expect(await suggest('prefix=&limit=1')).toEqual({ items: ['Ivanov'] });
    const bad = await get('/api/v1/users/suggest?prefix=a&limit=500');
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toMatchObject({ field: 'limit' });
  });
});

describe('IP addresses (one canonical text, stored and searched)', () => {
  const V6_ID = '0193a0e4-7c2d-7b4e-9a11-000000000601';
  const MAPPED_ID = '0193a0e4-7c2d-7b4e-9a11-000000000602';
  beforeAll(async () => {
    const res = await t.request({
      method: 'POST',
      url: '/api/v1/events',
      payload: [
        { id: V6_ID, event: 9000, createdAt: '2026-11-22T12:00:01Z', ip: '2001:0DB8:0:0::1' },
        { id: MAPPED_ID, event: 9000, createdAt: '2026-11-22T12:00:02Z', ip: '::ffff:10.0.0.1' },
      ],
    });
    expect(res.statusCode).toBe(201);
  });
  const ids = async (query: string): Promise<string[]> => {
    const res = await get(`/api/v1/events?${RANGE}&${query}`);
    expect(res.statusCode).toBe(200);
    return (res.json().items as { id: string }[]).map((i) => i.id);
  };

  it('stores an address as RFC 5952 text, IPv4-mapped folded, and finds it by any spelling', async () => {
    const record = (await get(`/api/v1/events/${V6_ID}`)).json();
    expect(record.ip).toBe('2001:db8::1');
    for (const spelling of ['2001:db8::1', '2001:0DB8:0:0::1', '2001:db8:0:0:0:0:0:1']) {
      expect(await ids(`ip=${encodeURIComponent(spelling)}`), spelling).toEqual([V6_ID]);
    }
    for (const spelling of ['10.0.0.1', '::ffff:10.0.0.1', '::FFFF:a00:1']) {
      expect(await ids(`ip=${encodeURIComponent(spelling)}`), spelling).toEqual([MAPPED_ID]);
    }
    expect(
      await ids(
        `event=9000&not.ip=${encodeURIComponent('2001:DB8::1')}&not.ip=${encodeURIComponent('::ffff:10.0.0.1')}`,
      ),
    ).not.toContain(V6_ID);
    expect(await ids(`event=9000&not.ip=${encodeURIComponent('2001:DB8::1')}`)).toContain(MAPPED_ID);
  });

  it('takes the same event sent again with the address spelled otherwise as a retry, not a conflict', async () => {
    const res = await t.request({
      method: 'POST',
      url: '/api/v1/events',
      payload: [{ id: V6_ID, event: 9000, createdAt: '2026-11-22T12:00:01Z', ip: '2001:db8:0000::0001' }],
    });
    expect(res.statusCode).toBe(200);
    expect(res.json().items[0]).toMatchObject({ id: V6_ID, duplicate: true });
  });

  it('refuses an ip that is not an address, naming the field, and stores nothing of the batch', async () => {
    const res = await t.request({
      method: 'POST',
      url: '/api/v1/events',
      payload: [
        { event: 9000, createdAt: '2026-11-22T12:00:03Z', ip: '10.0.0.3' },
        { event: 9000, createdAt: '2026-11-22T12:00:03Z', ip: '10.0.0.300' },
      ],
    });
    expect(res.statusCode).toBe(400);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.json()).toMatchObject({ field: 'ip' });
    expect(await ids('ip=10.0.0.3')).toEqual([]);
  });
});
