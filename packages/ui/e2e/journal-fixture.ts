/**
 * End-to-end fixture: builds the page if needed, starts the real Tamga server on a temporary data
 * directory with a pinned clock, seeds a known hour of events, and launches Debian's Chromium.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { createTamgaServer, loadConfig } from '@tamga/server';
import type { TamgaServer } from '@tamga/server';

export const API_KEY = 'tmg_e2e_test_key';
export const CHROMIUM = '/usr/bin/chromium';
/** "Now" for server and browser: 2026-03-10 10:50:00 UTC. The current hour is 10:00–11:00 UTC. */
export const FIXED_MS = Date.UTC(2026, 2, 10, 10, 50, 0);
/** The viewer's zone (UTC+3 all year), so local times in assertions are deterministic. */
export const TIME_ZONE = 'Europe/Moscow';

const UI_DIR = fileURLToPath(new URL('..', import.meta.url));
const DIST = join(UI_DIR, 'dist');
/**
 * Where {@link screenshot} writes: docs/screenshots when `TAMGA_UPDATE_SCREENSHOTS=1` (`npm run screenshots`),
 * else a directory under the OS temp dir, so an ordinary test run still renders every screenshot but leaves the
 * working tree clean.
 */
export const SCREENSHOT_DIR =
  process.env.TAMGA_UPDATE_SCREENSHOTS === '1'
    ? fileURLToPath(new URL('../../../docs/screenshots/', import.meta.url))
    : join(tmpdir(), 'tamga-ui-screenshots');

const at = (hh: number, mm: number, ss: number, ms = 0): string =>
  new Date(Date.UTC(2026, 2, 10, hh, mm, ss, ms)).toISOString();

/** The training operation of the seed data: its key and its events in time order. */
export const OPERATION_KEY = 'train-7f3a9c';

/** A stack trace, the multi-line `text` of an error event (seed 003's ERROR records look like this). */
export const STACK_TRACE = [
  'java.lang.IllegalStateException: Model store is read-only',
  '\tat ai.server.train.Storage.prepare(Storage.java:118)',
  '\tat ai.server.train.Pipeline.start(Pipeline.java:64)',
  '\tat ai.server.train.Worker.run(Worker.java:41)',
  'Caused by: java.io.IOException: No space left on device',
  '\tat java.base/java.io.FileOutputStream.writeBytes(Native Method)',
].join('\n');

/** A large entityData: the full configuration of a training run. */
export const LARGE_ENTITY = {
  processId: 43,
  model: 'invoices-v4',
  dataset: {
    id: 'ds-2026-03',
    rows: 184_220,
    columns: ['supplier', 'amount', 'currency', 'date', 'vat', 'iban'],
  },
  hyperparameters: {
    epochs: 40,
    batchSize: 64,
    learningRate: 0.0003,
    warmupSteps: 500,
    dropout: 0.1,
    seed: 1234,
  },
  storage: { path: '/var/lib/ai/train/43', quotaBytes: 53_687_091_200, usedBytes: 53_687_091_200 },
  nodes: ['gpu-01.dc1.example', 'gpu-02.dc1.example', 'gpu-03.dc1.example'],
};

/** Events of the fixed hour, and one of the hour before (which the default range must not show). */
export function seedEvents(): Record<string, unknown>[] {
  const events: Record<string, unknown>[] = [
    {
      event: 2001,
      createdAt: at(9, 30, 0),
      userId: 'earlier-hour',
      ip: '10.0.0.99',
      entityData: 'logs, tenantId=',
    },
    // Long values, also in the hour before: a stack trace and a large entityData.
    {
      event: 15201,
      createdAt: at(9, 40, 0),
      userId: 'alice',
      ip: '10.0.0.5',
      text: STACK_TRACE,
      entityData: LARGE_ENTITY,
    },
    // One training operation, from "sent to start" to an emergency shutdown.
    {
      event: 15004,
      createdAt: at(10, 0, 5, 120),
      userId: 'alice',
      ip: '10.0.0.5',
      operationKey: OPERATION_KEY,
      entityData: { processId: 42 },
    },
    {
      event: 15005,
      createdAt: at(10, 0, 7, 450),
      userId: 'alice',
      ip: '10.0.0.5',
      operationKey: OPERATION_KEY,
      entityData: { processId: 42 },
    },
    {
      event: 15100,
      createdAt: at(10, 0, 9, 0),
      userId: 'alice',
      ip: '10.0.0.5',
      operationKey: OPERATION_KEY,
      entityData: { processId: 42, stage: 'pipeline' },
    },
    {
      event: 15201,
      createdAt: at(10, 0, 12, 300),
      userId: 'alice',
      ip: '10.0.0.5',
      operationKey: OPERATION_KEY,
      text: 'File storage preparation failed: no space left on device',
      entityData: { processId: 42, path: '/var/lib/ai/train/42' },
    },
    {
      event: 15101,
      createdAt: at(10, 0, 20, 0),
      userId: 'alice',
      ip: '10.0.0.5',
      operationKey: OPERATION_KEY,
      text: 'Emergency shutdown',
      entityData: { processId: 42 },
    },
    // Seed 002's own example: the service account `logs` logs in (no userId yet).
    { event: 2001, createdAt: at(10, 5, 1, 293), ip: '10.0.0.24', entityData: 'logs, tenantId=' },
    { event: 2001, createdAt: at(10, 6, 30), ip: '10.0.0.24', entityData: 'logs, tenantId=' },
    { event: 2001, createdAt: at(10, 7, 45), ip: '10.0.0.31', entityData: 'auditor, tenantId=' },
    {
      event: 2004,
      createdAt: at(10, 8, 2),
      // Held in its producer's spool while Tamga was unreachable: received 23 minutes after it happened.
      receivedAt: at(10, 31, 0),
      ip: '203.0.113.9',
      text: 'Wrong password for user "mallory"',
      entityData: 'mallory, tenantId=',
    },
    // Another tenant.
    {
      event: 9000,
      createdAt: at(10, 9, 0),
      userId: 'bob',
      ip: '10.20.0.7',
      tenantId: 'acme',
      entityData: { login: 'carol', roles: ['auditor'] },
    },
  ];
  // Enough OCR requests for "load more" (page size 100).
  for (let i = 0; i < 150; i++) {
    events.push({
      event: 100,
      createdAt: at(10, 10 + Math.floor(i / 5), (i % 5) * 10, i),
      userId: 'svc-ocr',
      ip: `10.0.1.${(i % 20) + 1}`,
      entityData: { requestId: `req-${String(i).padStart(3, '0')}`, model: 'invoices-v3' },
    });
  }
  return events;
}

