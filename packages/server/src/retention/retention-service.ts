import { CompactRange, hashChildren, subtreesOf, TamgaError, uuidv7, ValidationError } from '@tamga/core';
import type { EventClass, NodeId } from '@tamga/core';
import type { Journal } from '../journal/journal.js';
import { STORED_LEVEL_STRIDE } from '../journal/journal-store.js';
import type { JournalStore, LegalHold, LogHead, RetainedNode, RetentionFact } from '../journal/journal-store.js';
import type { Prover } from '../journal/prover.js';

/** Catalogue codes of the retention events (catalogs/tamga.json). */
export const RETENTION_EVENTS = Object.freeze({
  RetentionPurged: 32005,
  RetentionPolicyChanged: 32030,
  LegalHoldPlaced: 32031,
  LegalHoldReleased: 32032,
});

/** The event classes a policy names (1 operational … 4 audit, DESIGN.md). */
export const EVENT_CLASSES: readonly EventClass[] = [1, 2, 3, 4];

/** Longest retention a policy may set, days (100 years). */
export const MAX_KEEP_DAYS = 36_500;

const DAY_MICROS = 86_400_000_000;

/**
 * Records a purge deletes per transaction. SQLite runs on the server's one thread, so its slices are smaller: a
 * delete of 250 records with their index entries takes a few milliseconds, which is what an append may wait.
 */
export const PURGE_SLICE = { sqlite: 250, other: 1000 } as const;

/**
 * Checkpoints below the previous cut whose retained nodes a slice adds to: farther back, the nodes a proof from such
 * a checkpoint needs below level {@link STORED_LEVEL_STRIDE} are all retained already, or are the new cut's frontier
 * (docs/decisions/0035-retention.md).
 */
const CHECKPOINT_WINDOW = 4 * 2 ** STORED_LEVEL_STRIDE;

/** Days kept per event class; `null` keeps forever. */
export type KeepDays = Readonly<Record<`${EventClass}`, number | null>>;

/** A tenant's retention policy as stored and answered. */
export interface RetentionPolicy {
  readonly keepDays: KeepDays;
  /** RFC 3339, when it was last set; null for the default (keep everything). */
  readonly updatedAt: string | null;
  readonly updatedBy: string | null;
}

/** What one purge did, as journalled (RetentionPurged) and answered. */
export interface PurgeOutcome {
  readonly tenant: string;
  readonly origin: string;
  /** Seqs purged: `[from, to)`. */
  readonly from: number;
  readonly to: number;
  readonly records: number;
  /** Root of the tree of `to` leaves, base64. */
  readonly rootAtCut: string;
  /** Why it stopped where it did: the first record it must keep (`retention`, `hold`) or the newest checkpoint. */
  readonly stoppedBy: 'retention' | 'hold' | 'checkpoint' | 'end';
  readonly by: string;
  /** RFC 3339. */
  readonly at: string;
}

/** `GET /api/v1/tenants/{t}/retention`. */
export interface RetentionStatus {
  readonly tenant: string;
  readonly policy: RetentionPolicy;
  /** Active legal holds. */
  readonly holds: number;
  /** The first record the log still holds; null when the log is empty or has no log yet. */
  readonly earliestKept: { readonly seq: number; readonly createdAt: string } | null;
  /** Records `[0, purgedTo)` were purged. */
  readonly purgedTo: number;
  readonly lastPurge: PurgeOutcome | null;
}

/** Who asked: a user's name, or `system` for the scheduled purge. */
export interface RetentionCaller {
  readonly name: string;
  readonly userId?: string | undefined;
  readonly ip?: string | null | undefined;
  readonly operationKey?: string | undefined;
}

/** The scheduled purge's caller. */
export const SYSTEM_CALLER: RetentionCaller = Object.freeze({ name: 'system', userId: 'system' });

/** Options of {@link RetentionService}. */
export interface RetentionServiceConfig {
  readonly journal: Journal;
  readonly prover: Prover;
  /** Clock, UTC milliseconds. */
  readonly now?: () => number;
  /** Records per purge transaction. Default {@link PURGE_SLICE} (by store). */
  readonly sliceSize?: number;
  /** Between scheduled passes over every tenant, ms; 0 = only on request. */
  readonly intervalMs?: number;
  readonly onError?: (error: unknown) => void;
}

