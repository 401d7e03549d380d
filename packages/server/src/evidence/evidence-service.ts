import {
  BUNDLE_FORMAT,
  BundleVerifier,
  checkParsedRecord,
  checkRecord,
  formatBundleRecord,
  parseBundleKeys,
  parseTimestamp,
  RECEIPT_FORMAT,
  TamgaError,
  ValidationError,
  verifiersFromKeys,
} from '@tamga/core';
import type { BundleManifest, CheckedLine, IntegrityStatus, VerificationReport } from '@tamga/core';
import type { Journal } from '../journal/journal.js';
import { findSeqRange, recordStatsOf } from '../journal/minute-counts.js';
import { MINUTE_MICROS } from '../journal/journal-store.js';
import type { ErasedRecord, ErasureSelector, LogHead, RecordFilter, SeqRange, StoredCheckpoint, StoredRecord } from '../journal/journal-store.js';
import type { Prover } from '../journal/prover.js';
import { journalKeyRotation } from '../keys/key-journal.js';
import { readRetentionPolicy } from '../retention/retention-service.js';
import type { KeepDays } from '../retention/retention-service.js';
import { withCosignatures, withCosignaturesOne } from '../tlog/cosigned-checkpoints.js';
import { VerifiedRanges } from './verified-ranges.js';
import { readBundleLines, toBundleRecord } from './bundle-lines.js';
import type { BundleLines } from './bundle-lines.js';

export { toBundleRecord } from './bundle-lines.js';

/** Catalogue codes of Tamga's own evidence events (catalogs/tamga.json). */
export const EVIDENCE_EVENTS = Object.freeze({
  JournalExported: 32000,
  VerificationFailed: 32001,
  CheckpointInconsistent: 32002,
  HmacKeyRotated: 32003,
  CheckpointKeyRotated: 32004,
  PayloadErased: 32006,
});

/** Records read from the store per round trip while exporting. */
const PAGE = 1000;
/**
 * Erased records a PayloadErased event lists (all are counted): one takes at most about 150 characters of JSON with a
 * 64-character tenant id, so 400 stay under 64 KiB.
 */
const MAX_ERASED_IN_EVENT = 400;
/** Records read and checked between two turns of other requests while verifying. */
const VERIFY_PAGE = 200;

/** Most records `GET /logs/{tenant}/verify` checks in one request. */
export const MAX_VERIFY_RANGE = 1_000_000;

/**
 * Who asked for an evidence operation, as it is journalled: the principal's name and `userId`, the request's IP
 * and the session's operation key.
 */
export interface EvidenceCaller {
  readonly name: string;
  readonly userId?: string | undefined;
  readonly ip?: string | null | undefined;
  readonly operationKey?: string | undefined;
}

/** The fields of a journalled event that say who caused it. */
function actorFields(by: EvidenceCaller): { userId: string; ip: string | null; operationKey: string | null } {
  return { userId: by.userId ?? by.name, ip: by.ip === undefined || by.ip === '' ? null : by.ip, operationKey: by.operationKey ?? null };
}

/** The name of a tenant in URLs and journalled events: `default` for the default tenant. */
function tenantName(tenantId: string | null): string {
  return tenantId ?? 'default';
}

/** A resolved export or verification range of a log: `[from, to)`, up to the newest checkpoint. */
export interface EvidenceRange extends SeqRange {
  /** The newest checkpoint of the log; its size is the bundle's `treeSize`. */
  readonly newest: StoredCheckpoint;
}

/** Options of {@link EvidenceService}. */
export interface EvidenceServiceConfig {
  readonly journal: Journal;
  readonly prover: Prover;
  /** Clock in UTC milliseconds. Default `Date.now`. */
  readonly now?: () => number;
  /** How long a receipt waits for the checkpoint covering its record, ms. Default 1500. */
  readonly receiptWaitMs?: number;
}

const INTEGER = /^\d+$/;

/** Most non-valid records an answer of {@link EvidenceService.verify} lists. */
const MAX_LISTED_RECORDS = 1000;

