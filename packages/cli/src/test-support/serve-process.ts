import { execFile, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

/** The `tamga` command as a user runs it (the compiled CLI: `npm run build` after changing the code). */
export const TAMGA_BIN = fileURLToPath(new URL('../../bin/tamga.js', import.meta.url));

/** Runs `tamga ARGS` with `env` on top of this process's environment; resolves with its exit code and output. */
export async function runTamgaCommand(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [TAMGA_BIN, ...args], { env: { ...process.env, ...env } });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

/** An administrator API key for servers started by tests. */
export const SERVE_API_KEY = 'tmg_serve_process_key_0123456789abcdefghijklmnop';

/** A `tamga serve` child process listening on a free loopback port. */
export interface ServeProcess {
  readonly url: string;
  readonly child: ChildProcess;
  /** What it wrote to stderr so far. */
  stderr(): string;
  /** What it wrote to stdout so far (its log, at TAMGA_LOG_LEVEL). */
  stdout(): string;
  /** Sends a request with the administrator key; the body is sent as JSON when given. */
  request(method: string, path: string, body?: unknown): Promise<{ status: number; headers: Headers; json: unknown; text: string }>;
  /** SIGKILL, as a crash or a power cut ends it; resolves when it has exited. */
  kill(): Promise<void>;
  /** SIGTERM (a clean stop); resolves with the exit code. */
  stop(): Promise<number | null>;
}

/** How `tamga serve` ended when it did not start. */
export class ServeFailed extends Error {
  constructor(
    readonly exitCode: number | null,
    readonly stderrText: string,
  ) {
    super(`tamga serve exited with ${exitCode} before listening: ${stderrText.trim()}`);
  }
}

/**
 * Starts `tamga serve --port 0` with `env` (on top of this process's environment, with `TAMGA_ADMIN_API_KEY` set to
 * {@link SERVE_API_KEY}) and resolves once it listens; rejects with {@link ServeFailed} when it exits first. `nodeArgs`
 * go to `node` before the script, as an operator's `node --max-old-space-size=… tamga.js serve` does.
 */
export function startServeProcess(env: Record<string, string>, timeoutMs = 30_000, nodeArgs: readonly string[] = []): Promise<ServeProcess> {
  const child = spawn(process.execPath, [...nodeArgs, TAMGA_BIN, 'serve', '--host', '127.0.0.1', '--port', '0'], {
    env: { ...process.env, TAMGA_ADMIN_API_KEY: SERVE_API_KEY, TAMGA_LOG_LEVEL: 'error', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return new Promise<ServeProcess>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`tamga serve did not listen within ${timeoutMs} ms: ${err}`));
    }, timeoutMs);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new ServeFailed(code, err));
    });
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      out += chunk;
      const m = /Tamga is listening on (http:\/\/\S+)/.exec(out);
      if (m === null) return;
      clearTimeout(timer);
      const url = m[1]!.replace('localhost', '127.0.0.1');
      resolve({
        url,
        child,
        stderr: () => err,
        stdout: () => out,
        async request(method, path, body) {
          const res = await fetch(`${url}${path}`, {
            method,
            headers: { authorization: `Bearer ${SERVE_API_KEY}`, ...(body !== undefined && { 'content-type': 'application/json' }) },
            ...(body !== undefined && { body: JSON.stringify(body) }),
          });
          const text = await res.text();
          let json: unknown;
          try {
            json = JSON.parse(text);
          } catch {
            json = undefined;
          }
          return { status: res.status, headers: res.headers, json, text };
        },
        async kill() {
          if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
          await exited;
        },
        async stop() {
          if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
          return exited;
        },
      });
    });
  });
}
