import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { isPlatformLogRecordStart, PlatformLogSplitter } from './platform-log-splitter.js';
import type { PlatformLogChunk } from './platform-log-splitter.js';

const seedLog = readFileSync(new URL('./testdata/seed-003.log', import.meta.url));
const seedStarts = JSON.parse(readFileSync(new URL('./testdata/seed-003.json', import.meta.url), 'utf8')) as { line: number }[];

const LOGIN = "2023-11-30 14:00:00,000 INFO 00000000-0000-0000-0000-000000000000 alice 10.0.0.1 http://p/Home/Login/ OK 00:00:00.137 'Builtin: user logged in'\n";
const ERROR = [
  "2023-11-30 14:00:01,000 ERROR 00000000-0000-0000-0000-000000000000 alice p 8080 10.0.0.1  Core 00:00:00.010 4.7.2311.1  '   Вы не можете удалить свой аккаунт",
  '',
  'Service name:',
  '   "AccountService"',
  'Stack:',
  '  at Comindware.Platform.Core.Services.AccountService.Delete (System.String[] accountsIds)',
  " '",
  '',
].join('\n');
const STOP = '2023-11-30 14:00:02,000 INFO 00000000-0000-0000-0000-000000000000 systemAccount    Platform has stopped.\n';

function splitAll(bytes: Buffer, chunkSize = bytes.length, options = {}): PlatformLogChunk[] {
  const splitter = new PlatformLogSplitter(options);
  const out: PlatformLogChunk[] = [];
  for (let i = 0; i < bytes.length; i += chunkSize) out.push(...splitter.push(bytes.subarray(i, i + chunkSize)));
  out.push(...splitter.flush(true));
  return out;
}

const texts = (chunks: readonly PlatformLogChunk[]): string[] => chunks.map((c) => c.bytes.toString('utf8'));

