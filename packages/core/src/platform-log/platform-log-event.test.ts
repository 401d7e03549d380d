import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CatalogSet } from '../catalog/catalog-set.js';
import { parseCatalogText } from '../catalog/parse-catalog.js';
import { validateEventInput } from '../record/event-input.js';
import { isUuid } from '../record/uuid.js';
import { LocalTimeZone } from './local-time-zone.js';
import { parsePlatformLogRecord } from './parse-platform-log-record.js';
import { buildPlatformLogEvent, platformLogEventId, platformLogFileId } from './platform-log-event.js';
import type { PlatformLogEventOptions } from './platform-log-event.js';
import { classifyPlatformLogRecord, parsePlatformLogRules } from './platform-log-rules.js';
import { PlatformLogSplitter } from './platform-log-splitter.js';
import type { PlatformLogChunk } from './platform-log-splitter.js';

const catalogs = new URL('../../../../catalogs/', import.meta.url);
const set = CatalogSet.of([parseCatalogText(readFileSync(new URL('platform-security.json', catalogs), 'utf8'), 'platform-security.json')]);
const rules = parsePlatformLogRules(readFileSync(new URL('platform-security.rules.yaml', catalogs), 'utf8'), 'rules', (c) => set.byCode(c));
const options: PlatformLogEventOptions = { tenantId: 'acme', zone: new LocalTimeZone('Europe/Moscow'), system: rules.system, file: '/var/log/platform/web.log', fileId: 'f1' };

function chunks(text: string | Buffer, maxRecordBytes?: number): PlatformLogChunk[] {
  const splitter = new PlatformLogSplitter(maxRecordBytes === undefined ? {} : { maxRecordBytes });
  return [...splitter.push(typeof text === 'string' ? Buffer.from(text) : text), ...splitter.flush(true)];
}

function build(chunk: PlatformLogChunk, opts = options) {
  const record = parsePlatformLogRecord(chunk.bytes.toString('utf8'), chunk.isRecordStart);
  return buildPlatformLogEvent(record, { offset: chunk.offset, size: chunk.end - chunk.offset, line: chunk.line, bytes: chunk.bytes, ...(chunk.sha256 !== undefined && { sha256: chunk.sha256 }) }, classifyPlatformLogRecord(rules, record), opts);
}

const seed = chunks(readFileSync(new URL('./testdata/seed-003.log', import.meta.url)));
const seedEvent = (line: number) => build(seed.find((c) => c.line === line)!).event;