const FOREVER: KeepDays = Object.freeze({ '1': null, '2': null, '3': null, '4': null });

const tenantName = (tenantId: string | null): string => tenantId ?? 'default';
const policyKey = (tenantId: string | null): string => `retention.policy.${tenantId ?? ''}`;
const lastPurgeKey = (tenantId: string | null): string => `retention.last-purge.${tenantId ?? ''}`;

function actor(by: RetentionCaller): { userId: string; ip: string | null; operationKey: string | null } {
  return { userId: by.userId ?? by.name, ip: by.ip === undefined || by.ip === '' ? null : by.ip, operationKey: by.operationKey ?? null };
}

/**
 * Retention with legal holds (issue #14 part 2, docs/decisions/0035-retention.md): per tenant and event class, keep
 * records N days; a purge removes whole seq ranges from the start of a log, in slices, keeping the Merkle nodes that
 * proofs of the remaining records and of every earlier checkpoint need; every change and every purge is journalled.
 */
export class RetentionService {
  readonly #journal: Journal;
  readonly #prover: Prover;
  readonly #now: () => number;
  readonly #sliceSize: number;
  readonly #intervalMs: number;
  readonly #onError: (error: unknown) => void;
  readonly #running = new Map<number, Promise<PurgeOutcome | undefined>>();
  #timer: NodeJS.Timeout | undefined;
  #pass: Promise<unknown> | undefined;
  #stopped = false;

  constructor(config: RetentionServiceConfig) {
    this.#journal = config.journal;
    this.#prover = config.prover;
    this.#now = config.now ?? Date.now;
    this.#sliceSize = config.sliceSize ?? (config.journal.store.kind === 'sqlite' ? PURGE_SLICE.sqlite : PURGE_SLICE.other);
    this.#intervalMs = config.intervalMs ?? 0;
    this.#onError = config.onError ?? (() => undefined);
  }

