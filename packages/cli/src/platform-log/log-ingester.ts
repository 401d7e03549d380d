import { open } from 'node:fs/promises';
import { basename } from 'node:path';
import type { FileHandle } from 'node:fs/promises';
import {
  buildPlatformLogEvent,
  classifyPlatformLogRecord,
  DEFAULT_MAX_RECORD_BYTES,
  parsePlatformLogChunk,
  PlatformLogSplitter,
} from '@tamga/core';
import type { LocalTimeZone, PlatformLogChunk, PlatformLogRules } from '@tamga/core';
import type { IngestState } from './ingest-state.js';
import { readFileHead, readFileId, readGzipFrom, scanLogFiles } from './log-files.js';
import type { FoundFile } from './log-files.js';

/** What the server answered for a batch (the count the ingester reads): how many of its events were stored before. */
export interface SentBatch {
  readonly duplicates: number;
}

/** Where events go: the server (through the SDK's TamgaClient), or standard output for `--dry-run`. */
export type EventSink = (events: readonly Record<string, unknown>[], signal: AbortSignal) => Promise<SentBatch>;

/** Settings of a {@link LogIngester}. */
export interface LogIngesterOptions {
  /** Files and directories to read. */
  readonly paths: readonly string[];
  /** Which names of a directory's files to read. */
  readonly matches: (name: string) => boolean;
  readonly rules: PlatformLogRules;
  readonly zone: LocalTimeZone;
  /** Tenant of the events; null for the default tenant. */
  readonly tenantId: string | null;
  /** Progress per file content; advanced only after the sink's answer. Undefined: start every file at its start. */
  readonly state: IngestState | undefined;
  /** Whether progress is written to {@link state} (false for `--dry-run`). */
  readonly isStateWritten: boolean;
  readonly sink: EventSink;
  /** Keep reading files as they grow and rotate, until {@link signal} aborts. */
  readonly follow: boolean;
  /** How often files are looked at when following, in ms. */
  readonly pollMs: number;
  /**
   * How long a record may stay open (no new line, no next record) before it is taken as ended, in ms; also how long
   * a file must be quiet for a last line without a line end to count. Default 5,000.
   */
  readonly multilineTimeoutMs: number;
  /** Most events in one request. */
  readonly batchSize: number;
  /** Name of an event code, for the summary. */
  readonly nameOf: (code: number) => string | undefined;
  /** Says a line to the user (standard error). */
  readonly report: (line: string) => void;
  /** How often progress is reported while working, in ms (0: never). */
  readonly progressMs: number;
  /** Stops following; what was read is sent and acknowledged before {@link LogIngester.run} returns. */
  readonly signal: AbortSignal;
  /** Most bytes of one record kept; default {@link DEFAULT_MAX_RECORD_BYTES}. */
  readonly maxRecordBytes?: number;
}

/** What a run did. */
export interface IngestSummary {
  readonly lines: number;
  readonly records: number;
  readonly sent: number;
  /** Events the server stored now (the others it already had: their ids were sent before). */
  readonly stored: number;
  readonly alreadyStored: number;
  /** Events sent per code. */
  readonly byCode: ReadonlyMap<number, number>;
  /** Records with problems (broken time stamp, no record start, invalid UTF-8, too long, …). */
  readonly recordsWithProblems: number;
  /** Files not read (binary, unreadable, vanished), with why. */
  readonly skipped: readonly string[];
  /** Bytes left unsent because their record may still be growing (the next run or the next look takes them). */
  readonly pendingBytes: number;
  /** Why sending stopped, when it did. */
  readonly failure: string | undefined;
  /** Everything read was sent and acknowledged, and no file was skipped. */
  readonly isComplete: boolean;
}

/** One file content being read. */
interface Source {
  readonly key: string;
  /** Where the file was first found; it has been rotated when another file (or none) is there now. */
  readonly path: string;
  /** Its current name, as last found. */
  currentPath: string;
  readonly fileId: string;
  readonly kind: 'text' | 'gzip';
  handle: FileHandle | undefined;
  splitter: PlatformLogSplitter;
  readOffset: number;
  lastGrowthMs: number;
  lastUtcMs: number | undefined;
  problemsReported: number;
}

