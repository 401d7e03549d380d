import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Destination } from '../forward/destination.js';
import { EMPTY_DELIVERY_STATUS } from '../forward/forward-store.js';
import type { DeliveryProgress, ForwardStore } from '../forward/forward-store.js';

const T0 = Date.UTC(2026, 10, 22, 10, 0, 0);

function destination(id: string, name: string, overrides: Partial<Destination> = {}): Destination {
  return {
    id,
    name,
    format: 'syslog',
    url: 'tcp://siem.example.com:514',
    filter: 'classifiedEvent=3',
    enabled: true,
    batchSize: 500,
    timeoutMs: 10_000,
    facility: 13,
    maxMessageBytes: 8192,
    structuredDataId: 'tamga@32473',
    origin: 'api',
    version: 1,
    createdAt: T0,
    updatedAt: T0,
    ...overrides,
  };
}

function progress(overrides: Partial<DeliveryProgress> = {}): DeliveryProgress {
  return { cursors: [], delivered: 0, skipped: 0, failures: 0, deadLetters: [], nodeId: 'node-a', at: T0, ...overrides };
}

/**
 * The contract every {@link ForwardStore} passes, run against real databases (no mocks). `open` gives a fresh,
 * empty store; `reopen` a second store on the same database, as another node would have; `tamper` runs raw SQL the
 * way an insider with database access would.
 */
