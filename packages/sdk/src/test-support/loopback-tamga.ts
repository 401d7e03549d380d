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

/** Starts a {@link LoopbackTamga} on a free port (or `port`), with `env` added to its configuration. */
export async function startLoopbackTamga(options: { port?: number; env?: Record<string, string> } = {}): Promise<LoopbackTamga> {
  const dir = tempDir('tamga-sdk-');
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