/** What `GET /api/v1/logs/{tenant}/verify` answers. */
export type RangeVerification = Pick<
  VerificationReport,
  'status' | 'origin' | 'range' | 'treeSize' | 'checked' | 'counts' | 'firstBadSeq' | 'problems' | 'problemCount' | 'records'
> & {
  /** When the range was checked: now, or for an answer from earlier checks, when its oldest part was. */
  readonly verifiedAt: string;
};

/**
 * How far a verification of a view covers one of its logs: `verified` (see `verification`), `too-large` (more than
 * {@link MAX_VERIFY_RANGE} records: export and verify offline), `skipped` (not checked in this request: the logs
 * before it used up its budget of {@link MAX_VERIFY_RANGE} records), `pending` (no signed checkpoint covers its
 * records yet).
 */
export type LogCoverageState = 'verified' | 'too-large' | 'skipped' | 'pending';

/** One log of a view's verification ({@link EvidenceService.verifyView}). */
export interface LogCoverage {
  /** The tenant: `default` or its id. */
  readonly tenant: string;
  readonly origin: string;
  /** The smallest seq range of the log holding every record of the view's time range. */
  readonly range: SeqRange;
  readonly coverage: LogCoverageState;
  /** Records at the end of `range` that no signed checkpoint covers yet (appended within the last second): not checked. */
  readonly unsigned: number;
  /** The check of `range` up to the newest checkpoint, when `coverage` is `verified`; else null. */
  readonly verification: RangeVerification | null;
}

/**
 * A log of a view that may miss records purged by its retention policy: the view's range starts at or before the
 * newest `createdAt` purged (the journal page says so).
 */
export interface PurgedLog {
  readonly tenant: string;
  /** Records `[0, purgedTo)` were purged. */
  readonly purgedTo: number;
  /** `createdAt` of the earliest record kept (RFC 3339); null when none is left. */
  readonly earliestKept: string | null;
  /** The newest `createdAt` of a purged record (RFC 3339). */
  readonly newestPurged: string | null;
  /** The policy: days kept per event class, null = forever. */
  readonly keepDays: KeepDays;
}

/** What `GET /api/v1/logs/verify` answers: every log with records in the time range, each checked or said why not. */
export interface ViewVerification {
  /** `tampered` when a check found a problem; else `incomplete` when a log was not checked; else `valid`. */
  readonly status: 'valid' | 'tampered' | 'incomplete';
  readonly logs: readonly LogCoverage[];
  /** The logs of the view whose range reaches back into records purged by retention. */
  readonly purged: readonly PurgedLog[];
}

function answer(report: VerificationReport, now: number): RangeVerification {
  const { status, origin, range, treeSize, checked, counts, firstBadSeq, problems, problemCount, records } = report;
  return { status, origin, range, treeSize, checked, counts, firstBadSeq, problems, problemCount, records, verifiedAt: new Date(now).toISOString() };
}

/**
 * Evidence use cases (DESIGN.md §4): export bundles, receipts, server-side verification, erasure and key
 * rotation, each journalled as one of Tamga's own events.
 */
export class EvidenceService {
  readonly #journal: Journal;
  readonly #prover: Prover;
  readonly #now: () => number;
  readonly #receiptWaitMs: number;
  readonly #verified = new VerifiedRanges();

  constructor(config: EvidenceServiceConfig) {
    this.#journal = config.journal;
    this.#prover = config.prover;
    this.#now = config.now ?? Date.now;
    this.#receiptWaitMs = config.receiptWaitMs ?? 1500;
  }

