import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { KeyRing } from '@tamga/server';
import { runTamgaCommand, ServeFailed, startServeProcess } from '../test-support/serve-process.js';

const work = mkdtempSync(join(tmpdir(), 'tamga-keys-cli-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const tamga = runTamgaCommand;

describe('tamga keys and tamga serve with a damaged key file', () => {
  const dataDir = join(work, 'data');
  const keysDir = join(dataDir, 'keys');
  let emptied = '';

  it('tamga keys list and rotate on a mistyped directory say it does not exist, and create nothing', async () => {
    for (const args of [['list'], ['rotate', '--hmac']]) {
      const run = await tamga(['keys', ...args, '--data-dir', dataDir]);
      expect(run.code).toBe(2);
      expect(run.stderr).toBe(
        `tamga: The keys directory ${keysDir} does not exist (check --data-dir / --keys-dir; the server creates it at first start) [CONFIG_INVALID]\n`,
      );
      expect(existsSync(dataDir)).toBe(false);
    }
    mkdirSync(keysDir, { recursive: true });
    const empty = await tamga(['keys', 'list', '--keys-dir', keysDir]);
    expect(empty.code).toBe(2);
    expect(empty.stderr).toContain(`The keys directory ${keysDir} has no hmac and no checkpoint key`);
    expect(readdirSync(keysDir)).toEqual([]);
  }, 90_000);

  it('tamga keys rotate writes a key that tamga keys list shows', async () => {
    KeyRing.openOrCreate(keysDir); // what the server's first start does
    const rotated = await tamga(['keys', 'rotate', '--hmac', '--data-dir', dataDir]);
    expect(rotated.code).toBe(0);
    const kid = /New HMAC key (\S+) written/.exec(rotated.stdout)![1]!;
    const listed = await tamga(['keys', 'list', '--data-dir', dataDir]);
    expect(listed.stdout).toMatch(new RegExp(`${kid}.*\\(signs new records\\)`));
    emptied = readdirSync(keysDir).find((n) => n.includes(kid))!;
  });

  it('are refused with one line naming the file and what to do, and a non-zero exit; the file is kept', async () => {
    writeFileSync(join(keysDir, emptied), ''); // what a power cut left of a key written without fsync
    const listed = await tamga(['keys', 'list', '--data-dir', dataDir]);
    expect(listed.code).not.toBe(0);
    expect(listed.stderr.trim().split('\n')).toHaveLength(1);
    expect(listed.stderr).toContain(`Key file ${join(keysDir, emptied)} is empty (0 bytes)`);
    expect(listed.stderr).toContain('Restore this file from your backup');

    const failure = await startServeProcess({ TAMGA_DATA_DIR: dataDir }).then(
      async (serve) => {
        await serve.kill();
        throw new Error('tamga serve started with an empty key file');
      },
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(ServeFailed);
    const { exitCode, stderrText } = failure as ServeFailed;
    expect(exitCode).not.toBe(0);
    expect(stderrText.trim().split('\n')).toHaveLength(1);
    expect(stderrText).toContain(`Key file ${join(keysDir, emptied)} is empty (0 bytes)`);
    expect(readdirSync(keysDir)).toContain(emptied);
  });
});
