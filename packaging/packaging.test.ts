import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const root = fileURLToPath(new URL('..', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'tamga-packaging-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** The environment of a user's shell: no TAMGA_* settings of the test run. */
function userEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of Object.keys(env)) if (name.startsWith('TAMGA_') || name.startsWith('npm_')) delete env[name];
  return env;
}

describe('the packed CLI, installed without the repository', () => {
  it(
    'npm pack yields one tarball that installs in an empty directory and runs tamga serve with the page and the catalogues',
    async () => {
      // Pack as `npm run pack` does (from what `npm run build` built).
      const { stdout: packed } = await run(process.execPath, [join(root, 'packaging/pack.js'), join(work, 'out')], { cwd: root });
      const tarball = packed.trim().split(/\s+/)[0]!;
      expect(tarball).toMatch(/tamga-cli-\d+\.\d+\.\d+\.tgz$/);
      const { stdout: listing } = await run('tar', ['-tzf', tarball], { maxBuffer: 16 * 1024 * 1024 });
      for (const file of ['package/bin/tamga.js', 'package/dist/index.js', 'package/LICENSE', 'package/packaging/tamga.service', 'package/node_modules/@tamga/server/ui/index.html', 'package/node_modules/@tamga/server/catalogs/tamga.json', 'package/node_modules/@tamga/core/dist/index.js', 'package/node_modules/@tamga/sdk/dist/index.js']) {
        expect(listing.split('\n')).toContain(file);
      }
      expect(listing).not.toMatch(/\.test\.js|test-support|\.tsbuildinfo|\/src\//);

      // Install it in an empty directory, as a user would (third-party packages from the npm cache when it has them).
      // better-sqlite3's install script downloads its prebuilt binary from GitHub, which this machine cannot reach, and
      // then compiles SQLite for many minutes: the test hands prebuild-install the same file from the repository's own
      // install instead (its documented local-prebuilds directory), so only the download is stood in for.
      const prebuilds = join(work, 'prebuilds');
      mkdirSync(prebuilds);
      const sqlite = join(createRequire(join(root, 'packages/server/package.json')).resolve('better-sqlite3/package.json'), '..');
      const sqliteVersion = (JSON.parse(readFileSync(join(sqlite, 'package.json'), 'utf8')) as { version: string }).version;
      const prebuilt = join(prebuilds, `better-sqlite3-v${sqliteVersion}-node-v${process.versions.modules}-${process.platform}-${process.arch}.tar.gz`);
      await run('tar', ['-czf', prebuilt, '-C', sqlite, 'build/Release/better_sqlite3.node']);
      const app = join(work, 'app');
      mkdirSync(app);
      await run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', tarball], {
        cwd: app,
        env: { ...userEnv(), npm_config_better_sqlite3_local_prebuilds: prebuilds },
        maxBuffer: 16 * 1024 * 1024,
      });
      const bin = join(app, 'node_modules/.bin/tamga');
      expect(existsSync(bin)).toBe(true);
      const version = (JSON.parse(readFileSync(join(root, 'packages/cli/package.json'), 'utf8')) as { version: string }).version;
      expect((await run(bin, ['--version'], { cwd: app, env: userEnv() })).stdout).toBe(`tamga ${version}\n`);

      // tamga serve from there: first start, the page, the catalogues, an event in and out.
      const child = spawn(bin, ['serve', '--port', '0', '--data-dir', join(app, 'data')], { cwd: app, env: { ...userEnv(), TAMGA_LOG_LEVEL: 'error' }, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
      child.stderr.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      try {
        const deadline = Date.now() + 60_000;
        while (!/Tamga is listening on/.test(out)) {
          if (child.exitCode !== null || Date.now() > deadline) throw new Error(`tamga serve did not start: ${err}`);
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
        const url = /Tamga is listening on (http:\/\/\S+)/.exec(out)![1]!.replace('localhost', '127.0.0.1');
        const key = /Bearer (tmg_\S+)"/.exec(out)?.[1];
        expect(key).toBeDefined();
        expect(out).toMatch(/password: \S+/);
        const auth = { authorization: `Bearer ${key}` };

        const page = await fetch(`${url}/`);
        expect(page.status).toBe(200);
        const html = await page.text();
        const script = /src="(\/assets\/[^"]+\.js)"/.exec(html)?.[1];
        expect(script).toBeDefined();
        expect((await fetch(`${url}${script}`)).status).toBe(200);

        const catalog = (await (await fetch(`${url}/api/v1/catalog?catalog=tamga`, { headers: auth })).json()) as { items: { code: number }[] };
        expect(catalog.items.map((i) => i.code)).toContain(32000);
        const appended = await fetch(`${url}/api/v1/events`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify({ event: 2001, entityData: 'logs, tenantId=' }) });
        expect(appended.status).toBe(201);
        const events = (await (await fetch(`${url}/api/v1/events?event=2001`, { headers: auth })).json()) as { items: { eventName: string; integrity: string }[] };
        expect(events.items).toMatchObject([{ eventName: 'Login', integrity: 'valid' }]);
      } finally {
        child.kill('SIGTERM');
        await exited;
      }
      expect(out).toContain('Tamga is stopping...');
      expect((await run(bin, ['keys', 'list', '--data-dir', join(app, 'data')], { cwd: app, env: userEnv() })).stdout).toContain('(signs new records)');
    },
    20 * 60_000,
  );

  it('ships a systemd unit that systemd accepts', async () => {
    const unit = readFileSync(join(root, 'packaging/tamga.service'), 'utf8');
    for (const line of ['DynamicUser=yes', 'StateDirectory=tamga', 'Environment=TAMGA_DATA_DIR=/var/lib/tamga', 'Environment=TAMGA_PORT=7300', 'ProtectSystem=strict', 'NoNewPrivileges=yes']) {
      expect(unit.split('\n')).toContain(line);
    }
    // systemd-analyze (part of systemd, on this machine class) checks every directive's name and value.
    const { stderr } = await run('systemd-analyze', ['verify', join(root, 'packaging/tamga.service')]);
    expect(stderr).toBe('');
  });
});