  /**
   * Resolves `from`/`to` query values to a seq range `[from, to)` ending at most at the newest checkpoint.
   * Integers are seqs; RFC 3339 times select the smallest seq range holding every record whose `createdAt` is
   * in `[from, to)`. Defaults: the whole log up to the newest checkpoint.
   *
   * @throws TamgaError `CHECKPOINT_PENDING` when the log has no checkpoint yet; ValidationError
   *   `VALIDATION_FAILED` for values that are neither.
   */
  async resolveRange(log: LogHead, fromText: string | undefined, toText: string | undefined): Promise<EvidenceRange> {
    const newest = await this.#journal.store.latestCheckpoint(log.logId);
    if (newest === undefined) {
      throw new TamgaError('CHECKPOINT_PENDING', 'The log has no signed checkpoint yet; one is signed within a second of an append');
    }
    const kind = (v: string | undefined): 'none' | 'seq' | 'time' => (v === undefined || v === '' ? 'none' : INTEGER.test(v) ? 'seq' : 'time');
    const kinds = [kind(fromText), kind(toText)];
    let from: number;
    let to: number;
    if (kinds.includes('time')) {
      if (kinds.includes('seq')) throw new ValidationError('VALIDATION_FAILED', 'from, to: give both as seqs or both as times', { field: 'from' });
      const time = (v: string | undefined, field: string): number | undefined => {
        if (v === undefined || v === '') return undefined;
        const micros = parseTimestamp(v);
        if (micros === undefined) throw new ValidationError('VALIDATION_FAILED', `${field}: must be a seq or an RFC 3339 time`, { field });
        return micros;
      };
      const range = await findSeqRange(this.#journal.store, log.logId, time(fromText, 'from'), time(toText, 'to'));
      from = range?.from ?? newest.size;
      to = range?.to ?? newest.size;
    } else {
      from = fromText === undefined || fromText === '' ? 0 : Number(fromText);
      to = toText === undefined || toText === '' ? newest.size : Number(toText);
      if (!Number.isSafeInteger(from) || !Number.isSafeInteger(to)) throw new ValidationError('VALIDATION_FAILED', 'from, to: too large', { field: 'to' });
    }
    // Records before a purge cut are gone: a range starts at the earliest record kept at the soonest (its bundle
    // carries the frontier of the cut, so the roots of the checkpoints still recompute).
    const purgedTo = (await this.#journal.store.purgeState(log.logId))?.purgedTo ?? 0;
    to = Math.min(to, newest.size);
    from = Math.min(Math.max(from, purgedTo), to);
    return { from, to, newest };
  }

  /** The bundle manifest of `range` (frontier of `[0, from)`, tail `[to, treeSize)`). */
  async manifest(log: LogHead, range: EvidenceRange): Promise<BundleManifest> {
    const [frontier, tail] = await Promise.all([
      this.#prover.subtreeHashes(log.logId, 0, range.from),
      this.#prover.subtreeHashes(log.logId, range.to, range.newest.size),
    ]);
    return {
      format: BUNDLE_FORMAT,
      origin: log.origin,
      tenantId: log.tenantId,
      range: { from: range.from, to: range.to },
      treeSize: range.newest.size,
      frontier,
      tail,
      createdAt: new Date(this.#now()).toISOString(),
    };
  }

  /** Checkpoints a bundle of `range` carries: those of sizes in `[from, to]`, and the newest. */
  async checkpoints(log: LogHead, range: EvidenceRange): Promise<StoredCheckpoint[]> {
    const list = await this.#journal.store.listCheckpoints(log.logId, range.from, range.to);
    if (!list.some((c) => c.size === range.newest.size)) list.push(range.newest);
    // Witnesses' cosignatures travel with the notes (c2sp.org/tlog-cosignature): `tamga verify --witness` needs them.
    return withCosignatures(this.#journal.store, list);
  }

  /** Records of `[from, to)` in pages of `pageSize`, in seq order. */
  records(log: LogHead, range: SeqRange, pageSize = PAGE): AsyncGenerator<StoredRecord[]> {
    return this.#pages(log, range, pageSize, (at, end) => this.#journal.store.readRecordsBySeq(log.logId, at, end), (page) => page.length);
  }

  /**
   * Pages of `[from, to)` in seq order, each `read` of `[at, end)`; `length` tells how many records a page holds, so a
   * page cut short by a retention purge is told from a gap.
   */
  async *#pages<P>(log: LogHead, range: SeqRange, pageSize: number, read: (at: number, end: number) => Promise<P>, length: (page: P) => number): AsyncGenerator<P> {
    for (let at = range.from; at < range.to; at += pageSize) {
      if (at > range.from) {
        // SQLite answers synchronously: give other requests a turn between pages, so a long export or
        // verification does not stall the whole server.
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
      const end = Math.min(range.to, at + pageSize);
      const page = await read(at, end);
      if (length(page) < end - at) {
        // A retention purge may have removed the start of the range while it was read: that is no gap in the log.
        const purgedTo = (await this.#journal.store.purgeState(log.logId))?.purgedTo ?? 0;
        if (purgedTo > at) {
          throw new TamgaError('RECORDS_PURGED', `The retention policy purged records of this range while it was read (up to seq ${purgedTo}); ask again`, {
            purgedTo,
          });
        }
      }
      yield page;
    }
  }

  /**
   * The export answer as NDJSON lines (docs/bundle-format.md, "Over HTTP"): a `manifest` line, a `keys` line,
   * one `checkpoint` line per checkpoint, every record line as in `records.ndjson`, and an `end` line with the
   * record count, so a cut download is noticed. Journals the export (JournalExported) before the first line.
   */
  async exportLines(log: LogHead, range: EvidenceRange, by: EvidenceCaller): Promise<AsyncGenerator<string | Buffer>> {
    // Everything that can fail before the first byte is done here, so such failures are a problem+json answer.
    const manifest = await this.manifest(log, range);
    const checkpoints = await this.checkpoints(log, range);
    await this.#journal.appendSystem({
      event: EVIDENCE_EVENTS.JournalExported,
      ...actorFields(by),
      entityData: {
        format: 'bundle',
        tenant: tenantName(log.tenantId),
        origin: log.origin,
        from: range.from,
        to: range.to,
        treeSize: range.newest.size,
        records: range.to - range.from,
      },
    });
    return this.#lines(log, range, manifest, checkpoints);
  }

  /**
   * Journals an export of the records of a filter as CSV or NDJSON (JournalExported, every time: exports are not
   * folded into the once-a-minute JournalRead) and returns how many records the filter held when it began. Called
   * before the first byte goes out, so no export leaves without its trace.
   *
   * @param query - the filter as the caller gave it (the request's query string), journalled as it is.
   */
  async noteRecordExport(filter: RecordFilter, format: 'csv' | 'ndjson', query: string, by: EvidenceCaller): Promise<number> {
    // One bucket over the whole range: the per-minute counts serve the usual filters without reading the records.
    const from = filter.from ?? 0;
    const to = filter.to ?? this.#now() * 1000;
    const bucket = Math.max(MINUTE_MICROS, Math.ceil((to - from) / MINUTE_MICROS + 1) * MINUTE_MICROS);
    const { count } = await recordStatsOf(this.#journal.store, { ...filter, from }, bucket);
    await this.#journal.appendSystem({
      event: EVIDENCE_EVENTS.JournalExported,
      ...actorFields(by),
      entityData: {
        format,
        tenants: filter.tenants === undefined ? 'all' : filter.tenants.map(tenantName),
        filter: query.slice(0, 2000),
        records: count,
      },
    });
    return count;
  }

  async *#lines(log: LogHead, range: EvidenceRange, manifest: BundleManifest, checkpoints: readonly StoredCheckpoint[]): AsyncGenerator<string | Buffer> {
    yield `${JSON.stringify({ type: 'manifest', ...manifestJson(manifest) })}\n`;
    yield `${JSON.stringify({ type: 'keys', ...this.#journal.keys.publicKeys() })}\n`;
    for (const c of checkpoints) yield `${JSON.stringify({ type: 'checkpoint', size: c.size, note: c.note })}\n`;
    let count = 0;
    const store = this.#journal.store;
    // A store with threads for reads formats the lines there (readBundleLines), so the thread serving HTTP only sends them.
    const read = (at: number, end: number): Promise<BundleLines> =>
      store.readBundleLines === undefined ? readBundleLines(store, log.logId, at, end) : store.readBundleLines(log.logId, at, end);
    for await (const page of this.#pages(log, range, PAGE, read, (p) => p.records)) {
      count += page.records;
      yield page.chunk;
    }
    yield `${JSON.stringify({ type: 'end', records: count })}\n`;
  }

  /**
   * Server-side verification of `range` (see {@link verifyNow}). With `maxAgeMs`, the parts of the range that
   * verified without a problem at most that long ago are not checked again: only the rest is, and the answer's
   * `verifiedAt` is when its oldest part was checked. Any problem found makes it check the whole range afresh.
   */
  async verify(
    log: LogHead,
    range: EvidenceRange,
    options: { readonly signal?: AbortSignal | undefined; readonly maxAgeMs?: number | undefined } = {},
  ): Promise<RangeVerification> {
    const now = this.#now();
    const since = now - (options.maxAgeMs ?? 0);
    const gaps = options.maxAgeMs === undefined || options.maxAgeMs <= 0 ? [range] : this.#verified.gaps(log.logId, range, since);
    const whole = async (): Promise<RangeVerification> => {
      try {
        const checked = await this.#verifyNow(log, range, options.signal);
        return answer(checked.report, checked.at);
      } catch (error) {
        // A purge moved the cut into the range while it was checked: check what is left of it.
        if (!(error instanceof TamgaError) || error.code !== 'RECORDS_PURGED') throw error;
        const purgedTo = (await this.#journal.store.purgeState(log.logId))?.purgedTo ?? 0;
        const rest = { ...range, from: Math.min(Math.max(range.from, purgedTo), range.to) };
        const checked = await this.#verifyNow(log, rest, options.signal);
        return answer(checked.report, checked.at);
      }
    };
    if (gaps.length === 1 && gaps[0]!.from === range.from && gaps[0]!.to === range.to) return whole();
    for (const gap of gaps) {
      const part = await this.#verifyNow(log, { ...range, from: gap.from, to: gap.to }, options.signal).catch((error: unknown) => {
        if (error instanceof TamgaError && error.code === 'RECORDS_PURGED') return undefined;
        throw error;
      });
      if (part === undefined) return whole();
      const { report, isKept } = part;
      // A problem, or a part too unusual to remember (over 1,000 redacted records): answer for the whole range.
      if (report.status !== 'valid' || !isKept) return whole();
    }
    const { verifiedAt, notValid } = this.#verified.covering(log.logId, range, since);
    const count = (status: IntegrityStatus): number => notValid.filter((r) => r.status === status).length;
    const checked = range.to - range.from;
    return {
      status: 'valid',
      origin: log.origin,
      range: { from: range.from, to: range.to },
      treeSize: range.newest.size,
      checked,
      counts: { valid: checked - notValid.length, tampered: 0, redacted: count('redacted'), 'unknown-key': count('unknown-key') },
      firstBadSeq: null,
      problems: [],
      problemCount: 0,
      records: notValid.slice(0, MAX_LISTED_RECORDS),
      verifiedAt: new Date(checked === 0 ? now : verifiedAt).toISOString(),
    };
  }