export function describeForwardStoreContract(
  name: string,
  open: () => Promise<{ store: ForwardStore; reopen: () => Promise<ForwardStore>; tamper: (sql: string) => Promise<void> }>,
  cleanup: () => Promise<void>,
): void {
  describe(`${name} (forwarding store contract)`, () => {
    let store: ForwardStore;
    let reopen: () => Promise<ForwardStore>;
    let tamper: (sql: string) => Promise<void>;
    beforeAll(async () => {
      ({ store, reopen, tamper } = await open());
    });
    afterAll(cleanup);

    it('stores destinations with their starting cursors, keeps names unique and counts every change', async () => {
      expect(await store.revision()).toBe(0);
      expect(await store.listDestinations()).toEqual([]);
      const a = destination('d-a', 'siem', { tls: { ca: '-----BEGIN CERTIFICATE-----\n…', key: 'sealed:v1:k:iv:ct:tag' } });
      await store.createDestination(a, [
        { logId: 1, nextSeq: 10 },
        { logId: 2, nextSeq: 0 },
      ]);
      await store.createDestination(destination('d-b', 'archive', { format: 'webhook', url: 'https://x.example.com/', secret: 'sealed:v1:k:1:2:3' }), []);
      expect(await store.getDestination('d-a')).toEqual(a);
      expect((await store.listDestinations()).map((d) => d.name)).toEqual(['archive', 'siem']);
      expect(await store.getCursors('d-a')).toEqual([
        { logId: 1, nextSeq: 10 },
        { logId: 2, nextSeq: 0 },
      ]);
      await expect(store.createDestination(destination('d-c', 'siem'), [])).rejects.toMatchObject({ code: 'DESTINATION_EXISTS' });
      await expect(store.updateDestination(destination('d-b', 'siem'))).rejects.toMatchObject({ code: 'DESTINATION_EXISTS' });
      expect(await store.updateDestination(destination('d-a', 'siem-2', { version: 2, enabled: false, updatedAt: T0 + 1 }))).toBe(true);
      expect(await store.getDestination('d-a')).toMatchObject({ name: 'siem-2', version: 2, enabled: false, updatedAt: T0 + 1, createdAt: T0 });
      expect(await store.updateDestination(destination('missing', 'x'))).toBe(false);
      expect(await store.getDestination('missing')).toBeUndefined();
      expect(await store.revision()).toBe(3);
    });

    it('moves cursors forward only, adds up counts, and sets or clears the status fields', async () => {
      const before = await store.revision();
      await store.saveProgress('d-a', progress({ cursors: [{ logId: 1, nextSeq: 50 }, { logId: 3, nextSeq: 5 }], delivered: 40, skipped: 5, lastDeliveredAt: T0 + 5 }));
      // A node that lost its lead saves an older position: the cursor stays where it was.
      await store.saveProgress('d-a', progress({ cursors: [{ logId: 1, nextSeq: 20 }], delivered: 1, failures: 2, lastError: { at: T0 + 6, message: 'connect ECONNREFUSED' }, downSince: T0 + 6, nodeId: 'node-b', at: T0 + 6 }));
      expect(await store.getCursors('d-a')).toEqual([
        { logId: 1, nextSeq: 50 },
        { logId: 2, nextSeq: 0 },
        { logId: 3, nextSeq: 5 },
      ]);
      expect(await store.getStatus('d-a')).toEqual({
        delivered: 41,
        skipped: 5,
        deadLettered: 0,
        failures: 2,
        lastDeliveredAt: T0 + 5,
        lastError: { at: T0 + 6, message: 'connect ECONNREFUSED' },
        downSince: T0 + 6,
        nodeId: 'node-b',
        updatedAt: T0 + 6,
      });
      await store.saveProgress('d-a', progress({ delivered: 3, lastDeliveredAt: T0 + 9, lastError: null, downSince: null, at: T0 + 9 }));
      expect(await store.getStatus('d-a')).toMatchObject({ delivered: 44, failures: 2, lastError: null, downSince: null, lastDeliveredAt: T0 + 9 });
      expect(await store.getStatus('d-b')).toEqual(EMPTY_DELIVERY_STATUS);
      expect(await store.revision()).toBe(before);
    });

    it('stores dead letters with the cursor move, lists them in pages, and refuses to change or delete them', async () => {
      const letter = (seq: number) => ({ logId: 2, seq, recordId: `r-${seq}`, event: 2001, tenantId: seq % 2 === 0 ? null : 'acme', reason: `HTTP 422 ${'x'.repeat(2000)}`, at: T0 + seq });
      await store.saveProgress('d-b', progress({ cursors: [{ logId: 2, nextSeq: 4 }], deadLetters: [letter(1), letter(2), letter(3)] }));
      expect(await store.getCursors('d-b')).toEqual([{ logId: 2, nextSeq: 4 }]);
      expect((await store.getStatus('d-b')).deadLettered).toBe(3);
      const first = await store.listDeadLetters('d-b', 2);
      expect(first.map((d) => [d.seq, d.recordId, d.tenantId])).toEqual([
        [1, 'r-1', 'acme'],
        [2, 'r-2', null],
      ]);
      expect(first[0]).toMatchObject({ destinationId: 'd-b', logId: 2, event: 2001, at: T0 + 1 });
      expect(first[0]!.reason).toHaveLength(1000);
      const rest = await store.listDeadLetters('d-b', 10, first[1]!.id);
      expect(rest.map((d) => d.seq)).toEqual([3]);
      expect(await store.listDeadLetters('d-a', 10)).toEqual([]);
      await expect(tamper("UPDATE forward_dead_letters SET reason = 'forged'")).rejects.toThrow(/append-only/);
      await expect(tamper('DELETE FROM forward_dead_letters')).rejects.toThrow(/append-only/);
    });

    it('deletes a destination with its cursors and counts, and keeps its dead letters', async () => {
      expect(await store.deleteDestination('d-b')).toBe(true);
      expect(await store.deleteDestination('d-b')).toBe(false);
      expect(await store.getDestination('d-b')).toBeUndefined();
      expect(await store.getCursors('d-b')).toEqual([]);
      expect((await store.getStatus('d-b')).deadLettered).toBe(0);
      expect(await store.listDeadLetters('d-b', 10)).toHaveLength(3);
      // A worker that saves after the delete brings nothing back.
      await store.saveProgress('d-b', progress({ cursors: [{ logId: 2, nextSeq: 9 }], delivered: 5 }));
      expect(await store.getCursors('d-b')).toEqual([]);
      expect(await store.getStatus('d-b')).toEqual(EMPTY_DELIVERY_STATUS);
    });

    it('is seen by a second store on the same database, and one of them at a time leads a destination', async () => {
      const other = await reopen();
      try {
        expect((await other.getDestination('d-a'))?.name).toBe('siem-2');
        expect(await other.revision()).toBe(await store.revision());
        if (store.tryLeadDestination === undefined) {
          expect(other.tryLeadDestination, 'a store without leads has one process: both or neither lead').toBeUndefined();
          return;
        }
        expect(await store.tryLeadDestination('d-a')).toBe(true);
        expect(await store.tryLeadDestination('d-a')).toBe(true);
        expect(await other.tryLeadDestination!('d-a')).toBe(false);
        // Another destination is free for the other node.
        expect(await other.tryLeadDestination!('d-z')).toBe(true);
        expect(await store.tryLeadDestination('d-z')).toBe(false);
        await store.releaseDestination!('d-a');
        expect(await other.tryLeadDestination!('d-a')).toBe(true);
        expect(await store.tryLeadDestination('d-a')).toBe(false);
        // The holder goes away (its session ends): the lead is free at once.
        await other.close?.();
        expect(await store.tryLeadDestination('d-a')).toBe(true);
        expect(await store.tryLeadDestination('d-z')).toBe(true);
      } finally {
        await other.close?.();
      }
    });
  });
}
