import { checkTenantCatalog, TamgaError, ValidationError } from '@tamga/core';
import type { CatalogDocument, CatalogProblem } from '@tamga/core';
import { DEFAULT_TENANT_CATALOG_SETTINGS, tenantIdOf, tenantKeyOf } from './catalog-store.js';
import type { CatalogFormat, CatalogStore, PutCatalogResult, StoredTenantCatalog, TenantCatalogSettings } from './catalog-store.js';
import { CatalogParser } from './catalog-parser.js';
import { TenantCatalog } from './tenant-catalog.js';
import type { CatalogResolver } from './tenant-catalog.js';

/** Options of {@link CatalogRegistry.open}. */
export interface CatalogRegistryConfig {
  /** The built-in catalogues, validated, in load order. */
  readonly builtins: readonly CatalogDocument[];
  /** Where tenant catalogues and settings live; without one, every tenant sees the built-ins only. */
  readonly store?: CatalogStore;
  /** Clock in UTC milliseconds. Default `Date.now`. */
  readonly now?: () => number;
  /** Parses catalogue texts (off the server's thread when compiled). Default: a {@link CatalogParser} of its own. */
  readonly parser?: CatalogParser;
}

/** A tenant catalogue as the registry holds it: the stored version and its parsed document. */
export interface LoadedTenantCatalog {
  readonly stored: StoredTenantCatalog;
  readonly doc: CatalogDocument;
}

interface Snapshot {
  readonly revision: number;
  readonly catalogs: ReadonlyMap<string, LoadedTenantCatalog>;
  readonly settings: ReadonlyMap<string, TenantCatalogSettings>;
}

/** Formats problems one per line as `source:line path: message`, the way start-up and the CLI print them. */
export function formatCatalogProblems(problems: readonly CatalogProblem[]): string {
  return problems.map((p) => `${p.source}:${p.line ?? '?'}${p.path === '' ? '' : ` ${p.path}`}: ${p.message}`).join('\n');
}

/** Throws `CATALOG_INVALID` listing every problem when there are any. */
export function throwIfProblems(problems: readonly CatalogProblem[], what: string): void {
  if (problems.length === 0) return;
  throw new ValidationError('CATALOG_INVALID', `${what}:\n${formatCatalogProblems(problems)}`, { problems });
}

/**
 * Every catalogue the journal knows — built-ins, each tenant's catalogue and settings — held in memory, so that
 * resolving an event's code is O(1) and never waits for the database ({@link CatalogRegistry.forTenant}).
 *
 * The in-memory copy is replaced whenever this node changes something, and on {@link CatalogRegistry.refresh}
 * when the store's revision moved (another node changed something); `startRefreshing` polls it.
 */
export class CatalogRegistry implements CatalogResolver {
  readonly #builtins: readonly CatalogDocument[];
  readonly #builtinIds: ReadonlySet<string>;
  readonly #store: CatalogStore | undefined;
  readonly #now: () => number;
  readonly #parser: CatalogParser;
  #snapshot: Snapshot = { revision: 0, catalogs: new Map(), settings: new Map() };
  readonly #views = new Map<string, TenantCatalog>();
  readonly #defaultView: TenantCatalog;
  #timer: NodeJS.Timeout | undefined;
  #refreshing: Promise<void> | undefined;
  /** A refresh was asked for while one ran: run one more after it (the change may have committed after its read). */
  #refreshAgain = false;
  #stopped = false;
  #onRefreshError: (error: unknown) => void = () => undefined;
  readonly #changeListeners = new Set<() => void>();

  private constructor(config: CatalogRegistryConfig) {
    this.#builtins = Object.freeze([...config.builtins]);
    this.#builtinIds = new Set(config.builtins.map((d) => d.catalog));
    this.#store = config.store;
    this.#now = config.now ?? Date.now;
    this.#parser = config.parser ?? new CatalogParser();
    this.#defaultView = this.#buildView(undefined, DEFAULT_TENANT_CATALOG_SETTINGS);
  }

  /** Loads every tenant catalogue and setting from the store (if any) into memory. */
  static async open(config: CatalogRegistryConfig): Promise<CatalogRegistry> {
    const registry = new CatalogRegistry(config);
    await registry.#reload();
    return registry;
  }

  /** The built-in catalogues, in load order. */
  get builtins(): readonly CatalogDocument[] {
    return this.#builtins;
  }

  /** Whether a store backs the registry (tenant catalogues can be registered). */
  get hasStore(): boolean {
    return this.#store !== undefined;
  }

