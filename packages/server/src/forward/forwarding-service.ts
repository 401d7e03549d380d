import { DEFAULT_TENANT_NAME, formatTimestamp, TamgaError, uuidv7 } from '@tamga/core';
import type { Journal } from '../journal/journal.js';
import { describeFailure } from './delivery-error.js';
import { createSink } from './delivery-sink.js';
import { destinationJson, parseDestinationInput } from './destination.js';
import type { Destination, DestinationSettings } from './destination.js';
import { destinationChangedEvent, testEvent } from './forward-events.js';
import type { Actor } from './forward-events.js';
import { parseForwardFilter } from './forward-filter.js';
import type { DeadLetter, ForwardStore, LogCursor } from './forward-store.js';
import { secretContext } from './forwarder.js';
import type { ForwardRunner } from './forwarder.js';
import type { SecretBox } from './secret-box.js';

/** Options of {@link ForwardingService}. */
export interface ForwardingServiceConfig {
  readonly journal: Journal;
  readonly store: ForwardStore;
  readonly forwarder: ForwardRunner;
  readonly secrets: SecretBox;
  /** Clock in UTC ms. Default `Date.now`. */
  readonly now?: () => number;
  /** Told when a change was stored but the workers could not take it up yet (they do at the next sweep). */
  readonly onError?: (error: unknown, what: string) => void;
}

/** How far a destination is behind: records of its tenants' logs not yet examined, and the age of the oldest. */
export interface DestinationLag {
  readonly records: number;
  /** Seconds since Tamga accepted the oldest record not yet delivered; 0 when none waits. */
  readonly seconds: number;
}

/** Most dead letters one page lists. */
export const MAX_DEAD_LETTER_PAGE = 1000;

/**
 * The forwarding use cases the API offers administrators: list, read (with counts, lag and last error), create,
 * change, delete, test, and list dead letters. Every change is journalled (`ForwardingDestinationChanged`, 32020)
 * and applied to the running workers at once (on other nodes within a second).
 */
export class ForwardingService {
  readonly #journal: Journal;
  readonly #store: ForwardStore;
  readonly #forwarder: ForwardRunner;
  readonly #secrets: SecretBox;
  readonly #now: () => number;
  readonly #onError: (error: unknown, what: string) => void;

  constructor(config: ForwardingServiceConfig) {
    this.#journal = config.journal;
    this.#store = config.store;
    this.#forwarder = config.forwarder;
    this.#secrets = config.secrets;
    this.#now = config.now ?? Date.now;
    this.#onError = config.onError ?? (() => undefined);
  }

