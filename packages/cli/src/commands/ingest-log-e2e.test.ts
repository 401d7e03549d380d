/**
 * `tamga ingest-log --follow` as a process (the built `tamga` binary), against a Tamga server on loopback: lines
 * appended, a rotation by rename, kill -9 of the ingester, a copy-and-truncate and the compression of the rotated
 * file while it is down, a restart — and in the end every record stored exactly once, the tenant's log verifying
 * offline (tamga export + tamga verify).
 */
import { execFileSync, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { appendFileSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, truncateSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { platformLogFileId } from '@tamga/core';
import { TEST_API_KEY } from '../../../server/src/test-support/test-server.js';
import { errorRecord, rightLine, startListeningServer, storedEvents, textSink, waitUntil } from '../test-support/ingest-log-helpers.js';
import type { ListeningServer } from '../test-support/ingest-log-helpers.js';
import { exportBundle } from './export.js';
import { verify } from './verify.js';

const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const BIN = join(ROOT, 'packages/cli/bin/tamga.js');

/** Builds the packages the `tamga` binary runs from (`dist/`); incremental, so quick when they are up to date. */
function ensureCliBuilt(): void {
  execFileSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-b', join(ROOT, 'packages/cli')], { stdio: 'inherit' });
}

const work = mkdtempSync(join(tmpdir(), 'tamga-ingest-e2e-'));
const dir = join(work, 'logs');
const log = join(dir, 'web.log');
let server: ListeningServer;
const children: ChildProcess[] = [];

beforeAll(async () => {
  ensureCliBuilt();
  mkdirSync(dir);
  server = await startListeningServer();
}, 180_000);
afterAll(async () => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  await server.t.close();
  rmSync(work, { recursive: true, force: true });
});

/** Record n: every fifth is a multi-line ERROR record, the others one line; each names its own user, user<n>. */
const record = (n: number): string => (n % 5 === 4 ? errorRecord(n, 6) : rightLine(n));
const records = (from: number, to: number): string => Array.from({ length: to - from }, (_, i) => record(from + i)).join('');

function startIngester(): ChildProcess & { stderr: NodeJS.ReadableStream; output: () => string } {
  const child = spawn(
    process.execPath,
    [BIN, 'ingest-log', '--url', server.url, '--api-key', TEST_API_KEY, '--tenant', 'rotation', '--state', join(work, 'state.json'), '--timezone', 'Europe/Moscow', '--follow', '--poll', '0.1', '--multiline-timeout', '0.5', '--progress', '0', dir],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  ) as ChildProcess & { stderr: NodeJS.ReadableStream; output: () => string };
  let output = '';
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.output = () => output;
  children.push(child);
  return child;
}

const users = async (): Promise<string[]> => (await storedEvents(server.t, 'rotation')).map((e) => e.userId!);
const exited = (child: ChildProcess): Promise<number | null> => new Promise((resolve) => (child.exitCode !== null ? resolve(child.exitCode) : child.once('exit', (code) => resolve(code))));

describe('tamga ingest-log --follow through rotations and a kill -9', () => {
  it('stores each record exactly once, and the log verifies offline', async () => {
    writeFileSync(log, records(0, 20));
    const first = startIngester();
    await waitUntil('the first records are stored', async () => (await users()).length >= 10, 30_000);

    // Lines appended, then a rotation by rename: web.log → web.log.1, a new web.log.
    appendFileSync(log, records(20, 30));
    renameSync(log, `${log}.1`);
    writeFileSync(log, records(30, 40));
    await waitUntil('records of the new file are stored', async () => (await users()).some((u) => Number(u.slice(4)) >= 30), 30_000);
    // …and acknowledged in the state file (a kill before that is safe too: those records are sent again and
    // recognised, as the second run of the seed test shows; here the state proves the copy is continued).
    const newContent = platformLogFileId(Buffer.from(record(30)))!;
    await waitUntil('the state holds progress in the new web.log', () => {
      try {
        return (JSON.parse(readFileSync(join(work, 'state.json'), 'utf8')) as { files: Record<string, unknown> }).files[newContent] !== undefined;
      } catch {
        return false;
      }
    });

    // kill -9 while it works; then, while it is down, more lines, a copy-and-truncate of web.log (the copy is
    // web.log.2) and the compression of web.log.1 (web.log.1.gz replaces it).
    first.kill('SIGKILL');
    expect(await exited(first)).toBeNull();
    appendFileSync(log, records(40, 50));
    copyFileSync(log, `${log}.2`);
    truncateSync(log, 0);
    appendFileSync(log, records(50, 60));
    writeFileSync(`${log}.1.gz`, gzipSync(readFileSync(`${log}.1`)));
    unlinkSync(`${log}.1`);

    const second = startIngester();
    appendFileSync(log, records(60, 70));
    await waitUntil('all 70 records are stored', async () => (await users()).length >= 70, 60_000);
    // Give it time to send anything twice, then stop it the way a service manager does.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    second.kill('SIGTERM');
    expect(await exited(second)).toBe(0);
    // The copy of the truncated file went on from where the first ingester's acknowledged progress stopped.
    expect(second.output()).toMatch(new RegExp(`${log}\\.2: holds the content of ${log}, sent up to line \\d+: reading the rest`));

    const stored = await users();
    expect(stored).toHaveLength(70);
    expect([...stored].sort()).toEqual(Array.from({ length: 70 }, (_, i) => `user${i}`).sort());
    const errors = (await storedEvents(server.t, 'rotation')).filter((e) => e.event === 31103);
    expect(errors).toHaveLength(14);
    for (const e of errors) expect((e.entityData['stack'] as string).split('\n')).toHaveLength(6);

    // The tenant's log, exported and verified with no server.
    await waitUntil('a checkpoint covers the 70 records', async () => {
      const res = await server.t.request({ method: 'GET', url: '/api/v1/logs/rotation/checkpoint' });
      return res.statusCode === 200 && Number(res.body.split('\n')[1]) === 70;
    });
    const bundle = join(work, 'bundle');
    expect(await exportBundle(['--url', server.url, '--api-key', TEST_API_KEY, '--tenant', 'rotation', '--out', bundle], textSink())).toBe(0);
    const out = textSink();
    expect(await verify([bundle, '--json'], out)).toBe(0);
    expect(JSON.parse(out.text)).toMatchObject({ status: 'valid', counts: { valid: 70 } });
  }, 180_000);
});
