/**
 * The journal page end to end: the real server (pinned clock, temporary SQLite) serving the built
 * page to Debian's Chromium. Seed data: see journal-fixture.ts.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import {
  API_KEY,
  EVENTS_BEFORE_HOUR,
  EVENTS_IN_HOUR,
  FIXED_MS,
  LARGE_ENTITY,
  OPERATION_KEY,
  STACK_TRACE,
  columnTexts,
  eventColumn,
  hasChromium,
  newContext,
  openJournal,
  rowIds,
  screenshot,
  startFixture,
  waitForRows,
} from './journal-fixture.js';
import type { JournalFixture } from './journal-fixture.js';

const SEED_FIELDS = [
  'id',
  'event',
  'entityData',
  'userId',
  'apiCreatedAt',
  'createdAt',
  'signature',
  'text',
  'ip',
  'tenantId',
  'nodeId',
  'operationKey',
  'classifiedEvent',
  'validSignature',
  'eventName',
  'index',
];

const TAMGA_CLI = fileURLToPath(new URL('../../cli/bin/tamga.js', import.meta.url));

const AXE_SOURCE = readFileSync(fileURLToPath(import.meta.resolve('axe-core/axe.min.js')), 'utf8');

/**
 * axe-core's serious and critical violations on the page. The page's CSP forbids inline scripts, so
 * axe is evaluated through the DevTools protocol rather than `addScriptTag({ content })`.
 */
async function seriousViolations(page: Page): Promise<string[]> {
  if (!(await page.evaluate(() => 'axe' in window))) await page.evaluate(AXE_SOURCE);
  const result = await page.evaluate(async () => {
    const axe = (
      window as unknown as {
        axe: {
          run: (
            ctx: Document,
            opts: object,
          ) => Promise<{ violations: { id: string; impact: string; nodes: { target: string[] }[] }[] }>;
        };
      }
    ).axe;
    return axe.run(document, { resultTypes: ['violations'] });
  });
  return result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
}

function paramsOf(page: Page): URLSearchParams {
  return new URL(page.url()).searchParams;
}

const HOUR = 'from=2026-03-10T10:00:00Z&to=2026-03-10T11:00:00Z&not.tenantId=tamga';

/** Clicks "Load more" until every row of the view is shown. */
async function loadAll(page: Page): Promise<void> {
  while ((await page.getByRole('button', { name: 'Load more' }).count()) > 0) {
    const before = (await rowIds(page)).length;
    await page.getByRole('button', { name: 'Load more' }).click();
    await page.waitForFunction((n) => document.querySelectorAll('tr.row').length > n, before);
  }
}

/** The "Showing n of m" total and the histogram's sum of bars. */
async function countAndBars(page: Page): Promise<{ count: number; bars: number }> {
  const title = (await page.locator('#results-title').textContent()) ?? '';
  const bars = await page.$$eval('.histogram-bar', (all) =>
    all.reduce((sum, b) => sum + Number((b as SVGElement).dataset.count), 0),
  );
  return { count: Number(/of (\d+)/.exec(title)?.[1] ?? NaN), bars };
}

/** The texts of the exclusion chips in the filter bar. */
async function exclusionChips(page: Page): Promise<string[]> {
  const chips = page.getByRole('list', { name: 'Excluded' }).locator('li');
  return (await chips.allTextContents()).map((text) => text.replace(/×$/, '').trim());
}

const enabled = hasChromium();

