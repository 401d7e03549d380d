import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { CatalogSet } from '@tamga/core';
import { BootstrapKeyAuthenticator, ensureBootstrapKey } from './auth/api-key-auth.js';
import { loadBuiltinCatalogs } from './catalog/load-builtin-catalogs.js';
import type { TamgaConfig } from './config/tamga-config.js';
import { buildServer } from './http/build-server.js';
import type { BuildServerOptions } from './http/build-server.js';
import { Checkpointer } from './journal/checkpointer.js';
import { Journal } from './journal/journal.js';
import type { JournalStore } from './journal/journal-store.js';
import { Prover } from './journal/prover.js';
import { KeyRing } from './keys/key-ring.js';
import { PostgresJournalStore } from './store/postgres/postgres-journal-store.js';
import { SqliteJournalStore } from './store/sqlite/sqlite-journal-store.js';

/** A running (or ready to run) Tamga: the journal, its checkpointer and its HTTP server. */
export interface TamgaServer {
  readonly config: TamgaConfig;
  readonly journal: Journal;
  readonly checkpointer: Checkpointer;
  readonly http: FastifyInstance;
  /** The bootstrap API key if it was created by this start (print it once), else undefined. */
  readonly createdApiKey: string | undefined;
  /** Stops the checkpointer, the HTTP server and the store. */
  close(): Promise<void>;
}

/** Opens the store the configuration names: PostgreSQL for a database URL, else SQLite in the data dir. */
export async function openStore(config: Pick<TamgaConfig, 'databaseUrl' | 'databaseSchema' | 'dataDir'>): Promise<JournalStore> {
  if (config.databaseUrl !== undefined) return PostgresJournalStore.connect({ url: config.databaseUrl, schema: config.databaseSchema });
  return new SqliteJournalStore({ path: join(config.dataDir, 'tamga.sqlite') });
}

/** Options of {@link createTamgaServer} for tests and embedding. */
export interface CreateTamgaServerOptions extends BuildServerOptions {
  /** Use this store instead of opening the configured one. */
  readonly store?: JournalStore;
  readonly catalog?: CatalogSet;
  /** Clock in UTC milliseconds. */
  readonly now?: () => number;
  /** Checkpoint delay after an append, ms. Default 200. */
  readonly checkpointDelayMs?: number;
}

/** Wires store, keys, catalogue, journal, checkpointer and HTTP server together (does not listen). */
export async function createTamgaServer(config: TamgaConfig, options: CreateTamgaServerOptions = {}): Promise<TamgaServer> {
  const store = options.store ?? (await openStore(config));
  try {
    const keys = KeyRing.openOrCreate(config.keysDir);
    const catalog = options.catalog ?? loadBuiltinCatalogs();
    const journal = new Journal({
      store,
      catalog,
      keys,
      nodeId: config.nodeId,
      originPrefix: config.logOrigin,
      ...(options.now !== undefined && { now: options.now }),
    });
    const { created } = await ensureBootstrapKey(store, config.adminApiKey);
    const http = await buildServer(
      { journal, prover: new Prover(store), auth: new BootstrapKeyAuthenticator(store), ...(options.now !== undefined && { now: options.now }) },
      options,
    );
    const checkpointer = new Checkpointer({
      store,
      keys,
      ...(options.checkpointDelayMs !== undefined && { delayMs: options.checkpointDelayMs }),
      onError: (error) => http.log.error({ err: error }, 'checkpoint signing failed'),
    });
    journal.onAppend(() => checkpointer.nudge());
    checkpointer.start();
    return {
      config,
      journal,
      checkpointer,
      http,
      createdApiKey: created,
      async close() {
        await checkpointer.stop();
        await http.close();
        await store.close();
      },
    };
  } catch (error) {
    await store.close();
    throw error;
  }
}
