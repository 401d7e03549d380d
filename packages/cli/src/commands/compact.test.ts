/**
 * `tamga compact` as an operator runs it: refused while `tamga serve` has the journal open, then, with the server
 * stopped, the journal rewritten and the server started again over the same records.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { runTamgaCommand, startServeProcess } from '../test-support/serve-process.js';

const work = mkdtempSync(join(tmpdir(), 'tamga-compact-cli-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const tamga = runTamgaCommand;

describe('tamga compact', () => {
  const dataDir = join(work, 'data');
  const journal = join(dataDir, 'tamga.sqlite');

  it('is refused while the server runs, compacts once it is stopped, and the server starts again over the same records', async () => {
    let serve = await startServeProcess({ TAMGA_DATA_DIR: dataDir });
    try {
      const events = Array.from({ length: 50 }, (_, i) => ({
        event: 2001,
        tenantId: 'acme',
        userId: `user${i}`,
      }));
      expect((await serve.request('POST', '/api/v1/events', events)).status).toBe(201);
      const refused = await tamga(['compact', '--data-dir', dataDir]);
      expect(refused.code).toBe(2);
      expect(refused.stderr).toBe(
        `tamga: The journal ${journal} is open in another process (is tamga serve running?): stop it, then compact again. Nothing was changed [STORE_UNAVAILABLE]\n`,
      );
    } finally {
      expect(await serve.stop()).toBe(0);
    }

    const done = await tamga(['compact', '--data-dir', dataDir]);
    expect(done.stderr).toBe('');
    expect(done.code).toBe(0);
    expect(done.stdout).toMatch(
      new RegExp(
        `^Compacting ${journal} \\([\\d.,]+ MB\\); keep the server stopped until it ends...\nCompacted ${journal} in \\d+\\.\\d s:\n  page size  16 KiB -> 16 KiB\n  file       [\\d.,]+ MB -> [\\d.,]+ MB \\([\\d,]+ free pages reclaimed\\)\n`,
      ),
    );

    // Again, for a script: the report as JSON, nothing else on stdout.
    const json = await tamga(['compact', '--data-dir', dataDir, '--json']);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({
      path: journal,
      before: { pageSize: 16384 },
      after: { pageSize: 16384, freePages: 0 },
    });

    serve = await startServeProcess({ TAMGA_DATA_DIR: dataDir });
    try {
      const page = await serve.request('GET', '/api/v1/events?tenantId=acme&limit=100');
      const items = (page.json as { items: { userId: string; validSignature: boolean }[] }).items;
      expect(items).toHaveLength(50);
      expect(items.every((e) => e.validSignature)).toBe(true);
    } finally {
      await serve.stop();
    }
  }, 120_000);

  it('turns a journal of an earlier version (4 KiB pages) to 16 KiB pages; the server says so until then', async () => {
    const oldDir = join(work, 'old');
    mkdirSync(oldDir);
    const earlier = new Database(join(oldDir, 'tamga.sqlite'));
    earlier.pragma('page_size = 4096');
    earlier.pragma('journal_mode = WAL');
    earlier.close();
    let serve = await startServeProcess({ TAMGA_DATA_DIR: oldDir, TAMGA_LOG_LEVEL: 'info' });
    try {
      expect(
        (await serve.request('POST', '/api/v1/events', [{ event: 2001, userId: 'before' }])).status,
      ).toBe(201);
      expect(serve.stdout()).toContain(
        'this SQLite journal has 4 KiB pages (made before 16 KiB pages); \\"tamga compact\\" with the server stopped',
      );
    } finally {
      await serve.stop();
    }
    const done = await tamga(['compact', '--data-dir', oldDir]);
    expect(done.code).toBe(0);
    expect(done.stdout).toContain('  page size  4 KiB -> 16 KiB\n');
    serve = await startServeProcess({ TAMGA_DATA_DIR: oldDir, TAMGA_LOG_LEVEL: 'info' });
    try {
      const page = await serve.request('GET', '/api/v1/events?userId=before');
      expect(
        (page.json as { items: { validSignature: boolean }[] }).items.map((e) => e.validSignature),
      ).toEqual([true]);
      expect(serve.stdout()).not.toContain('tamga compact');
    } finally {
      await serve.stop();
    }
  }, 120_000);

  it('says it works on SQLite only when the store is PostgreSQL, and names a missing journal', async () => {
    const pg = await tamga(['compact', '--data-dir', dataDir], {
      TAMGA_DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/test',
    });
    expect(pg.code).toBe(2);
    expect(pg.stderr).toContain(
      'the store is PostgreSQL (TAMGA_DATABASE_URL is set); compact rewrites the SQLite journal only',
    );
    const missing = await tamga(['compact', '--data-dir', join(work, 'nowhere')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toBe(
      `tamga: There is no journal at ${join(work, 'nowhere', 'tamga.sqlite')}: check the data directory [STORE_UNAVAILABLE]\n`,
    );
  });
});