describe('PlatformLogSplitter', () => {
  it('cuts records at record starts, keeping continuation lines with the record before them', () => {
    const chunks = splitAll(Buffer.from(LOGIN + ERROR + STOP));
    expect(texts(chunks)).toEqual([LOGIN, ERROR, STOP]);
    expect(chunks.map((c) => [c.line, c.lineCount, c.isRecordStart])).toEqual([
      [1, 1, true],
      [2, 7, true],
      [9, 1, true],
    ]);
  });

  it('gives each record its byte offsets in the file (UTF-8 bytes, not characters)', () => {
    const bytes = Buffer.from(LOGIN + ERROR + STOP);
    const chunks = splitAll(bytes);
    expect(chunks.map((c) => [c.offset, c.end])).toEqual([
      [0, Buffer.byteLength(LOGIN)],
      [Buffer.byteLength(LOGIN), Buffer.byteLength(LOGIN + ERROR)],
      [Buffer.byteLength(LOGIN + ERROR), bytes.length],
    ]);
    for (const c of chunks) expect(bytes.subarray(c.offset, c.end).equals(c.bytes)).toBe(true);
  });

  it('finds the same records in seed 003 whatever the chunk sizes the bytes arrive in', () => {
    const whole = splitAll(seedLog);
    expect(whole.map((c) => c.line)).toEqual(seedStarts.map((s) => s.line));
    for (const size of [1, 2, 3, 7, 63, 64, 65, 4096]) {
      expect(splitAll(seedLog, size).map((c) => [c.offset, c.end, c.line, c.bytes.toString('base64')])).toEqual(
        whole.map((c) => [c.offset, c.end, c.line, c.bytes.toString('base64')]),
      );
    }
  });

  describe('when a record is still being written', () => {
    it('does not return a multi-line record before the next record starts', () => {
      const splitter = new PlatformLogSplitter();
      const firstLines = ERROR.split('\n').slice(0, 4).join('\n') + '\n';
      expect(splitter.push(Buffer.from(LOGIN + firstLines)).map((c) => c.line)).toEqual([1]);
      expect(splitter.pendingOffset).toBe(Buffer.byteLength(LOGIN));
      expect(splitter.push(Buffer.from(ERROR.slice(firstLines.length)))).toEqual([]);
      // Half of the next start line is not enough to know it starts a record…
      expect(splitter.push(Buffer.from(STOP.slice(0, 20)))).toEqual([]);
      // …its first 64 bytes are.
      const next = splitter.push(Buffer.from(STOP.slice(20, 70)));
      expect(texts(next)).toEqual([ERROR]);
      expect(splitter.pendingOffset).toBe(Buffer.byteLength(LOGIN + ERROR));
    });

    it('flush(false) returns a record that ends at a line end, and nothing while a line is half written', () => {
      const splitter = new PlatformLogSplitter();
      splitter.push(Buffer.from(LOGIN + STOP.slice(0, 30)));
      expect(splitter.flush(false)).toEqual([]);
      splitter.push(Buffer.from(STOP.slice(30)));
      expect(texts(splitter.flush(false))).toEqual([STOP]);
      expect(splitter.pendingBytes).toBe(0);
    });

    it('flush(true) takes a last line without a line end as the end of the record', () => {
      const splitter = new PlatformLogSplitter();
      splitter.push(Buffer.from(LOGIN + STOP.trimEnd()));
      expect(texts(splitter.flush(true))).toEqual([STOP.trimEnd()]);
    });
  });

  it('resumes from an offset and line number with the same records', () => {
    const bytes = Buffer.from(LOGIN + ERROR + STOP);
    const [, second] = splitAll(bytes);
    const resumed = splitAll(bytes.subarray(second!.offset), 100, { offset: second!.offset, line: second!.line });
    expect(resumed.map((c) => [c.offset, c.line])).toEqual([
      [second!.offset, 2],
      [Buffer.byteLength(LOGIN + ERROR), 9],
    ]);
  });

  describe('a UTF-8 byte order mark', () => {
    it('is skipped at the start of the file, even split across chunks, and offsets count it', () => {
      const bytes = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(LOGIN + STOP)]);
      for (const size of [1, 2, 3, 100]) {
        const chunks = splitAll(bytes, size);
        expect(texts(chunks)).toEqual([LOGIN, STOP]);
        expect(chunks[0]!.offset).toBe(3);
      }
    });

    it('is not skipped when reading resumes after the start of the file', () => {
      expect(splitAll(Buffer.from(LOGIN), 10, { offset: 100 })[0]!.offset).toBe(100);
    });

    it('leaves a file starting with other bytes alone', () => {
      expect(texts(splitAll(Buffer.from(`\xef${LOGIN}`, 'latin1'), 1))[0]).toBe(Buffer.from(`\xef${LOGIN}`, 'latin1').toString('utf8'));
    });
  });

  it('keeps CRLF line ends in the bytes and still finds the record starts', () => {
    const crlf = (LOGIN + ERROR + STOP).replaceAll('\n', '\r\n');
    const chunks = splitAll(Buffer.from(crlf), 5);
    expect(chunks.map((c) => c.line)).toEqual([1, 2, 9]);
    expect(chunks[1]!.bytes.toString()).toBe(ERROR.replaceAll('\n', '\r\n'));
  });

  it('returns lines before the first record start as one record that is not a record start', () => {
    const chunks = splitAll(Buffer.from(`  at Somewhere.Method ()\n '\n${LOGIN}`));
    expect(chunks.map((c) => [c.line, c.lineCount, c.isRecordStart])).toEqual([
      [1, 2, false],
      [3, 1, true],
    ]);
  });

  it('starts a record at a broken time stamp rather than gluing it to the record before', () => {
    const broken = "-MM-dd HH:mm:ss,SSS INFO 00000000-0000-0000-0000-000000000000 alice 10.0.0.1 http://p/x   'GET' ''\n";
    expect(splitAll(Buffer.from(LOGIN + broken + STOP)).map((c) => c.line)).toEqual([1, 2, 3]);
  });

  describe('a record longer than maxRecordBytes', () => {
    it('keeps its first bytes, counts all of them and gives the SHA-256 of the whole record', () => {
      const huge = `2023-11-30 14:00:03,000 INFO 00000000-0000-0000-0000-000000000000 alice 10.0.0.1 http://p/x   'POST: "${'x'.repeat(10 * 1024 * 1024)}"' ''\n`;
      const bytes = Buffer.from(LOGIN + huge + STOP);
      const chunks = splitAll(bytes, 64 * 1024, { maxRecordBytes: 1000 });
      expect(chunks.map((c) => c.line)).toEqual([1, 2, 3]);
      const big = chunks[1]!;
      expect(big.end - big.offset).toBe(Buffer.byteLength(huge));
      expect(big.bytes.length).toBe(1000);
      expect(big.bytes.toString()).toBe(huge.slice(0, 1000));
      expect(big.sha256).toBe(createHash('sha256').update(huge).digest('hex'));
      expect(chunks[0]!.sha256).toBeUndefined();
      expect(texts([chunks[2]!])).toEqual([STOP]);
    });

    it('hashes a long multi-line record whole, its continuation lines included', () => {
      const record = LOGIN + Array.from({ length: 300 }, (_, i) => `  at Frame${i} ()\n`).join('');
      const [first] = splitAll(Buffer.from(record + STOP), 17, { maxRecordBytes: 256 });
      expect(first!.sha256).toBe(createHash('sha256').update(record).digest('hex'));
      expect(first!.lineCount).toBe(301);
    });

    it('handles a file with no line end at all (binary data) without keeping it in memory', () => {
      const splitter = new PlatformLogSplitter({ maxRecordBytes: 4096 });
      const block = Buffer.alloc(1024 * 1024, 0x41);
      for (let i = 0; i < 20; i++) expect(splitter.push(block)).toEqual([]);
      const [only] = splitter.flush(true);
      expect(only!.end).toBe(20 * 1024 * 1024);
      expect(only!.bytes.length).toBe(4096);
      expect(only!.isRecordStart).toBe(false);
    });
  });
});

describe('isPlatformLogRecordStart', () => {
  it.each([
    ['2023-11-30 14:34:23,448 INFO 0000', true],
    ['2023-11-30 14:34:23.448 INFO 0000', true],
    ['2023-11-30 14:34:23,448\u00a0INFO', false], // as a string; the splitter sees the UTF-8 bytes
    ['2023-11-30 14:34:23,448\xc2\xa0INFO', true],
    ['[2023-12-08 00:10:20,667][INFO][Meta is ready]', true],
    ['[yyy-MM-dd HH:mm:ss,SSS][INFO][Getting meta]', true],
    ['-MM-dd HH:mm:ss,SSS INFO 00000000', true],
    ['2023-11-30 14:34 ERROR 00000000', true],
    ['  at Comindware.Platform.Core (x) [0x00000] in <13c6>:0', false],
    ['Service name:', false],
    ['   "DataformService"', false],
    ['data: {"Name":"XxxSenderAdapter"}', false],
    ['IIS authentication: Anonymous', false],
    ["'Аккаунт добавлен в роль' '{}'", false],
  ])('%j → %s', (head, expected) => {
    expect(isPlatformLogRecordStart(head)).toBe(expected);
  });
});
