/**
 * The journal page and retention (issue #14): a view that starts before the earliest record a tenant keeps says that
 * the records before it were purged by the retention policy, and names the policy; the badge stays valid.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  API_KEY,
  FIXED_MS,
  appendAsReceived,
  hasChromium,
  newContext,
  openJournal,
  screenshot,
  startFixture,
} from './journal-fixture.js';
import type { JournalFixture } from './journal-fixture.js';

const DAY = 86_400_000;

/** Sign-ins of tenant initech: six from ten days before the fixed time, four from yesterday. */
function initechEvents(): Record<string, unknown>[] {
  return [...Array.from({ length: 6 }, (_, i) => FIXED_MS - 10 * DAY + i * 60_000), ...Array.from({ length: 4 }, (_, i) => FIXED_MS - DAY + i * 60_000)].map(
    (at, i) => ({ event: 2001, tenantId: 'initech', userId: `user${i}`, createdAt: new Date(at).toISOString(), entityData: { login: `user${i}` } }),
  );
}

describe.skipIf(!hasChromium())('the journal page after a retention purge', () => {
  let fx: JournalFixture;

  beforeAll(async () => {
    fx = await startFixture();
    await appendAsReceived(fx.baseUrl, fx.clock, initechEvents(), FIXED_MS);
    await fx.server.checkpointer.signPending();
    const call = async (method: string, path: string, body?: unknown): Promise<unknown> => {
      const res = await fetch(`${fx.baseUrl}${path}`, {
        method,
        headers: { authorization: `Bearer ${API_KEY}`, ...(body !== undefined && { 'content-type': 'application/json' }) },
        ...(body !== undefined && { body: JSON.stringify(body) }),
      });
      if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
      return res.json();
    };
    await call('PUT', '/api/v1/tenants/initech/retention', { keepDays: { '1': 3, '2': 3, '3': 3, '4': null } });
    const purged = (await call('POST', '/api/v1/tenants/initech/retention/purge')) as { purge: { to: number } | null };
    expect(purged.purge?.to, JSON.stringify(purged)).toBe(6);
  });

  afterAll(async () => {
    await fx?.close();
  });

  it('says which records were purged and by which policy, with a valid badge', async () => {
    const context = await newContext(fx);
    const from = new Date(FIXED_MS - 30 * DAY).toISOString();
    const to = new Date(FIXED_MS + 60_000).toISOString();
    const page = await openJournal(context, `/?from=${from}&to=${to}&tenantId=initech`);
    const note = page.locator('.purged-note');
    await note.waitFor({ timeout: 10_000 });
    const text = (await note.textContent()) ?? '';
    // The newest purged record: ten days before the fixed time + 5 min, 13:55 in Europe/Moscow; the earliest kept:
    // yesterday 13:50.
    expect(text).toMatch(/^Records of initech created up to 28\/02\/2026, 13:55:00.000 were purged by the retention policy/);
    expect(text).toContain('(Information: 3 d, Error: 3 d, Security incident: 3 d, Correction: kept forever)');
    expect(text).toMatch(/the earliest kept is from 09\/03\/2026, 13:50/);
    expect(await page.locator('.badge-button.integrity').getAttribute('data-tone')).toBe('valid');
    expect(await page.locator('tr.row').count()).toBe(4);
    await screenshot(page, 'retention-purged-note');

    // A view inside what is kept says nothing.
    const recent = await openJournal(context, `/?from=${new Date(FIXED_MS - 2 * DAY).toISOString()}&to=${to}&tenantId=initech`);
    await recent.waitForSelector('.badge-button.integrity', { timeout: 10_000 });
    expect(await recent.locator('.purged-note').count()).toBe(0);
    await context.close();
  });
});
