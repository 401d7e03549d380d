import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { SYSTEM_TENANT_ID } from '@tamga/core';
import { createTamgaServer, loadConfig, openAccessControl, SqliteJournalStore } from '@tamga/server';
import { serveBanner } from './serve.js';
import { users } from './users.js';

const dir = mkdtempSync(join(tmpdir(), 'tamga-cli-users-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function run(...args: string[]): Promise<{ code: number; out: string }> {
  let out = '';
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      out += chunk.toString();
      done();
    },
  });
  const code = await users([...args, '--data-dir', dir], sink);
  return { code, out };
}

async function journalled(): Promise<string[]> {
  const store = new SqliteJournalStore({ path: join(dir, 'tamga.sqlite') });
  const rows = await store.queryRecords({ tenants: [SYSTEM_TENANT_ID], order: 'asc' }, 1000);
  await store.close();
  return rows.map((r) => `${r.eventName} ${r.userId ?? ''}`.trim());
}

describe('tamga users', () => {
  it('creates a user with a printed one-time password, lists, updates, disables and resets it, journalling each change', async () => {
    const created = await run('create', 'carol', '--role', 'tenant-auditor', '--tenant', 'acme,default');
    expect(created.code).toBe(0);
    const password = /\n {2}(\S+)\n$/.exec(created.out)![1]!;
    expect(password.length).toBeGreaterThanOrEqual(20);

    const list = await run('list');
    expect(list.out).toMatch(/carol\s+tenant-auditor\s+acme,default\s+enabled\s+yes\s+never/);

    expect((await run('update', 'carol', '--role', 'auditor', '--expires', '2030-01-01T00:00:00Z')).out).toMatch(/carol\s+auditor/);
    expect((await run('disable', 'carol')).out).toMatch(/disabled/);
    const reset = await run('reset-password', 'carol');
    expect(reset.out).toContain('One-time password');

    const { access, close } = await openAccessControl(loadConfig({}, ['--data-dir', dir]));
    try {
      const carol = await access.getUser('carol');
      expect(carol).toMatchObject({ roles: ['auditor'], enabled: false, mustChangePassword: true });
    } finally {
      await close();
    }
    const events = await journalled();
    expect(events.filter((e) => e.includes('cli:')).map((e) => e.split(' ')[0])).toEqual([
      'UserCreated',
      'UserRolesAssigned',
      'UserUpdated',
      'UserDisabled',
      'UserPasswordChanged',
    ]);
  });

  it('reports bad input with its code and no stack', async () => {
    await expect(run('create', 'x y', '--role', 'auditor')).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    await expect(run('update', 'nobody', '--enable')).rejects.toMatchObject({ code: 'USER_NOT_FOUND' });
    await expect(run('frobnicate')).rejects.toMatchObject({ exitCode: 2, message: expect.stringContaining('unknown action "frobnicate"') });
  });
});

describe('tamga serve banner', () => {
  it('prints the administrator one-time password at first start, and only then', async () => {
    const first = mkdtempSync(join(tmpdir(), 'tamga-cli-serve-'));
    try {
      const config = loadConfig({ TAMGA_DATA_DIR: first });
      const server = await createTamgaServer(config);
      const banner = serveBanner({ url: 'http://localhost:7300', store: 'SQLite', config, createdAdminPassword: server.createdAdminPassword, createdApiKey: server.createdApiKey });
      await server.close();
      expect(server.createdAdminPassword).toBeDefined();
      expect(banner).toContain(`password: ${server.createdAdminPassword}`);
      expect(banner).toContain('login:    admin');
      const again = await createTamgaServer(config);
      await again.close();
      expect(again.createdAdminPassword).toBeUndefined();
      expect(serveBanner({ url: 'u', store: 's', config, createdAdminPassword: undefined, createdApiKey: undefined })).not.toContain('password:');
    } finally {
      rmSync(first, { recursive: true, force: true });
    }
  });
});
