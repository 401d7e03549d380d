/**
 * A power cut as a user meets it: `tamga serve` on an ext4 file system (loop-mounted), keys rotated and events
 * acknowledged, then the file system is shut down without flushing its journal (what survives is what was durable),
 * the process killed, the file system mounted again and the server started. Needs root (see loop-filesystem.ts).
 */
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createLoopFilesystem, loopFilesystemUnavailable, reportMissingLoopFilesystem } from '../../server/src/test-support/loop-filesystem.js';
import type { LoopFilesystem } from '../../server/src/test-support/loop-filesystem.js';
import { startServeProcess } from './test-support/serve-process.js';
import type { ServeProcess } from './test-support/serve-process.js';

const unavailable = loopFilesystemUnavailable();
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function serveOn(fs: LoopFilesystem): Promise<ServeProcess> {
  const serve = await startServeProcess({ TAMGA_DATA_DIR: join(fs.path, 'data'), TAMGA_NODE_ID: 'power-cut' });
  cleanups.push(() => serve.kill());
  return serve;
}

/** Cuts the power under a running server: the file system stops, then the process dies. */
async function cutPower(fs: LoopFilesystem, serve: ServeProcess): Promise<void> {
  fs.shutdown();
  await serve.kill();
  fs.remount();
}

if (unavailable !== undefined) {
  reportMissingLoopFilesystem('power-cut e2e', unavailable);
} else {
  describe('a power cut right after a key rotation', () => {
    it.each(['hmac', 'checkpoint'] as const)(
      'loses neither the %s key nor the events signed with it: the server starts and they read valid',
      async (type) => {
        const fs = createLoopFilesystem();
        cleanups.push(() => fs.destroy());
        const before = await serveOn(fs);
        const rotated = await before.request('POST', '/api/v1/keys/rotate', { type });
        expect(rotated.status).toBe(200);
        const newKey = (rotated.json as { id: string }).id;
        const appended = await before.request('POST', '/api/v1/events', [{ event: 2001, userId: 'alice', tenantId: 'acme', text: 'after the rotation' }]);
        expect(appended.status).toBe(201);
        const item = (appended.json as { items: { id: string; sigKid: string }[] }).items[0]!;
        if (type === 'hmac') expect(item.sigKid).toBe(newKey);
        await cutPower(fs, before);

        const after = await serveOn(fs);
        const read = await after.request('GET', `/api/v1/events/${item.id}`);
        expect(read.status).toBe(200);
        expect(read.json).toMatchObject({ id: item.id, sigKid: item.sigKid, integrity: 'valid', validSignature: true });
        const keys = (await after.request('GET', '/.well-known/tamga-keys')).json as {
          hmacKeys: { kid: string }[];
          checkpointKeys: { name: string }[];
        };
        const ids = type === 'hmac' ? keys.hmacKeys.map((k) => k.kid) : keys.checkpointKeys.map((k) => k.name);
        expect(ids).toContain(newKey);
      },
    );

    it('keeps the keys made at first start once anything was signed with them', async () => {
      const fs = createLoopFilesystem();
      cleanups.push(() => fs.destroy());
      const before = await serveOn(fs);
      const appended = await before.request('POST', '/api/v1/events', { event: 2001, userId: 'bob' });
      expect(appended.status).toBe(201);
      const item = (appended.json as { items: { id: string }[] }).items[0]!;
      await cutPower(fs, before);

      const after = await serveOn(fs);
      const read = await after.request('GET', `/api/v1/events/${item.id}`);
      expect(read.json).toMatchObject({ id: item.id, integrity: 'valid' });
    });
  });
}
