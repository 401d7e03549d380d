import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { TAMGA_BIN } from './test-support/serve-process.js';

const work = mkdtempSync(join(tmpdir(), 'tamga-cli-conventions-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Runs the built `tamga ARGS` as a user does and resolves with its exit code and output. */
async function tamga(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const env: NodeJS.ProcessEnv = { ...process.env, TAMGA_DATA_DIR: join(work, 'data') };
  delete env.TAMGA_API_KEY;
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [TAMGA_BIN, ...args], { env, cwd: work });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

/** A usage error as the CLI must print it: one line, naming `what`, pointing to `<command> --help`, exit 2. */
function expectUsageError(run: { code: number; stdout: string; stderr: string }, command: string, what: string): void {
  expect(run.code).toBe(2);
  expect(run.stdout).toBe('');
  expect(run.stderr.endsWith('\n')).toBe(true);
  expect(run.stderr.trim().split('\n')).toHaveLength(1);
  expect(run.stderr).toContain(`${command}: `);
  expect(run.stderr).toContain(what);
  expect(run.stderr).toContain(`See "${command} --help".`);
  expect(run.stderr).not.toMatch(/\n\s+at /);
}

const COMMANDS = [
  'serve',
  'users',
  'keys',
  'catalog',
  'catalog validate',
  'catalog list',
  'send',
  'ingest-log',
  'pull-events',
  'export',
  'verify',
  'verify-receipt',
];

// Each case starts the CLI a few times, each start ~0.5 s alone and several seconds on a loaded machine.
describe('tamga behaves like a CLI', { timeout: 120_000 }, () => {
  const version = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;

  it('prints its version with --version and -V, and its usage with --help', async () => {
    for (const flag of ['--version', '-V']) {
      expect(await tamga(flag)).toEqual({ code: 0, stdout: `tamga ${version}\n`, stderr: '' });
    }
    const help = await tamga('--help');
    expect(help.code).toBe(0);
    expect(help.stderr).toBe('');
    for (const command of COMMANDS.filter((c) => !c.includes(' '))) expect(help.stdout).toContain(`  ${command} `);
  });

  it.each(COMMANDS)('tamga %s --help prints its usage on stdout and exits 0', async (command) => {
    const words = command.split(' ');
    const help = await tamga(...words, '--help');
    expect(help.stderr).toBe('');
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(new RegExp(`^Usage: tamga ${words[0]}`));
  });

  it('-h and "tamga help COMMAND" print the same usage', async () => {
    const help = await tamga('keys', '--help');
    expect(await tamga('keys', '-h')).toEqual(help);
    expect(await tamga('help', 'keys')).toEqual(help);
    expect(await tamga('keys', 'list', '--data-dir', 'x', '--help')).toEqual(help);
  });

  it.each([
    ['serve', ['--prot', '80'], '--prot'],
    ['users', ['list', '--data-dri', 'x'], '--data-dri'],
    ['keys', ['list', '--bogus'], '--bogus'],
    ['catalog list', ['--langu', 'ru'], '--langu'],
    ['catalog validate', ['--builtins', 'tamga', 'x.json'], '--builtins'],
    ['send', ['--uri', 'http://x'], '--uri'],
    ['ingest-log', ['--dryrun', 'x.log'], '--dryrun'],
    ['pull-events', ['--source', 'http://x'], '--source'],
    ['export', ['--output', 'x'], '--output'],
    ['verify', ['--key', 'x', 'bundle'], '--key'],
    ['verify-receipt', ['--hmac', 'x', 'r.json'], '--hmac'],
  ])('tamga %s: an unknown option is one line naming it, exit 2', async (command, args, option) => {
    expectUsageError(await tamga(...command.split(' '), ...args), `tamga ${command}`, `unknown option ${option}`);
  });

  it('an option without its value, a value given to a flag and an unknown command are one line each, exit 2', async () => {
    expectUsageError(await tamga('serve', '--port'), 'tamga serve', 'option --port needs a value');
    expectUsageError(await tamga('export', '--url', '--api-key', 'k'), 'tamga export', 'option --url needs a value');
    expectUsageError(await tamga('keys', 'list', '--json=yes'), 'tamga keys', 'option --json takes no value');
    expectUsageError(await tamga('frobnicate'), 'tamga', 'unknown command "frobnicate"');
    expectUsageError(await tamga('keys', 'lsit'), 'tamga keys', 'unknown action "lsit"');
  });

  it('options with a fixed set of values list the allowed ones', async () => {
    expectUsageError(await tamga('serve', '--log-level', 'loud'), 'tamga serve', '--log-level must be one of fatal, error, warn, info, debug, trace, silent, not "loud"');
    expectUsageError(await tamga('catalog', 'list', '--lang', 'de'), 'tamga catalog list', '--lang must be one of en, ru, not "de"');
    expectUsageError(await tamga('catalog', 'list', '--catalog', 'nope'), 'tamga catalog list', '--catalog must be one of ai-server, asset-server, platform-security, tamga, not "nope"');
    expectUsageError(await tamga('users', 'create', 'bob', '--role', 'auditor,king'), 'tamga users', '--role must be one of administrator, auditor, tenant-auditor, ingest, not "king"');
    expectUsageError(await tamga('verify', '--workers', 'many', 'bundle'), 'tamga verify', '--workers must be an integer from 1 to 64, not "many"');
    expectUsageError(await tamga('send', '--url', 'http://x', '--api-key', 'k', '--timeout', 'soon'), 'tamga send', '--timeout must be a number of at least 0, not "soon"');
    expectUsageError(await tamga('ingest-log', '--dry-run', '--batch', '20000', 'x.log'), 'tamga ingest-log', '--batch must be an integer from 1 to 10000, not "20000"');
  });

  it('names the missing required options', async () => {
    expectUsageError(await tamga('export', '--url', 'http://x'), 'tamga export', 'missing --api-key (or TAMGA_API_KEY), --out');
    expectUsageError(await tamga('pull-events', '--url', 'http://x'), 'tamga pull-events', 'missing --source-url, --api-key (or TAMGA_API_KEY), --state');
    expectUsageError(await tamga('verify'), 'tamga verify', 'name the bundle DIR or FILE');
  });

  it('a configuration error is one line with its code and exit 2, never a stack trace', async () => {
    const run = await tamga('serve', '--port', '99999');
    expect(run.code).toBe(2);
    expect(run.stderr).toBe('tamga: --port must be a port number (0 to 65535), not "99999" [CONFIG_INVALID]\n');
    expect(existsSync(join(work, 'data'))).toBe(false);
  });
});