  /**
   * Verifies every log of a view (DESIGN.md §4, the journal page's integrity badge): for each of `logs` holding a
   * record whose `createdAt` is in `[fromMicros, toMicros)`, the smallest seq range holding them is verified like
   * {@link verify} (with `maxAgeMs`), up to a budget of {@link MAX_VERIFY_RANGE} records in all; a log it cannot
   * check is listed with the reason. Logs come default tenant first, then by tenant id.
   */
  async verifyView(
    logs: readonly LogHead[],
    fromMicros: number | undefined,
    toMicros: number | undefined,
    options: { readonly signal?: AbortSignal | undefined; readonly maxAgeMs?: number | undefined } = {},
  ): Promise<ViewVerification> {
    const store = this.#journal.store;
    const ordered = [...logs].sort((a, b) => (a.tenantId === null ? -1 : b.tenantId === null ? 1 : a.tenantId < b.tenantId ? -1 : 1));
    let budget = MAX_VERIFY_RANGE;
    const covered: LogCoverage[] = [];
    const purged: PurgedLog[] = [];
    for (const log of ordered) {
      options.signal?.throwIfAborted();
      const purge = await store.purgeState(log.logId);
      const purgedTo = purge?.purgedTo ?? 0;
      if (purge !== undefined && purgedTo > 0 && (fromMicros === undefined || fromMicros <= purge.newestPurged)) {
        const [first] = await store.readRecordsBySeq(log.logId, purgedTo, purgedTo + 1);
        purged.push({
          tenant: tenantName(log.tenantId),
          purgedTo,
          earliestKept: first === undefined ? null : new Date(first.createdAt / 1000).toISOString(),
          newestPurged: new Date(purge.newestPurged / 1000).toISOString(),
          keepDays: (await readRetentionPolicy(store, log.tenantId)).keepDays,
        });
      }
      const found = await findSeqRange(store, log.logId, fromMicros, toMicros);
      if (found === undefined) continue;
      if (found.to <= purgedTo) continue;
      const inView = { from: Math.max(found.from, purgedTo), to: found.to };
      const newest = await store.latestCheckpoint(log.logId);
      const signedTo = Math.min(inView.to, newest?.size ?? 0);
      const base = { tenant: tenantName(log.tenantId), origin: log.origin, range: inView, unsigned: inView.to - Math.max(signedTo, inView.from) };
      const size = signedTo - inView.from;
      if (newest === undefined || size <= 0) {
        covered.push({ ...base, coverage: 'pending', verification: null });
      } else if (size > MAX_VERIFY_RANGE) {
        covered.push({ ...base, coverage: 'too-large', verification: null });
      } else if (size > budget) {
        covered.push({ ...base, coverage: 'skipped', verification: null });
      } else {
        budget -= size;
        const verification = await this.verify(log, { from: inView.from, to: signedTo, newest }, options);
        covered.push({ ...base, coverage: 'verified', verification });
      }
    }
    const status = covered.some((l) => l.verification?.status === 'tampered')
      ? 'tampered'
      : covered.every((l) => l.coverage === 'verified')
        ? 'valid'
        : 'incomplete';
    return { status, logs: covered, purged };
  }

