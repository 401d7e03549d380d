import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { tempDir } from './fixtures.js';
import { TEST_API_KEY } from './test-server.js';

const CLI = fileURLToPath(new URL('../../../cli/bin/tamga.js', import.meta.url));
const BUILT = fileURLToPath(new URL('../../../cli/dist/index.js', import.meta.url));

/** `tamga serve` from the build (`npm run build`), in a process of its own, as a user starts it. */
export interface BuiltServer {
  /** `http://127.0.0.1:<port>`. */
  readonly url: string;
  readonly port: number;
  readonly process: ChildProcess;
  /** What the server printed to stdout and stderr so far. */
  output(): string;
  /** The server process's resident set size in bytes (`/proc/<pid>/status` VmRSS). */
  rss(): number;
  /** Sends a request with the administrator key (unless `authorization` is given). */
  fetch(path: string, init?: RequestInit): Promise<Response>;
  /** Stops the server (SIGTERM, then SIGKILL after 5 s) and removes its data directory. */
  close(): Promise<void>;
}

/**
 * Starts the built `tamga serve` on a free port of 127.0.0.1 with a temporary data directory, the test administrator
 * key and `env`; resolves once it prints that it is listening.
 * @throws when the CLI is not built: run `npm run build` (CI builds on `npm install`).
 */
export async function startBuiltServer(env: Record<string, string> = {}): Promise<BuiltServer> {
  if (!existsSync(BUILT)) throw new Error(`${BUILT} is missing: run npm run build first`);
  const dir = tempDir('tamga-built-');
  const child = spawn(process.execPath, [CLI, 'serve', '--host', '127.0.0.1', '--port', '0', '--data-dir', dir.path], {
    env: { ...process.env, TAMGA_ADMIN_API_KEY: TEST_API_KEY, TAMGA_NODE_ID: 'built-node', TAMGA_LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`tamga serve did not start within 30 s:\n${output}`)), 30_000);
    const check = (): void => {
      const m = /listening on http:\/\/[^:]+:(\d+)/.exec(output);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    };
    child.stdout.on('data', check);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`tamga serve exited with ${code}:\n${output}`));
    });
  });
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    port,
    process: child,
    output: () => output,
    rss() {
      const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
      return Number(m?.[1] ?? 0) * 1024;
    },
    fetch: (path, init = {}) => fetch(`${url}${path}`, { ...init, headers: { authorization: `Bearer ${TEST_API_KEY}`, ...(init.headers as Record<string, string>) } }),
    async close() {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        const killer = setTimeout(() => child.kill('SIGKILL'), 5_000);
        await exited;
        clearTimeout(killer);
      }
      dir.remove();
    },
  };
}
