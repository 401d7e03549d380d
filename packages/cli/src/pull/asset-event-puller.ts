import { createHash } from 'node:crypto';
import { canonicalize, parseAssetEvent } from '@tamga/core';
import { TamgaApiError } from '@tamga/sdk';
import type { TamgaClient, TamgaEvent } from '@tamga/sdk';
import type { PullState } from './pull-state.js';

/** Most events the source's list answers in one page (its documented maximum). */
const PAGE = 1000;
/** Events appended to Tamga per request, and the state saved after each. */
const BATCH = 200;
/** Full events fetched from the source at once (`GET /event/{id}`). */
const FETCH_CONCURRENCY = 8;

/** Options of {@link AssetEventPuller}. */
export interface AssetEventPullerConfig {
  /** Client of the source's Event API (its base URL; retries and their messages configured). */
  readonly source: TamgaClient;
  /** Path prefix of the source's Event API. Default `/api/v1`. */
  readonly sourcePrefix?: string;
  /** The source's session token, sent as `?token=` as the Event API takes it. */
  readonly sourceToken?: string;
  /** Client of Tamga (URL, API key, retries). */
  readonly tamga: TamgaClient;
  /** Where the puller is; {@link AssetEventPuller.state} is the new state after each saved batch. */
  readonly state: PullState;
  /** Persists the state after each batch Tamga committed. */
  readonly save: (state: PullState) => void;
  /** Told what happens (batches copied, ids going backwards). */
  readonly log: (line: string) => void;
  readonly signal?: AbortSignal;
}

/** What one {@link AssetEventPuller.pull} did. */
export interface PullReport {
  readonly copied: number;
  /** Newest `_id` the source answered (0 when it holds none). */
  readonly newestSourceId: number;
  /** Set when the source's ids went backwards: what was found, naming the ids. */
  readonly wentBackwards?: string;
}

interface ShortEvent {
  readonly event: { readonly _id: number };
}

/**
 * The Tamga id of a source event: a UUID (version 8, RFC 9562 §5.8) from SHA-256 of the source instance, its
 * generation and the event's `_id`. The same event always gets the same id, so appending it again after a crash
 * between Tamga's commit and the state save stores nothing twice; a source that numbers again after a restore gets a
 * new generation, hence new ids.
 */
