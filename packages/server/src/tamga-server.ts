import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { CatalogSet } from '@tamga/core';
import { BootstrapKeyAuthenticator, ensureBootstrapKey } from './auth/api-key-auth.js';
import { DEFAULT_ACCESS_CONFIG } from './auth/access-config.js';
import { AccessControl } from './auth/access-control.js';
import type { AccessStore } from './auth/access-store.js';
import type { PasswordHashParams } from './auth/password-hashing.js';
import type { CatalogRegistry } from './catalog/catalog-registry.js';
import { loadBuiltinCatalogDocuments } from './catalog/load-builtin-catalogs.js';
import { openCatalogRegistry, startCatalogs } from './catalog/start-catalogs.js';
import type { TamgaConfig } from './config/tamga-config.js';
import { buildServer } from './http/build-server.js';
import type { BuildServerOptions } from './http/build-server.js';
import { Checkpointer } from './journal/checkpointer.js';
import { TamgaMetrics } from './http/metrics.js';
import { Journal } from './journal/journal.js';
import { loadTenantIds } from './journal/load-tenant-ids.js';
import type { JournalStore } from './journal/journal-store.js';
import { Prover } from './journal/prover.js';
import { loadEvidenceConfig } from './evidence/evidence-config.js';
import { loadForwardConfig } from './forward/forward-config.js';
import type { WorkerOptions } from './forward/destination-worker.js';
import { openForwarding } from './forward/start-forwarding.js';
import type { ForwardingRuntime } from './forward/start-forwarding.js';
import { startEvidence } from './evidence/start-evidence.js';
import type { EvidenceRuntime } from './evidence/start-evidence.js';
import { KeyRing } from './keys/key-ring.js';
import { SubjectBackfill } from './journal/subject-backfill.js';
import { DEFAULT_TLOG_CONFIG } from './tlog/tlog-config.js';
import { WitnessSubmitter } from './tlog/witness-submitter.js';
import { openAccessStore } from './store/open-access-store.js';
import { RetentionService } from './retention/retention-service.js';
import { PostgresJournalStore } from './store/postgres/postgres-journal-store.js';
import { SQLITE_PAGE_SIZE, SqliteJournalStore } from './store/sqlite/sqlite-journal-store.js';
import { DEFAULT_STORE_CONFIG } from './store/store-config.js';
import type { StoreConfig } from './store/store-config.js';

/** A running (or ready to run) Tamga: the journal, its checkpointer and its HTTP server. */
export interface TamgaServer {
  readonly config: TamgaConfig;
  readonly journal: Journal;
  readonly checkpointer: Checkpointer;
  /** Built-in and tenant catalogues, held in memory for ingest. */
  readonly catalogs: CatalogRegistry;
  readonly http: FastifyInstance;
  /**
   * The bootstrap API key if it was created by this start (print it once), else undefined. With
   * `credentialsOnListen` it is created by {@link TamgaServer.listen} instead, and is undefined here.
   */
  readonly createdApiKey: string | undefined;
  /** Users, sessions and API keys. */
  readonly access: AccessControl;
  /** The one-time password of `admin` if this start created it (print it once), else undefined. */
  readonly createdAdminPassword: string | undefined;
  /** Checkpoint publishing and the checkpoint self-check. */
  readonly evidence: EvidenceRuntime;
  /** Retention policies, legal holds and the scheduled purge. */
  readonly retention: RetentionService;
  /** The log side of tlog-witness: submissions and cosignatures. */
  readonly witnesses: WitnessSubmitter;
  /** Forwarding to SIEMs: destinations and their workers (undefined for a store without forwarding tables). */
  readonly forwarding: ForwardingRuntime | undefined;
  /**
   * Listens; then, with `credentialsOnListen`, creates the first start's credentials (the bootstrap API key and the
   * administrator's one-time password), so a start that cannot listen (a port in use) creates nothing that would be
   * shown to nobody. Resolves with the address and the credentials created by this start (to print once).
   */
  listen(options: { readonly host: string; readonly port: number }): Promise<ListeningServer>;
  /** Stops the checkpointer, the HTTP server and the store. */
  close(): Promise<void>;
}