/** Number of seeded events inside the fixed hour. */
export const EVENTS_IN_HOUR = 160;

/** Number of seeded events in the hour before it. */
export const EVENTS_BEFORE_HOUR = 2;

/**
 * Appends `events` one by one with the server's clock at each event's `receivedAt` (default: 150 ms after its
 * `createdAt`), so `apiCreatedAt` is as it would be in a live system; then sets the clock back to `after`.
 */
export async function appendAsReceived(
  baseUrl: string,
  clock: { now: number },
  events: readonly Record<string, unknown>[],
  after: number,
): Promise<void> {
  const timed = events
    .map(({ receivedAt, ...event }) => ({
      event,
      at:
        receivedAt === undefined ? Date.parse(String(event.createdAt)) + 150 : Date.parse(String(receivedAt)),
    }))
    .sort((a, b) => a.at - b.at);
  for (const { event, at } of timed) {
    clock.now = at;
    const response = await fetch(`${baseUrl}/api/v1/events`, {
      method: 'POST',
      headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify(event),
    });
    if (response.status !== 201)
      throw new Error(`seeding failed: ${response.status} ${await response.text()}`);
  }
  clock.now = after;
}

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

/** Builds `packages/ui/dist` when it is missing or older than the sources. */
export function ensureBuilt(): void {
  const index = join(DIST, 'index.html');
  const sources = Math.max(newestMtime(join(UI_DIR, 'src')), statSync(join(UI_DIR, 'index.html')).mtimeMs);
  if (existsSync(index) && statSync(index).mtimeMs >= sources) return;
  execFileSync(
    process.execPath,
    [join(UI_DIR, '../../node_modules/vite/bin/vite.js'), 'build', '--logLevel', 'warn'],
    {
      cwd: UI_DIR,
      stdio: 'inherit',
      // vitest sets NODE_ENV=test, which would make a development build (source paths in the script).
      env: { ...process.env, NODE_ENV: 'production' },
    },
  );
}

/** True when Chromium is installed; in CI its absence is an error, elsewhere a loud skip. */
export function hasChromium(): boolean {
  if (existsSync(CHROMIUM)) return true;
  if (process.env.CI === 'true')
    throw new Error(`Chromium is required for the UI end-to-end tests in CI: ${CHROMIUM} is missing`);
  console.warn(
    `\n!!! ${CHROMIUM} is missing: SKIPPING the journal page end-to-end tests (apt-get install -y chromium) !!!\n`,
  );
  return false;
}

/** A record of the fixed hour as the API returns it (the fields the tests count by). */
export interface HourRecord {
  readonly id: string;
  readonly createdAt: string;
  readonly event: number;
  readonly classifiedEvent: number;
  readonly userId: string | null;
  readonly ip: string | null;
  /** `null`: the default tenant. */
  readonly tenantId: string | null;
}

/** A running server with seed data and a browser. */
export interface JournalFixture {
  readonly server: TamgaServer;
  readonly baseUrl: string;
  /** The server's clock (ms); tests may move it, and set it back to {@link FIXED_MS}. */
  readonly clock: { now: number };
  readonly browser: Browser;
  /** Seeded records as the API returns them (default range), newest first. */
  readonly hour: readonly HourRecord[];
  close(): Promise<void>;
}

