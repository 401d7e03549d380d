import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { loadConfig } from '../config/tamga-config.js';
import type { JournalStore } from '../journal/journal-store.js';
import { createTamgaServer } from '../tamga-server.js';
import type { CreateTamgaServerOptions, TamgaServer } from '../tamga-server.js';
import { tempDir } from './fixtures.js';

/** The administrator key of test servers. */
export const TEST_API_KEY = 'tmg_test_key_0123456789abcdefghijklmnopqrstuvwxyz';

/** 2026-11-22T10:17:00Z: the fixed "now" of HTTP tests. */
export const TEST_NOW_MS = Date.UTC(2026, 10, 22, 10, 17, 0);

/** A server on a temporary data directory with a fixed clock, driven through `inject()`. */
export interface TestServer {
  readonly server: TamgaServer;
  readonly dataDir: string;
  /** Sends a request with the administrator key (unless `headers.authorization` is given). */
  request(options: InjectOptions): Promise<LightMyRequestResponse>;
  close(): Promise<void>;
}

/** Starts a test server (SQLite in a temporary directory unless `store` is given). */
export async function startTestServer(
  options: { store?: JournalStore; now?: () => number; env?: Record<string, string>; serverOptions?: CreateTamgaServerOptions } = {},
): Promise<TestServer> {
  const dir = tempDir();
  const config = loadConfig({
    TAMGA_DATA_DIR: dir.path,
    TAMGA_ADMIN_API_KEY: TEST_API_KEY,
    TAMGA_NODE_ID: 'test-node',
    ...options.env,
  });
  const server = await createTamgaServer(config, {
    now: options.now ?? (() => TEST_NOW_MS),
    checkpointDelayMs: 20,
    // Cheap scrypt (N = 2^10) for speed; the production cost is tested in auth/password-hashing.test.ts.
    passwordHashParams: { log2N: 10, r: 8, p: 1 },
    ...(options.store !== undefined && { store: options.store }),
    ...options.serverOptions,
  });
  return {
    server,
    dataDir: dir.path,
    request: (opts) =>
      server.http.inject({ ...opts, headers: { authorization: `Bearer ${TEST_API_KEY}`, ...opts.headers } }),
    async close() {
      await server.close();
      dir.remove();
    },
  };
}