/** What {@link TamgaServer.listen} resolves with. */
export interface ListeningServer {
  /** The address it listens on, e.g. `http://127.0.0.1:7300`. */
  readonly address: string;
  /** The bootstrap API key created by this start, else undefined. */
  readonly createdApiKey: string | undefined;
  /** The one-time password of `admin` created by this start, else undefined. */
  readonly createdAdminPassword: string | undefined;
}

/** How long shutdown waits for requests in flight before closing every connection. */
const SHUTDOWN_GRACE_MS = 2_000;

/** Opens the store the configuration names: PostgreSQL for a database URL, else SQLite in the data dir. */
export async function openStore(
  config: Pick<TamgaConfig, 'databaseUrl' | 'databaseSchema' | 'dataDir'> & { readonly store?: StoreConfig; readonly nodeId?: string },
): Promise<JournalStore> {
  const settings = config.store ?? DEFAULT_STORE_CONFIG;
  if (config.databaseUrl !== undefined) {
    return PostgresJournalStore.connect({
      url: config.databaseUrl,
      schema: config.databaseSchema,
      connectionTimeoutMillis: settings.connectTimeoutMs,
      statementTimeoutMillis: settings.statementTimeoutMs,
      ...(config.nodeId !== undefined && { applicationName: `tamga ${config.nodeId}` }),
    });
  }
  return new SqliteJournalStore({
    path: join(config.dataDir, 'tamga.sqlite'),
    minFreeBytes: settings.minFreeDiskBytes,
    writer: 'thread',
    readers: settings.sqliteReaders,
    readerPriority: settings.sqliteReaderPriority,
    exportPriority: settings.sqliteExportPriority,
  });
}

/** Takes the keys another node rotated into the shared directory; a damaged file is reported, the old keys stay. */
function reloadKeys(keys: KeyRing, onError: (error: unknown) => void): void {
  try {
    keys.reload();
  } catch (error) {
    onError(error);
  }
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
  /** Use this access store instead of the one on `store`'s database. */
  readonly accessStore?: AccessStore;
  /** Journal reads of the journal (JournalRead). Default true; the page's e2e fixture turns it off to keep its counts. */
  readonly journalReads?: boolean;
  /** scrypt parameters of new password hashes (tests lower them). */
  readonly passwordHashParams?: PasswordHashParams;
  /** Forwarding delivery tuning (tests shorten settle, back-off and sweep times). */
  readonly forwarding?: Partial<WorkerOptions> & { readonly sweepMs?: number };
  /** Resubmission of checkpoints not yet cosigned, ms (default 30,000; 0 = none). */
  readonly witnessRetryMs?: number;
  /**
   * Keep the text index of `q` (default true). Off, searches scan what the other filters select: the benchmark's
   * baseline for the index's ingest cost.
   */
  readonly searchIndex?: boolean;
  /**
   * Create the first start's credentials (bootstrap API key, administrator) only once {@link TamgaServer.listen}
   * listens, not here: `tamga serve` sets it so a start that fails to listen loses no one-time secret. Default false.
   */
  readonly credentialsOnListen?: boolean;
}

