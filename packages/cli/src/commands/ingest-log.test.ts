/**
 * `tamga ingest-log` as a user meets it: log files on disk, a Tamga server listening on loopback, the command run
 * with its arguments. The follow scenarios with rotation and kill -9 are in ingest-log-e2e.test.ts.
 */
import { createHash } from 'node:crypto';
import { appendFileSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_API_KEY } from '../../../server/src/test-support/test-server.js';
import { errorRecord, rightLine, runIngestLog, startListeningServer, storedEvents, waitUntil } from '../test-support/ingest-log-helpers.js';
import type { ListeningServer } from '../test-support/ingest-log-helpers.js';

const work = mkdtempSync(join(tmpdir(), 'tamga-ingest-log-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
let server: ListeningServer;
beforeAll(async () => {
  server = await startListeningServer();
});
afterAll(async () => server.t.close());

const seedLog = readFileSync(new URL('../../../core/src/platform-log/testdata/seed-003.log', import.meta.url));
const seedCodes = JSON.parse(readFileSync(new URL('../../../core/src/platform-log/testdata/seed-003-codes.json', import.meta.url), 'utf8')) as Record<string, number>;
const HOUR_AGO = new Date(Date.now() - 3_600_000);

/** A directory holding `files` (name → content), written an hour ago (so their last records are complete). */
function logDir(name: string, files: Record<string, string | Buffer>): string {
  const dir = join(work, name);
  mkdirSync(dir, { recursive: true });
  for (const [file, content] of Object.entries(files)) {
    writeFileSync(join(dir, file), content);
    utimesSync(join(dir, file), HOUR_AGO, HOUR_AGO);
  }
  return dir;
}

const common = (tenant: string, state: string): string[] => ['--url', server.url, '--api-key', TEST_API_KEY, '--tenant', tenant, '--state', join(work, state), '--timezone', 'Europe/Moscow', '--progress', '0'];

describe('tamga ingest-log on every example of seed 003', () => {
  let dir: string;
  beforeAll(() => {
    dir = logDir('seed', { 'web.log': seedLog });
  });

  it('stores each record once under its code, with exit status 0', async () => {
    const run = await runIngestLog([...common('seed', 'seed.json'), dir]);
    expect(run.err).toContain('Read 255 lines, 86 records; sent 86 events: 86 stored now, 0 already stored.');
    expect(run.code).toBe(0);
    const events = await storedEvents(server.t, 'seed');
    expect(events.map((e) => [e.entityData.log.line, e.event])).toEqual(Object.entries(seedCodes).map(([line, code]) => [Number(line), code]));
    expect(events.every((e) => e.integrity === 'valid')).toBe(true);
  });

  it('stores every field of a record: sign-in', async () => {
    const login = (await storedEvents(server.t, 'seed')).find((e) => e.entityData.log.line === 1)!;
    expect(login).toMatchObject({
      event: 31000,
      eventName: 'PlatformUserLogin',
      classifiedEvent: 3,
      userId: 'username',
      ip: '10.20.30.40',
      createdAt: '2023-11-30T11:00:00.000000Z',
      sessionId: '00000000-0000-0000-0000-000000000000',
      outcome: 'success',
      text: 'Builtin: user logged in',
      request: { url: 'http://platform.example.com/Home/Login/?returnUrl=/', status: 200, durationMs: 137 },
      source: { system: 'business-platform' },
      entityData: { log: { file: join(dir, 'web.log'), line: 1, offset: 0, time: '2023-11-30T14:00:00.000+03:00' }, level: 'INFO', status: 'OK', duration: '00:00:00.137', captured: { method: 'Builtin' } },
    });
  });

  it('stores every field of a record: a failed account deletion with its sections and stack', async () => {
    const failed = (await storedEvents(server.t, 'seed')).find((e) => e.event === 31103)!;
    expect(failed).toMatchObject({
      classifiedEvent: 2,
      outcome: 'failure',
      userId: 'username',
      ip: '10.20.30.40',
      text: 'Вы не можете удалить свой аккаунт',
      request: { durationMs: 137 },
      source: { system: 'business-platform', component: 'Core', version: '4.7.2311.1' },
      entityData: { level: 'ERROR', host: 'platform.example.com', port: 8080, service: 'AccountService', method: 'Delete', parameters: [['account.1', 'account.2']] },
    });
    expect(failed.entityData['stack']).toMatch(/^at Comindware\.Platform\.Core\.Services\.AccountService\.Delete[\s\S]*ExceptionsInterceptor\.Intercept/);
  });

  it('stores every field of a record: the start-up record and an adapter event', async () => {
    const events = await storedEvents(server.t, 'seed');
    expect(events.find((e) => e.entityData.log.line === 206)).toMatchObject({
      event: 31400,
      userId: 'systemAccount',
      text: 'Comindware Business Application Platform has started.',
      source: { version: '4.7.2311.1' },
      entityData: { details: { Server: 'SERVERNAME', Timezone: 'Europe/Moscow', 'Config path': 'E:\\instancename\\Config', 'Application authentication': 'Anonymous' } },
    });
    expect(events.find((e) => e.entityData.log.line === 254)).toMatchObject({ event: 31406, text: 'Meta is ready for XxxSenderAdapter.', source: { component: 'ServiceName' }, entityData: { context: { 'Platform key': 'XXX_AdapterAgent5b28ad88a4cb4d4f8078c4deef1ee08b' } } });
  });

  it('stores nothing new when the same files are ingested again, with the state or without it', async () => {
    const again = await runIngestLog([...common('seed', 'seed.json'), dir]);
    expect(again.err).toContain('Read 0 lines, 0 records; sent 0 events');
    expect(again.code).toBe(0);
    const fresh = await runIngestLog([...common('seed', 'seed-fresh.json'), dir]);
    expect(fresh.err).toContain('sent 86 events: 0 stored now, 86 already stored.');
    expect(await storedEvents(server.t, 'seed')).toHaveLength(86);
  });

  it('does not read its state file when it sits among the logs under a matching name', async () => {
    const own = logDir('own-state', { 'web.log': rightLine(1) });
    const args = ['--url', server.url, '--api-key', TEST_API_KEY, '--tenant', 'own-state', '--state', join(own, 'web.log.state'), '--progress', '0', own];
    expect((await runIngestLog(args)).code).toBe(0);
    writeFileSync(join(own, 'web.log'), rightLine(2), { flag: 'a' });
    utimesSync(join(own, 'web.log'), HOUR_AGO, HOUR_AGO);
    const second = await runIngestLog(args);
    expect(second.err).toContain('Read 1 lines, 1 records; sent 1 events: 1 stored now');
    expect((await storedEvents(server.t, 'own-state')).map((e) => e.userId)).toEqual(['user1', 'user2']);
  });

  it('prints the events as NDJSON and sends nothing with --dry-run', async () => {
    const run = await runIngestLog(['--dry-run', '--tenant', 'dry', '--timezone', 'Europe/Moscow', dir]);
    expect(run.code).toBe(0);
    const lines = run.out.trimEnd().split('\n').map((l) => JSON.parse(l) as { event: number; tenantId: string });
    expect(lines.map((e) => e.event)).toEqual(Object.values(seedCodes));
    expect(lines[0]!.tenantId).toBe('dry');
    expect(await storedEvents(server.t, 'dry')).toHaveLength(0);
  });
});

describe('tamga ingest-log on bad input', () => {
  let run: Awaited<ReturnType<typeof runIngestLog>>;
  let events: Awaited<ReturnType<typeof storedEvents>>;
  // A role created with a 10 MB body: cut to its head, it still reads as a role creation.
  const huge = `2023-11-30 10:00:09,000 INFO 00000000-0000-0000-0000-000000000000 user9 10.0.0.9 http://platform.example.com/api/RolesCollectionApi/Post   'POST: "{"role":{"Name":"${'x'.repeat(10 * 1024 * 1024)}"}}"' ''\n`;
  const line4 = rightLine(4);
  const cutAt = line4.indexOf('Role4') + 5;
  beforeAll(async () => {
    const dir = logDir('bad', {
      // Starts mid-record (lines without a record start), has a broken time stamp, invalid UTF-8, a 10 MB record,
      // CRLF line ends and a BOM; every record after each of them must still arrive.
      'web.log': Buffer.concat([
        Buffer.from([0xef, 0xbb, 0xbf]),
        Buffer.from(`  at Comindware.Platform.Frame () [0x0] in <x>:0\n '\n${rightLine(1)}`),
        Buffer.from(rightLine(2).replace('2023-11-30 10:00:02,000', '-MM-dd HH:mm:ss,SSS')),
        Buffer.from(rightLine(3).replace('2023-11-30', '2023-02-30')),
        Buffer.from(line4.slice(0, cutAt)),
        Buffer.from([0xc3, 0x28, 0xff]),
        Buffer.from(`${line4.slice(cutAt)}${rightLine(5).replaceAll('\n', '\r\n')}`),
        Buffer.from(huge),
        Buffer.from(rightLine(10)),
      ]),
      'core.log.1': Buffer.concat([Buffer.from('ELF'), Buffer.alloc(64, 0), Buffer.from('binary')]),
    });
    run = await runIngestLog([...common('bad', 'bad.json'), dir, join(work, 'bad', 'vanished.log')]);
    events = await storedEvents(server.t, 'bad');
  });

  it('reports each problem with the file and line, and says which files it could not read (exit status 1)', () => {
    const file = join(work, 'bad', 'web.log');
    expect(run.err).toContain(`${file}:1: not a record start where a record was expected`);
    expect(run.err).toContain(`${file}:4: broken time stamp "-MM-dd HH:mm:ss,SSS"`);
    expect(run.err).toContain(`${file}:5: broken time stamp "2023-02-30 10:00:03,000"`);
    expect(run.err).toContain(`${file}:6: bytes that are not UTF-8`);
    expect(run.err).toMatch(new RegExp(`${file}:8: record of ${Buffer.byteLength(huge)} bytes: only its first 1048576 were read`));
    expect(run.err).toContain(`${join(work, 'bad', 'core.log.1')}: not a text log: a NUL byte at offset 3: not read`);
    expect(run.err).toContain(`${join(work, 'bad', 'vanished.log')}: no such file or directory: not read`);
    expect(run.code).toBe(1);
  });

  it('keeps every record that carries text, generic where it is broken, and everything after it', () => {
    expect(events.map((e) => [e.entityData.log.line, e.event])).toEqual([
      [1, 31900],
      [3, 31204],
      [4, 31900],
      [5, 31900],
      [6, 31204],
      [7, 31204],
      [8, 31200],
      [9, 31204],
    ]);
    expect(events.map((e) => e.userId)).toEqual([null, 'user1', 'user2', 'user3', 'user4', 'user5', 'user9', 'user10']);
    expect(events[0]!.text).toBe("  at Comindware.Platform.Frame () [0x0] in <x>:0\n '");
    expect(events[0]!.entityData.log.offset).toBe(3);
  });

  it('keeps a broken time stamp as written and sends no time, so the record shows when Tamga received it', () => {
    expect(events[2]!.entityData.log).toMatchObject({ timeText: '-MM-dd HH:mm:ss,SSS' });
    expect(events[2]!.createdAt).toBe('2026-11-22T10:17:00.000000Z'); // the test server's clock
  });

  it('keeps invalid bytes as U+FFFD, drops the CR of CRLF, and cuts the 10 MB record to the limits with its digest', () => {
    expect(events[4]!.entityData['data']).toMatchObject({ Role: '[App] Role4\ufffd(\ufffd' });
    expect(events[5]!.entityData['data']).toMatchObject({ Role: '[App] Role5' });
    const cut = events[6]!;
    expect(cut).toMatchObject({ userId: 'user9', request: { method: 'POST', url: 'http://platform.example.com/api/RolesCollectionApi/Post' } });
    expect(cut.entityData['truncated']).toMatchObject({ bytes: Buffer.byteLength(huge), sha256: createHash('sha256').update(huge).digest('hex') });
    expect(cut.text).toMatch(/^POST: "\{"role":\{"Name":"x+…\[cut\]$/);
    expect(cut.text!.length).toBe(65_536);
  });
});

describe('tamga ingest-log refusals', () => {
  it('stops at a refused batch, says why, and moves no progress (exit status 1)', async () => {
    const dir = logDir('refused', { 'web.log': rightLine(1) + rightLine(2) });
    // The system tenant takes no producer's events: the server refuses the batch.
    const run = await runIngestLog([...common('tamga', 'refused.json'), dir]);
    expect(run.code).toBe(1);
    expect(run.err).toMatch(/Sending stopped: .*403.*\[FORBIDDEN\]/);
    expect(existsSync(join(work, 'refused.json'))).toBe(false); // nothing was acknowledged, so nothing was written
  });

  it('refuses a state file of another tenant with CONFIG_INVALID', async () => {
    await expect(runIngestLog([...common('other', 'seed.json'), work])).rejects.toMatchObject({ code: 'CONFIG_INVALID' });
  });

  it('refuses a rules file with problems, naming file and line', async () => {
    const rules = join(work, 'bad.rules.yaml');
    writeFileSync(rules, 'format: tamga-platform-log-rules\nversion: 1\nsystem: p\nunmatched: { code: 31900 }\nrules:\n  - code: 31999\n    when: { level: x }\n');
    await expect(runIngestLog([...common('seed', 'rules.json'), '--rules', rules, work])).rejects.toMatchObject({ code: 'CATALOG_INVALID', message: expect.stringContaining(`${rules}:6: rules[0].code: code 31999 is not in the catalogue`) });
  });

  it('says what is missing', async () => {
    await expect(runIngestLog(['--url', server.url, work])).rejects.toMatchObject({ exitCode: 2, message: expect.stringContaining('missing --api-key (or TAMGA_API_KEY), --state') });
  });
});

describe('tamga ingest-log --follow', () => {
  it('waits for a multi-line record to end, takes a replaced file from its start, and reports progress', async () => {
    const dir = logDir('follow', {});
    const file = join(dir, 'web.log');
    writeFileSync(file, rightLine(1));
    const stop = new AbortController();
    const running = runIngestLog([...common('follow', 'follow.json'), '--follow', '--poll', '0.05', '--multiline-timeout', '0.6', '--progress', '0.2', dir], stop.signal);
    const count = async (): Promise<number> => (await storedEvents(server.t, 'follow')).length;
    await waitUntil('the first record is stored', async () => (await count()) === 1);

    // An ERROR record written in two parts, 0.2 s apart: it is sent whole, once the next record starts.
    const error = errorRecord(2, 30);
    appendFileSync(file, error.slice(0, 300));
    await new Promise((resolve) => setTimeout(resolve, 200));
    appendFileSync(file, error.slice(300));
    appendFileSync(file, rightLine(3));
    await waitUntil('the ERROR record is stored', async () => (await count()) >= 2);
    const stored = (await storedEvents(server.t, 'follow')).find((e) => e.event === 31103)!;
    expect((stored.entityData['stack'] as string).split('\n')).toHaveLength(30);
    await waitUntil('the last record is sent after the multi-line timeout', async () => (await count()) === 3);

    // Replaced: another, longer content written over the file in place (first line changed): read from its start.
    // (r+ does not truncate first, so the ingester never sees the file shorter than what it read.)
    writeFileSync(file, Array.from({ length: 20 }, (_, i) => rightLine(10 + i)).join(''), { flag: 'r+' });
    await waitUntil('the replaced file is read', async () => (await count()) === 23);

    stop.abort();
    const run = await running;
    expect(run.code).toBe(0);
    expect(run.err).toContain('its first line changed (the file was replaced)');
    expect(run.err).toMatch(/progress: [\d,]+ lines, [\d,]+ records read; [\d,]+ sent/);
    expect((await storedEvents(server.t, 'follow')).map((e) => e.userId)).toEqual(['user1', 'user2', 'user3', ...Array.from({ length: 20 }, (_, i) => `user${10 + i}`)]);
  });

  it('reads a file removed while it is read to its end, through the open file, and sends its last record', async () => {
    const dir = logDir('vanish', {});
    const file = join(dir, 'web.log');
    writeFileSync(file, rightLine(1));
    const stop = new AbortController();
    const running = runIngestLog([...common('vanish', 'vanish.json'), '--follow', '--poll', '0.05', '--multiline-timeout', '0.3', dir], stop.signal);
    const count = async (): Promise<number> => (await storedEvents(server.t, 'vanish')).length;
    await waitUntil('the first record is stored', async () => (await count()) === 1);
    // Written and removed at once (logrotate compressing and deleting it): the last record has no successor.
    appendFileSync(file, rightLine(2) + errorRecord(3, 4));
    unlinkSync(file);
    await waitUntil('the removed file is read to its end', async () => (await count()) === 3);
    stop.abort();
    expect((await running).code).toBe(0);
    expect((await storedEvents(server.t, 'vanish')).map((e) => e.userId)).toEqual(['user1', 'user2', 'user3']);
  });

  it('reads a copy of the content it was reading from where it stopped (explicit file, copy-and-truncate)', async () => {
    const dir = logDir('copytrunc', {});
    const file = join(dir, 'app.log');
    writeFileSync(file, rightLine(1) + rightLine(2));
    const stop = new AbortController();
    const running = runIngestLog([...common('copytrunc', 'copytrunc.json'), '--follow', '--poll', '0.05', '--multiline-timeout', '0.3', file], stop.signal);
    const count = async (): Promise<number> => (await storedEvents(server.t, 'copytrunc')).length;
    await waitUntil('two records are stored', async () => (await count()) === 2);
    // Lines written just before the copy and truncation are only in the copy (app.log.1, not named on the command line).
    appendFileSync(file, rightLine(3) + rightLine(4));
    copyFileSync(file, `${file}.1`);
    writeFileSync(file, '');
    appendFileSync(file, rightLine(5));
    await waitUntil('five records are stored', async () => (await count()) === 5);
    stop.abort();
    expect((await running).code).toBe(0);
    expect((await storedEvents(server.t, 'copytrunc')).map((e) => e.userId).sort()).toEqual(['user1', 'user2', 'user3', 'user4', 'user5']);
  });
});