/** Where an acknowledged event moves its file's progress to. */
interface Mark {
  readonly fileId: string;
  readonly end: number;
  readonly nextLine: number;
  readonly path: string;
}

interface Batch {
  readonly events: Record<string, unknown>[];
  readonly marks: Mark[];
  bytes: number;
}

const READ_BYTES = 256 * 1024;
/** Largest request body the ingester builds (the server takes 16 MiB). */
const MAX_BATCH_BYTES = 8 * 1024 * 1024;
/** Batches waiting behind the one in flight: parsing runs ahead of the server by this much, no more. */
const MAX_QUEUED_BATCHES = 2;
/** When stopping, how long the last batches may wait for the server. */
const STOP_GRACE_MS = 10_000;
/** A followed file quiet this many multi-line timeouts (and at least a minute) is closed until it changes. */
const CLOSE_INACTIVE_TIMEOUTS = 12;
/** Problems reported per file; the rest are counted. */
const MAX_PROBLEMS_PER_FILE = 20;

/**
 * Reads the business platform's log files and sends every record as an event (seed 003), once: `tamga ingest-log`.
 *
 * Records are parsed, classified by the rules and sent in file order, in batches, one request at a time (the next
 * batch is parsed while one is in flight). Each file's progress moves in the state only after the server has
 * acknowledged the batch; ids come from the tenant, the file's content identity and the record's offset, so a
 * record sent twice is stored once.
 *
 * Following (`follow`), files are looked at every `pollMs`: new bytes are read, a record is sent once the next one
 * starts or `multilineTimeoutMs` has passed without a new line; a renamed file is read to its end through the open
 * file and its last record sent; a truncated file (copy-and-truncate) or a file whose first line changed (replaced)
 * is read again from its start as new content, while its copy — a rotated sibling with the old content identity,
 * compressed or not — is read from where the old content stopped.
 */
export class LogIngester {
  readonly #o: LogIngesterOptions;
  readonly #maxRecordBytes: number;
  readonly #sources = new Map<string, Source>();
  /** Content identities being read, so that a copy is not read beside its original. */
  readonly #liveIds = new Map<string, Source>();
  /** Files found not to need reading, by key, with the size and time they had then. */
  readonly #settled = new Map<string, string>();
  #batch: Batch = { events: [], marks: [], bytes: 0 };
  readonly #queue: Batch[] = [];
  #sending: Promise<void> | undefined;
  readonly #ackWaiters: (() => void)[] = [];
  readonly #sendAbort = new AbortController();
  #failure: string | undefined;
  #lines = 0;
  #records = 0;
  #sent = 0;
  #stored = 0;
  #alreadyStored = 0;
  #withProblems = 0;
  readonly #byCode = new Map<number, number>();
  readonly #skipped: string[] = [];
  #pendingBytes = 0;
  #lastProgress = '';
  #startMs = Date.now();

  constructor(options: LogIngesterOptions) {
    this.#o = options;
    this.#maxRecordBytes = options.maxRecordBytes ?? DEFAULT_MAX_RECORD_BYTES;
  }