describe.skipIf(!enabled)('journal page', () => {
  let fx: JournalFixture;

  beforeAll(async () => {
    fx = await startFixture();
  });

  afterAll(async () => {
    await fx?.close();
  });

  describe('sign-in', () => {
    it("shows the server's problem detail for a wrong key and opens the journal with the right one", async () => {
      const context = await newContext(fx, { signedIn: false });
      const page = await context.newPage();
      await page.goto('/');
      await page.getByLabel('Login').waitFor();
      await screenshot(page, 'sign-in');
      await page.getByRole('tab', { name: 'API key' }).click();
      await page.getByLabel('API key').fill('tmg_wrong');
      await page.getByRole('button', { name: 'Sign in' }).click();
      await expect(page.getByRole('alert').textContent()).resolves.toContain('UNAUTHENTICATED');
      await page.getByLabel('API key').fill(API_KEY);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await waitForRows(page);
      expect(await rowIds(page)).toHaveLength(100);
      expect(await page.evaluate(() => sessionStorage.getItem('tamga.apiKey'))).toBe(API_KEY);
      await context.close();
    });

    it('says so when the server cannot be reached', async () => {
      const context = await newContext(fx, { signedIn: false });
      const page = await context.newPage();
      await page.goto('/');
      await page.getByLabel('Login').waitFor();
      await page.route('**/api/v1/**', (route) => route.abort('connectionrefused'));
      await page.getByRole('tab', { name: 'API key' }).click();
      await page.getByLabel('API key').fill(API_KEY);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await expect(page.getByRole('alert').textContent()).resolves.toContain('cannot be reached');
      await context.close();
    });
  });

  describe('default view', () => {
    it("shows the server's check of every tenant log in the view, lists it per log, and says what it could not check", async () => {
      const context = await newContext(fx);
      const page = await context.newPage();
      const asked = page.waitForRequest((r) => r.url().includes('/api/v1/logs/verify'));
      await page.goto('/');
      await waitForRows(page);
      // The view's range and tenant filters, and the server's findings of the last five minutes (nothing gives doubt).
      const query = new URL((await asked).url()).searchParams;
      expect(Object.fromEntries(query)).toEqual({ from: '2026-03-10T10:00:00Z', to: '2026-03-10T11:00:00Z', 'not.tenantId': 'tamga', maxAge: '300' });
      const badge = page.locator('.badge.integrity');
      await badge.filter({ hasText: 'Integrity verified' }).waitFor();
      const answer = (await (
        await fetch(`${fx.baseUrl}/api/v1/logs/verify?${HOUR}`, { headers: { authorization: `Bearer ${API_KEY}` } })
      ).json()) as { status: string; logs: { tenant: string; verification: { checked: number } }[] };
      expect(answer.status).toBe('valid');
      // Both tenant logs of the view: the default tenant's and acme's (Tamga's own log is not in the view).
      expect(answer.logs.map((l) => l.tenant)).toEqual(['default', 'acme']);
      const checked = answer.logs.reduce((n, l) => n + l.verification.checked, 0);
      expect(checked).toBeGreaterThanOrEqual(EVENTS_IN_HOUR);
      expect(await badge.textContent()).toBe(`Integrity verified: ${checked} records in 2 logs`);
      await badge.click();
      const panel = page.getByRole('region', { name: 'Integrity of the logs in this view' });
      await expect(panel.locator('.integrity-log').allInnerTexts()).resolves.toEqual([
        expect.stringMatching(/^default\s+seq \d+–\d+\s+verified\s+\d+ records check out$/),
        expect.stringMatching(/^acme\s+seq 0–0\s+verified\s+1 record checks out$/),
      ]);
      await expect(panel.locator('.integrity-when').textContent()).resolves.toMatch(/^Checked by the server at 10\/03\/2026, 13:\d\d:\d\d\.\d{3}\. Parts found valid/);
      expect(await seriousViolations(page)).toEqual([]);
      // Escape closes the list and gives focus back to the badge.
      await panel.getByRole('button', { name: 'Check again now' }).focus();
      await page.keyboard.press('Escape');
      expect(await panel.count()).toBe(0);
      expect(await page.evaluate(() => document.activeElement?.classList.contains('badge-button'))).toBe(true);

      // A log the server did not check is named, with why.
      await page.route('**/api/v1/logs/verify**', (route) =>
        route.fulfill({
          status: 200,
          contentType: 'application/json',
          body: JSON.stringify({
            status: 'incomplete',
            logs: [
              { ...answer.logs[0], coverage: 'verified' },
              { ...answer.logs[1], tenant: 'acme', coverage: 'too-large', verification: null },
            ],
          }),
        }),
      );
      await page.getByRole('button', { name: 'Last 7 days' }).click();
      await waitForRows(page);
      await badge.filter({ hasText: 'Integrity: 1 of 2 logs checked' }).click();
      await panel.getByText('Not checked here: more than 1,000,000 records in this range').waitFor();
      await context.close();
    });

    it('shows the events of the current hour, newest first, with the range in the URL', async () => {
      const context = await newContext(fx);
      const page = await openJournal(context);
      const params = paramsOf(page);
      expect(params.get('from')).toBe('2026-03-10T10:00:00Z');
      expect(params.get('to')).toBe('2026-03-10T11:00:00Z');
      // Tamga's own events (sign-ins, reads, exports of the journal) are kept apart unless asked for.
      expect(params.getAll('not.tenantId')).toEqual(['tamga']);
      expect(await page.getByRole('checkbox', { name: 'Tamga’s own events' }).isChecked()).toBe(false);
      const ids = await rowIds(page);
      expect(ids).toEqual(fx.hour.slice(0, 100).map((r) => r.id));
      expect(await page.locator('#results-title').textContent()).toBe(`Showing 100 of ${EVENTS_IN_HOUR}`);
      const users = await columnTexts(page, 5);
      expect(users).not.toContain('earlier-hour');
      // Local time of the viewer (Moscow, UTC+3): the newest event is 10:39:40.149 UTC.
      expect((await columnTexts(page, 4))[0]).toBe('10/03/2026, 13:39:40.149');
      await screenshot(page, 'journal');
      expect(await seriousViolations(page)).toEqual([]);
      // The page runs under script-src/style-src 'self' without a single violation.
      const errors = (page as Page & { errors?: string[] }).errors ?? [];
      expect(errors.filter((e) => /Content Security Policy|Refused/i.test(e))).toEqual([]);
      await context.close();
    });
  });

  describe('filters', () => {
    it('event type: the catalogue drop-down, searched and grouped by domain, filters by code', async () => {
      const context = await newContext(fx);
      const page = await openJournal(context);
      await page.getByRole('button', { name: /Event type/ }).click();
      await page.getByRole('searchbox', { name: /Search by name/ }).fill('login');
      // Grouped by domain: Login is in "Authorization".
      const group = page.locator('.picker-group', {
        has: page.locator('legend', { hasText: 'Authorization' }),
      });
      await group.getByRole('checkbox', { name: /^Login\b/ }).check();
      await waitForRows(page);
      await group.getByRole('checkbox', { name: /LoginUserUnauthorized\b/ }).check();
      await waitForRows(page);
      await page.keyboard.press('Escape');
      expect(paramsOf(page).getAll('event')).toEqual(['2001', '2004']);
      expect(await eventColumn(page)).toEqual([
        'LoginUserUnauthorized 2004',
        'Login 2001',
        'Login 2001',
        'Login 2001',
      ]);
      await context.close();
    });

    it('user, IP, tenant, class, free text and operation key each narrow the rows', async () => {
      const context = await newContext(fx);
      const page = await openJournal(context);
      const applyField = async (label: string | RegExp, value: string): Promise<void> => {
        await page.getByLabel(label, { exact: true }).fill(value);
        await page.getByRole('button', { name: 'Apply', exact: true }).click();
        await waitForRows(page);
      };
      await applyField('User', 'alice');
      expect(await columnTexts(page, 5)).toEqual(['alice', 'alice', 'alice', 'alice', 'alice']);
      expect(paramsOf(page).get('userId')).toBe('alice');

      await applyField('User', '');
      await applyField('IP', '10.0.0.24');
      expect(await columnTexts(page, 2)).toEqual(['10.0.0.24', '10.0.0.24']);

      await applyField('IP', '');
      await applyField('Tenant', 'acme');
      expect(await columnTexts(page, 3)).toEqual(['acme']);
      expect(await eventColumn(page)).toEqual(['UserCreated 9000']);

      await applyField('Tenant', '');
      await page.getByRole('checkbox', { name: 'Error' }).check();
      await waitForRows(page);
      expect(paramsOf(page).getAll('classifiedEvent')).toEqual(['2']);
      expect(await eventColumn(page)).toEqual([
        'TrainProcessEmergencyShutdown 15101',
        'TrainProcessStartFileStoragePrepareError 15201',
      ]);
      // The class is shown by colour and by icon (with its name for screen readers).
      expect(await page.locator('tr.row.cls-2 .class-icon').count()).toBe(2);
      await page.getByRole('checkbox', { name: 'Error' }).uncheck();
      await waitForRows(page);

      await applyField('Text', 'no space left');
      expect(await columnTexts(page, 6)).toEqual([
        'File storage preparation failed: no space left on device',
      ]);

      await applyField('Text', 'nothing like this anywhere');
      await page.getByRole('heading', { name: 'No events match' }).waitFor();
      expect(await rowIds(page)).toEqual([]);

      await applyField('Text', '');
      await applyField('Operation key', OPERATION_KEY);
      expect(await rowIds(page)).toHaveLength(5);
      expect(await page.locator('#results-title').textContent()).toBe('Showing 5 of 5');
      await context.close();
    });

    it('presets roll with the clock: the URL keeps the preset and reopening it works the range out again', async () => {
      const context = await newContext(fx);
      const page = await openJournal(context);
      await expect(page.locator('#range-zone').textContent()).resolves.toContain('Europe/Moscow (UTC+03:00)');
      await page.getByRole('button', { name: 'Last 15 minutes' }).click();
      await waitForRows(page);
      expect(paramsOf(page).get('from')).toBe('2026-03-10T10:35:01Z');
      expect(paramsOf(page).get('to')).toBe('2026-03-10T10:50:01Z');
      expect(paramsOf(page).get('range')).toBe('15m');
      expect(await page.getByRole('button', { name: 'Last 15 minutes' }).getAttribute('aria-pressed')).toBe('true');
      // 10:35:01..10:39:40 holds the last 24 OCR requests (five a minute, every 10 s).
      expect(await rowIds(page)).toHaveLength(24);
      // The same link opened two minutes later shows the 15 minutes before then.
      const twoMinutesOn = await newContext(fx);
      await twoMinutesOn.clock.setFixedTime(FIXED_MS + 2 * 60_000);
      const later = await openJournal(twoMinutesOn, new URL(page.url()).search);
      expect(paramsOf(later).get('from')).toBe('2026-03-10T10:37:01Z');
      expect(await rowIds(later)).toHaveLength(14);
      await twoMinutesOn.close();
      await page.getByRole('button', { name: 'Last 7 days' }).click();
      await waitForRows(page);
      expect(await page.locator('#results-title').textContent()).toBe(`Showing 100 of ${EVENTS_IN_HOUR + EVENTS_BEFORE_HOUR}`);
      await context.close();
    });

    it('date fields are one tab stop each and take a typed local time, and say the format when it is wrong', async () => {
      const context = await newContext(fx);
      const page = await openJournal(context);
      const from = page.getByLabel('From', { exact: true });
      await from.focus();
      await page.keyboard.press('Tab');
      expect(await page.evaluate(() => document.activeElement?.id)).toBe('range-to');
      expect(await from.inputValue()).toBe('2026-03-10 13:00:00');
      await from.fill('2026-03-10 13:30');
      await page.getByRole('button', { name: 'Apply', exact: true }).click();
      await waitForRows(page);
      expect(paramsOf(page).get('from')).toBe('2026-03-10T10:30:00Z');
      await from.fill('10.03.2026');
      await page.getByRole('button', { name: 'Apply', exact: true }).click();
      await expect(page.getByRole('alert').textContent()).resolves.toContain('Enter dates as 2026-03-10 13:00');
      expect(await from.getAttribute('aria-invalid')).toBe('true');
      await context.close();
    });
  });

  describe('a record', () => {
    it('expands to every seed 002 field, with the valid-signature badge, copy and permalink', async () => {
      const context = await newContext(fx);
      const page = await openJournal(context, '/?from=2026-03-10T10:05:00Z&to=2026-03-10T10:06:00Z');
      expect(await rowIds(page)).toHaveLength(1);
      await page.locator('tr.row').first().click();
      const detail = page.locator('.record-detail');
      await detail.waitFor();
      const fields = await detail.locator('dl.fields').first().locator('dt').allTextContents();
      expect(fields).toEqual(SEED_FIELDS);
      const value = (name: string) => detail.locator(`[data-field="${name}"] dd code`).first().textContent();
      expect(await value('event')).toBe('2001');
      expect(await value('entityData')).toBe('"logs, tenantId="');
      expect(await value('userId')).toBe('null');
      expect(await value('ip')).toBe('"10.0.0.24"');
      expect(await value('classifiedEvent')).toBe('3');
      expect(await value('validSignature')).toBe('true');
      expect(await value('eventName')).toBe('"Login"');
      expect(await value('index')).toBe('1');
      expect(await value('createdAt')).toBe('"2026-03-10T10:05:01.293000Z"');
      expect(await detail.locator('[data-field="seq"]').count()).toBe(1);
      expect(await detail.locator('[data-field="sigKid"]').count()).toBe(1);
      await expect(detail.locator('.badge').getAttribute('data-integrity')).resolves.toBe('valid');
      await expect(detail.locator('.badge').textContent()).resolves.toBe('Signature valid');
      await page
        .locator('#results')
        .evaluate((el) => scrollTo({ top: el.getBoundingClientRect().top + scrollY - 70 }));
      await screenshot(page, 'expanded-record');
      expect(await seriousViolations(page)).toEqual([]);

      // Copy puts the record's JSON on the clipboard.
      await context.grantPermissions(['clipboard-read', 'clipboard-write']);
      await detail.getByRole('button', { name: 'Copy JSON' }).click();
      await detail.getByText('Copied').waitFor();
      const copied = JSON.parse(await page.evaluate(() => navigator.clipboard.readText())) as Record<
        string,
        unknown
      >;
      expect(Object.keys(copied).slice(0, SEED_FIELDS.length)).toEqual(SEED_FIELDS);
      expect(copied.id).toBe((await rowIds(page))[0]);

      // Clicking a value filters by it.
      await detail.getByRole('button', { name: 'Show only ip = "10.0.0.24"' }).click();
      await waitForRows(page);
      expect(paramsOf(page).get('ip')).toBe('10.0.0.24');

      // The permalink opens that one record, also in a fresh tab.
      await page.goto('/?from=2026-03-10T10:05:00Z&to=2026-03-10T10:06:00Z');
      await waitForRows(page);
      const id = (await rowIds(page))[0]!;
      await page.locator('tr.row').first().click();
      await page.getByRole('link', { name: 'Permalink' }).click();
      expect(paramsOf(page).get('id')).toBe(id);
      const fresh = await context.newPage();
      await fresh.goto(`/?id=${id}`);
      await fresh.locator('.record-detail').waitFor();
      await expect(fresh.locator('[data-field="id"] dd code').textContent()).resolves.toBe(`"${id}"`);
      await context.close();
    });

    it('on its permalink page, verifies the record against its log and gives its receipt, which tamga verify-receipt checks', async () => {
      const context = await newContext(fx);
      const record = fx.hour.find((r) => r.event === 9000)!;
      const page = await context.newPage();
      await page.goto(`/?id=${record.id}`);
      await page.locator('.record-detail').waitFor();
      await page.getByRole('button', { name: 'Verify this record' }).click();
      const result = page.locator('.record-evidence-result');
      await result.getByText('Verified by the server at').waitFor();
      expect(await result.textContent()).toMatch(
        /^Verified by the server at 10\/03\/2026, 13:50:00\.000: the signature and payload of seq 0 check out, and its log rebuilds the root of the newest signed checkpoint through it\.$/,
      );
      const [download] = await Promise.all([
        page.waitForEvent('download'),
        page.getByRole('button', { name: 'Download receipt' }).click(),
      ]);
      expect(download.suggestedFilename()).toBe(`tamga-receipt-${record.id}.json`);
      await result.getByText(`Verify it without the server: npx tamga verify-receipt tamga-receipt-${record.id}.json`).waitFor();
      const file = join(mkdtempSync(join(tmpdir(), 'tamga-receipt-')), download.suggestedFilename());
      await download.saveAs(file);
      const checked = spawnSync(process.execPath, [TAMGA_CLI, 'verify-receipt', file], { encoding: 'utf8' });
      expect(checked.status, checked.stdout + checked.stderr).toBe(0);
      expect(await seriousViolations(page)).toEqual([]);
      await screenshot(page, 'record-verified');
      await context.close();
    });

    it('opens its operation as a timeline of every event in time order', async () => {
      const context = await newContext(fx);
      const page = await openJournal(context, `/?from=2026-03-10T10:00:00Z&to=2026-03-10T10:01:00Z`);
      await page.locator('tr.row').first().click();
      await page.getByRole('link', { name: 'Open operation' }).click();
      await page.locator('ol.timeline').waitFor();
      expect(paramsOf(page).get('view')).toBe('operation');
      const titles = await page.locator('.timeline-title strong').allTextContents();
      expect(titles).toEqual([
        'TrainProcessSendToStart',
        'TrainProcessStarted',
        'TrainProcessStartPipeline',
        'TrainProcessStartFileStoragePrepareError',
        'TrainProcessEmergencyShutdown',
      ]);
      const deltas = await page.locator('.timeline-delta').allTextContents();
      expect(deltas[0]).toBe('+0 ms');
      expect(deltas[4]).toBe('+14.9 s');
      await page.getByRole('button', { name: 'Details', exact: true }).nth(3).click();
      await page.locator('.timeline .record-detail').waitFor();
      await screenshot(page, 'operation');
      expect(await seriousViolations(page)).toEqual([]);
      // Back goes to the journal as it was.
      await page.goBack();
      await waitForRows(page);
      expect(paramsOf(page).get('from')).toBe('2026-03-10T10:00:00Z');
      await context.close();
    });
  });

  describe('exclusions', () => {
    it('excludes values from an expanded record, shows them as chips, and the URL reproduces the view', async () => {
      const afterUser = fx.hour.filter((r) => r.userId !== 'svc-ocr').length;
      const afterIp = fx.hour.filter((r) => r.userId !== 'svc-ocr' && r.ip !== '10.0.0.24').length;
      expect(afterIp).toBeLessThan(afterUser);
      expect(afterUser).toBeLessThan(EVENTS_IN_HOUR);
      const context = await newContext(fx);
      const page = await openJournal(context);

      // The newest row is an OCR request of svc-ocr.
      await page.locator('tr.row').first().click();
      await page
        .locator('.record-detail')
        .getByRole('button', { name: 'Exclude userId = "svc-ocr"', exact: true })
        .click();
      await waitForRows(page);
      expect(paramsOf(page).getAll('not.userId')).toEqual(['svc-ocr']);
      await page
        .getByRole('heading', { name: `Showing ${afterUser} of ${afterUser}`, exact: true })
        .waitFor();
      expect(await rowIds(page)).toHaveLength(afterUser);
      expect(await columnTexts(page, 5)).not.toContain('svc-ocr');
      expect(await exclusionChips(page)).toEqual(['≠ userId: svc-ocr']);
      // The histogram counts the same records as the table.
      expect(await countAndBars(page)).toEqual({ count: afterUser, bars: afterUser });

      await page
        .locator('tr.row', { has: page.locator('td.col-ip', { hasText: /^10\.0\.0\.24$/ }) })
        .first()
        .click();
      await page
        .locator('.record-detail')
        .getByRole('button', { name: 'Exclude ip = "10.0.0.24"', exact: true })
        .click();
      await waitForRows(page);
      expect(paramsOf(page).getAll('not.ip')).toEqual(['10.0.0.24']);
      await page.getByRole('heading', { name: `Showing ${afterIp} of ${afterIp}`, exact: true }).waitFor();
      expect(await columnTexts(page, 2)).not.toContain('10.0.0.24');
      expect(await exclusionChips(page)).toEqual(['≠ userId: svc-ocr', '≠ ip: 10.0.0.24']);
      await screenshot(page, 'journal-exclusions');
      expect(await seriousViolations(page)).toEqual([]);

      // A copied URL reproduces the view, chips included.
      const ids = await rowIds(page);
      const copy = await context.newPage();
      await copy.goto(page.url());
      await waitForRows(copy);
      expect(await rowIds(copy)).toEqual(ids);
      expect(await exclusionChips(copy)).toEqual(['≠ userId: svc-ocr', '≠ ip: 10.0.0.24']);
      await copy.close();

      // Back and forward step through the exclusions.
      await page.goBack();
      await waitForRows(page);
      expect(paramsOf(page).getAll('not.ip')).toEqual([]);
      await page
        .getByRole('heading', { name: `Showing ${afterUser} of ${afterUser}`, exact: true })
        .waitFor();
      expect(await exclusionChips(page)).toEqual(['≠ userId: svc-ocr']);
      await page.goForward();
      await waitForRows(page);
      await page.getByRole('heading', { name: `Showing ${afterIp} of ${afterIp}`, exact: true }).waitFor();
      expect(paramsOf(page).getAll('not.ip')).toEqual(['10.0.0.24']);

      // The chips' remove buttons are reached by keyboard, show their focus, and apply at once.
      await page.getByLabel('Text', { exact: true }).focus();
      await page.keyboard.press('Tab');
      const focused = (): Promise<string | null> =>
        page.evaluate(() => document.activeElement?.getAttribute('aria-label') ?? null);
      expect(await focused()).toBe('Remove exclusion userId = "svc-ocr"');
      await page.keyboard.press('Enter');
      await waitForRows(page);
      expect(paramsOf(page).getAll('not.userId')).toEqual([]);
      expect(paramsOf(page).getAll('not.ip')).toEqual(['10.0.0.24']);
      expect(await exclusionChips(page)).toEqual(['≠ ip: 10.0.0.24']);
      // Focus moves to the next chip's button, visibly.
      expect(await focused()).toBe('Remove exclusion ip = "10.0.0.24"');
      expect(await page.evaluate(() => getComputedStyle(document.activeElement!).outlineStyle)).toBe('solid');
      await page.keyboard.press('Enter');
      await waitForRows(page);
      expect([...paramsOf(page).keys()]).toEqual(['from', 'to', 'not.tenantId']);
      await page.getByRole('heading', { name: `Showing 100 of ${EVENTS_IN_HOUR}`, exact: true }).waitFor();
      expect(await rowIds(page)).toEqual(fx.hour.slice(0, 100).map((r) => r.id));
      expect(await page.getByRole('list', { name: 'Excluded' }).count()).toBe(0);
      await context.close();
    });

    it('"Exclude" on the filtered value ends that filter; "Show only" keeps the other exclusions', async () => {
      const context = await newContext(fx);
      const page = await openJournal(context, `/?${HOUR}&ip=10.0.0.24&not.event=2004`);
      expect(await columnTexts(page, 2)).toEqual(['10.0.0.24', '10.0.0.24']);
      await page.locator('tr.row').first().click();
      await page.getByRole('button', { name: 'Exclude ip = "10.0.0.24"', exact: true }).click();
      await waitForRows(page);
      expect(paramsOf(page).get('ip')).toBeNull();
      expect(paramsOf(page).getAll('not.ip')).toEqual(['10.0.0.24']);
      expect(paramsOf(page).getAll('not.event')).toEqual(['2004']);
      await page.locator('tr.row').first().click();
      await page.getByRole('button', { name: 'Show only event = 100', exact: true }).click();
      await waitForRows(page);
      expect(paramsOf(page).getAll('event')).toEqual(['100']);
      // Showing only event 100 keeps the unrelated exclusions.
      expect(await exclusionChips(page)).toEqual(['≠ event: LoginUserUnauthorized 2004', '≠ ip: 10.0.0.24']);
      await context.close();
    });

    it('exports exactly the view with its exclusions', async () => {
      const context = await newContext(fx);
      const page = await openJournal(context, `/?${HOUR}&not.userId=alice&not.classifiedEvent=3&order=asc`);
      await loadAll(page);
      const shown = await rowIds(page);
      const expected = fx.hour.filter((r) => r.userId !== 'alice' && r.classifiedEvent !== 3).length;
      expect(shown).toHaveLength(expected);
      await page.getByRole('heading', { name: `Showing ${expected} of ${expected}`, exact: true }).waitFor();
      expect(await countAndBars(page)).toEqual({ count: expected, bars: expected });
      const [ndjson] = await Promise.all([
        page.waitForEvent('download'),
        page.getByRole('button', { name: 'Export NDJSON' }).click(),
      ]);
      const lines = readFileSync((await ndjson.path())!, 'utf8')
        .trimEnd()
        .split('\n')
        .map((l) => JSON.parse(l) as { id: string; userId: string | null; classifiedEvent: number });
      expect(lines.map((r) => r.id)).toEqual(shown);
      expect(lines.filter((r) => r.userId === 'alice' || r.classifiedEvent === 3)).toEqual([]);
      await context.close();
    });

    it('keeps exclusions through the operation view, whose journal rows end an exclusion of its key', async () => {
      const context = await newContext(fx);
      const page = await context.newPage();
      await page.goto(
        `/?view=operation&operationKey=${OPERATION_KEY}&${HOUR}&not.operationKey=${OPERATION_KEY}&not.ip=10.0.0.99`,
      );
      await page.locator('ol.timeline').waitFor();
      // The timeline is every event of the operation: the journal's exclusions do not apply to it.
      expect(await page.locator('.timeline-item').count()).toBe(5);
      await page.getByRole('button', { name: 'Show as journal rows' }).click();
      await waitForRows(page);
      expect(paramsOf(page).get('operationKey')).toBe(OPERATION_KEY);
      expect(paramsOf(page).getAll('not.operationKey')).toEqual([]);
      expect(paramsOf(page).getAll('not.ip')).toEqual(['10.0.0.99']);
      expect(await rowIds(page)).toHaveLength(5);
      await context.close();
    });
  });

  describe('histogram', () => {
    it('narrows the range when dragged across', async () => {
      const context = await newContext(fx);
      const page = await openJournal(context);
      // One bar a minute; each bar counts that minute's events (5 a minute of OCR requests from 10:10).
      const counts = await page.$$eval('.histogram-bar', (bars) =>
        bars.map((b) => Number((b as SVGElement).dataset.count)),
      );
      expect(counts).toHaveLength(60);
      expect(counts.reduce((a, b) => a + b, 0)).toBe(EVENTS_IN_HOUR);
      expect(counts.slice(0, 12)).toEqual([5, 0, 0, 0, 0, 1, 1, 1, 1, 1, 5, 5]);
      const box = (await page.getByTestId('histogram').boundingBox())!;
      // The hour in 1-minute buckets: drag from the 11th to the 20th minute.
      await page.mouse.move(box.x + box.width * (10.5 / 60), box.y + box.height / 2);
      await page.mouse.down();
      await page.mouse.move(box.x + box.width * (15 / 60), box.y + box.height / 2, { steps: 4 });
      await page.mouse.move(box.x + box.width * (19.5 / 60), box.y + box.height / 2, { steps: 4 });
      await page.mouse.up();
      await waitForRows(page);
      expect(paramsOf(page).get('from')).toBe('2026-03-10T10:10:00Z');
      expect(paramsOf(page).get('to')).toBe('2026-03-10T10:20:00Z');
      expect(await rowIds(page)).toHaveLength(50);
      await context.close();
    });
  });

  describe('paging, URL and export', () => {
    it('says when more events arrived between the rows and the count, and reloads to show them', async () => {
      // A minute no other test looks at, so the counts elsewhere stay exact.
      const view = '/?from=2025-01-01T00:00:00Z&to=2025-01-01T00:01:00Z';
      const append = (second: number): Promise<Response> =>
        fetch(`${fx.baseUrl}/api/v1/events`, {
          method: 'POST',
          headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' },
          body: JSON.stringify({ event: 2001, userId: `late-${second}`, createdAt: `2025-01-01T00:00:${second}Z` }),
        });
      expect((await append(10)).status).toBe(201);
      const context = await newContext(fx);
      const page = await context.newPage();
      // An event arrives after the rows were read and before the count is: as with a busy journal.
      let arrived = false;
      await page.route('**/api/v1/events/stats**', async (route) => {
        if (!arrived) {
          arrived = true;
          expect((await append(20)).status).toBe(201);
        }
        await route.continue();
      });
      await page.goto(view);
      await waitForRows(page);
      expect(await rowIds(page)).toHaveLength(1);
      await page.getByText('1 more arrived after these rows were loaded.').waitFor();
      await page.getByRole('button', { name: 'Reload the view' }).click();
      await page.waitForFunction(() => document.querySelectorAll('tr.row').length === 2);
      await waitForRows(page);
      expect(await columnTexts(page, 5)).toEqual(['late-20', 'late-10']);
      await expect(page.getByText('more arrived after').count()).resolves.toBe(0);
      await context.close();
    });

    it('loads more rows with the cursor until all are shown', async () => {
      const context = await newContext(fx);
      const page = await openJournal(context);
      await page.getByRole('button', { name: 'Load more' }).click();
      await page.waitForFunction(() => document.querySelectorAll('tr.row').length === 160);
      expect(await rowIds(page)).toEqual(fx.hour.map((r) => r.id));
      await expect(page.getByText(`All events are shown (${EVENTS_IN_HOUR}).`).count()).resolves.toBe(1);
      await context.close();
    });

    it('reproduces the view from a copied URL, and back/forward restore filters', async () => {
      const context = await newContext(fx);
      const page = await openJournal(context);
      await page.getByLabel('User', { exact: true }).fill('svc-ocr');
      await page.getByRole('button', { name: 'Apply', exact: true }).click();
      await waitForRows(page);
      await page.getByRole('button', { name: /Created at/ }).click();
      await waitForRows(page);
      const url = page.url();
      const ids = await rowIds(page);
      expect(paramsOf(page).get('order')).toBe('asc');
      const copy = await context.newPage();
      await copy.goto(url);
      await waitForRows(copy);
      expect(await rowIds(copy)).toEqual(ids);
      await expect(copy.getByLabel('User', { exact: true }).inputValue()).resolves.toBe('svc-ocr');

      await page.goBack();
      await waitForRows(page);
      expect(paramsOf(page).get('order')).toBeNull();
      await page.goBack();
      await waitForRows(page);
      expect(paramsOf(page).get('userId')).toBeNull();
      // aria-busy may still be false from the previous view when the navigation lands: wait for the rows.
      const expected = fx.hour.slice(0, 100).map((r) => r.id);
      await page.waitForFunction(
        ([first, n]) =>
          document.querySelectorAll('tr.row').length === n &&
          document.querySelector('tr.row')?.getAttribute('data-id') === first,
        [expected[0], expected.length] as const,
      );
      expect(await rowIds(page)).toEqual(expected);
      await expect(page.getByLabel('User', { exact: true }).inputValue()).resolves.toBe('');
      await page.goForward();
      await waitForRows(page);
      expect(paramsOf(page).get('userId')).toBe('svc-ocr');
      await context.close();
    });

    it('exports exactly the current view as NDJSON and CSV', async () => {
      const context = await newContext(fx);
      const page = await openJournal(
        context,
        `/?${HOUR}&classifiedEvent=1&order=asc`,
      );
      while ((await page.getByRole('button', { name: 'Load more' }).count()) > 0) {
        const before = (await rowIds(page)).length;
        await page.getByRole('button', { name: 'Load more' }).click();
        await page.waitForFunction((n) => document.querySelectorAll('tr.row').length > n, before);
      }
      const shown = await rowIds(page);
      // Information events: all but 2 errors and 4 security incidents.
      expect(shown).toHaveLength(EVENTS_IN_HOUR - 6);

      const [ndjson] = await Promise.all([
        page.waitForEvent('download'),
        page.getByRole('button', { name: 'Export NDJSON' }).click(),
      ]);
      expect(ndjson.suggestedFilename()).toBe('tamga-events-20260310T100000Z-20260310T110000Z.ndjson');
      const lines = readFileSync((await ndjson.path())!, 'utf8')
        .trimEnd()
        .split('\n')
        .map((l) => JSON.parse(l) as { id: string; index: number });
      expect(lines.map((r) => r.id)).toEqual(shown);
      expect(lines.map((r) => r.index)).toEqual(shown.map((_, i) => i + 1));

      const [csv] = await Promise.all([
        page.waitForEvent('download'),
        page.getByRole('button', { name: 'Export CSV' }).click(),
      ]);
      const text = readFileSync((await csv.path())!, 'utf8');
      expect(text.startsWith('\uFEFFindex,id,event,eventName,classifiedEvent,createdAt')).toBe(true);
      const csvIds = text
        .replace(/^\uFEFF/, '')
        .trimEnd()
        .split('\r\n')
        .slice(1)
        .map((l) => l.split(',')[1]);
      expect(csvIds).toEqual(shown);
      await page.getByText(`Exported ${shown.length} records; the export is journalled.`).waitFor();
      // The server made both files and journalled each, with the caller and the IP.
      const exported = await fetch(`${fx.baseUrl}/api/v1/events?tenantId=tamga&event=32000&${HOUR.replace('&not.tenantId=tamga', '')}&order=asc`, {
        headers: { authorization: `Bearer ${API_KEY}` },
      });
      const journalled = (await exported.json()) as { items: { ip: string; userId: string; entityData: { format: string; records: number } }[] };
      expect(journalled.items.slice(-2).map((e) => [e.entityData.format, e.entityData.records, e.ip, e.userId])).toEqual([
        ['ndjson', shown.length, '127.0.0.1', 'bootstrap-admin'],
        ['csv', shown.length, '127.0.0.1', 'bootstrap-admin'],
      ]);
      await context.close();
    });
  });

  describe('optional server features', () => {
    it('offers the live control: the server answers the stream probe with text/event-stream', async () => {
      const context = await newContext(fx);
      const page = await context.newPage();
      const probe = page.waitForResponse((r) => r.url().includes('/api/v1/events/stream'));
      await page.goto('/');
      const answer = await probe;
      expect(answer.status()).toBe(200);
      expect(answer.headers()['content-type']).toMatch(/^text\/event-stream/);
      await waitForRows(page);
      await expect(page.getByRole('button', { name: 'Live: off' }).count()).resolves.toBe(1);
      await context.close();
    });

    it('appends streamed events live once the server answers text/event-stream', async () => {
      const context = await newContext(fx);
      const live = {
        ...fx.hour[0]!,
        id: '019cd75e-0000-7000-8000-000000000001',
        createdAt: '2026-03-10T10:49:59.000000Z',
      };
      await context.route('**/api/v1/events/stream**', (route) =>
        route.fulfill({
          status: 200,
          contentType: 'text/event-stream',
          body: `: hello\n\ndata: ${JSON.stringify(live)}\n\n`,
        }),
      );
      const page = await openJournal(context);
      await page.getByRole('button', { name: 'Live: off' }).click();
      await page.waitForFunction(
        (id) => document.querySelector('tr.row')?.getAttribute('data-id') === id,
        live.id,
      );
      expect(await page.locator('#results-title').textContent()).toBe(`Showing 101 of ${EVENTS_IN_HOUR + 1}`);
      await context.close();
    });
  });

  describe('live stream resume', () => {
    it('opens a dropped stream again with the last id as Last-Event-ID and shows what it sends, once', async () => {
      const context = await newContext(fx);
      const [first, second] = [1, 2].map((i) => ({
        ...fx.hour[0]!,
        id: `019cd75e-0000-7000-8000-00000000001${i}`,
        createdAt: `2026-03-10T10:49:5${i}.000000Z`,
      }));
      const asked: string[] = [];
      await context.route('**/api/v1/events/stream**', (route) => {
        const lastEventId = route.request().headers()['last-event-id'] ?? '';
        asked.push(lastEventId);
        // A fresh stream: the starting cursor, one record, then the connection drops. Resumed from it: the record
        // that arrived meanwhile. Resumed again: the server is gone for a while.
        if (lastEventId === '') {
          return route.fulfill({
            status: 200,
            contentType: 'text/event-stream',
            body: `retry: 50\n\nid: c0\n\nid: c1\ndata: ${JSON.stringify(first)}\n\n`,
          });
        }
        if (lastEventId === 'c1') {
          return route.fulfill({ status: 200, contentType: 'text/event-stream', body: `id: c2\ndata: ${JSON.stringify(second)}\n\n` });
        }
        return route.fulfill({ status: 503, contentType: 'application/problem+json', body: '{"code":"STORE_UNAVAILABLE"}' });
      });
      const page = await openJournal(context);
      await page.getByRole('button', { name: 'Live: off' }).click();
      await page.waitForFunction(
        ([a, b]) => {
          const ids = Array.from(document.querySelectorAll('tr.row'))
            .slice(0, 2)
            .map((r) => r.getAttribute('data-id'));
          return ids[0] === b && ids[1] === a;
        },
        [first!.id, second!.id],
      );
      expect(asked).toContain('c1');
      await expect.poll(() => asked).toContain('c2');
      // After five failed reconnects in a row, live mode gives up and says so.
      await page.getByRole('button', { name: 'Live: off' }).waitFor({ timeout: 5000 });
      expect(await page.locator('#results-title').textContent()).toBe(`Showing 102 of ${EVENTS_IN_HOUR + 2}`);
      await context.close();
    });
  });

  describe('language, theme and keyboard', () => {
    it('switches to Russian and remembers it; Russian browsers start in Russian', async () => {
      const context = await newContext(fx);
      const page = await openJournal(context);
      await page.getByRole('button', { name: 'RU', exact: true }).click();
      await expect(page.locator('thead th').allTextContents()).resolves.toEqual([
        'Событие',
        'IP',
        'Тенант',
        'Дата создания ↓',
        'Пользователь',
        'Text',
        'EntityData',
      ]);
      expect(await page.evaluate(() => document.documentElement.lang)).toBe('ru');
      await page.reload();
      await waitForRows(page);
      await expect(page.locator('#results-title').textContent()).resolves.toBe(
        `Показано 100 из ${EVENTS_IN_HOUR}`,
      );
      await context.close();

      const ru = await newContext(fx, { locale: 'ru-RU', colorScheme: 'dark' });
      const ruPage = await openJournal(ru);
      await expect(ruPage.getByRole('button', { name: 'Применить' }).count()).resolves.toBe(1);
      expect((await columnTexts(ruPage, 4))[0]).toBe('10.03.2026, 13:39:40,149');
      expect(await ruPage.evaluate(() => document.documentElement.dataset.theme)).toBe('dark');
      await screenshot(ruPage, 'journal-ru-dark');
      expect(await seriousViolations(ruPage)).toEqual([]);
      await ru.close();
    });

    it('works by keyboard alone: Tab to a row, Enter expands it, Escape collapses it, and focus is visible everywhere', async () => {
      const context = await newContext(fx);
      const page = await openJournal(context, `/?${HOUR}&tenantId=acme,default&operationKey=${OPERATION_KEY}`);
      // Every stop of the Tab order, from the top of the page to the last row, shows where focus is.
      const invisible: string[] = [];
      let onRow = 0;
      for (let i = 0; i < 120 && onRow < 5; i++) {
        await page.keyboard.press('Tab');
        const stop = await page.evaluate(() => {
          const el = document.activeElement as HTMLElement;
          const style = getComputedStyle(el);
          const marked = style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 2;
          const label = `${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ''}.${el.className} "${(el.textContent ?? '').trim().slice(0, 30)}"`;
          return { marked, label, isRow: el.classList.contains('row-toggle') };
        });
        if (!stop.marked) invisible.push(stop.label);
        if (stop.isRow) onRow++;
      }
      expect(invisible).toEqual([]);
      // One Tab stop per row: five rows, five stops.
      expect(onRow).toBe(5);
      await page.keyboard.press('Shift+Tab');
      await page.keyboard.press('Enter');
      const detail = page.locator('.record-detail');
      await detail.waitFor();
      // Escape from inside the record collapses it and puts focus back on its row.
      await detail.getByRole('button', { name: 'Copy JSON' }).focus();
      await page.keyboard.press('Escape');
      await expect(detail.count()).resolves.toBe(0);
      expect(await page.evaluate(() => document.activeElement?.classList.contains('row-toggle'))).toBe(true);
      await page.keyboard.press('Space');
      await detail.waitFor();
      await page.keyboard.press('Space');
      await expect(detail.count()).resolves.toBe(0);
      await context.close();
    });
  });

  describe('long values, clocks that disagree, narrow screens', () => {
    const BEFORE = 'from=2026-03-10T09:00:00Z&to=2026-03-10T10:00:00Z';

    it('shows the whole value of a cut cell on hover and on focus, and a stack trace as its lines', async () => {
      const context = await newContext(fx);
      const page = await openJournal(context, `/?${BEFORE}`);
      const row = page.locator('tr.row', { hasText: 'alice' });
      const tip = page.getByRole('tooltip');
      await row.locator('td.col-entity').hover();
      await tip.waitFor();
      expect(JSON.parse((await tip.textContent())!)).toEqual(LARGE_ENTITY);
      await page.mouse.move(0, 0);
      await expect(tip.isHidden()).resolves.toBe(true);
      // By keyboard: from the row, the arrow keys move to its long values, whose whole value shows on focus.
      await row.locator('.row-toggle').focus();
      await page.keyboard.press('ArrowRight');
      expect(await page.evaluate(() => (document.activeElement as HTMLElement).dataset.col)).toBe('text');
      await expect(tip.textContent()).resolves.toBe(STACK_TRACE);
      expect(await page.evaluate(() => getComputedStyle(document.activeElement!).outlineStyle)).toBe('solid');
      await page.keyboard.press('ArrowRight');
      expect(JSON.parse((await tip.textContent())!)).toEqual(LARGE_ENTITY);
      await page.keyboard.press('Escape');
      await expect(tip.isHidden()).resolves.toBe(true);
      await page.keyboard.press('ArrowLeft');
      await page.keyboard.press('ArrowLeft');
      await page.keyboard.press('Enter');
      // In the record, the stack trace is its lines, and the large entityData takes the record's whole width.
      const detail = page.locator('.record-detail');
      await detail.waitFor();
      const lines = (await detail.locator('[data-field="text"] pre').innerText()).split('\n');
      expect(lines).toEqual(STACK_TRACE.split('\n'));
      const [record, entity] = await Promise.all([detail.boundingBox(), detail.locator('[data-field="entityData"]').boundingBox()]);
      expect(entity!.width).toBeGreaterThan(record!.width * 0.9);
      await detail.locator('[data-field="text"]').scrollIntoViewIfNeeded();
      await screenshot(page, 'long-values');
      expect(await seriousViolations(page)).toEqual([]);
      await context.close();
    });

    it('flags an event received long after it happened, in the row and in the record, and says why', async () => {
      const context = await newContext(fx);
      const page = await openJournal(context, `/?${HOUR}&event=2004`);
      const flag = page.locator('tr.row .time-gap');
      await expect(flag.getAttribute('aria-label')).resolves.toBe('Received 22 min 58 s after it happened');
      // Events received at once carry no flag.
      expect(await page.locator('.time-gap').count()).toBe(1);
      await page.locator('tr.row').first().click();
      await expect(page.locator('[data-field="apiCreatedAt"] .value-note').textContent()).resolves.toBe(
        'Received 22 min 58 s after it happened. More than 5 minutes apart (the clock skew Kerberos accepts): the event was held back or back-dated, or its source clock is off',
      );
      await context.close();
    });

    it('fits a phone: the filters fold, the first rows are on the first screen, and a record reads without sideways scrolling', async () => {
      const context = await newContext(fx, { viewport: { width: 375, height: 812 } });
      const page = await openJournal(context);
      const toggle = page.getByRole('button', { name: /^Filters/ });
      expect(await toggle.getAttribute('aria-expanded')).toBe('false');
      expect(await page.getByLabel('User', { exact: true }).isVisible()).toBe(false);
      const first = (await page.locator('tr.row').nth(1).boundingBox())!;
      expect(first.y + first.height).toBeLessThan(812);
      await screenshot(page, 'journal-narrow');
      await page.locator('tr.row .row-toggle').first().click();
      await page.locator('.record-detail').waitFor();
      await page.locator('.record-detail').scrollIntoViewIfNeeded();
      expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(375);
      await screenshot(page, 'expanded-record-narrow');
      await toggle.click();
      await page.getByLabel('User', { exact: true }).waitFor();
      expect(await seriousViolations(page)).toEqual([]);
      await context.close();
    });
  });

  describe('live mode', () => {
    it('says why it cannot follow a view, instead of a dead button', async () => {
      const context = await newContext(fx);
      const page = await openJournal(context, `/?${HOUR}&order=asc`);
      const live = page.getByRole('button', { name: 'Live: off' });
      // aria-disabled, not disabled: it stays focusable and clickable, and answers with the reason.
      expect(await live.getAttribute('aria-disabled')).toBe('true');
      await live.click({ force: true });
      await expect(page.locator('#live-why').textContent()).resolves.toBe('Live adds new events at the top: sort newest first to follow them.');
      expect(await live.getAttribute('aria-pressed')).toBe('false');
      const past = await openJournal(context, '/?from=2026-03-10T08:00:00Z&to=2026-03-10T09:00:00Z');
      await past.getByRole('button', { name: 'Live: off' }).click({ force: true });
      await expect(past.locator('#live-why').textContent()).resolves.toContain('This range has ended');
      await context.close();
    });

    it('follows a rolling range as the clock moves: older rows leave, new ones join', async () => {
      const context = await newContext(fx);
      const page = await openJournal(context, '/?range=15m&not.tenantId=tamga');
      expect(await rowIds(page)).toHaveLength(24);
      await page.getByRole('button', { name: 'Live: off' }).click();
      await page.getByRole('button', { name: 'Live: on' }).waitFor();
      // Two minutes later (the page moves its range every 10 s), and one new event arrives.
      await context.clock.setFixedTime(FIXED_MS + 2 * 60_000);
      fx.clock.now = FIXED_MS + 2 * 60_000;
      const posted = await fetch(`${fx.baseUrl}/api/v1/events`, {
        method: 'POST',
        headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' },
        body: JSON.stringify({ event: 100, tenantId: 'globex', userId: 'svc-live', createdAt: '2026-03-10T10:51:30Z' }),
      });
      fx.clock.now = FIXED_MS;
      expect(posted.status).toBe(201);
      await page.waitForFunction(() => document.querySelector('tr.row .col-user')?.textContent === 'svc-live', undefined, { timeout: 15_000 });
      // The rows of 10:35–10:37 left with the range's start: 14 OCR requests and the new event remain.
      await page.waitForFunction(() => document.querySelectorAll('tr.row').length === 15, undefined, { timeout: 15_000 });
      await expect(page.locator('.rolling-range').textContent()).resolves.toBe('Moving with the clock: 10 Mar, 13:37 – 10 Mar, 13:52');
      expect(paramsOf(page).get('range')).toBe('15m');
      await context.close();
    });
  });

  // Last: a successful export journals JournalExported at the pinned "now" (10:50, inside the viewed hour), so
  // the row counts the tests above expect would change after it.
  describe('evidence bundle', () => {
    it("is offered for one tenant's log only, and a failure says why and saves nothing", async () => {
      const context = await newContext(fx);
      const several = await openJournal(context, `/?${HOUR}&tenantId=default,acme`);
      const button = several.getByRole('button', { name: 'Evidence bundle' });
      expect(await button.getAttribute('aria-disabled')).toBe('true');
      await button.click({ force: true });
      await expect(several.locator('.export-status').textContent()).resolves.toBe(
        "An evidence bundle covers one tenant's log; this view shows several (default, acme). Filter by a single tenant to download one.",
      );
      await several.close();

      const page = await openJournal(context, `/?${HOUR}&tenantId=nosuch`);
      let downloads = 0;
      page.on('download', () => downloads++);
      await page.getByRole('button', { name: 'Evidence bundle' }).click();
      await page.locator('.export-status', { hasText: 'Export failed' }).waitFor();
      expect(await page.locator('.export-status').textContent()).toBe(
        'Export failed: This tenant has no events yet, or you may not see it.',
      );

      // A stream cut before its end line is reported, not saved.
      await page.route('**/api/v1/logs/*/export**', (route) =>
        route.fulfill({
          status: 200,
          contentType: 'application/x-ndjson',
          body: '{"type":"manifest","format":"tamga-bundle/1"}\n{"type":"keys"}\n{"seq":1,"canonical":"e30="}\n',
        }),
      );
      await page.getByRole('button', { name: 'Evidence bundle' }).click();
      await page.locator('.export-status', { hasText: 'cut short' }).waitFor();
      expect(downloads).toBe(0);
      await context.close();
    });

    it("downloads the tenant's log over the view's range, checked to its end line, and says how to verify it", async () => {
      const context = await newContext(fx);
      // A filtered view of the default tenant: the bundle is the smallest seq range covering its time range.
      const page = await openJournal(context, `/?${HOUR}&tenantId=default&not.userId=svc-ocr`);
      const shown = await rowIds(page);
      expect(shown.length).toBeGreaterThan(0);
      const [download] = await Promise.all([
        page.waitForEvent('download'),
        page.getByRole('button', { name: 'Evidence bundle' }).click(),
      ]);
      const file = 'tamga-evidence-default-20260310T100000Z-20260310T110000Z.ndjson';
      expect(download.suggestedFilename()).toBe(file);
      const lines = readFileSync((await download.path())!, 'utf8')
        .trimEnd()
        .split('\n');
      const manifest = JSON.parse(lines[0]!) as { type: string; range: { from: number; to: number } };
      expect(manifest.type).toBe('manifest');
      const records = lines
        .filter((l) => l.startsWith('{"seq":'))
        .map((l) => JSON.parse(l) as { seq: number; canonical: string });
      expect(JSON.parse(lines.at(-1)!)).toEqual({ type: 'end', records: records.length });
      // One contiguous seq range, the manifest's.
      expect(records.map((r) => r.seq)).toEqual(
        Array.from({ length: manifest.range.to - manifest.range.from }, (_, i) => manifest.range.from + i),
      );
      // It holds every record of the view, and exactly the default tenant's events of the hour.
      const ids = records.map(
        (r) => (JSON.parse(Buffer.from(r.canonical, 'base64').toString('utf8')) as { id: string }).id,
      );
      expect(ids).toEqual(expect.arrayContaining(shown));
      expect(records).toHaveLength(fx.hour.filter((r) => r.tenantId === null).length);
      await page.locator('.export-status', { hasText: 'tamga verify' }).waitFor();
      expect(await page.locator('.export-status').textContent()).toBe(
        `Saved ${records.length} records. Verify offline: npx tamga verify ${file}`,
      );
      await context.close();
    });
  });
});
