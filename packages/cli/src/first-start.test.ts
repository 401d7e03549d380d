import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import type { AddressInfo, Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { TAMGA_BIN } from './test-support/serve-process.js';

const work = mkdtempSync(join(tmpdir(), 'tamga-first-start-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** `tamga serve` on `port` with a fresh environment (no fixed admin key or password): its output and how it ended. */
function serve(port: number, dataDir: string): { done: Promise<{ code: number | null; stdout: string; stderr: string }>; listening: Promise<string>; stop: () => void } {
  const env: NodeJS.ProcessEnv = { ...process.env, TAMGA_LOG_LEVEL: 'error' };
  for (const name of ['TAMGA_ADMIN_API_KEY', 'TAMGA_ADMIN_PASSWORD', 'TAMGA_DATABASE_URL', 'TAMGA_KEYS_DIR']) delete env[name];
  const child = spawn(process.execPath, [TAMGA_BIN, 'serve', '--host', '127.0.0.1', '--port', String(port), '--data-dir', dataDir], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  let onListening: (banner: string) => void = () => undefined;
  const listening = new Promise<string>((resolve) => (onListening = resolve));
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
    // The banner is written at once: the output holding its first line holds all of it.
    if (/Tamga is listening on/.test(stdout)) onListening(stdout);
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const done = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => child.once('exit', (code) => resolve({ code, stdout, stderr })));
  return { done, listening, stop: () => child.kill('SIGTERM') };
}

describe('the first start', () => {
  it('creates no one-time secret when it cannot listen; the next start shows them, and they work', async () => {
    const dataDir = join(work, 'data');
    const blocker: Server = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as AddressInfo).port;

    const failed = await serve(port, dataDir).done;
    expect(failed.code).toBe(2);
    expect(failed.stdout).toBe('');
    expect(failed.stderr).toBe(
      `tamga: Cannot listen on 127.0.0.1:${port}: the port is in use by another program; stop it or choose another port (--port, TAMGA_PORT) [CONFIG_INVALID]\n`,
    );

    await new Promise<void>((resolve) => blocker.close(() => resolve()));
    const second = serve(port, dataDir);
    try {
      const banner = await Promise.race([second.listening, second.done.then((d) => Promise.reject(new Error(`tamga serve exited: ${d.stderr}`)))]);
      const password = /password: (\S+)/.exec(banner)?.[1];
      const apiKey = /Bearer (\S+)"/.exec(banner)?.[1];
      expect(password).toBeDefined();
      expect(apiKey).toMatch(/^tmg_/);
      const url = `http://127.0.0.1:${port}`;

      const events = await fetch(`${url}/api/v1/events?limit=1`, { headers: { authorization: `Bearer ${apiKey}` } });
      expect(events.status).toBe(200);
      const signIn = await fetch(`${url}/api/v1/session`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ login: 'admin', password }),
      });
      expect(signIn.status).toBe(201);
      expect(((await signIn.json()) as { mustChangePassword?: boolean }).mustChangePassword).toBe(true);
    } finally {
      second.stop();
      await second.done;
    }

    // The secrets were shown once: a third start shows none.
    const third = serve(port, dataDir);
    try {
      const banner = await Promise.race([third.listening, third.done.then((d) => Promise.reject(new Error(`tamga serve exited: ${d.stderr}`)))]);
      expect(banner).not.toMatch(/password:|Bearer/);
      expect(banner).toContain('Sign in as a user (tamga users list), or use an API key.');
    } finally {
      third.stop();
      await third.done;
    }
  }, 90_000);
});