  /** The view a tenant's events resolve against. O(1): a map lookup; views are rebuilt lazily after a change. */
  forTenant(tenantId: string | null): TenantCatalog {
    const key = tenantKeyOf(tenantId);
    const cached = this.#views.get(key);
    if (cached !== undefined) return cached;
    const catalog = this.#snapshot.catalogs.get(key);
    const settings = this.#snapshot.settings.get(key);
    if (catalog === undefined && settings === undefined) return this.#defaultView;
    const view = this.#buildView(catalog, settings ?? DEFAULT_TENANT_CATALOG_SETTINGS);
    this.#views.set(key, view);
    return view;
  }

  /** The tenant's current catalogue, if it registered one. */
  tenantCatalog(tenantId: string | null): LoadedTenantCatalog | undefined {
    return this.#snapshot.catalogs.get(tenantKeyOf(tenantId));
  }

  /** One stored version of a tenant's catalogue, current or not (read from the store). */
  async storedVersion(tenantId: string | null, version: number): Promise<StoredTenantCatalog | undefined> {
    return this.#store?.getTenantCatalog(tenantId, version);
  }

  /** Every registered tenant catalogue (current versions). */
  tenantCatalogs(): LoadedTenantCatalog[] {
    return [...this.#snapshot.catalogs.values()];
  }

  /** Every tenant with a catalogue or settings of its own (`null` = the default tenant). */
  tenantIds(): (string | null)[] {
    return [...new Set([...this.#snapshot.catalogs.keys(), ...this.#snapshot.settings.keys()])].map(tenantIdOf);
  }

  /** The tenant's settings (defaults when it set none). */
  settingsOf(tenantId: string | null): TenantCatalogSettings {
    return this.#snapshot.settings.get(tenantKeyOf(tenantId)) ?? DEFAULT_TENANT_CATALOG_SETTINGS;
  }

  /** The built-in documents a tenant has enabled, in load order. */
  enabledBuiltins(settings: TenantCatalogSettings): CatalogDocument[] {
    const enabled = settings.builtinCatalogs;
    return enabled === null ? [...this.#builtins] : this.#builtins.filter((d) => enabled.includes(d.catalog));
  }

  /**
   * Parses a tenant catalogue and checks it against the built-ins the tenant enabled (`settings`, default: its
   * current settings).
   * @throws ValidationError `CATALOG_INVALID` with every problem (syntax, fields, duplicates, conflicts).
   */
  async parseTenantCatalog(text: string, source: string, settings?: TenantCatalogSettings): Promise<CatalogDocument> {
    const doc = await this.#parser.parse(text, source);
    throwIfProblems(
      checkTenantCatalog(doc, source, this.enabledBuiltins(settings ?? DEFAULT_TENANT_CATALOG_SETTINGS)),
      `Catalogue ${source} conflicts with the built-in catalogues`,
    );
    return doc;
  }

  /**
   * Validates and stores a tenant's catalogue as its next version (nothing when identical to the current one),
   * then refreshes the in-memory copy.
   * @throws ValidationError `CATALOG_INVALID` when the catalogue is invalid or conflicts with an enabled built-in.
   */
  async putTenantCatalog(tenantId: string | null, text: string, format: CatalogFormat, source: string): Promise<PutCatalogResult> {
    const store = this.#requireStore();
    const settings = (await store.getTenantSettings(tenantId)) ?? DEFAULT_TENANT_CATALOG_SETTINGS;
    const doc = await this.parseTenantCatalog(text, source, settings);
    const result = await store.putTenantCatalog(tenantId, { catalog: doc.catalog, format, text }, this.#now() * 1000);
    await this.#reload();
    this.#changed();
    return result;
  }

  /**
   * Validates and stores a tenant's settings, then refreshes the in-memory copy.
   * @throws ValidationError `VALIDATION_FAILED` for an unknown built-in id; `CATALOG_INVALID` when the tenant's
   *   catalogue would conflict with a built-in it enables.
   */
  async putTenantSettings(tenantId: string | null, settings: TenantCatalogSettings): Promise<void> {
    const store = this.#requireStore();
    const unknown = (settings.builtinCatalogs ?? []).filter((id) => !this.#builtinIds.has(id));
    if (unknown.length > 0) {
      throw new ValidationError(
        'VALIDATION_FAILED',
        `builtinCatalogs: ${unknown.map((id) => `"${id}"`).join(', ')} is not a built-in catalogue (known: ${[...this.#builtinIds].join(', ')})`,
        { field: 'builtinCatalogs' },
      );
    }
    const current = await store.getTenantCatalog(tenantId);
    if (current !== undefined) {
      const source = `catalogue of tenant ${tenantId ?? 'default'} (version ${current.version})`;
      const doc = await this.#parser.parse(current.text, source);
      throwIfProblems(
        checkTenantCatalog(doc, source, this.enabledBuiltins(settings)),
        `The tenant's catalogue conflicts with the built-in catalogues these settings enable`,
      );
    }
    await store.putTenantSettings(tenantId, settings, this.#now() * 1000);
    await this.#reload();
    this.#changed();
  }

  /**
   * Registers a listener told after this node changed a catalogue or a tenant's settings (it signals the other
   * nodes); returns the function that removes it. Listeners must not throw.
   */
  onChanged(listener: () => void): () => void {
    this.#changeListeners.add(listener);
    return () => this.#changeListeners.delete(listener);
  }

  #changed(): void {
    for (const listener of this.#changeListeners) listener();
  }

  /**
   * Checks every registered tenant catalogue against the built-ins its tenant enabled (a built-in upgrade may
   * have brought a conflict). Start-up refuses to go on when this finds problems.
   */
  checkAll(): CatalogProblem[] {
    const problems: CatalogProblem[] = [];
    for (const [key, { stored, doc }] of this.#snapshot.catalogs) {
      const settings = this.#snapshot.settings.get(key) ?? DEFAULT_TENANT_CATALOG_SETTINGS;
      const source = `catalogue of tenant ${stored.tenantId ?? 'default'} (version ${stored.version})`;
      problems.push(...checkTenantCatalog(doc, source, this.enabledBuiltins(settings)));
    }
    return problems;
  }

  /** Reloads from the store when its revision moved (another node changed a catalogue or setting). */
  async refresh(): Promise<void> {
    if (this.#store === undefined) return;
    if ((await this.#store.revision()) === this.#snapshot.revision) return;
    await this.#reload();
  }

  /**
   * Polls {@link refresh} every `intervalMs` (nodes sharing a PostgreSQL database). Errors are passed to
   * `onError` and the next poll tries again. The timer does not keep the process alive.
   */
  startRefreshing(intervalMs: number, onError: (error: unknown) => void): void {
    if (this.#store === undefined || this.#timer !== undefined) return;
    this.#onRefreshError = onError;
    this.#timer = setInterval(() => this.refreshSoon(), intervalMs);
    this.#timer.unref();
  }

  /**
   * Starts a {@link refresh} now (another node signalled a change), or one more right after the one in progress;
   * errors go to the `onError` of {@link startRefreshing}.
   */
  refreshSoon(): void {
    if (this.#store === undefined || this.#stopped) return;
    if (this.#refreshing !== undefined) {
      this.#refreshAgain = true;
      return;
    }
    this.#refreshing = this.refresh()
      .catch(this.#onRefreshError)
      .finally(() => {
        this.#refreshing = undefined;
        if (this.#refreshAgain) {
          this.#refreshAgain = false;
          this.refreshSoon();
        }
      });
  }

  /** Stops polling, waits for a poll in flight, and stops the parser's worker. */
  async stop(): Promise<void> {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
    this.#stopped = true;
    await this.#refreshing;
    await this.#parser.close();
  }

  /** Parses a stored version of a tenant catalogue (an older one than the registry holds). */
  parseStored(stored: StoredTenantCatalog): Promise<CatalogDocument> {
    return this.#parser.parse(stored.text, `version ${stored.version}`);
  }

  #requireStore(): CatalogStore {
    if (this.#store === undefined) throw new TamgaError('CONFIG_INVALID', 'This server has no catalogue store');
    return this.#store;
  }

  async #reload(): Promise<void> {
    const store = this.#store;
    if (store === undefined) return;
    // Revision first: a change committed while reading is then seen as a newer revision by the next refresh.
    const revision = await store.revision();
    const [stored, settings] = await Promise.all([store.listTenantCatalogs(), store.listTenantSettings()]);
    const catalogs = new Map<string, LoadedTenantCatalog>();
    for (const s of stored) {
      // Stored texts passed validation when they were stored; the parser is deterministic.
      const doc = await this.#parser.parse(s.text, `catalogue of tenant ${s.tenantId ?? 'default'} (version ${s.version})`);
      catalogs.set(tenantKeyOf(s.tenantId), { stored: s, doc });
    }
    this.#snapshot = {
      revision,
      catalogs,
      settings: new Map(settings.map((s) => [tenantKeyOf(s.tenantId), s.settings])),
    };
    this.#views.clear();
  }

  #buildView(catalog: LoadedTenantCatalog | undefined, settings: TenantCatalogSettings): TenantCatalog {
    const docs = this.enabledBuiltins(settings).map((doc) => ({ doc, version: doc.version }));
    if (catalog !== undefined) docs.unshift({ doc: catalog.doc, version: catalog.stored.version });
    return TenantCatalog.of(docs, settings);
  }
}
