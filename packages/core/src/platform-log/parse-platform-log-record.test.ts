import { describe, expect, it } from 'vitest';
import { parsePlatformLogChunk, parsePlatformLogRecord, parsePlatformLogTime } from './parse-platform-log-record.js';
import type { PlatformLogChunk } from './platform-log-splitter.js';

const NIL = '00000000-0000-0000-0000-000000000000';
const NBSP = '\u00a0';

// Lines of seed 003 with its placeholders replaced by real values (see testdata/extract-seed-003.mjs), keeping the
// seed's spacing: double spaces and no-break spaces where it has them.
describe('parsePlatformLogRecord', () => {
  describe('web request lines', () => {
    it('reads a sign-in: time, level, session, user, IP, URL, status, duration, description (seed: Вход)', () => {
      const r = parsePlatformLogRecord(`2023-11-30 14:00:00,000 INFO ${NIL} ${NBSP} username 10.20.30.40 http://platform.example.com/Home/Login/?returnUrl=/ OK 00:00:00.137 'Builtin: user logged in'`);
      expect(r).toMatchObject({
        format: 'line',
        time: { year: 2023, month: 11, day: 30, hour: 14, minute: 0, second: 0, millisecond: 0, text: '2023-11-30 14:00:00,000' },
        level: 'INFO',
        sessionId: NIL,
        user: 'username',
        ip: '10.20.30.40',
        url: 'http://platform.example.com/Home/Login/?returnUrl=/',
        status: 'OK',
        statusCode: 200,
        duration: '00:00:00.137',
        durationMs: 137,
        description: 'Builtin: user logged in',
        data: null,
        requestMethod: null,
        problems: [],
      });
    });

    it('reads the same fields with empty fields as runs of spaces in other places (seed: Выход)', () => {
      const r = parsePlatformLogRecord(`2023-11-30 14:00:01,250 INFO ${NIL} ${NBSP} username 10.20.30.40${NBSP}  http://platform.example.com/Home/Logout/ OK 00:00:00.137 'User logout success' ''`);
      expect(r).toMatchObject({ user: 'username', ip: '10.20.30.40', url: 'http://platform.example.com/Home/Logout/', status: 'OK', description: 'User logout success', data: '' });
    });

    it('leaves the user empty when the line has none (seed: failed sign-in, second line)', () => {
      const r = parsePlatformLogRecord(`2023-11-30 14:00:03,750 INFO ${NIL}${NBSP}  10.20.30.40 http://platform.example.com/Home/Login/?failedLogin=InvalidLoginAndPassword&inputID=&returnUrl==%2fResolve${NBSP} ${NBSP} 'GET' ''`);
      expect(r).toMatchObject({ user: null, ip: '10.20.30.40', status: null, duration: null, description: 'GET', requestMethod: 'GET', body: null, data: '' });
    });

    it('keeps quotes inside the quoted description (seed: failed sign-in)', () => {
      const r = parsePlatformLogRecord(`2023-11-30 14:00:02,500 INFO ${NIL} username 10.20.30.40 http://p/Home/Login/?returnUrl=/Resolve OK 00:00:00.137 '"Builtin": user login failed for "username"' ''`);
      expect(r.description).toBe('"Builtin": user login failed for "username"');
      expect(r.data).toBe('');
    });

    it('reads the request method and body of a request line, double quotes inside included (seed: Удаление учетной записи)', () => {
      const r = parsePlatformLogRecord(`2023-11-30 14:00:06,250 INFO ${NIL} username 10.20.30.40 http://p/api/UserApi/SetSystemInfo${NBSP} ${NBSP} 'DELETE: "{"accountIds":["account.1", "account.2"]}"' ''`);
      expect(r).toMatchObject({ requestMethod: 'DELETE', body: '{"accountIds":["account.1", "account.2"]}', description: 'DELETE: "{"accountIds":["account.1", "account.2"]}"', status: null, isCompletion: false });
    });

    it('reads a completion line with a numeric status and an HH:mm:ss duration (seed: Создание роли)', () => {
      const r = parsePlatformLogRecord(`2023-11-30 14:00:12,500 INFO ${NIL} username 10.20.30.40 http://p/Members/GetMembersData 200 03:00:00 'POST completed' ''`);
      expect(r).toMatchObject({ url: 'http://p/Members/GetMembersData', status: '200', statusCode: 200, duration: '03:00:00', durationMs: 10_800_000, requestMethod: 'POST', isCompletion: true, host: null, port: null });
    });

    it('maps status names to HTTP codes and keeps unknown ones as text', () => {
      const line = (status: string): string => `2023-11-30 14:00:00,000 INFO ${NIL} u 10.0.0.1 http://p/api/x ${status} 00:00:00.001 'DELETE completed' ''`;
      expect(parsePlatformLogRecord(line('NoContent'))).toMatchObject({ status: 'NoContent', statusCode: 204 });
      expect(parsePlatformLogRecord(line('InternalServerError'))).toMatchObject({ statusCode: 500 });
      expect(parsePlatformLogRecord(line('Teapot'))).toMatchObject({ status: 'Teapot', statusCode: null });
    });

    it('reads a JSON data field after the description (seed: Изменение прав группы)', () => {
      const data = '{"Privilege":"Read","Role":"[ApplicationSystemName] RoleSystemName","RoleType":"BusinessApp","Resource":"systemSolution","ResourceType":"BusinessApp"}';
      const r = parsePlatformLogRecord(`2023-11-30 14:00:20,000 INFO ${NIL} username 10.20.30.40 http://p/api/RolesCollectionApi/Put${NBSP} ${NBSP} 'Разрешение добавлено в роль' '${data}'`);
      expect(r).toMatchObject({ description: 'Разрешение добавлено в роль', data, requestMethod: null });
    });

    it('finds the description on the line after the URL (seed: Включение пользователя, cut by the page layout)', () => {
      const r = parsePlatformLogRecord(`2023-11-30 14:00:42,500 INFO ${NIL} username 10.20.30.40 http://p/api/RolesCollectionApi/Put\n'Аккаунт добавлен в роль' '{"User":"username"}'`);
      expect(r).toMatchObject({ url: 'http://p/api/RolesCollectionApi/Put', description: 'Аккаунт добавлен в роль', data: '{"User":"username"}' });
    });

    it('keeps an address-like field that is not a valid IP apart (the seed placeholder XXX.XXX.XXX.XXX)', () => {
      const r = parsePlatformLogRecord(`2023-11-30 14:00:00,000 INFO ${NIL} username XXX.XXX.XXX.XXX http://p/Home/Logout/ OK 00:00:00.137 'User logout success' ''`);
      expect(r).toMatchObject({ user: 'username', ip: null, ipText: 'XXX.XXX.XXX.XXX', url: 'http://p/Home/Logout/' });
    });

    it('reads an IPv6 address', () => {
      expect(parsePlatformLogRecord(`2023-11-30 14:00:00,000 INFO ${NIL} bob fe80::1 http://p/x   'GET' ''`)).toMatchObject({ user: 'bob', ip: 'fe80::1' });
    });
  });

  describe('a multi-line ERROR record (seed: Неуспешное создание учетной записи)', () => {
    const text = [
      `2023-11-30 14:00:07,500 ERROR ${NIL} username platform.example.com 8080 10.20.30.40${NBSP} Core 00:00:00.137 4.7.2311.1${NBSP} '${NBSP} ${NBSP} Транзакция нарушает уникальность триплета:  cmw.account.mbox – email@example.com`,
      '',
      'Service name:',
      '',
      `${NBSP} ${NBSP} "DataformService"`,
      '',
      'Method name:',
      '',
      `${NBSP} ${NBSP} "ApplyChangesAndQueryData"`,
      '',
      'Parameters list:',
      '',
      `${NBSP} ${NBSP} [0]: {"Changes":{"WidgetChanges":[{"ObjId":"cmw.temp.150","TypeId":"cmw.account.Account"}]}}`,
      '',
      'Stack:',
      '',
      `${NBSP}  at Comindware.LogicsStorage.Core.Managers.StatementManager.ReplaceStatement[TSubject,TValue] (Comindware.LogicsStorage.Api.Transaction transaction) [0x00000] in <7d85b33b773e45b1b9d638b93301c0e9>:0`,
      '',
      `${NBSP}  at Castle.DynamicProxy.AbstractInvocation.Proceed () [0x0002d] in <99e1b17afc2a44c5b97e5af224da0ae2>:0`,
      '',
      `${NBSP} '`,
      '',
    ].join('\n');
    const r = parsePlatformLogRecord(text);

    it('reads the header: server address, port, IP, module, duration, product version', () => {
      expect(r).toMatchObject({ level: 'ERROR', sessionId: NIL, user: 'username', host: 'platform.example.com', port: 8080, ip: '10.20.30.40', module: 'Core', duration: '00:00:00.137', durationMs: 137, version: '4.7.2311.1', url: null });
    });

    it('takes the message before the sections as the description', () => {
      expect(r.description).toBe('Транзакция нарушает уникальность триплета:  cmw.account.mbox – email@example.com');
    });

    it('reads the Service name, Method name, Parameters list and Stack sections', () => {
      expect(r.sections).toEqual({
        service: 'DataformService',
        method: 'ApplyChangesAndQueryData',
        parameters: [{ Changes: { WidgetChanges: [{ ObjId: 'cmw.temp.150', TypeId: 'cmw.account.Account' }] } }],
        stack: [
          'at Comindware.LogicsStorage.Core.Managers.StatementManager.ReplaceStatement[TSubject,TValue] (Comindware.LogicsStorage.Api.Transaction transaction) [0x00000] in <7d85b33b773e45b1b9d638b93301c0e9>:0',
          'at Castle.DynamicProxy.AbstractInvocation.Proceed () [0x0002d] in <99e1b17afc2a44c5b97e5af224da0ae2>:0',
        ].join('\n'),
      });
      expect(r.problems).toEqual([]);
    });

    it('keeps a parameter that is not valid JSON as its text', () => {
      const broken = parsePlatformLogRecord(text.replace('[0]: {"Changes"', '[0]: {Changes"'));
      expect(broken.sections?.parameters).toEqual(['{Changes":{"WidgetChanges":[{"ObjId":"cmw.temp.150","TypeId":"cmw.account.Account"}]}}']);
    });
  });

  describe('system messages', () => {
    it('reads a service start line: user, no IP, the message (seed: Запуск сервиса)', () => {
      const r = parsePlatformLogRecord(`2023-11-30 14:34:23,448 INFO ${NIL} systemAccount${NBSP} ${NBSP} ${NBSP}  Core is loading`);
      expect(r).toMatchObject({ user: 'systemAccount', ip: null, url: null, module: null, message: 'Core is loading', description: null });
    });

    it('reads the start-up record with its system information (seed: Начало работы, Linux)', () => {
      const r = parsePlatformLogRecord(
        [
          `2023-11-30 14:01:03,750 INFO ${NIL} systemAccount ::1${NBSP} ${NBSP} Экземпляр Comindware Business Application Platform запущен.`,
          '',
          'Системная информация:',
          '',
          `${NBSP}  Сервер: ubuntu-vm-server-gen2`,
          '',
          `${NBSP}  Версия: 4.7.2311.1`,
          '',
          `${NBSP}  Часовой пояс: Europe/Moscow`,
          '',
          'Аутентификация IIS: Anonymous',
          '',
          `${NBSP}  Аутентификация приложения: Ldap | Builtin`,
        ].join('\n'),
      );
      expect(r).toMatchObject({
        user: 'systemAccount',
        ip: '::1',
        message: 'Экземпляр Comindware Business Application Platform запущен.',
        version: '4.7.2311.1',
        details: { Сервер: 'ubuntu-vm-server-gen2', Версия: '4.7.2311.1', 'Часовой пояс': 'Europe/Moscow', 'Аутентификация IIS': 'Anonymous', 'Аутентификация приложения': 'Ldap | Builtin' },
        more: 'Системная информация:',
      });
    });

    it('reads a message with quotes and equals signs whole (seed: Process runned)', () => {
      const message = 'Process runned count=11 (completed=3) lastRunTime="30.11.2023 14:01:33"; scripts started=1 (failed=0); worker threads started=7 (failed=0); messages total=0 (failed=0).';
      expect(parsePlatformLogRecord(`2023-11-30 14:01:33,750 INFO ${NIL} systemAccount    ${message}`).message).toBe(message);
    });
  });

  describe('adapter records', () => {
    it('reads [time][level][message] context and the data line (seed: Событие в адаптере)', () => {
      const r = parsePlatformLogRecord(
        '[2023-12-08 00:10:20,667][INFO][Meta is ready for XxxSenderAdapter.] Platform key: XXX_AdapterAgent5b28ad88a4cb4d4f8078c4deef1ee08b; Service name: ServiceName; Runtime: .NET 6.0.21\ndata: {"Name":"XxxSenderAdapter","Direction":"Outgoing"}',
      );
      expect(r).toMatchObject({
        format: 'adapter',
        time: { year: 2023, month: 12, day: 8, hour: 0, minute: 10, second: 20, millisecond: 667 },
        level: 'INFO',
        message: 'Meta is ready for XxxSenderAdapter.',
        context: { 'Platform key': 'XXX_AdapterAgent5b28ad88a4cb4d4f8078c4deef1ee08b', 'Service name': 'ServiceName', Runtime: '.NET 6.0.21' },
        data: '{"Name":"XxxSenderAdapter","Direction":"Outgoing"}',
        problems: [],
      });
    });

    it('keeps brackets inside the message', () => {
      expect(parsePlatformLogRecord('[2023-12-08 00:10:20,667][WARN][Retry [2/3] for X.] Service name: S').message).toBe('Retry [2/3] for X.');
    });
  });

  describe('bad input', () => {
    it('reports a broken time stamp and still reads the fields (the seed placeholder -MM-dd)', () => {
      const r = parsePlatformLogRecord(`-MM-dd HH:mm:ss,SSS INFO ${NIL} username 10.20.30.40 http://p/Home/Logout/ OK 00:00:00.137 'User logout success' ''`);
      expect(r.time).toBeNull();
      expect(r.problems).toEqual([expect.objectContaining({ kind: 'TIMESTAMP_INVALID', line: 1 })]);
      expect(r).toMatchObject({ user: 'username', description: 'User logout success' });
    });

    it.each(['2023-02-30 10:00:00,000', '2023-11-30 24:00:00,000', '2023-13-01 10:00:00,000', '2023-11-30 10:00:00'])('refuses the impossible time stamp %s', (stamp) => {
      expect(parsePlatformLogRecord(`${stamp} INFO ${NIL} u    Core is loading`).problems[0]?.kind).toBe('TIMESTAMP_INVALID');
    });

    it('reports a missing level', () => {
      expect(parsePlatformLogRecord(`2023-11-30 10:00:00,000 ${NIL} u    Core is loading`).problems.map((p) => p.kind)).toEqual(['LEVEL_MISSING']);
    });

    it('reports an unterminated quote with its line and keeps the text', () => {
      const r = parsePlatformLogRecord(`2023-11-30 10:00:00,000 ERROR ${NIL} u h 8080 10.0.0.1 Core 00:00:00.001 1.2.3.4 'message\nService name:\n "S"`);
      expect(r.problems).toEqual([expect.objectContaining({ kind: 'QUOTE_UNTERMINATED', line: 3 })]);
      expect(r.sections?.service).toBe('S');
    });

    it('marks lines that are not a record start and keeps them as the text', () => {
      const r = parsePlatformLogRecord('  at Somewhere ()\n \'', false);
      expect(r).toMatchObject({ format: 'orphan', time: null, message: "  at Somewhere ()\n '", problems: [expect.objectContaining({ kind: 'NOT_A_RECORD_START' })] });
    });

    it('replaces NUL characters (the store refuses them) and says so', () => {
      const r = parsePlatformLogRecord(`2023-11-30 10:00:00,000 INFO ${NIL} u    A\u0000B`);
      expect(r.message).toBe('A\ufffdB');
      expect(r.problems.map((p) => p.kind)).toEqual(['NUL_CHARACTER']);
    });

    it('drops CR of CRLF line ends', () => {
      const r = parsePlatformLogRecord(`2023-11-30 10:00:00,000 INFO ${NIL} u ::1   Started.\r\n\r\n  Server: s1\r\n`);
      expect(r).toMatchObject({ message: 'Started.', details: { Server: 's1' } });
      expect(r.text).not.toContain('\r');
    });
  });
});

