/**
 * The catalogue does not hold up the journal's first rows (issue #11, "the catalogue cacheable … and not blocking the
 * first rows"): with `GET /api/v1/catalog` held back in Chromium, the rows render from what the records carry (code
 * and name), and the catalogue's descriptions join them once it answers.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_KEY, hasChromium, newContext, startFixture, waitForRows } from './journal-fixture.js';
import type { JournalFixture } from './journal-fixture.js';

const enabled = hasChromium();

describe.skipIf(!enabled)('journal page and a slow catalogue', () => {
  let fx: JournalFixture;

  beforeAll(async () => {
    fx = await startFixture();
  });

  afterAll(async () => {
    await fx?.close();
  });

  it('shows the first rows before the catalogue answers, and its descriptions once it does', async () => {
    const newest = fx.hour[0]!;
    const catalogue = (await (
      await fetch(`${fx.baseUrl}/api/v1/catalog`, { headers: { authorization: `Bearer ${API_KEY}` } })
    ).json()) as { items: { code: number; name: string; description: { en: string } | string }[] };
    const entry = catalogue.items.find((i) => i.code === newest.event)!;
    const description = typeof entry.description === 'string' ? entry.description : entry.description.en;
    expect(description).not.toBe('');

    const context = await newContext(fx);
    try {
      const page = await context.newPage();
      let release: () => void = () => undefined;
      const held = new Promise<void>((resolve) => (release = resolve));
      let asked = 0;
      let answered = false;
      await page.route(
        (url) => url.pathname === '/api/v1/catalog',
        async (route) => {
          asked++;
          await held;
          await route.continue();
          answered = true;
        },
      );
      await page.goto('/');
      await waitForRows(page);

      // The rows are there while the catalogue request is still held: code and name from the records themselves.
      expect(asked).toBeGreaterThan(0);
      expect(answered).toBe(false);
      expect(await page.locator('tr.row').count()).toBe(Math.min(100, fx.hour.length));
      const first = page.locator('tr.row').first().locator('.row-toggle');
      expect((await first.locator('.code').textContent())?.trim()).toBe(String(newest.event));
      expect((await first.locator('.event-name').textContent())?.trim()).toBe(entry.name);
      expect(await first.getAttribute('title')).toBeNull();

      release();
      await page.waitForFunction(
        (want) => document.querySelector('tr.row .row-toggle')?.getAttribute('title') === want,
        description,
        { timeout: 10_000 },
      );
      expect(answered).toBe(true);
    } finally {
      await context.close();
    }
  });
});
