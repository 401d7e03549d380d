/**
 * `tamga serve` started with Node options of the kind operators set on the command line (a larger heap, a longer stack
 * trace): V8 and process-wide options that Node refuses when a thread is given them explicitly. The server's SQLite
 * writer and reader threads must still start, so events are stored and read back.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startServeProcess } from './test-support/serve-process.js';

const work = mkdtempSync(join(tmpdir(), 'tamga-node-options-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('tamga serve under node options', () => {
  it('stores and reads events when started as `node --max-old-space-size=512 --stack-trace-limit=20 tamga.js serve`', async () => {
    const serve = await startServeProcess({ TAMGA_DATA_DIR: join(work, 'data') }, 30_000, [
      '--max-old-space-size=512',
      '--stack-trace-limit=20',
    ]);
    try {
      const events = Array.from({ length: 20 }, (_, i) => ({
        event: 2001,
        tenantId: 'acme',
        userId: `user${i}`,
      }));
      const appended = await serve.request('POST', '/api/v1/events', events);
      expect(appended.status, appended.text).toBe(201);
      const page = await serve.request('GET', '/api/v1/events?tenantId=acme&limit=100');
      expect(page.status, page.text).toBe(200);
      const items = (page.json as { items: { userId: string; validSignature: boolean }[] }).items;
      expect(items.map((item) => item.userId).sort()).toEqual(events.map((e) => e.userId).sort());
      expect(items.every((item) => item.validSignature)).toBe(true);
      expect(serve.stderr()).toBe('');
    } finally {
      expect(await serve.stop()).toBe(0);
    }
  });
});