/** The administrator's first password in the fixture (`TAMGA_ADMIN_PASSWORD`). */
export const ADMIN_PASSWORD = 'first password 0001';

/**
 * Starts the fixture's server and browser. `searchIndex: false` runs the server without its text index (searches scan
 * every record, and the answer says so): the page's note about a lagging index.
 */
export async function startFixture({ journalReads = false, searchIndex = true } = {}): Promise<JournalFixture> {
  ensureBuilt();
  const dataDir = mkdtempSync(join(tmpdir(), 'tamga-ui-e2e-'));
  // First start journals UserCreated for `admin`: 30 days early, outside every preset, so the counts stay exact.
  const clock = { now: FIXED_MS - 30 * 86_400_000 };
  const server = await createTamgaServer(
    loadConfig({
      TAMGA_DATA_DIR: dataDir,
      TAMGA_ADMIN_API_KEY: API_KEY,
      TAMGA_ADMIN_PASSWORD: ADMIN_PASSWORD,
    }),
    {
      now: () => clock.now,
      uiDir: DIST,
      // Reads of the journal are journalled in the seeded hour; the page tests count rows, so only the
      // password sign-in test (its own server) keeps them.
      journalReads,
      searchIndex,
    },
  );
  const address = await server.http.listen({ host: '127.0.0.1', port: 0 });
  const baseUrl = address.replace('localhost', '127.0.0.1');
  await appendAsReceived(baseUrl, clock, seedEvents(), FIXED_MS);
  const list = await fetch(`${baseUrl}/api/v1/events?limit=1000`, {
    headers: { authorization: `Bearer ${API_KEY}` },
  });
  const hour = ((await list.json()) as { items: HourRecord[] }).items;
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
  return {
    server,
    baseUrl,
    clock,
    browser,
    hour,
    async close() {
      await browser.close();
      await server.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** A browser context at the fixed time, in {@link TIME_ZONE}, with `lang` as the browser language. */
export async function newContext(
  fixture: JournalFixture,
  {
    signedIn = true,
    locale = 'en-GB',
    colorScheme = 'light' as 'light' | 'dark',
    viewport = { width: 1440, height: 900 },
  } = {},
): Promise<BrowserContext> {
  const context = await fixture.browser.newContext({
    baseURL: fixture.baseUrl,
    locale,
    timezoneId: TIME_ZONE,
    colorScheme,
    viewport,
    acceptDownloads: true,
  });
  await context.clock.setFixedTime(FIXED_MS);
  if (signedIn) {
    await context.addInitScript((key: string) => {
      if (sessionStorage.getItem('tamga.apiKey') === null) sessionStorage.setItem('tamga.apiKey', key);
    }, API_KEY);
  }
  return context;
}

/** Opens `path` and waits until the first page of rows (or the empty/error state) is shown. */
export async function openJournal(context: BrowserContext, path = '/'): Promise<Page> {
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  (page as Page & { errors?: string[] }).errors = errors;
  await page.goto(path);
  await waitForRows(page);
  return page;
}

/** Waits for the table to settle (not loading). */
export async function waitForRows(page: Page): Promise<void> {
  // A filter change starts its load in an effect, which Preact runs after the next paint: let that happen
  // first, or a still-false aria-busy from the previous view would pass for the new one.
  await page.evaluate(
    () =>
      new Promise<void>((resolve) =>
        requestAnimationFrame(() => requestAnimationFrame(() => setTimeout(resolve, 0))),
      ),
  );
  await page.waitForSelector('#results[aria-busy="false"]', { timeout: 10_000 });
  // The count and histogram load after the rows; a journal view is complete once they are drawn.
  await page.waitForFunction(() => document.querySelector('.histogram.is-loading') === null, undefined, {
    timeout: 10_000,
  });
}

/** Ids of the rows in the table, top to bottom. */
export async function rowIds(page: Page): Promise<string[]> {
  return page.$$eval('tr.row', (rows) => rows.map((r) => (r as HTMLElement).dataset.id ?? ''));
}

/** Texts of one column (1-based) of the table. */
export async function columnTexts(page: Page, column: number): Promise<string[]> {
  return page.$$eval(`tr.row > td:nth-child(${column})`, (cells) =>
    cells.map((c) => (c.textContent ?? '').trim()),
  );
}

/** The Event column as `name code`, top to bottom. */
export async function eventColumn(page: Page): Promise<string[]> {
  return page.$$eval('tr.row .row-toggle', (buttons) =>
    buttons.map(
      (b) =>
        `${b.querySelector('.event-name')?.textContent ?? ''} ${b.querySelector('.code')?.textContent ?? ''}`,
    ),
  );
}

/** Saves a screenshot as `<name>.png` in {@link SCREENSHOT_DIR}. */
export async function screenshot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(SCREENSHOT_DIR, `${name}.png`), fullPage: false });
}
