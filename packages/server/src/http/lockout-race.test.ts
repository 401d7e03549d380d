/**
 * The lock-out holds under parallel sign-ins (issue #10, item 7): the attempt is counted before the ~180 ms password
 * check, so ten parallel wrong passwords get five checks and five lock-outs, on both stores.
 */
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_PASSWORD_HASH_PARAMS } from '../auth/password-hashing.js';
import type { JournalStore } from '../journal/journal-store.js';
import { PostgresJournalStore } from '../store/postgres/postgres-journal-store.js';
import { GOOD_PASSWORD, systemEvents } from '../test-support/access-helpers.js';
import { findTestDatabase, reportMissingPostgres, testSchemaName } from '../test-support/postgres.js';
import { startTestServer } from '../test-support/test-server.js';
import type { TestServer } from '../test-support/test-server.js';

const PG_URL = await findTestDatabase();
const backends: { name: string; store?: () => Promise<JournalStore> }[] = [{ name: 'SQLite' }];
if (PG_URL !== undefined) {
  backends.push({ name: 'PostgreSQL', store: () => PostgresJournalStore.connect({ url: PG_URL, schema: testSchemaName('tamga_lockout') }) });
} else {
  reportMissingPostgres('the lock-out race on PostgreSQL');
}

for (const backend of backends) {
  describe(`parallel wrong sign-ins (${backend.name})`, () => {
    let ts: TestServer;
    beforeAll(async () => {
      ts = await startTestServer({
        ...(backend.store !== undefined && { store: await backend.store() }),
        env: { TAMGA_LOGIN_RATE_PER_ACCOUNT: '100' },
        // The production scrypt cost: the race lived in the ~180 ms the check takes.
        serverOptions: { passwordHashParams: DEFAULT_PASSWORD_HASH_PARAMS },
      });
      const created = await ts.request({ method: 'POST', url: '/api/v1/users', payload: { login: 'victim', password: GOOD_PASSWORD, roles: ['auditor'], mustChangePassword: false } });
      expect(created.statusCode).toBe(201);
    });
    afterAll(async () => {
      if (ts.server.journal.store instanceof PostgresJournalStore) await ts.server.journal.store.dropSchema();
      await ts.close();
    });

    const signIn = (login: string, password: string, i: number): Promise<LightMyRequestResponse> =>
      ts.server.http.inject({ method: 'POST', url: '/api/v1/session', payload: { login, password }, remoteAddress: `198.51.100.${i + 1}` });

    it('checks five passwords and locks the other five', async () => {
      const answers = await Promise.all(Array.from({ length: 10 }, (_, i) => signIn('victim', `wrong password ${i}`, i)));
      const codes = answers.map((r) => r.json<{ code: string }>().code).sort();
      expect(codes).toEqual([...Array(5).fill('ACCOUNT_LOCKED'), ...Array(5).fill('UNAUTHENTICATED')]);
      expect(answers.every((r) => r.statusCode === 401)).toBe(true);
      const journalled = (await systemEvents(ts, [2003, 2004])).filter((e) => e.entityData === 'victim, tenantId=');
      expect(journalled.filter((e) => e.event === 2004), 'password checks (LoginUserUnauthorized)').toHaveLength(5);
      expect(journalled.filter((e) => e.event === 2003), 'lock-outs (LoginUserLocked)').toHaveLength(5);
      expect((await signIn('victim', GOOD_PASSWORD, 0)).json().code).toBe('ACCOUNT_LOCKED');
    });
  });
}