describe('parsePlatformLogTime', () => {
  it('reads milliseconds after a comma or a dot', () => {
    expect(parsePlatformLogTime('2024-02-29 23:59:59.999')).toMatchObject({ year: 2024, month: 2, day: 29, millisecond: 999 });
    expect(parsePlatformLogTime('2023-02-29 10:00:00,000')).toBeNull();
  });
});

describe('parsePlatformLogChunk', () => {
  const chunkOf = (bytes: Buffer, extra: Partial<PlatformLogChunk> = {}): PlatformLogChunk => ({ offset: 0, end: bytes.length, line: 1, lineCount: 1, bytes, isRecordStart: true, ...extra });

  it('reports bytes that are not UTF-8 with their line, and reads the rest', () => {
    const bytes = Buffer.concat([Buffer.from(`2023-11-30 10:00:00,000 INFO ${NIL} u ::1   Started.\n  Server: s`), Buffer.from([0xc3, 0x28]), Buffer.from('1\n')]);
    const r = parsePlatformLogChunk(chunkOf(bytes));
    expect(r.problems).toEqual([expect.objectContaining({ kind: 'INVALID_UTF8', line: 2 })]);
    expect(r.details).toEqual({ Server: 's\ufffd(1' });
  });

  it('reports a record cut to its head, without a broken character at the cut', () => {
    const head = Buffer.from(`2023-11-30 10:00:00,000 INFO ${NIL} u    Привет`).subarray(0, -1);
    const r = parsePlatformLogChunk(chunkOf(head, { end: 10_000_000, sha256: 'ab'.repeat(32) }));
    expect(r.message).toBe('Приве');
    expect(r.problems.map((p) => p.kind)).toEqual(['RECORD_TOO_LONG']);
    expect(r.problems[0]!.message).toContain('record of 10000000 bytes');
    const whole = parsePlatformLogChunk(chunkOf(Buffer.from(`2023-11-30 10:00:00,000 INFO ${NIL} u    Привет`), { end: 10_000_000, sha256: 'ab'.repeat(32) }));
    expect(whole.message).toBe('Привет');
  });
});