  /**
   * Runs the offline verifier's checks server-side over `range` now, plus the read path's check that the columns
   * still rebuild each record's canonical bytes (an edited column outside `L` shows only here). A range without
   * problems is kept for {@link verify}'s `maxAgeMs` (`isKept`).
   */
  async #verifyNow(
    log: LogHead,
    range: EvidenceRange,
    signal?: AbortSignal,
  ): Promise<{ report: VerificationReport; isKept: boolean; at: number }> {
    const at = this.#now();
    const manifest = await this.manifest(log, range);
    const checkpoints = (await this.checkpoints(log, range)).map((c) => ({ size: c.size, note: c.note }));
    const keys = this.#journal.keys;
    const verifiers = verifiersFromKeys(parseBundleKeys(keys.publicKeys()));
    const hmacKeys = new Map(keys.hmacKeys.map((k) => [k.kid, k.secret] as const));
    const keyFor = (kid: string): Buffer | undefined => hmacKeys.get(kid);
    const verifier = new BundleVerifier(manifest, checkpoints, { verifiers, hmacKeys });
    // Checking costs ~50 µs a record: smaller pages than an export's, so other requests wait at most ~10 ms.
    for await (const page of this.records(log, range, VERIFY_PAGE)) {
      // Nobody waits for the answer any more (the page moved on): stop rather than spend the CPU.
      signal?.throwIfAborted();
      for (const r of page) verifier.addChecked(checkStored(r, log.origin, keyFor));
    }
    const report = verifier.finish();
    if (report.status !== 'valid') {
      this.#verified.forget(log.logId, range);
      return { report, isKept: false, at };
    }
    // Kept only when the report lists every non-valid record (it lists at most 1,000).
    const isKept =
      report.records.length === report.checked - report.counts.valid &&
      this.#verified.add(log.logId, { from: range.from, to: range.to, at, notValid: report.records }, at);
    return { report, isKept, at };
  }

  /**
   * A receipt of one record: the record, its inclusion proof and the signed checkpoint it is proved against
   * (the newest; waits up to `receiptWaitMs` for one covering the record).
   *
   * @throws TamgaError `CHECKPOINT_PENDING` when no checkpoint covers the record in time.
   */
  async receipt(record: StoredRecord): Promise<Record<string, unknown>> {
    const store = this.#journal.store;
    const log = await store.getLog(record.tenantId);
    if (log === undefined) throw new TamgaError('LOG_NOT_FOUND', 'The record has no log');
    const deadline = Date.now() + this.#receiptWaitMs;
    let checkpoint = await store.latestCheckpoint(log.logId);
    while ((checkpoint === undefined || checkpoint.size <= record.seq) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      checkpoint = await store.latestCheckpoint(log.logId);
    }
    if (checkpoint === undefined || checkpoint.size <= record.seq) {
      throw new TamgaError('CHECKPOINT_PENDING', 'No signed checkpoint covers this record yet; retry in a second', { retryAfter: 1 });
    }
    const head = (await store.getLog(record.tenantId)) ?? log;
    const proof = await this.#prover.inclusion(log.logId, head.size, record.seq, checkpoint.size);
    return {
      format: RECEIPT_FORMAT,
      origin: log.origin,
      id: record.id,
      record: JSON.parse(formatBundleRecord(toBundleRecord(record))) as unknown,
      treeSize: checkpoint.size,
      proof: proof.hashes.map((h) => h.toString('base64')),
      checkpoint: (await withCosignaturesOne(store, checkpoint)).note,
      keys: this.#journal.keys.publicKeys(),
    };
  }

  /**
   * The erasure procedure: nulls the payload of the selected records (the store's guarded UPDATE) and journals
   * it as PayloadErased with the reason and who asked. The records then read and verify as `redacted`.
   */
  async erase(selector: ErasureSelector, reason: string, by: EvidenceCaller): Promise<ErasedRecord[]> {
    const erased = await this.#journal.store.erasePayloads(selector);
    if (erased.length > 0) {
      await this.#journal.appendSystem({
        event: EVIDENCE_EVENTS.PayloadErased,
        ...actorFields(by),
        entityData: {
          reason,
          ...('userId' in selector && { subject: selector.userId }),
          count: erased.length,
          // As many as fit well inside entityData's 64 KiB (about 400): a thousand did not, and the erasure, already
          // committed, then went unjournalled.
          records: erased.slice(0, MAX_ERASED_IN_EVENT).map((r) => ({ id: r.id, tenant: tenantName(r.tenantId), seq: r.seq })),
        },
      });
    }
    return erased;
  }

  /** Rotates a key at once (KeyRing mutation) and journals it (HmacKeyRotated / CheckpointKeyRotated). */
  async rotate(type: 'hmac' | 'checkpoint', by: EvidenceCaller): Promise<{ id: string; previous: string }> {
    const keys = this.#journal.keys;
    if (type === 'hmac') {
      const previous = keys.activeHmacKey.kid;
      const key = keys.rotateHmac();
      await journalKeyRotation(this.#journal, { type, id: key.kid, previous, by: by.userId ?? by.name });
      return { id: key.kid, previous };
    }
    const previous = keys.checkpointKeys[keys.checkpointKeys.length - 1]!.name;
    const key = keys.rotateCheckpoint();
    await journalKeyRotation(this.#journal, { type, id: key.name, previous, by: by.userId ?? by.name });
    return { id: key.name, previous };
  }
}

/** The bundle checks of a stored record, plus the read path's column check. */
function checkStored(r: StoredRecord, origin: string, keyFor: (kid: string) => Buffer | undefined): CheckedLine {
  const checked = checkParsedRecord(toBundleRecord(r), origin, keyFor);
  if (checked.status === 'tampered') return checked;
  const status: IntegrityStatus = checkRecord(r, r, keyFor);
  if (status !== 'tampered') return checked;
  return {
    ...checked,
    status: 'tampered',
    problem: { code: 'RECORD_TAMPERED', reason: 'columns-mismatch', seq: r.seq, message: `seq ${r.seq}: the stored columns no longer rebuild its canonical bytes` },
  };
}

/** `manifest.json` content (hashes as base64). */
export function manifestJson(m: BundleManifest): Record<string, unknown> {
  return {
    format: m.format,
    origin: m.origin,
    tenantId: m.tenantId,
    range: m.range,
    treeSize: m.treeSize,
    frontier: m.frontier.map((h) => h.toString('base64')),
    tail: m.tail.map((h) => h.toString('base64')),
    createdAt: m.createdAt,
  };
}