describe('buildPlatformLogEvent on seed 003', () => {
  it('makes a sign-in with every field: user, IP, session, request, time with its offset', () => {
    expect(seedEvent(1)).toEqual({
      id: platformLogEventId('acme', 'f1', 0),
      event: 31000,
      tenantId: 'acme',
      createdAt: '2023-11-30T11:00:00.000Z',
      userId: 'username',
      ip: '10.20.30.40',
      sessionId: '00000000-0000-0000-0000-000000000000',
      outcome: 'success',
      request: { url: 'http://platform.example.com/Home/Login/?returnUrl=/', status: 200, durationMs: 137 },
      source: { system: 'business-platform' },
      text: 'Builtin: user logged in',
      entityData: {
        log: { file: '/var/log/platform/web.log', line: 1, offset: 0, time: '2023-11-30T14:00:00.000+03:00' },
        level: 'INFO',
        status: 'OK',
        duration: '00:00:00.137',
        captured: { method: 'Builtin' },
      },
    });
  });

  it('makes a failed account creation: module and version in source, sections and stack in entityData', () => {
    const e = seedEvent(8);
    expect(e).toMatchObject({ event: 31102, userId: 'username', ip: '10.20.30.40', outcome: 'failure', request: { durationMs: 137 }, source: { system: 'business-platform', component: 'Core', version: '4.7.2311.1' } });
    // As written, no-break space included.
    expect(e['text']).toBe('Транзакция нарушает уникальность триплета:\u00a0 cmw.account.mbox – email@example.com');
    const data = e['entityData'] as Record<string, unknown>;
    expect(data).toMatchObject({ level: 'ERROR', host: 'platform.example.com', port: 8080, service: 'DataformService', method: 'ApplyChangesAndQueryData' });
    expect(data['stack']).toMatch(/^at Comindware\.LogicsStorage\.Core\.Managers\.StatementManagers\.StatementManagerOneToOneOneToOneUnique\.ReplaceStatement/);
    expect((data['stack'] as string).split('\n')).toHaveLength(13);
    expect(data['parameters']).toEqual([expect.objectContaining({ Changes: expect.objectContaining({ WidgetChanges: [expect.objectContaining({ TypeId: 'cmw.account.Account' })] }) })]);
  });

  it('makes an account deletion with the request method and the parsed body', () => {
    expect(seedEvent(7)).toMatchObject({
      event: 31101,
      request: { method: 'DELETE', url: 'http://platform.example.com/api/UserApi/SetSystemInfo' },
      text: 'DELETE: "{"accountIds":["account.1", "account.2"]}"',
      entityData: { body: { accountIds: ['account.1', 'account.2'] } },
    });
  });

  it('keeps a request body that is not JSON only in text (the seed\'s account creation body is broken JSON)', () => {
    const e = seedEvent(6);
    expect(e['text']).toMatch(/^POST: "\{"accountFormChanges"/);
    expect(e['entityData']).not.toHaveProperty('body');
  });

  it('makes a role right change with the data field parsed', () => {
    expect(seedEvent(99)).toMatchObject({ event: 31204, text: 'Разрешение добавлено в роль', entityData: { data: { Privilege: 'Read', RoleType: 'BusinessApp', ResourceType: 'BusinessApp' } } });
  });

  it('makes the start-up record with its system information and the product version', () => {
    expect(seedEvent(179)).toMatchObject({
      event: 31400,
      userId: 'systemAccount',
      ip: '::1',
      text: 'Экземпляр Comindware Business Application Platform запущен.',
      source: { version: '4.7.2311.1' },
      entityData: { details: { Сервер: 'ubuntu-vm-server-gen2', 'Часовой пояс': 'Europe/Moscow', 'Путь к базе данных': '/var/lib/comindware/instancename/Database' }, captured: { product: 'Comindware Business Application Platform' } },
    });
  });

  it('makes an adapter event with its context and data', () => {
    expect(seedEvent(254)).toMatchObject({
      event: 31406,
      createdAt: '2023-12-07T21:10:20.667Z',
      text: 'Meta is ready for XxxSenderAdapter.',
      source: { component: 'ServiceName' },
      entityData: { context: { Runtime: '.NET 6.0.21' }, data: expect.stringMatching(/^\{"Name":"XxxSenderAdapter"/) },
    });
  });

  it('puts problems and the event\'s own content first in entityData and the record\'s place last (the journal shows the start)', () => {
    expect(Object.keys(seedEvent(99)['entityData'] as object)).toEqual(['data', 'level', 'log']);
    expect(Object.keys(seedEvent(51)['entityData'] as object)).toEqual(['service', 'method', 'parameters', 'stack', 'host', 'port', 'duration', 'level', 'log']);
    const [broken] = chunks('-MM-dd HH:mm:ss,SSS INFO 00000000-0000-0000-0000-000000000000 u    Core Loaded\n');
    expect(Object.keys(build(broken!).event['entityData'] as object)).toEqual(['problems', 'level', 'log']);
  });

  it('makes a completion line a generic record with the request outcome', () => {
    expect(seedEvent(93)).toMatchObject({ event: 31900, classifiedEvent: 1, outcome: 'success', request: { method: 'DELETE', status: 204 }, text: 'DELETE completed' });
  });

  it('makes every record an event the server accepts, each with its own id', () => {
    const events = seed.map((c) => build(c).event);
    events.forEach((e, i) => expect(() => validateEventInput(e, i)).not.toThrow());
    expect(new Set(events.map((e) => e['id'])).size).toBe(seed.length);
  });
});

describe('platformLogEventId', () => {
  it('is a version 8 UUID that depends on the tenant, the file and the offset only', () => {
    const id = platformLogEventId('acme', 'f1', 1234);
    expect(isUuid(id)).toBe(true);
    expect(id[14]).toBe('8');
    expect(platformLogEventId('acme', 'f1', 1234)).toBe(id);
    expect(new Set([id, platformLogEventId('acme', 'f1', 1235), platformLogEventId('acme', 'f2', 1234), platformLogEventId(null, 'f1', 1234)]).size).toBe(4);
  });
});

describe('buildPlatformLogEvent on bad input', () => {
  it('keeps a broken time stamp as written and sends no createdAt', () => {
    const [c] = chunks("-MM-dd HH:mm:ss,SSS INFO 00000000-0000-0000-0000-000000000000 u 10.0.0.1 http://p/Home/Logout/ OK 00:00:00.1 'User logout success' ''\n");
    const { event, problems, utcMs } = build(c!);
    expect(utcMs).toBeNull();
    expect(event).not.toHaveProperty('createdAt');
    expect(event).toMatchObject({ event: 31900, classifiedEvent: 1, text: 'User logout success', entityData: { log: { timeText: '-MM-dd HH:mm:ss,SSS', line: 1 } } });
    expect(problems).toEqual(['line 1: broken time stamp "-MM-dd HH:mm:ss,SSS"']);
  });

  it('keeps lines without a record start as a generic record with their text and file line', () => {
    const [orphan] = chunks('  at X ()\n  at Y ()\n2023-11-30 10:00:00,000 INFO 00000000-0000-0000-0000-000000000000 u    Core Loaded\n');
    expect(build(orphan!).event).toMatchObject({ event: 31900, text: '  at X ()\n  at Y ()', entityData: { problems: ['line 1: not a record start where a record was expected (no time stamp at the start of the line)'] } });
  });

  it('cuts a 10 MB record to the server limits, saying so with its length and SHA-256', () => {
    const huge = `2023-11-30 14:00:03,000 INFO 00000000-0000-0000-0000-000000000000 alice 10.0.0.1 http://p/api/RolesCollectionApi/Put   'PUT: "{"role":{"Name":"${'x'.repeat(10 * 1024 * 1024)}"}}"' ''\n`;
    const [c] = chunks(huge);
    const { event, isTruncated } = build(c!);
    expect(isTruncated).toBe(true);
    expect(() => validateEventInput(event)).not.toThrow();
    expect((event['text'] as string).length).toBe(65_536);
    expect((event['text'] as string).endsWith('…[cut]')).toBe(true);
    expect(event['entityData']).toMatchObject({ truncated: { bytes: Buffer.byteLength(huge), sha256: c!.sha256 } });
    expect(event).toMatchObject({ userId: 'alice', request: { method: 'PUT', url: 'http://p/api/RolesCollectionApi/Put' } });
  });

  it('cuts an entityData that is too long as JSON, keeping the record whole in text when it fits', () => {
    const stack = Array.from({ length: 3000 }, (_, i) => `  at Frame${i}.Method (System.String x) [0x00000] in <13c6df997e3e467ca2451c9fd9f35e67>:0`).join('\n');
    const [c] = chunks(`2023-11-30 14:00:03,000 ERROR 00000000-0000-0000-0000-000000000000 u h 8080 10.0.0.1 Core 00:00:00.001 1.2.3.4 'boom\nStack:\n${stack}\n'\n`);
    const { event } = build(c!);
    expect(() => validateEventInput(event)).not.toThrow();
    const data = event['entityData'] as Record<string, unknown>;
    expect(data['stack']).toMatch(/^at Frame0\.Method[\s\S]*…\[cut\]$/);
    expect(data['truncated']).toMatchObject({ bytes: c!.end - c!.offset, sha256: expect.stringMatching(/^[0-9a-f]{64}$/) });
  });

  it('flags a wall time that does not exist in the zone', () => {
    const [c] = chunks('2023-03-26 02:30:00,000 INFO 00000000-0000-0000-0000-000000000000 u    Core Loaded\n');
    const { problems, event } = build(c!, { ...options, zone: new LocalTimeZone('Europe/Berlin') });
    expect(event['createdAt']).toBe('2023-03-26T01:30:00.000Z');
    expect(problems[0]).toMatch(/does not exist in Europe\/Berlin/);
  });

  it('uses the session as the operation key unless it is the nil UUID of system records', () => {
    const [c] = chunks("2023-11-30 14:00:00,000 INFO 4f6c1b7e-8a8d-4c1e-9a4b-2f0e6d1c3b5a alice 10.0.0.1 http://p/Home/Logout/ OK 00:00:00.1 'User logout success' ''\n");
    expect(build(c!).event).toMatchObject({ sessionId: '4f6c1b7e-8a8d-4c1e-9a4b-2f0e6d1c3b5a', operationKey: '4f6c1b7e-8a8d-4c1e-9a4b-2f0e6d1c3b5a' });
    expect(seedEvent(1)).not.toHaveProperty('operationKey');
  });
});

describe('platformLogFileId', () => {
  const first = '2023-11-30 14:00:00,000 INFO 00000000-0000-0000-0000-000000000000 u    Core is loading\n';

  it('is the digest of the first line, whatever follows', () => {
    const id = platformLogFileId(Buffer.from(first));
    expect(id).toMatch(/^[0-9a-f]{32}$/);
    expect(platformLogFileId(Buffer.from(`${first}2023-11-30 14:00:01,000 INFO x\n`))).toBe(id);
    expect(platformLogFileId(Buffer.from(first.replace('14:00:00', '14:00:01')))).not.toBe(id);
  });

  it('is not settled while the first line is still being written, unless the file is complete', () => {
    expect(platformLogFileId(Buffer.from(first.trimEnd()))).toBeUndefined();
    expect(platformLogFileId(Buffer.alloc(0), true)).toBeUndefined();
    expect(platformLogFileId(Buffer.from(first.trimEnd()), true)).toMatch(/^[0-9a-f]{32}$/);
  });

  it('reads at most 1 KiB of a file whose first line is longer', () => {
    const long = Buffer.from(`${first.trimEnd()} ${'x'.repeat(5000)}\n`);
    expect(platformLogFileId(long)).toBe(platformLogFileId(long.subarray(0, 1024)));
  });
});
