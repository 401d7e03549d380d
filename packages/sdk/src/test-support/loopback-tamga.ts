import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { loadConfig } from '../../../server/src/config/tamga-config.js';
import type { StoredRecord } from '../../../server/src/journal/journal-store.js';
import { createTamgaServer } from '../../../server/src/tamga-server.js';
import type { TamgaServer } from '../../../server/src/tamga-server.js';
import { tempDir } from '../../../server/src/test-support/fixtures.js';
import { TEST_API_KEY } from '../../../server/src/test-support/test-server.js';

export { TEST_API_KEY };

/**
 * A real Tamga server (SQLite in a data directory, the real clock) listening on loopback, which a test can stop and
 * start again on the same port and data directory, as an operator restarting it would.
 */
export interface LoopbackTamga {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  readonly port: number;
  readonly dataDir: string;
  /** The running server; throws while stopped. */
  readonly server: TamgaServer;
  readonly running: boolean;
  /** Sends a request in-process with the administrator key (unless `headers.authorization` is given). */
  request(options: InjectOptions): Promise<LightMyRequestResponse>;
  /** Every record of a tenant's log (`null` = default), in `seq` order, read from the store. */
  records(tenantId?: string | null): Promise<StoredRecord[]>;
  /** Stops listening and closes the store, as a shutdown does. */
  stop(): Promise<void>;
  /** Starts again on the same port and data directory. */
  start(): Promise<void>;
  /** Stops (if running) and removes the data directory. */
  remove(): Promise<void>;
}

/**
 * Starts a {@link LoopbackTamga} on a free port (or `port`), with `env` added to its configuration, on a new data
 * directory (or `dataDir`, which `remove()` then leaves in place).
 */
export async function startLoopbackTamga(options: { port?: number; env?: Record<string, string>; dataDir?: string } = {}): Promise<LoopbackTamga> {
  const dir = options.dataDir === undefined ? tempDir('tamga-sdk-') : { path: options.dataDir, remove: () => undefined };
  let server: TamgaServer | undefined;
  let port = options.port ?? 0;
  const start = async (): Promise<void> => {
    const config = loadConfig({ TAMGA_DATA_DIR: dir.path, TAMGA_ADMIN_API_KEY: TEST_API_KEY, TAMGA_NODE_ID: 'sdk-test', ...options.env });
    const created = await createTamgaServer(config, { checkpointDelayMs: 20, passwordHashParams: { log2N: 10, r: 8, p: 1 } });
    const address = await created.http.listen({ host: '127.0.0.1', port });
    port = Number(new URL(address).port);
    server = created;
  };
  await start();
  const running = (): TamgaServer => {
    if (server === undefined) throw new Error('Tamga is stopped');
    return server;
  };
  const stop = async (): Promise<void> => {
    const s = server;
    server = undefined;
    await s?.close();
  };
  return {
    get url() {
      return `http://127.0.0.1:${port}`;
    },
    get port() {
      return port;
    },
    dataDir: dir.path,
    get server() {
      return running();
    },
    get running() {
      return server !== undefined;
    },
    request: (opts) => running().http.inject({ ...opts, headers: { authorization: `Bearer ${TEST_API_KEY}`, ...opts.headers } }),
    async records(tenantId = null) {
      const store = running().journal.store;
      const log = await store.getLog(tenantId);
      return log === undefined ? [] : store.readRecordsBySeq(log.logId, 0, log.size);
    },
    stop,
    start,
    async remove() {
      await stop();
      dir.remove();
    },
  };
}

/** The built `tamga` command (`npm run build`). */
export const TAMGA_BIN = fileURLToPath(new URL('../../../cli/bin/tamga.js', import.meta.url));

/** A `tamga serve` process on loopback, to stop as an operator or a crash would. */
export interface TamgaProcess {
  readonly url: string;
  readonly port: number;
  readonly dataDir: string;
  /** Ends the process with `signal` (SIGKILL: a crash) and waits for it to exit. */
  kill(signal: NodeJS.Signals): Promise<void>;
  /** Starts it again on the same port and data directory. */
  start(): Promise<void>;
}

/**
 * Runs the built `tamga serve` (SQLite in `dataDir`) in a process of its own, listening on 127.0.0.1 (`port`, or a
 * free one): for tests whose Tamga must not share the test's event loop, or must die by SIGKILL.
 */
export async function startTamgaProcess(options: { dataDir: string; port?: number }): Promise<TamgaProcess> {
  let child: ChildProcess | undefined;
  let port = options.port ?? 0;
  const start = async (): Promise<void> => {
    const started = spawn(process.execPath, [TAMGA_BIN, 'serve'], {
      env: { ...process.env, TAMGA_DATA_DIR: options.dataDir, TAMGA_ADMIN_API_KEY: TEST_API_KEY, TAMGA_HOST: '127.0.0.1', TAMGA_PORT: String(port), TAMGA_NODE_ID: 'sdk-test', TAMGA_LOG_LEVEL: 'error' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const exited = once(started, 'exit').then(([code]) => {
      throw new Error(`tamga serve exited with ${String(code)} before listening`);
    });
    const listening = (async () => {
      for await (const line of createInterface({ input: started.stdout! })) {
        const m = /listening on http:\/\/localhost:(\d+)/.exec(line);
        if (m !== null) return Number(m[1]);
      }
      throw new Error('tamga serve ended its output before listening');
    })();
    port = await Promise.race([listening, exited]);
    started.stdout!.resume();
    child = started;
  };
  await start();
  return {
    get url() {
      return `http://127.0.0.1:${port}`;
    },
    get port() {
      return port;
    },
    dataDir: options.dataDir,
    async kill(signal) {
      const c = child;
      child = undefined;
      if (c === undefined || c.exitCode !== null || c.signalCode !== null) return;
      const exited = once(c, 'exit');
      c.kill(signal);
      await exited;
    },
    start,
  };
}
