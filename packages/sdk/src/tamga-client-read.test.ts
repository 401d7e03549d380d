/** The read side of TamgaClient against a real Tamga server on loopback: every API a reader uses. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatVerifierKey, generateEd25519Key, hashLeaf, verifyConsistency, verifyInclusion } from '@tamga/core';
import { startLoopbackTamga, TEST_API_KEY } from './test-support/loopback-tamga.js';
import type { LoopbackTamga } from './test-support/loopback-tamga.js';
import { TamgaApiError } from './tamga-api-error.js';
import { TamgaClient } from './tamga-client.js';
import { verifyReceipt } from './verify-receipt.js';

let t: LoopbackTamga;
let client: TamgaClient;
let ids: string[];
const day = { from: new Date(Date.now() - 3_600_000), to: new Date(Date.now() + 3_600_000) };

beforeAll(async () => {
  t = await startLoopbackTamga();
  client = new TamgaClient({ url: t.url, apiKey: TEST_API_KEY });
  const events = Array.from({ length: 35 }, (_, n) => ({
    event: n % 5 === 0 ? 2004 : 2001,
    userId: n % 7 === 0 ? 'ivanov, i.' : `user${n}`,
    tenantId: 'acme',
    entityData: { n },
  }));
  ids = (await client.append(events)).map((a) => a.id);
  // Checkpoints follow appends within a second.
  for (let i = 0; i < 200 && (await t.request({ method: 'GET', url: '/api/v1/logs/acme/checkpoint' })).statusCode !== 200; i++) await new Promise((r) => setTimeout(r, 20));
});
afterAll(async () => t.remove());

const numbers = (records: { entityData: unknown }[]): number[] => records.map((r) => (r.entityData as { n: number }).n);

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

describe('query', () => {
  it('iterates over every page, following the cursor', async () => {
    const records = await collect(client.query({ ...day, tenantId: 'acme', order: 'asc' }, { pageSize: 10 }));
    expect(numbers(records)).toEqual([...Array(35).keys()]);
    expect(records.every((r) => r.validSignature && r.integrity === 'valid')).toBe(true);
  });

  it('sends list filters and exclusions whose values hold commas', async () => {
    const records = await collect(client.query({ ...day, tenantId: ['acme'], event: [2001], not: { userId: ['ivanov, i.'] }, order: 'asc' }));
    expect(numbers(records)).toEqual([...Array(35).keys()].filter((n) => n % 5 !== 0 && n % 7 !== 0));
  });

  it('counts with stats', async () => {
    const stats = await client.stats({ ...day, tenantId: 'acme', event: 2004 });
    expect(stats.count).toBe(7);
    expect(stats.histogram.reduce((sum, b) => sum + b.count, 0)).toBe(7);
  });
});

describe('one record, receipts, proofs, checkpoints', () => {
  it('gives one record with the canonical bytes its leaf hash is made of', async () => {
    const record = await client.getEvent(ids[3]!);
    expect(record).toMatchObject({ id: ids[3], seq: 3, tenantId: 'acme', entityData: { n: 3 } });
    expect(hashLeaf(Buffer.from(record.canonical, 'base64')).toString('base64')).toBe(record.leafHash);
  });

  it('throws the problem of a missing record', async () => {
    await expect(client.getEvent('0193a7e0-0000-7000-8000-00000000ffff')).rejects.toMatchObject({ status: 404, code: 'EVENT_NOT_FOUND' });
  });

  it('fetches a receipt that verifies locally against pinned keys, and not once a proof hash is changed', async () => {
    const keys = await client.publicKeys();
    const receipt = await client.receipt(ids[17]!);
    expect(verifyReceipt(receipt, { keys })).toMatchObject({ status: 'valid', seq: 17, origin: 'tamga/acme', id: ids[17] });
    const proof = [...receipt.proof];
    proof[0] = Buffer.alloc(32, 1).toString('base64');
    expect(() => verifyReceipt({ ...receipt, proof }, { keys })).toThrow(expect.objectContaining({ code: 'PROOF_INVALID' }));
  });

  it('gives a checkpoint whose signature checks, and proofs that lead to its root', async () => {
    const checkpoint = await client.verifiedCheckpoint('acme');
    expect(checkpoint).toMatchObject({ origin: 'tamga/acme', size: 35 });
    expect(checkpoint.signedBy.length).toBeGreaterThan(0);
    const record = await client.getEvent(ids[20]!);
    const inclusion = await client.inclusionProof('acme', 20, 35);
    verifyInclusion(Buffer.from(record.leafHash, 'base64'), 20, 35, inclusion.hashes.map((h) => Buffer.from(h, 'base64')), checkpoint.rootHash);
    const consistency = await client.consistencyProof('acme', 35, 35);
    verifyConsistency(35, 35, consistency.hashes.map((h) => Buffer.from(h, 'base64')), checkpoint.rootHash, checkpoint.rootHash);
  });

  it('refuses a checkpoint signed by none of the pinned keys', async () => {
    const foreign = { checkpointKeys: [{ name: 'tamga-other', verifierKey: formatVerifierKey('tamga-other', generateEd25519Key().publicKey) }] };
    await expect(client.verifiedCheckpoint('acme', { keys: foreign })).rejects.toMatchObject({ code: 'KEY_UNKNOWN' });
  });

  it('verifies a range on the server', async () => {
    expect(await client.verifyLog('acme', { from: 0, to: 35 })).toMatchObject({ status: 'valid', checked: 35, firstBadSeq: null });
  });
});

describe('export', () => {
  it('streams the bundle: manifest, keys, checkpoints, every record, and an end line with the count', async () => {
    const lines = await collect(client.exportLines('acme'));
    expect(lines[0]).toMatchObject({ type: 'manifest' });
    expect(lines[1]).toMatchObject({ type: 'keys' });
    expect(lines.filter((l) => typeof l.seq === 'number')).toHaveLength(35);
    expect(lines.at(-1)).toEqual({ type: 'end', records: 35 });
  });
});

describe('catalogue', () => {
  it('lists and finds entries by code and by name, in Russian when asked', async () => {
    const tamgaEntries = await client.catalog({ catalog: 'tamga' });
    expect(tamgaEntries.map((e) => e.name)).toContain('RegistrationFailed');
    expect(await client.catalogEntry(2001)).toMatchObject({ code: 2001, name: 'Login', catalog: 'ai-server' });
    expect(await client.catalogEntry('RegistrationFailed', { lang: 'ru' })).toMatchObject({ code: 32007, description: expect.stringContaining('Tamga не смогла') });
  });
});

describe('stream', () => {
  it('yields new records matching the filter as they are committed', async () => {
    const controller = new AbortController();
    const received: number[] = [];
    const reading = (async () => {
      for await (const record of client.stream({ tenantId: 'live', event: 2001 }, { signal: controller.signal })) {
        received.push((record.entityData as { n: number }).n);
        if (received.length === 2) controller.abort();
      }
    })();
    await new Promise((r) => setTimeout(r, 100));
    await client.append([
      { event: 2001, tenantId: 'live', entityData: { n: 1 } },
      { event: 2004, tenantId: 'live', entityData: { n: 2 } },
      { event: 2001, tenantId: 'live', entityData: { n: 3 } },
    ]);
    await reading;
    expect(received).toEqual([1, 3]);
  });
});

describe('stream resume', () => {
  it('resumes from the cursor it was told: what was appended meanwhile, once', async () => {
    let cursor = '';
    const first = new AbortController();
    const seen: number[] = [];
    const reading = (async () => {
      for await (const record of client.stream({ tenantId: 'resumed' }, { signal: first.signal, onCursor: (c) => (cursor = c) })) {
        seen.push((record.entityData as { n: number }).n);
        first.abort();
      }
    })();
    await new Promise((r) => setTimeout(r, 100));
    await client.append([{ event: 2001, tenantId: 'resumed', entityData: { n: 1 } }]);
    await reading;
    await client.append([
      { event: 2001, tenantId: 'resumed', entityData: { n: 2 } },
      { event: 2001, tenantId: 'resumed', entityData: { n: 3 } },
    ]);
    const second = new AbortController();
    for await (const record of client.stream({ tenantId: 'resumed' }, { signal: second.signal, lastEventId: cursor })) {
      seen.push((record.entityData as { n: number }).n);
      if (seen.length === 3) second.abort();
    }
    expect(seen).toEqual([1, 2, 3]);
  });
});

describe('poll (asset server Event API)', () => {
  it('polls the pollable events in _id order, short format with evidence, and follows with a long poll woken by an append', async () => {
    const asset = (type: string, n: number) => ({ eventName: type, tenantId: 'assets', object: { type: 'pictures', id: String(100 + n), schema: 'USER' }, entityData: { n } });
    await client.append([asset('USER_LOGIN', 1), asset('LOGIN_FAILED', 2), asset('OBJECT_UPDATE', 3), asset('API_CALL', 4), asset('OBJECT_DELETE', 5)]);
    const first = await client.poll(0, { tenantId: 'assets', limit: 0 });
    expect(first.events.map((e) => [e.event._id, e.event.type])).toEqual([
      [1, 'USER_LOGIN'],
      [3, 'OBJECT_UPDATE'],
      [5, 'OBJECT_DELETE'],
    ]);
    expect(first.maxEventId).toBe(5);
    expect(first.events[1]!.event).not.toHaveProperty('info');
    expect(first.events[1]!._tamga).toMatchObject({ seq: 2, validSignature: true });
    expect((await client.poll(3, { tenantId: 'assets' })).events.map((e) => e.event._id)).toEqual([5]);

    const controller = new AbortController();
    const followed: number[] = [];
    const following = (async () => {
      for await (const event of client.pollEvents({ tenantId: 'assets', timeout: 10, signal: controller.signal })) {
        followed.push(event.event._id);
        if (followed.length === 2) controller.abort();
      }
    })();
    await new Promise((r) => setTimeout(r, 300));
    const appendedAt = Date.now();
    await client.append([asset('API_CALL', 6), asset('OBJECT_UPDATE', 7)]);
    await client.append([asset('USER_LOGOUT', 8)]);
    await following;
    // From the newest id at the start: the pollable events appended since, once each.
    expect(followed).toEqual([7, 8]);
    expect(Date.now() - appendedAt).toBeLessThan(5000);
  });

  // The loop's edge cases with a scripted fetch: answers as issue #16 specifies them.
  it('follows with long polls, starting at the newest id the server names and never yielding an id twice', async () => {
    const asked: string[] = [];
    const answers = [
      { events: [], max: 41 },
      { events: [42, 43], max: 43 },
      { events: [43, 44], max: 44 },
    ];
    const fetchImpl: typeof fetch = async (input) => {
      asked.push(new URL(String(input)).pathname + new URL(String(input)).search);
      const next = answers.shift();
      if (next === undefined) return new Promise<Response>(() => undefined);
      const body = next.events.map((id) => ({ event: { _id: id, type: 'OBJECT_UPDATE' }, _tamga: { seq: id - 1 } }));
      return new Response(JSON.stringify(body), { status: 200, headers: { 'content-type': 'application/json', 'x-tamga-max-event-id': String(next.max) } });
    };
    const reader = new TamgaClient({ url: 'http://tamga.test', apiKey: TEST_API_KEY, fetch: fetchImpl });
    const controller = new AbortController();
    const seen: number[] = [];
    for await (const event of reader.pollEvents({ timeout: 5, signal: controller.signal })) {
      seen.push(event.event._id);
      if (seen.length === 3) controller.abort();
    }
    expect(seen).toEqual([42, 43, 44]);
    expect(asked.slice(0, 3)).toEqual(['/api/v1/event/poll?limit=1000&timeout=5', '/api/v1/event/poll/41?limit=1000&timeout=5', '/api/v1/event/poll/43?limit=1000&timeout=5']);
  });

  it('gives the server problem of a refused poll', async () => {
    const fetchImpl: typeof fetch = async () =>
      new Response(JSON.stringify({ status: 400, code: 'VALIDATION_FAILED', field: 'limit' }), { status: 400, headers: { 'content-type': 'application/problem+json' } });
    const reader = new TamgaClient({ url: 'http://tamga.test', fetch: fetchImpl });
    const error = await reader.poll(0, { limit: -1 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TamgaApiError);
    expect(error).toMatchObject({ status: 400, code: 'VALIDATION_FAILED', problem: { field: 'limit' } });
  });
});