  /** The name matcher, never matching the state file (and its temporary files) should it sit among the logs. */
  readonly #matches = (name: string): boolean => {
    const state = this.#o.state === undefined ? undefined : basename(this.#o.state.path);
    return (state === undefined || !name.startsWith(state)) && this.#o.matches(name);
  };

  /** Reads and sends until every file is read (or, following, until aborted); resolves with what was done. */
  async run(): Promise<IngestSummary> {
    this.#startMs = Date.now();
    const timer = this.#o.progressMs > 0 ? setInterval(() => this.#reportProgress(), this.#o.progressMs) : undefined;
    timer?.unref();
    try {
      if (this.#o.follow) await this.#follow();
      else await this.#readOnce();
      await this.#flushBatch();
      // Stopping: what was read gets STOP_GRACE_MS to be acknowledged; then the requests are given up (the state
      // keeps the last acknowledged offsets, and the next run sends the rest).
      const giveUp = this.#o.signal.aborted ? setTimeout(() => this.#sendAbort.abort(new Error('stopped before the server acknowledged the last events')), STOP_GRACE_MS) : undefined;
      await this.#drain();
      clearTimeout(giveUp);
    } finally {
      if (timer !== undefined) clearInterval(timer);
      for (const source of this.#sources.values()) await source.handle?.close();
      if (this.#o.isStateWritten) await this.#o.state?.save();
    }
    return this.#summary();
  }

  // --- one pass over the files -------------------------------------------------------------------------------

  async #readOnce(): Promise<void> {
    const { files, problems } = scanLogFiles(this.#o.paths, this.#matches);
    for (const p of problems) this.#skip(p.path, p.message);
    for (const file of files) {
      if (this.#failure !== undefined) return;
      const source = await this.#openSource(file, false);
      if (source === undefined) continue;
      await this.#readAvailable(source);
      // A file quiet for the multi-line timeout is finished for now: its last record (and a last line without a
      // line end) is complete. A file written just now keeps its last record for the next run.
      const isQuiet = source.kind === 'gzip' || Date.now() - file.mtimeMs >= this.#o.multilineTimeoutMs;
      await this.#handle(source, source.splitter.flush(isQuiet));
      if (source.splitter.pendingBytes > 0) {
        this.#pendingBytes += source.splitter.pendingBytes;
        this.#o.report(`${source.currentPath}:${source.splitter.pendingLine}: the last ${source.splitter.pendingBytes} bytes wait for their record to end (the file was written less than ${this.#o.multilineTimeoutMs / 1000} s ago); the next run sends them`);
      }
      // Copies of one content (copy-and-truncate) are read one after the other, each from where the other stopped.
      await this.#flushBatch();
      await this.#drain();
      if (source.kind === 'gzip' && this.#failure === undefined && this.#o.isStateWritten) this.#o.state?.markComplete(source.fileId);
      await this.#close(source);
    }
  }

  // --- following ------------------------------------------------------------------------------------------------

  async #follow(): Promise<void> {
    const reported = new Set<string>();
    while (!this.#o.signal.aborted && this.#failure === undefined) {
      const { files, problems } = scanLogFiles(this.#o.paths, this.#matches);
      for (const p of problems) {
        if (!reported.has(p.path)) this.#o.report(`${p.path}: ${p.message}; looking again every ${this.#o.pollMs / 1000} s`);
        reported.add(p.path);
      }
      const atPath = new Map(files.map((f) => [f.path, f.key]));
      for (const file of files) {
        const source = this.#sources.get(file.key);
        if (source !== undefined) {
          source.currentPath = file.path;
          continue;
        }
        const opened = await this.#openSource(file, true);
        if (opened !== undefined && opened.kind === 'gzip') {
          // A compressed file does not grow: read it whole now.
          await this.#readAvailable(opened);
          await this.#handle(opened, opened.splitter.flush(true));
          await this.#flushBatch();
          await this.#drain();
          if (this.#failure === undefined && this.#o.isStateWritten) this.#o.state?.markComplete(opened.fileId);
          await this.#close(opened);
          this.#settled.set(file.key, `${file.size}:${file.mtimeMs}`);
        }
      }
      for (const source of [...this.#sources.values()]) {
        if (this.#failure !== undefined) break;
        await this.#followSource(source, atPath.get(source.path) === source.key);
      }
      await this.#flushBatch();
      await this.#sleep(this.#o.pollMs);
    }
  }

  /** One look at a followed file: truncated or replaced? new bytes? a record to give up waiting for? */
  async #followSource(source: Source, isAtItsPath: boolean): Promise<void> {
    const size = (await source.handle!.stat()).size;
    if (size < source.readOffset) {
      this.#o.report(`${source.currentPath}: truncated to ${size} bytes (copy-and-truncate?): its new content is read from the start; the copy of the old one, if any, from where it stopped`);
      await this.#close(source);
      return;
    }
    if (isAtItsPath) {
      const fileId = await readFileId(source.path);
      if (fileId !== undefined && fileId !== source.fileId) {
        this.#o.report(`${source.path}: its first line changed (the file was replaced): read as new content from the start`);
        await this.#close(source);
        return;
      }
    }
    const grew = await this.#readAvailable(source);
    const now = Date.now();
    if (grew > 0) {
      source.lastGrowthMs = now;
      return;
    }
    const quietMs = now - source.lastGrowthMs;
    if (quietMs < this.#o.multilineTimeoutMs) return;
    if (!isAtItsPath) {
      // Rotated away (renamed, or compressed and removed) and quiet: the writer has moved on; what is left is whole.
      await this.#handle(source, source.splitter.flush(true));
      this.#settled.set(source.key, 'rotated');
      await this.#close(source);
      return;
    }
    await this.#handle(source, source.splitter.flush(false));
    if (quietMs >= Math.max(60_000, CLOSE_INACTIVE_TIMEOUTS * this.#o.multilineTimeoutMs) && source.splitter.pendingBytes === 0) {
      // Quiet for long: closed until its size or time changes (rotated files would otherwise stay open for ever).
      const st = await source.handle!.stat();
      this.#settled.set(source.key, `${st.size}:${st.mtimeMs}`);
      await this.#close(source);
    }
  }

  // --- files --------------------------------------------------------------------------------------------------------

  /** Opens a found file where its content's progress says, or returns undefined when it is not to be read (now). */
  async #openSource(file: FoundFile, isFollowing: boolean): Promise<Source | undefined> {
    const signature = `${file.size}:${file.mtimeMs}`;
    const settled = this.#settled.get(file.key);
    if (settled === signature || settled === 'binary' || settled === 'rotated') return undefined;
    const isQuiet = Date.now() - file.mtimeMs >= this.#o.multilineTimeoutMs;
    let head;
    try {
      head = await readFileHead(file.path, !isFollowing && isQuiet);
    } catch (error) {
      if (!isFollowing) this.#skip(file.path, (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'removed before it could be read' : (error as Error).message);
      return undefined;
    }
    if (head.kind === 'binary') {
      if (!file.isRecoveryOnly) this.#skip(file.path, `not a text log: a NUL byte at offset ${head.nulAt ?? 0}`);
      this.#settled.set(file.key, 'binary');
      return undefined;
    }
    if (head.fileId === undefined) {
      if (file.size > 0 && !isFollowing && !file.isRecoveryOnly) {
        this.#pendingBytes += file.size;
        this.#o.report(`${file.path}: its first line is still being written; the next run reads it`);
      }
      return undefined;
    }
    const fileId = head.fileId;
    const progress = this.#o.state?.get(fileId);
    if (progress?.isComplete === true || (file.isRecoveryOnly && progress === undefined)) {
      this.#settled.set(file.key, signature);
      return undefined;
    }
    // A copy of content being read (the original not yet truncated): wait until the original is done with it.
    if (this.#liveIds.has(fileId)) return undefined;
    const offset = progress?.offset ?? 0;
    const line = progress?.line ?? 1;
    if (head.kind === 'text' && offset >= file.size) {
      this.#settled.set(file.key, signature);
      if (!isFollowing) return undefined;
    }
    let handle: FileHandle | undefined;
    if (head.kind === 'text') {
      try {
        handle = await open(file.path, 'r');
      } catch (error) {
        if (!isFollowing) this.#skip(file.path, (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'removed before it could be read' : (error as Error).message);
        return undefined;
      }
    }
    this.#settled.delete(file.key);
    const source: Source = {
      key: file.key,
      path: file.path,
      currentPath: file.path,
      fileId,
      kind: head.kind,
      handle,
      splitter: new PlatformLogSplitter({ offset, line, maxRecordBytes: this.#maxRecordBytes }),
      readOffset: offset,
      lastGrowthMs: Date.now(),
      lastUtcMs: undefined,
      problemsReported: 0,
    };
    if (progress !== undefined && progress.path !== file.path && offset < file.size) {
      this.#o.report(`${file.path}: holds the content of ${progress.path}, sent up to line ${line}: reading the rest`);
    }
    this.#sources.set(file.key, source);
    this.#liveIds.set(fileId, source);
    return source;
  }

  async #close(source: Source): Promise<void> {
    await source.handle?.close();
    source.handle = undefined;
    this.#sources.delete(source.key);
    if (this.#liveIds.get(source.fileId) === source) this.#liveIds.delete(source.fileId);
  }

  /** Reads what the file holds beyond what was read; returns the number of bytes read. */
  async #readAvailable(source: Source): Promise<number> {
    let total = 0;
    if (source.kind === 'gzip') {
      try {
        for await (const chunk of readGzipFrom(source.currentPath, source.readOffset)) {
          source.readOffset += chunk.length;
          total += chunk.length;
          await this.#handle(source, source.splitter.push(chunk));
          if (this.#failure !== undefined) break;
        }
      } catch (error) {
        this.#skip(source.currentPath, `cannot be decompressed past byte ${source.readOffset}: ${(error as Error).message}`);
      }
      return total;
    }
    const buffer = Buffer.allocUnsafe(READ_BYTES);
    for (;;) {
      const { bytesRead } = await source.handle!.read(buffer, 0, READ_BYTES, source.readOffset);
      if (bytesRead === 0) return total;
      source.readOffset += bytesRead;
      total += bytesRead;
      await this.#handle(source, source.splitter.push(buffer.subarray(0, bytesRead)));
      if (this.#failure !== undefined) return total;
    }
  }

  // --- records to events to batches ---------------------------------------------------------------------------

  async #handle(source: Source, chunks: readonly PlatformLogChunk[]): Promise<void> {
    for (const chunk of chunks) {
      const record = parsePlatformLogChunk(chunk);
      const classification = classifyPlatformLogRecord(this.#o.rules, record);
      const built = buildPlatformLogEvent(
        record,
        { offset: chunk.offset, size: chunk.end - chunk.offset, line: chunk.line, bytes: chunk.bytes, ...(chunk.sha256 !== undefined && { sha256: chunk.sha256 }) },
        classification,
        { tenantId: this.#o.tenantId, zone: this.#o.zone, system: this.#o.rules.system, file: source.currentPath, fileId: source.fileId },
        source.lastUtcMs,
      );
      if (built.utcMs !== null) source.lastUtcMs = built.utcMs;
      this.#lines += chunk.lineCount;
      this.#records += 1;
      if (built.problems.length > 0) {
        this.#withProblems += 1;
        for (const problem of built.problems) {
          // `line 12: …` in the event; `file:12: …` on the terminal, as compilers and linters say it.
          if (source.problemsReported++ < MAX_PROBLEMS_PER_FILE) this.#o.report(`${source.currentPath}:${problem.replace(/^line (\d+): /, '$1: ')}`);
          else if (source.problemsReported === MAX_PROBLEMS_PER_FILE + 1) this.#o.report(`${source.currentPath}: more problems; each is in its event's entityData.problems`);
        }
      }
      this.#batch.events.push(built.event as Record<string, unknown>);
      this.#batch.marks.push({ fileId: source.fileId, end: chunk.end, nextLine: chunk.line + chunk.lineCount, path: source.currentPath });
      // A generous estimate of the event's JSON: the record, escaped, and the fields around it.
      this.#batch.bytes += Math.min(chunk.end - chunk.offset, 2 * 65_536) * 2 + 1024;
      if (this.#batch.events.length >= this.#o.batchSize || this.#batch.bytes >= MAX_BATCH_BYTES) await this.#flushBatch();
    }
  }

  /** Hands the current batch to the sender, waiting while enough batches are queued. */
  async #flushBatch(): Promise<void> {
    if (this.#batch.events.length === 0 || this.#failure !== undefined) return;
    const batch = this.#batch;
    this.#batch = { events: [], marks: [], bytes: 0 };
    this.#queue.push(batch);
    this.#sending ??= this.#sendQueued().finally(() => (this.#sending = undefined));
    // Parse ahead of the server, but only so far: wait for the next acknowledgement, not for the queue to empty.
    while (this.#queue.length > MAX_QUEUED_BATCHES && this.#failure === undefined) await new Promise<void>((resolve) => this.#ackWaiters.push(resolve));
  }

  async #sendQueued(): Promise<void> {
    while (this.#queue.length > 0 && this.#failure === undefined) {
      const batch = this.#queue[0]!;
      let sent: SentBatch;
      try {
        sent = await this.#o.sink(batch.events, this.#sendAbort.signal);
      } catch (error) {
        this.#failure = (error as Error).message;
        this.#queue.length = 0;
        this.#wakeWaiters();
        return;
      }
      this.#queue.shift();
      this.#acknowledge(batch, sent);
      this.#wakeWaiters();
    }
  }

  #wakeWaiters(): void {
    for (const resolve of this.#ackWaiters.splice(0)) resolve();
  }

  #acknowledge(batch: Batch, sent: SentBatch): void {
    for (const event of batch.events) {
      const code = event['event'] as number;
      this.#byCode.set(code, (this.#byCode.get(code) ?? 0) + 1);
    }
    this.#alreadyStored += sent.duplicates;
    this.#stored += batch.events.length - sent.duplicates;
    this.#sent += batch.events.length;
    if (!this.#o.isStateWritten || this.#o.state === undefined) return;
    for (const mark of batch.marks) this.#o.state.advance(mark.fileId, mark.end, mark.nextLine, mark.path);
    void this.#o.state.save().catch((error: unknown) => {
      this.#failure ??= `cannot write the state file: ${(error as Error).message}`;
    });
  }

  /** Waits until every queued batch is acknowledged (or sending failed). */
  async #drain(): Promise<void> {
    while (this.#sending !== undefined) await this.#sending;
  }

  #skip(path: string, why: string): void {
    this.#skipped.push(`${path}: ${why}`);
    this.#o.report(`${path}: ${why}: not read`);
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      if (this.#o.signal.aborted) {
        resolve();
        return;
      }
      const signal = this.#o.signal;
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        resolve();
      }
      signal.addEventListener('abort', done, { once: true });
    });
  }

  #reportProgress(): void {
    const line = this.#progressLine();
    if (line === this.#lastProgress) return;
    this.#lastProgress = line;
    this.#o.report(line);
  }

  #progressLine(): string {
    const seconds = Math.max(0.001, (Date.now() - this.#startMs) / 1000);
    const codes = [...this.#byCode.entries()].sort((a, b) => b[1] - a[1]).slice(0, 3).map(([code, n]) => `${code} ${fmt(n)}`).join(', ');
    return `progress: ${fmt(this.#lines)} lines, ${fmt(this.#records)} records read; ${fmt(this.#sent)} sent (${fmt(this.#stored)} new), ${fmt(this.#sent / seconds)} events/s${codes === '' ? '' : `; most: ${codes}`}`;
  }

  #summary(): IngestSummary {
    return {
      lines: this.#lines,
      records: this.#records,
      sent: this.#sent,
      stored: this.#stored,
      alreadyStored: this.#alreadyStored,
      byCode: new Map([...this.#byCode.entries()].sort((a, b) => a[0] - b[0])),
      recordsWithProblems: this.#withProblems,
      skipped: [...this.#skipped],
      pendingBytes: this.#pendingBytes,
      failure: this.#failure,
      isComplete: this.#failure === undefined && this.#skipped.length === 0 && this.#sent === this.#records,
    };
  }
}

function fmt(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}