  /** Has the workers take up a stored change; a failure there does not undo the change (the sweep retries). */
  async #apply(): Promise<void> {
    await this.#forwarder.reload().catch((error: unknown) => this.#onError(error, 'applying a forwarding change to the workers failed'));
  }

  /** The forwarding store. */
  get store(): ForwardStore {
    return this.#store;
  }

  /** Every destination as the API shows it, with its status. */
  async list(): Promise<Record<string, unknown>[]> {
    const destinations = await this.#store.listDestinations();
    return Promise.all(destinations.map((d) => this.#view(d)));
  }

  /** One destination as the API shows it, with its status. */
  async get(id: string): Promise<Record<string, unknown>> {
    return this.#view(await this.#find(id));
  }

  async #find(id: string): Promise<Destination> {
    const d = await this.#store.getDestination(id);
    if (d === undefined) throw new TamgaError('DESTINATION_NOT_FOUND', `No forwarding destination ${id.slice(0, 64)}`, { field: 'id' });
    return d;
  }

  #sealer(id: string) {
    return {
      seal: (plain: string, field: string) => this.#secrets.seal(plain, secretContext(id, field)),
      open: (sealed: string, field: string) => this.#secrets.open(sealed, secretContext(id, field)),
    };
  }

  /** Creates a destination from an API body; it starts at the end of every log (`start: "now"`) or at seq 0. */
  async create(body: unknown, actor: Actor, origin: 'api' | 'file' = 'api'): Promise<Record<string, unknown>> {
    const id = uuidv7();
    const { settings, start } = parseDestinationInput(body, this.#sealer(id));
    const now = this.#now();
    const d: Destination = { ...settings, id, origin, version: 1, createdAt: now, updatedAt: now };
    const cursors: LogCursor[] = start === 'now' ? (await this.#journal.store.listLogs()).map((l) => ({ logId: l.logId, nextSeq: l.size })) : [];
    await this.#store.createDestination(d, cursors);
    await this.#journal.appendSystem(destinationChangedEvent('created', d, [], actor));
    await this.#apply();
    return this.#view(d);
  }

  /** Changes a destination from an API body (fields left out keep their values; see {@link parseDestinationInput}). */
  async update(id: string, body: unknown, actor: Actor): Promise<Record<string, unknown>> {
    const existing = await this.#find(id);
    if (existing.origin === 'file') throw managedByFile(existing);
    const { settings, changed } = parseDestinationInput(body, { ...this.#sealer(id), existing });
    if (changed.length === 0) return this.#view(existing);
    return this.#view(await this.#replace(existing, settings, changed, actor));
  }

  async #replace(existing: Destination, settings: DestinationSettings, changed: readonly string[], actor: Actor, origin = existing.origin): Promise<Destination> {
    const d: Destination = { ...settings, id: existing.id, origin, version: existing.version + 1, createdAt: existing.createdAt, updatedAt: this.#now() };
    if (!(await this.#store.updateDestination(d))) throw new TamgaError('DESTINATION_NOT_FOUND', `No forwarding destination ${existing.id}`, { field: 'id' });
    await this.#journal.appendSystem(destinationChangedEvent('updated', d, changed, actor));
    await this.#apply();
    return d;
  }

  /** Deletes a destination (its dead letters stay in the store and in the journal). */
  async delete(id: string, actor: Actor, allowFile = false): Promise<void> {
    const existing = await this.#find(id);
    if (existing.origin === 'file' && !allowFile) throw managedByFile(existing);
    if (!(await this.#store.deleteDestination(id))) throw new TamgaError('DESTINATION_NOT_FOUND', `No forwarding destination ${id}`, { field: 'id' });
    await this.#journal.appendSystem(destinationChangedEvent('deleted', existing, [], actor));
    await this.#apply();
  }

  /**
   * Journals a `ForwardingTest` event (32024) and sends that record to the destination at once, on a connection of
   * its own (the destination's cursor and counts are not touched; it may be disabled).
   *
   * @throws TamgaError `DESTINATION_UNREACHABLE` (502) with what went wrong when it was not delivered.
   */
  async test(id: string, actor: Actor): Promise<Record<string, unknown>> {
    const d = await this.#find(id);
    const appended = await this.#journal.appendSystem(testEvent(d, actor));
    const record = await this.#journal.get(appended.id);
    const started = this.#now();
    let sink;
    try {
      sink = createSink(d, this.#forwarder.sinkContext(d));
      await sink.deliver([record!]);
    } catch (error) {
      throw new TamgaError('DESTINATION_UNREACHABLE', `The test event was not delivered to "${d.name}": ${describeFailure(error)}`, {
        eventId: appended.id,
      });
    } finally {
      await sink?.close();
    }
    return { delivered: true, eventId: appended.id, seq: appended.seq, tenantId: appended.tenantId, milliseconds: this.#now() - started };
  }

  /** A page of a destination's dead letters, oldest first. */
  async deadLetters(id: string, limit: number, afterId?: number): Promise<{ items: Record<string, unknown>[]; next: number | null }> {
    await this.#find(id);
    const letters = await this.#store.listDeadLetters(id, limit + 1, afterId);
    const page = letters.slice(0, limit);
    const logs = new Map((await this.#journal.store.listLogs()).map((l) => [l.logId, l.origin]));
    return {
      items: page.map((l: DeadLetter) => ({
        id: l.id,
        recordId: l.recordId,
        tenantId: l.tenantId ?? DEFAULT_TENANT_NAME,
        log: logs.get(l.logId) ?? null,
        seq: l.seq,
        event: l.event,
        reason: l.reason,
        at: new Date(l.at).toISOString(),
      })),
      next: letters.length > limit ? page[page.length - 1]!.id : null,
    };
  }

  /**
   * Applies `TAMGA_FORWARD_FILE` (read by {@link readForwardFile}) at start: creates the destinations it names, changes
   * those whose settings differ (a stored destination of the same name becomes the file's), and deletes the ones an
   * earlier file defined and this one no longer does. Each change is journalled with `userId` `TAMGA_FORWARD_FILE`.
   *
   * @throws TamgaError `CONFIG_INVALID` naming the entry and the field: the server does not start.
   */
  async applyFile(entries: readonly Record<string, unknown>[], path: string): Promise<void> {
    const actor: Actor = { userId: 'TAMGA_FORWARD_FILE' };
    const stored = await this.#store.listDestinations();
    const byName = new Map(stored.map((d) => [d.name, d]));
    const named = new Set<string>();
    for (const [i, body] of entries.entries()) {
      try {
        const current = typeof body.name === 'string' ? byName.get(body.name.trim()) : undefined;
        if (current === undefined) {
          await this.create(body, actor, 'file');
          if (typeof body.name === 'string') named.add(body.name.trim());
          continue;
        }
        named.add(current.name);
        // Declarative: what the entry leaves out takes its default; secrets equal to the stored ones stay as stored.
        const { settings } = parseDestinationInput(body, this.#fileSealer(current));
        const { id: _id, origin: _origin, version: _version, createdAt: _c, updatedAt: _u, ...before } = current;
        const fields = [...new Set([...Object.keys(settings), ...Object.keys(before)])];
        const changed = fields.filter((f) => JSON.stringify(settings[f as keyof DestinationSettings]) !== JSON.stringify(before[f as keyof DestinationSettings]));
        if (changed.length > 0 || current.origin !== 'file') await this.#replace(current, settings, changed, actor, 'file');
      } catch (error) {
        if (!(error instanceof TamgaError) || error.status >= 500) throw error;
        const field = typeof error.details.field === 'string' ? error.details.field : '';
        throw new TamgaError('CONFIG_INVALID', `TAMGA_FORWARD_FILE ${path}: destinations[${i}]${field === '' ? '' : `.${field}`}: ${error.message}`, {
          field: 'TAMGA_FORWARD_FILE',
        });
      }
    }
    for (const d of stored) if (d.origin === 'file' && !named.has(d.name)) await this.delete(d.id, actor, true);
  }

  /** A sealer for a file entry replacing `current`: a secret equal to the stored one keeps its sealed text. */
  #fileSealer(current: Destination) {
    const { seal, open } = this.#sealer(current.id);
    const storedAt = (field: string): string | undefined =>
      field === 'token' ? current.token : field === 'secret' ? current.secret : field === 'tls.key' ? current.tls?.key : current.headers?.[field.slice('headers.'.length)];
    return {
      open,
      seal: (plain: string, field: string) => {
        const sealed = storedAt(field);
        try {
          if (sealed !== undefined && open(sealed, field) === plain) return sealed;
        } catch {
          // sealed under a key that is gone: seal it anew
        }
        return seal(plain, field);
      },
    };
  }

  /** A destination with its counts, status and lag. */
  async #view(d: Destination): Promise<Record<string, unknown>> {
    const status = await this.#store.getStatus(d.id);
    const runtime = await this.#forwarder.describe(d.id);
    const leading = runtime?.leading === true;
    // The node delivering knows what it has not saved yet: the answer is exact there, a second behind elsewhere.
    const unsaved = leading ? runtime.unsaved : { delivered: 0, skipped: 0, failures: 0, deadLettered: 0 };
    const lastError = leading ? runtime.lastError : status.lastError;
    const downSince = leading ? runtime.downSince : status.downSince;
    const state = !d.enabled ? 'disabled' : runtime === undefined ? 'starting' : runtime.state;
    const lag = await this.#lag(d, leading && runtime.committed !== undefined ? new Map(runtime.committed) : undefined);
    return {
      ...destinationJson(d),
      status: {
        state,
        deliveredBy: leading ? 'this node' : status.nodeId,
        delivered: status.delivered + unsaved.delivered,
        skipped: status.skipped + unsaved.skipped,
        deadLettered: status.deadLettered + unsaved.deadLettered,
        failures: status.failures + unsaved.failures,
        lastDeliveredAt: status.lastDeliveredAt === null ? null : new Date(status.lastDeliveredAt).toISOString(),
        lastError: lastError === null ? null : { at: new Date(lastError.at).toISOString(), message: lastError.message },
        downSince: downSince === null ? null : new Date(downSince).toISOString(),
        lag,
      },
    };
  }

  /** Records of the destination's tenants after its cursors, and how old the oldest of them is. */
  async #lag(d: Destination, live: ReadonlyMap<number, number> | undefined): Promise<DestinationLag & { oldest: string | null }> {
    const filter = parseForwardFilter(d.filter);
    const cursors = live ?? new Map((await this.#store.getCursors(d.id)).map((c) => [c.logId, c.nextSeq]));
    let records = 0;
    let oldest: number | undefined;
    for (const log of await this.#journal.store.listLogs()) {
      if (filter.tenants !== undefined && !filter.tenants.includes(log.tenantId)) continue;
      if (filter.exclude?.tenants?.includes(log.tenantId) === true) continue;
      const from = cursors.get(log.logId) ?? 0;
      if (log.size <= from) continue;
      records += log.size - from;
      const [first] = await this.#journal.store.readRecordsBySeq(log.logId, from, from + 1);
      if (first !== undefined && (oldest === undefined || first.apiCreatedAt < oldest)) oldest = first.apiCreatedAt;
    }
    const seconds = oldest === undefined ? 0 : Math.max(0, Math.round((this.#now() * 1000 - oldest) / 1e6));
    return { records, seconds, oldest: oldest === undefined ? null : formatTimestamp(oldest) };
  }
}

function managedByFile(d: Destination): TamgaError {
  return new TamgaError('DESTINATION_MANAGED_BY_FILE', `Forwarding destination "${d.name}" is defined in TAMGA_FORWARD_FILE; change the file and restart`, {
    field: 'id',
  });
}