export function derivePulledEventId(instance: string, generation: number, sourceId: number): string {
  const b = createHash('sha256').update(`tamga pull-events\0${instance}\0${generation}\0${sourceId}`).digest().subarray(0, 16);
  b[6] = 0x80 | (b[6]! & 0x0f); // version 8
  b[8] = 0x80 | (b[8]! & 0x3f); // RFC 9562 variant
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/**
 * Copies the events of an asset server (seed 004's Event API) into a Tamga tenant, every type included: the source's
 * list (short format, newest first) finds the ids after the last one copied, `GET /event/{id}` gives each full event,
 * and they are appended in `_id` order with ids derived from the source (see {@link derivePulledEventId}). Poll is
 * not used: it skips non-pollable types (LOGIN_FAILED, ...) and events older than the session.
 */
export class AssetEventPuller {
  #state: PullState;
  readonly #config: AssetEventPullerConfig;
  readonly #prefix: string;

  constructor(config: AssetEventPullerConfig) {
    this.#config = config;
    this.#state = config.state;
    this.#prefix = (config.sourcePrefix ?? '/api/v1').replace(/\/+$/, '');
  }

  /** The state after the last saved batch. */
  get state(): PullState {
    return this.#state;
  }

  /**
   * Copies what the source holds beyond the state; see the class. When the source's ids went backwards (its newest is
   * below the last copied, the last copied event now has other content, or Tamga answers a copied id with a 409
   * conflict), it finds where the source was restored to, moves to the next generation and copies the new events
   * too, and says so in the report.
   */
  async pull(): Promise<PullReport> {
    const scan = await this.#scan();
    const lastId = this.#state.lastId;
    let backwards: string | undefined;
    if (lastId > 0 && scan.newest < lastId) {
      backwards = `Tamga holds the source's events up to _id ${lastId}, but the source's newest is _id ${scan.newest}`;
    } else if (lastId > 0 && this.#state.witness !== undefined && scan.hasLast) {
      const witness = await this.#fetch(lastId);
      if (witness !== undefined && digestOf(witness) !== this.#state.witness.digest) {
        backwards = `the source's event _id ${lastId} is no longer the event Tamga copied under that id`;
      }
    }
    // The source never deletes its newest events: the last copied one missing below newer ones is a restore that did
    // not give its id out again, unless walking down finds every older id still holding what was copied.
    const suspect = backwards === undefined && lastId > 0 && scan.passedLast && !scan.hasLast;
    if (backwards === undefined && !suspect) {
      try {
        return { copied: await this.#copy(scan.fresh), newestSourceId: scan.newest };
      } catch (error) {
        if (!(error instanceof TamgaApiError) || error.status !== 409) throw error;
        backwards = `Tamga already holds other events under the ids of source events it is given again (${error.message})`;
      }
    }
    const found = await this.#findRestorePoint(scan.newest);
    if (backwards === undefined && found.conflicts.length === 0) {
      const copied = await this.#copy(scan.fresh.filter((id) => !found.storedOnTheWay.has(id)));
      return { copied: copied + found.storedOnTheWay.size, newestSourceId: scan.newest };
    }
    backwards ??= `the source's event _id ${lastId} is gone while newer ones are there`;
    if (found.conflicts.length > 0) backwards += `; source ids ${describeIds(found.conflicts)} now hold other events than Tamga copied under them`;
    const report = `The source's event ids went backwards (a restored backup?): ${backwards}. Its events after _id ${found.restoredTo} are new events that reuse ids; they are copied as generation ${this.#state.generation + 1} of ${this.#state.instance}`;
    this.#config.log(report);
    this.#save({ version: 1, instance: this.#state.instance, tenant: this.#state.tenant, generation: this.#state.generation + 1, lastId: found.restoredTo });
    const fresh = (await this.#scan()).fresh.filter((id) => !found.storedOnTheWay.has(id));
    const copied = await this.#copy(fresh);
    return { copied: copied + found.storedOnTheWay.size, newestSourceId: scan.newest, wentBackwards: report };
  }

  /**
   * Reads the source's list newest first until it reaches an id at or below the state's: the ids after it, oldest
   * first. Pages overlap by one event; when the overlapping event is missing from the next page, events were deleted
   * meanwhile (offsets shifted) and the scan starts again rather than skip events.
   */
  async #scan(): Promise<{ fresh: number[]; newest: number; hasLast: boolean; passedLast: boolean }> {
    const lastId = this.#state.lastId;
    for (let attempt = 0; ; attempt++) {
      const fresh = new Set<number>();
      let newest = 0;
      let hasLast = false;
      let passedLast = false;
      let offset = 0;
      let overlap: number | undefined;
      let shifted = false;
      for (;;) {
        const page = await this.#list(offset);
        if (overlap !== undefined && page.length > 0 && !page.some((e) => e.event._id === overlap) && page[0]!.event._id < overlap) {
          shifted = true;
          break;
        }
        let reachedOld = false;
        for (const item of page) {
          const id = item.event._id;
          if (newest === 0) newest = id;
          if (id > lastId) fresh.add(id);
          else {
            if (id === lastId) hasLast = true;
            if (!reachedOld && newest > lastId) passedLast = true;
            reachedOld = true;
          }
        }
        if (reachedOld || page.length < PAGE) break;
        overlap = page[page.length - 1]!.event._id;
        offset += PAGE - 1;
      }
      if (!shifted || attempt >= 5) return { fresh: [...fresh].sort((a, b) => a - b), newest, hasLast, passedLast };
      this.#config.log('The source deleted events while its list was read (offsets shifted); reading it again');
    }
  }

  async #list(offset: number): Promise<ShortEvent[]> {
    const res = await this.#config.source.request('GET', `${this.#prefix}/event/list`, {
      query: { sort: '_id.DESC', limit: PAGE, offset, token: this.#config.sourceToken },
      ...(this.#config.signal !== undefined && { signal: this.#config.signal }),
    });
    const body = (await res.json()) as unknown;
    if (!Array.isArray(body)) throw new TypeError(`The source's ${this.#prefix}/event/list did not answer a JSON array`);
    return body as ShortEvent[];
  }

  /** The full event `_id` of the source; undefined when the source no longer has it (deleted). */
  async #fetch(id: number): Promise<Record<string, unknown> | undefined> {
    try {
      const res = await this.#config.source.request('GET', `${this.#prefix}/event/${id}`, {
        query: { token: this.#config.sourceToken },
        ...(this.#config.signal !== undefined && { signal: this.#config.signal }),
      });
      // A Tamga serving the Event API adds its own evidence (`_tamga`): it is that journal's, not the event's.
      const { _tamga: _evidence, ...event } = (await res.json()) as Record<string, unknown>;
      return event;
    } catch (error) {
      if (error instanceof TamgaApiError && error.status === 404) return undefined;
      throw error;
    }
  }

  #toTamga(full: Record<string, unknown>, generation: number): TamgaEvent {
    const input = parseAssetEvent(full, { source: { system: 'asset-server', instance: this.#state.instance } });
    const { source } = input as { source: { eventId: number } };
    const tenantId = this.#state.tenant === 'default' ? null : this.#state.tenant;
    return { ...input, id: derivePulledEventId(this.#state.instance, generation, source.eventId), tenantId } as TamgaEvent;
  }

  /** Copies the given source ids in order, in batches, saving the state after each batch Tamga committed. */
  async #copy(ids: readonly number[]): Promise<number> {
    let copied = 0;
    for (let i = 0; i < ids.length; i += BATCH) {
      const slice = ids.slice(i, i + BATCH);
      const fulls: (Record<string, unknown> | undefined)[] = new Array(slice.length);
      for (let j = 0; j < slice.length; j += FETCH_CONCURRENCY) {
        const part = slice.slice(j, j + FETCH_CONCURRENCY);
        const got = await Promise.all(part.map((id) => this.#fetch(id)));
        got.forEach((full, k) => (fulls[j + k] = full));
      }
      // An id the list showed and the source no longer has was deleted meanwhile: there is nothing left to copy.
      const present = slice.flatMap((id, k) => (fulls[k] === undefined ? [] : [[id, fulls[k]!] as const]));
      if (present.length > 0) {
        await this.#config.tamga.append(
          present.map(([, full]) => this.#toTamga(full, this.#state.generation)),
          this.#config.signal === undefined ? {} : { signal: this.#config.signal },
        );
      }
      const last = present.at(-1);
      this.#save({ ...this.#state, lastId: slice.at(-1)!, ...(last !== undefined && { witness: { id: last[0], digest: digestOf(last[1]) } }) });
      copied += present.length;
      this.#config.log(`copied source events up to _id ${slice.at(-1)!} (${copied} of ${ids.length})`);
    }
    return copied;
  }

  /**
   * After the ids went backwards: walks the source's events from `from` (its newest) down, appending each again under the current
   * generation. Tamga answers a repeated id with the same content as a duplicate (the event was copied before: the
   * restore point is found) and a reused id with other content as a 409 conflict (a new event under an old id: keep
   * walking). An id Tamga did not have is stored now, and left out of the copy that follows.
   */
  async #findRestorePoint(from: number): Promise<{ restoredTo: number; storedOnTheWay: Set<number>; conflicts: number[] }> {
    const storedOnTheWay = new Set<number>();
    const conflicts: number[] = [];
    for (let offset = 0; ; offset += PAGE) {
      const page = await this.#list(offset);
      for (const item of page) {
        const id = item.event._id;
        if (id > from) continue;
        const full = await this.#fetch(id);
        if (full === undefined) continue;
        try {
          const [answer] = await this.#config.tamga.append([this.#toTamga(full, this.#state.generation)]);
          if (answer!.duplicate) return { restoredTo: id, storedOnTheWay, conflicts };
          storedOnTheWay.add(id);
        } catch (error) {
          if (!(error instanceof TamgaApiError) || error.status !== 409) throw error;
          conflicts.push(id);
        }
      }
      if (page.length < PAGE) return { restoredTo: 0, storedOnTheWay, conflicts };
    }
  }

  #save(state: PullState): void {
    this.#state = state;
    this.#config.save(state);
  }
}

/** `81–90` for a run of ids (they are found newest first), the ids themselves when there are few. */
function describeIds(ids: readonly number[]): string {
  const sorted = [...ids].sort((a, b) => a - b);
  return sorted.length <= 5 ? sorted.join(', ') : `${sorted[0]}–${sorted.at(-1)} (${sorted.length} events)`;
}

/** Digest of a source event as answered, to notice later that the source answers other content for its id. */
function digestOf(full: Record<string, unknown>): string {
  return createHash('sha256').update(canonicalize(full)).digest('hex');
}
