/**
 * The journal page's search, end to end in Chromium against the real server: Cyrillic and Latin text found in any
 * case, the user filter's suggestions (userId and the login seed 002's Login keeps in entityData), the sign-ins of a
 * user found by the user filter, and the note when the text index lags.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import {
  API_KEY,
  columnTexts,
  eventColumn,
  hasChromium,
  newContext,
  openJournal,
  screenshot,
  startFixture,
  waitForRows,
} from './journal-fixture.js';
import type { JournalFixture } from './journal-fixture.js';

const enabled = hasChromium();

async function addEvents(fx: JournalFixture, events: Record<string, unknown>[]): Promise<void> {
  const response = await fetch(`${fx.baseUrl}/api/v1/events`, {
    method: 'POST',
    headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify(events),
  });
  expect(response.status).toBe(201);
}

async function applyField(page: Page, label: string, value: string): Promise<void> {
  await page.getByLabel(label, { exact: true }).fill(value);
  await page.getByRole('button', { name: 'Apply', exact: true }).click();
  await waitForRows(page);
}

/** The values the user field's suggestion list offers, once it offers `expected`. */
async function suggestionsFor(page: Page, typed: string, expected: string[]): Promise<string[]> {
  await page.getByLabel('User', { exact: true }).fill(typed);
  await page.waitForFunction(
    (want) => {
      const values = [...document.querySelectorAll('#f-user-suggestions option')].map((o) => (o as HTMLOptionElement).value);
      return JSON.stringify(values) === JSON.stringify(want);
    },
    expected,
    { timeout: 5000 },
  );
  return page.$$eval('#f-user-suggestions option', (options) => options.map((o) => (o as HTMLOptionElement).value));
}

describe.skipIf(!enabled)('journal page search', () => {
  let fx: JournalFixture;

  beforeAll(async () => {
    fx = await startFixture();
    await addEvents(fx, [
      { event: 9000, createdAt: '2026-03-10T10:40:00Z', userId: 'ivanov', text: 'Ошибка входа: неверный пароль' },
      { event: 9000, createdAt: '2026-03-10T10:41:00Z', userId: 'ivanov', entityData: { reason: 'ОШИБКА сети' } },
      { event: 2001, createdAt: '2026-03-10T10:42:00Z', entityData: { login: 'Ivan.Petrov', tenantId: null } },
    ]);
  });

  afterAll(async () => {
    await fx?.close();
  });

  it('finds a Russian word in any case, in text and in entityData', async () => {
    const context = await newContext(fx);
    const page = await openJournal(context);
    for (const word of ['ошибка', 'ОШИБКА', 'Ошибка']) {
      await applyField(page, 'Text', word);
      expect(await eventColumn(page)).toEqual(['UserCreated 9000', 'UserCreated 9000']);
      expect(new URL(page.url()).searchParams.get('q')).toBe(word);
    }
    await screenshot(page, 'search-cyrillic-any-case');
    await applyField(page, 'Text', 'НЕВЕРНЫЙ ПАРОЛЬ');
    expect(await columnTexts(page, 6)).toEqual(['Ошибка входа: неверный пароль']);
    // Fewer than three characters: the page says what the server wants, and shows no stale rows.
    await page.getByLabel('Text', { exact: true }).fill('ош');
    await page.getByRole('button', { name: 'Apply', exact: true }).click();
    const invalid = await page.getByLabel('Text', { exact: true }).evaluate((input) => (input as HTMLInputElement).validity.tooShort);
    expect(invalid).toBe(true);
    await context.close();
  });

  it('suggests users while typing, sign-in logins included, and the user filter finds their sign-ins', async () => {
    const context = await newContext(fx);
    const page = await openJournal(context);
    // `logs` signs in with userId null (seed 002): the catalogue names entityData's login as the subject.
    expect(await suggestionsFor(page, 'lo', ['logs'])).toEqual(['logs']);
    expect(await suggestionsFor(page, 'Iv', ['Ivan.Petrov'])).toEqual(['Ivan.Petrov']);
    expect(await suggestionsFor(page, 'iv', ['ivanov'])).toEqual(['ivanov']);
    await applyField(page, 'User', 'logs');
    expect(await eventColumn(page)).toContain('Login 2001');
    await applyField(page, 'User', 'Ivan.Petrov');
    expect(await eventColumn(page)).toEqual(['Login 2001']);
    expect(new URL(page.url()).searchParams.get('userId')).toBe('Ivan.Petrov');
    await context.close();
  });

  describe('with the text index behind', () => {
    let lagging: JournalFixture;
    beforeAll(async () => {
      lagging = await startFixture({ searchIndex: false });
    });
    afterAll(async () => {
      await lagging?.close();
    });

    it('says how far behind it is, and still finds every record', async () => {
      const context = await newContext(lagging);
      const page = await openJournal(context);
      await applyField(page, 'Text', 'no space left');
      expect(await columnTexts(page, 6)).toEqual(['File storage preparation failed: no space left on device']);
      await expect
        .poll(() => page.getByRole('status').filter({ hasText: /Search index [\d,\u00a0]+ (s|min|h) behind: the newest \d+ records were searched without it/ }).count())
        .toBe(1);
      await screenshot(page, 'search-index-behind');
      await context.close();
    });
  });
});