/** Wires store, keys, catalogue, journal, checkpointer and HTTP server together (does not listen). */
export async function createTamgaServer(config: TamgaConfig, options: CreateTamgaServerOptions = {}): Promise<TamgaServer> {
  const store = options.store ?? (await openStore(config));
  // Nodes sharing the database wake each other (appends, access and catalogue changes): PostgreSQL only.
  const signals = store.openSignals?.();
  // Forwarding and the commit feed report through the HTTP server's logger, which exists only once the routes are built.
  const logger: { log?: FastifyInstance['log'] } = {};
  try {
    const evidenceConfig = config.evidence ?? loadEvidenceConfig({});
    const keys = KeyRing.openOrCreate(config.keysDir, { checkpointOverlapMs: evidenceConfig.checkpointKeyOverlapMs });
    const builtins = loadBuiltinCatalogDocuments();
    const catalog = options.catalog ?? CatalogSet.of(builtins);
    const catalogs = await openCatalogRegistry(store, builtins, options.now);
    const accessStore = options.accessStore ?? (await openAccessStore(store));
    const tenantIds = await loadTenantIds({ journal: store, access: accessStore, catalogs });
    const journal = new Journal({
      store,
      catalog,
      ...(options.catalog === undefined && { catalogs }),
      keys,
      nodeId: config.nodeId,
      originPrefix: config.logOrigin,
      tenantIds,
      ...(options.now !== undefined && { now: options.now }),
    });
    await signals?.start();
    await journal.commits.start({
      ...(signals !== undefined && { signals }),
      onError: (error) => logger.log?.error({ err: error }, 'catching up with other nodes failed'),
    });
    const access = new AccessControl({
      store: accessStore,
      journal,
      bootstrap: new BootstrapKeyAuthenticator(store),
      config: config.access ?? DEFAULT_ACCESS_CONFIG,
      ...(options.now !== undefined && { now: options.now }),
      ...(options.journalReads !== undefined && { journalReads: options.journalReads }),
      ...(options.passwordHashParams !== undefined && { passwordHashParams: options.passwordHashParams }),
    });
    const createCredentials = async (): Promise<{ createdApiKey: string | undefined; createdAdminPassword: string | undefined }> => {
      const { created } = await ensureBootstrapKey(store, config.adminApiKey);
      const { createdPassword } = await access.ensureAdministrator();
      return { createdApiKey: created, createdAdminPassword: createdPassword };
    };
    const credentials = options.credentialsOnListen === true ? { createdApiKey: undefined, createdAdminPassword: undefined } : await createCredentials();
    const forwarding = await openForwarding({
      journal,
      keys,
      nodeId: config.nodeId,
      config: config.forward ?? loadForwardConfig({}),
      ...(options.forwarding !== undefined && { options: options.forwarding }),
      ...(options.now !== undefined && { now: options.now }),
      onError: (error, what) => logger.log?.error({ err: error }, what),
    });
    const tlog = config.tlog ?? DEFAULT_TLOG_CONFIG;
    const prover = new Prover(store);
    const witnesses = new WitnessSubmitter({
      journal,
      prover,
      witnesses: tlog.witnesses,
      timeoutMs: tlog.witnessTimeoutMs,
      ...(options.witnessRetryMs !== undefined && { retryMs: options.witnessRetryMs }),
      ...(options.now !== undefined && { now: options.now }),
      onError: (error, what) => logger.log?.error({ err: error }, what),
    });
    const retention = new RetentionService({
      journal,
      prover: new Prover(store),
      intervalMs: evidenceConfig.retentionIntervalMs,
      ...(options.now !== undefined && { now: options.now }),
      onError: (error) => logger.log?.error({ err: error }, 'retention purge failed'),
    });
    const metrics = new TamgaMetrics(store);
    const http = await buildServer(
      {
        metrics,
        journal,
        prover,
        retention,
        auth: access,
        tlog,
        witnesses,
        access,
        catalogs,
        ...(forwarding !== undefined && { forwarding: forwarding.service }),
        ...(options.now !== undefined && { now: options.now }),
      },
      { ...options, http: options.http ?? config.http },
    );
    logger.log = http.log;
    if (tenantIds.legacy.length > 0) {
      http.log.warn(
        { tenants: tenantIds.legacy },
        'Tenants stored under ids the tenant-id rule refuses stay readable and verifiable but take no new events (docs/decisions/0016-tenant-ids.md)',
      );
    }
    const pageSize = store instanceof SqliteJournalStore ? (store.database.pragma('page_size', { simple: true }) as number) : SQLITE_PAGE_SIZE;
    if (pageSize < SQLITE_PAGE_SIZE) {
      http.log.info(
        { pageSize },
        `journal: this SQLite journal has ${pageSize / 1024} KiB pages (made before ${SQLITE_PAGE_SIZE / 1024} KiB pages); "tamga compact" with the server stopped rewrites it with them (docs/decisions/0057-sqlite-16k-pages.md)`,
      );
    }
    await startCatalogs(catalogs, journal, {
      catalogDir: config.catalogDir,
      onError: (error) => http.log.error({ err: error }, 'catalogue refresh failed'),
    });
    if (signals !== undefined) {
      // Another node's change applies here at once; the poll of startCatalogs stays as the safety net.
      catalogs.onChanged(() => signals.publish('catalog'));
      // Users and keys are read from the database at every request; the signal makes open live streams check again.
      access.onChanged((where) => {
        if (where === 'here') signals.publish('access');
      });
      // A key rotated on one node (shared TAMGA_KEYS_DIR) signs here too from its signal on.
      keys.onRotated(() => signals.publish('keys'));
      signals.subscribe((signal) => {
        if (signal.topic === 'keys' || signal.topic === 'reconnected') reloadKeys(keys, (error) => logger.log?.error({ err: error }, 'reading rotated keys failed'));
        if (signal.topic === 'catalog' || signal.topic === 'reconnected') catalogs.refreshSoon();
        if (signal.topic === 'access' || signal.topic === 'reconnected') access.changedElsewhere();
      });
    }
    const checkpointer = new Checkpointer({
      store,
      keys,
      ...(options.checkpointDelayMs !== undefined && { delayMs: options.checkpointDelayMs }),
      onError: (error) => {
        metrics.signingFailures.inc();
        http.log.error({ err: error }, 'checkpoint signing failed');
      },
    });
    journal.onCommit(() => checkpointer.nudge());
    // Each new checkpoint goes to the witnesses (c2sp.org/tlog-witness); their cosignatures join its note.
    checkpointer.onSigned((checkpoint, log) => void witnesses.submit(checkpoint, log));
    checkpointer.start();
    witnesses.start();
    // The text index of q follows the appends in the background; a journal made before it is indexed the same way.
    const search = await store.searchIndexStatus();
    if (options.searchIndex !== false && (search.pending > 0 || search.building === true)) {
      http.log.info(
        { pending: search.pending, building: search.building === true },
        search.pending > 0
          ? `search index: ${search.pending} records stored before it are being indexed in the background; text searches scan them meanwhile`
          : 'search index: building the text indexes in the background (CREATE INDEX CONCURRENTLY); text searches scan meanwhile',
      );
    }
    if (options.searchIndex !== false) store.startSearchIndex?.((error) => http.log.error({ err: error }, 'search index: indexing failed; text searches scan meanwhile'));
    // Records stored before the append filled `subject` get it from their catalogue rule, a slice at a time.
    const subjects = new SubjectBackfill(store, journal.catalogs, {
      onError: (error) => http.log.error({ err: error }, 'subject backfill failed; the user filter finds older sign-ins by userId only until the next start'),
    });
    subjects.start();
    const evidence = await startEvidence({
      journal,
      checkpointer,
      prover: new Prover(store),
      config: evidenceConfig,
      onError: (error, what) => http.log.error({ err: error }, what),
    });
    retention.start();
    try {
      await forwarding?.start();
    } catch (error) {
      await subjects.stop();
      await retention.stop();
      await evidence.stop();
      await checkpointer.stop();
      await catalogs.stop();
      await forwarding?.stop();
      await journal.commits.stop();
      await http.close();
      throw error;
    }
    return {
      config,
      journal,
      checkpointer,
      evidence,
      retention,
      witnesses,
      forwarding,
      catalogs,
      http,
      ...credentials,
      access,
      async listen(where) {
        const address = await http.listen({ host: where.host, port: where.port });
        if (options.credentialsOnListen !== true) return { address, ...credentials };
        return { address, ...(await createCredentials()) };
      },
      async close() {
        // First: workers save their progress while the store is open.
        await forwarding?.stop();
        await catalogs.stop();
        await subjects.stop();
        await retention.stop();
        await evidence.stop();
        await checkpointer.stop();
        await witnesses.stop();
        // Requests in flight get a grace period; then sockets that never sent a request (browsers open
        // them speculatively, and Node counts them as busy) are cut so shutdown cannot hang.
        const deadline = setTimeout(() => http.server.closeAllConnections(), SHUTDOWN_GRACE_MS);
        await http.close();
        clearTimeout(deadline);
        await journal.commits.stop();
        await signals?.close();
        await store.close();
      },
    };
  } catch (error) {
    await signals?.close();
    await store.close();
    throw error;
  }
}