  /** Starts the scheduled passes (none when the interval is 0). The first runs one interval after start. */
  start(): void {
    if (this.#intervalMs <= 0 || this.#timer !== undefined) return;
    this.#timer = setInterval(() => {
      this.#pass ??= this.runOnce()
        .catch(this.#onError)
        .finally(() => (this.#pass = undefined));
    }, this.#intervalMs);
    this.#timer.unref();
  }

  /** Stops the passes; a purge in progress ends after its current slice. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#pass;
    await Promise.allSettled(this.#running.values());
  }

  /**
   * One scheduled pass: purges every log whose tenant has a policy, as `system`. On a store shared by several nodes
   * only the node that signs checkpoints purges.
   */
  async runOnce(): Promise<PurgeOutcome[]> {
    const store = this.#journal.store;
    if (store.tryLeadCheckpoints !== undefined && !(await store.tryLeadCheckpoints())) return [];
    const done: PurgeOutcome[] = [];
    for (const log of await store.listLogs()) {
      if (this.#stopped) break;
      try {
        const outcome = await this.purge(log.tenantId, SYSTEM_CALLER);
        if (outcome !== undefined) done.push(outcome);
      } catch (error) {
        this.#onError(error);
      }
    }
    return done;
  }

  /** The tenant's policy (keep everything when none was set). */
  policy(tenantId: string | null): Promise<RetentionPolicy> {
    return readRetentionPolicy(this.#journal.store, tenantId);
  }

  /** Sets the tenant's policy and journals it (RetentionPolicyChanged, with the previous one). */
  async setPolicy(tenantId: string | null, keepDays: KeepDays, by: RetentionCaller): Promise<RetentionPolicy> {
    const previous = await this.policy(tenantId);
    const policy: RetentionPolicy = { keepDays, updatedAt: new Date(this.#now()).toISOString(), updatedBy: by.userId ?? by.name };
    await this.#journal.store.putSetting(policyKey(tenantId), JSON.stringify(policy));
    await this.#journal.appendSystem({
      event: RETENTION_EVENTS.RetentionPolicyChanged,
      ...actor(by),
      entityData: { tenant: tenantName(tenantId), keepDays, previous: previous.keepDays },
    });
    return policy;
  }

  /** Places a legal hold and journals it (LegalHoldPlaced). */
  async placeHold(
    tenantId: string | null,
    scope: { readonly userId: string | null; readonly operationKey: string | null; readonly reason: string },
    by: RetentionCaller,
  ): Promise<LegalHold> {
    const at = this.#now();
    const hold: LegalHold = { id: uuidv7(at), tenantId, ...scope, setBy: by.userId ?? by.name, setAt: at * 1000 };
    await this.#journal.store.addHold(hold);
    await this.#journal.appendSystem({
      event: RETENTION_EVENTS.LegalHoldPlaced,
      ...actor(by),
      entityData: { tenant: tenantName(tenantId), hold: hold.id, scope: holdScope(hold), reason: scope.reason },
    });
    return hold;
  }

  /** Releases a legal hold and journals it (LegalHoldReleased). */
  async releaseHold(tenantId: string | null, id: string, by: RetentionCaller): Promise<LegalHold> {
    const hold = await this.#journal.store.releaseHold(tenantId, id, by.userId ?? by.name, this.#now() * 1000);
    if (hold === undefined) throw new TamgaError('HOLD_NOT_FOUND', `No active legal hold ${id} on tenant ${tenantName(tenantId)}`, { field: 'id' });
    await this.#journal.appendSystem({
      event: RETENTION_EVENTS.LegalHoldReleased,
      ...actor(by),
      entityData: { tenant: tenantName(tenantId), hold: hold.id, scope: holdScope(hold), reason: hold.reason, setBy: hold.setBy },
    });
    return hold;
  }

  /** Active holds of a tenant. */
  holds(tenantId: string | null): Promise<LegalHold[]> {
    return this.#journal.store.listHolds(tenantId);
  }

  /** The policy, the earliest record kept and the last purge of a tenant. */
  async status(tenantId: string | null): Promise<RetentionStatus> {
    const store = this.#journal.store;
    const [policy, holds, log, last] = await Promise.all([
      this.policy(tenantId),
      store.listHolds(tenantId),
      store.getLog(tenantId),
      store.getSetting(lastPurgeKey(tenantId)),
    ]);
    const purgedTo = log === undefined ? 0 : ((await store.purgeState(log.logId))?.purgedTo ?? 0);
    const [first] = log === undefined ? [] : await store.readRecordsBySeq(log.logId, purgedTo, purgedTo + 1);
    return {
      tenant: tenantName(tenantId),
      policy,
      holds: holds.length,
      earliestKept: first === undefined ? null : { seq: first.seq, createdAt: new Date(first.createdAt / 1000).toISOString() },
      purgedTo,
      lastPurge: last === undefined ? null : (JSON.parse(last) as PurgeOutcome),
    };
  }

  /**
   * Purges the start of a tenant's log: every record, from the first kept on, that is older than its class's
   * retention and covered by no hold, up to the first that is not (and never past the newest signed checkpoint), in
   * slices of {@link PURGE_SLICE} records, each its own transaction, with other requests served in between. Journals
   * RetentionPurged when it removed anything. One purge per log at a time; a second call waits for the first.
   */
  async purge(tenantId: string | null, by: RetentionCaller): Promise<PurgeOutcome | undefined> {
    const log = await this.#journal.store.getLog(tenantId);
    if (log === undefined) return undefined;
    const running = this.#running.get(log.logId);
    if (running !== undefined) return running;
    const run = this.#purgeLog(log, by).finally(() => this.#running.delete(log.logId));
    this.#running.set(log.logId, run);
    return run;
  }

  async #purgeLog(log: LogHead, by: RetentionCaller): Promise<PurgeOutcome | undefined> {
    const store = this.#journal.store;
    const policy = await this.policy(log.tenantId);
    if (EVENT_CLASSES.every((c) => policy.keepDays[`${c}`] === null)) return undefined;
    const start = (await store.purgeState(log.logId))?.purgedTo ?? 0;
    let at = start;
    let rootAtCut: Buffer | undefined;
    let stoppedBy: PurgeOutcome['stoppedBy'] = 'end';
    let outcome: PurgeOutcome | undefined;
    try {
      while (!this.#stopped) {
        const sliceStarted = performance.now();
        // Holds and the clock are read again for every slice: a hold placed during a purge stops it at once.
        const holds = await store.listHolds(log.tenantId);
        if (holds.some((h) => h.userId === null && h.operationKey === null)) {
          stoppedBy = 'hold';
          break;
        }
        const signed = (await store.latestCheckpoint(log.logId))?.size ?? 0;
        const facts = await store.readRetentionFacts(log.logId, at, Math.min(signed, at + this.#sliceSize));
        const verdict = purgeable(facts, policy.keepDays, holds, this.#now() * 1000);
        const to = at + verdict.count;
        if (verdict.count === 0) {
          stoppedBy = verdict.stoppedBy ?? (at >= signed ? 'checkpoint' : 'end');
          break;
        }
        const { nodes, root } = await this.#retainedFor(log, at, to);
        if (!(await store.purgeSlice({ logId: log.logId, from: at, to, rootAtCut: root, nodes, at: this.#now() * 1000 }))) break;
        at = to;
        rootAtCut = root;
        if (verdict.stoppedBy !== undefined) {
          stoppedBy = verdict.stoppedBy;
          break;
        }
        // Give appends and reads a turn between slices: as long as the slice took, so a purge uses at most half the
        // server's time, and at least one turn of the event loop.
        const took = performance.now() - sliceStarted;
        await new Promise<void>((resolve) => (took < 1 ? setImmediate(resolve) : setTimeout(resolve, Math.min(took, 100))));
      }
    } finally {
      // What was purged is journalled even when a later slice failed.
      if (at > start) outcome = await this.#record(log, start, at, rootAtCut!, stoppedBy, by);
    }
    return outcome;
  }

  async #record(
    log: LogHead,
    from: number,
    to: number,
    root: Buffer,
    stoppedBy: PurgeOutcome['stoppedBy'],
    by: RetentionCaller,
  ): Promise<PurgeOutcome> {
    const outcome: PurgeOutcome = {
      tenant: tenantName(log.tenantId),
      origin: log.origin,
      from,
      to,
      records: to - from,
      rootAtCut: root.toString('base64'),
      stoppedBy,
      by: by.userId ?? by.name,
      at: new Date(this.#now()).toISOString(),
    };
    await this.#journal.store.putSetting(lastPurgeKey(log.tenantId), JSON.stringify(outcome));
    await this.#journal.appendSystem({
      event: RETENTION_EVENTS.RetentionPurged,
      ...actor(by),
      text: `Records [${from}, ${to}) of tenant ${outcome.tenant} purged by the retention policy`,
      entityData: { ...outcome, reason: 'retention policy', treeSizeAtCut: to },
    });
    return outcome;
  }

  /**
   * The nodes below level {@link STORED_LEVEL_STRIDE} a purge to `to` must keep, given the log is purged to `from`:
   * the frontier of `to` and, for every checkpoint of size `s` below `to` (near the old cut; farther back they are
   * kept already), the frontier of `s` and the subtrees of `[s, to)` — the nodes of any inclusion proof of a remaining
   * record and of any consistency proof from a checkpoint (decisions/0035). Also the root of the tree of `to` leaves.
   */
  async #retainedFor(log: LogHead, from: number, to: number): Promise<{ nodes: RetainedNode[]; root: Buffer }> {
    const wanted = new Map<string, NodeId>();
    const want = (ids: readonly NodeId[]): void => {
      for (const id of ids) if (id.level < STORED_LEVEL_STRIDE) wanted.set(`${id.level}/${id.index}`, id);
    };
    const frontier = subtreesOf(0, to);
    want(frontier);
    for (const cp of await this.#journal.store.listCheckpoints(log.logId, Math.max(1, from - CHECKPOINT_WINDOW), to - 1)) {
      want(subtreesOf(0, cp.size));
      want(subtreesOf(cp.size, to));
    }
    const leaves = await this.#journal.store.readNodes(log.logId, 0, from, to);
    const memo = new Map<string, Promise<Buffer>>();
    const hash = (id: NodeId): Promise<Buffer> => {
      const key = `${id.level}/${id.index}`;
      let h = memo.get(key);
      if (h === undefined) {
        const first = id.index * 2 ** id.level;
        const last = first + 2 ** id.level;
        if (first >= from && last <= to) {
          h =
            id.level === 0
              ? Promise.resolve(leaves[first - from]!)
              : Promise.all([hash({ level: id.level - 1, index: id.index * 2 }), hash({ level: id.level - 1, index: id.index * 2 + 1 })]).then(
                  ([l, r]) => hashChildren(l, r),
                );
        } else {
          h = this.#prover.nodeHashes(log.logId, [id]).then(([b]) => b!);
        }
        memo.set(key, h);
      }
      return h;
    };
    const nodes: RetainedNode[] = [];
    for (const id of wanted.values()) nodes.push({ level: id.level, index: id.index, hash: await hash(id) });
    const root = CompactRange.fromBytes(to, Buffer.concat(await Promise.all(frontier.map(hash)))).root();
    return { nodes, root };
  }
}

/** A tenant's retention policy as stored (keep everything when none was set). */
export async function readRetentionPolicy(store: Pick<JournalStore, 'getSetting'>, tenantId: string | null): Promise<RetentionPolicy> {
  const text = await store.getSetting(policyKey(tenantId));
  if (text === undefined) return { keepDays: FOREVER, updatedAt: null, updatedBy: null };
  return JSON.parse(text) as RetentionPolicy;
}

/** A hold's scope as journalled. */
function holdScope(h: LegalHold): Record<string, string> {
  return h.userId !== null ? { userId: h.userId } : h.operationKey !== null ? { operationKey: h.operationKey } : { tenant: tenantName(h.tenantId) };
}

/**
 * How many records from the start of `facts` may go: each older than its class's retention at `nowMicros` and
 * covered by no hold. `stoppedBy` names why the first one that may not go stays (undefined when all may go).
 */
export function purgeable(
  facts: readonly RetentionFact[],
  keepDays: KeepDays,
  holds: readonly LegalHold[],
  nowMicros: number,
): { count: number; stoppedBy?: 'retention' | 'hold' } {
  const users = new Set(holds.flatMap((h) => (h.userId === null ? [] : [h.userId])));
  const operations = new Set(holds.flatMap((h) => (h.operationKey === null ? [] : [h.operationKey])));
  for (let i = 0; i < facts.length; i++) {
    const f = facts[i]!;
    const days = keepDays[`${f.classifiedEvent}`];
    if (days === null || days === undefined || f.createdAt >= nowMicros - days * DAY_MICROS) return { count: i, stoppedBy: 'retention' };
    if ((f.userId !== null && users.has(f.userId)) || (f.operationKey !== null && operations.has(f.operationKey))) return { count: i, stoppedBy: 'hold' };
  }
  return { count: facts.length };
}

/**
 * Parses the body of `PUT /api/v1/tenants/{t}/retention`: `{"keepDays": {"1": 365, "2": null, …}}`, a whole number of
 * days from 1 to {@link MAX_KEEP_DAYS} or null (forever) per class; a class left out is kept forever.
 */
export function parseKeepDays(body: unknown): KeepDays {
  const invalid = (field: string, message: string): never => {
    throw new ValidationError('VALIDATION_FAILED', `${field}: ${message}`, { field });
  };
  if (typeof body !== 'object' || body === null || Array.isArray(body)) invalid('keepDays', 'the body must be a JSON object with keepDays');
  for (const key of Object.keys(body as object)) if (key !== 'keepDays') invalid(key, 'unknown field');
  const given = (body as { keepDays?: unknown }).keepDays;
  if (typeof given !== 'object' || given === null || Array.isArray(given)) invalid('keepDays', 'must be an object of days per event class ("1" to "4")');
  const out: Record<string, number | null> = { ...FOREVER };
  for (const [key, value] of Object.entries(given as object)) {
    if (!['1', '2', '3', '4'].includes(key)) invalid(`keepDays.${key}`, 'event classes are "1" to "4"');
    if (value !== null && !(Number.isInteger(value) && (value as number) >= 1 && (value as number) <= MAX_KEEP_DAYS)) {
      invalid(`keepDays.${key}`, `must be whole days from 1 to ${MAX_KEEP_DAYS}, or null to keep forever`);
    }
    out[key] = value as number | null;
  }
  return out as KeepDays;
}
