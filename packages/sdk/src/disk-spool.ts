/**
 * The on-disk spool of a producer: an append-only FIFO of event batches that survives a crash of the process.
 * Layout and crash semantics: docs/decisions/0023-sdk-producer-and-spool.md.
 *
 * ```
 * <dir>/lock                 {"pid":…,"host":…}: one producer per directory
 * <dir>/cursor               {"segment":n,"offset":o}: where the first undelivered frame starts
 * <dir>/000000000001.seg …   segments: frames appended, fsynced per frame, never rewritten
 * <dir>/torn-…bin, corrupt-…bin   bytes set aside at recovery (a torn last write; a frame that failed its checksum)
 * frame = "TSP1" ‖ u32 BE payload length ‖ first 4 bytes of SHA-256(payload) ‖ payload (NDJSON lines, each ending "\n")
 * ```
 */
import { createHash } from 'node:crypto';
import {
  closeSync,
  fdatasync,
  fdatasyncSync,
  fsyncSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  read,
  readdirSync,
  readFileSync,
  readSync,
  unlinkSync,
  write,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { rename, unlink, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { TamgaError } from '@tamga/core';
import type { EventQueue, OverflowPolicy, PushResult } from './event-queue.js';

const writeAsync = promisify(write);
const readAsync = promisify(read);
const fdatasyncAsync = promisify(fdatasync);

const MAGIC = Buffer.from('TSP1', 'latin1');
const HEADER_BYTES = 12;
const NEWLINE = 0x0a;
const SEGMENT_RE = /^(\d{12})\.seg$/;

/** Options of {@link DiskSpool.open}. */
export interface DiskSpoolConfig {
  /** The spool directory; created when missing. One producer at a time may use it. */
  readonly dir: string;
  /** Most bytes of undelivered frames. Default 256 MiB. Disk use may exceed it by one segment until it is deleted. */
  readonly maxBytes?: number;
  /** Size at which a new segment file is started. Default `maxBytes / 16`, between 64 KiB and 16 MiB. */
  readonly segmentBytes?: number;
  /** What happens when a batch does not fit. Default `drop-oldest`. */
  readonly overflow?: OverflowPolicy;
}

/** Bytes set aside at recovery because they did not form valid frames. */
export interface SetAside {
  readonly segment: string;
  readonly offset: number;
  readonly bytes: number;
  /** The file in the spool directory holding the bytes. */
  readonly keptAs: string;
}

/** What {@link DiskSpool.open} found. */
export interface SpoolRecovery {
  /** Undelivered events found, in frames. */
  readonly events: number;
  readonly frames: number;
  /** A torn last write (the process died inside it): its bytes, set aside; its events had not been confirmed spooled. */
  readonly torn: SetAside | undefined;
  /** Frames that failed their checksum elsewhere (disk or outside damage), set aside. */
  readonly corrupt: readonly SetAside[];
}

interface Frame {
  readonly segment: number;
  readonly offset: number;
  /** Header included. */
  readonly size: number;
  readonly events: number;
}

interface Position {
  readonly segment: number;
  readonly offset: number;
}

const segmentName = (n: number): string => `${String(n).padStart(12, '0')}.seg`;

function checksum(payload: Uint8Array): Buffer {
  return createHash('sha256').update(payload).digest().subarray(0, 4);
}

function countLines(payload: Uint8Array): number {
  let n = 0;
  for (let i = payload.indexOf(NEWLINE); i >= 0; i = payload.indexOf(NEWLINE, i + 1)) n++;
  return n;
}

/** The frame starting at `pos`: its size and event count, or undefined when the bytes there are not a valid frame. */
function frameAt(buf: Buffer, pos: number): { size: number; events: number } | undefined {
  if (buf.length - pos < HEADER_BYTES || buf.compare(MAGIC, 0, 4, pos, pos + 4) !== 0) return undefined;
  const length = buf.readUInt32BE(pos + 4);
  const end = pos + HEADER_BYTES + length;
  if (length === 0 || end > buf.length || buf[end - 1] !== NEWLINE) return undefined;
  const payload = buf.subarray(pos + HEADER_BYTES, end);
  if (!checksum(payload).equals(buf.subarray(pos + 8, pos + 12))) return undefined;
  return { size: HEADER_BYTES + length, events: countLines(payload) };
}

/** Encodes lines (without newlines) as one frame. */
function encodeFrame(lines: readonly string[]): { frame: Buffer; events: number } {
  const payload = Buffer.from(`${lines.join('\n')}\n`, 'utf8');
  const frame = Buffer.allocUnsafe(HEADER_BYTES + payload.length);
  MAGIC.copy(frame, 0);
  frame.writeUInt32BE(payload.length, 4);
  checksum(payload).copy(frame, 8);
  payload.copy(frame, HEADER_BYTES);
  return { frame, events: lines.length };
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Takes `<dir>/lock`, taking over one left by a dead process on this host; throws `SPOOL_LOCKED` otherwise. */
function acquireLock(dir: string): string {
  const path = join(dir, 'lock');
  const host = hostname();
  const mine = JSON.stringify({ pid: process.pid, host, since: new Date().toISOString() });
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(path, mine, { flag: 'wx', mode: 0o600 });
      return path;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    let holder: { pid?: unknown; host?: unknown } = {};
    try {
      holder = JSON.parse(readFileSync(path, 'utf8')) as typeof holder;
    } catch {
      // An empty or torn lock file: its writer died while writing it.
    }
    const pid = typeof holder.pid === 'number' ? holder.pid : undefined;
    const elsewhere = typeof holder.host === 'string' && holder.host !== host;
    if (pid !== undefined && (elsewhere || pid === process.pid || isAlive(pid))) {
      throw new TamgaError(
        'SPOOL_LOCKED',
        `The spool ${dir} is in use by process ${pid}${elsewhere ? ` on ${String(holder.host)}` : ''}; one producer per spool directory (delete ${path} if that process is gone)`,
        { field: 'spool', pid },
      );
    }
    try {
      unlinkSync(path);
    } catch {
      // Someone else removed it first; the next attempt decides.
    }
  }
  throw new TamgaError('SPOOL_LOCKED', `The spool ${dir} was taken by another process just now`, { field: 'spool' });
}

/** Reads `<dir>/cursor`; undefined when missing or unreadable (then everything spooled counts as undelivered). */
function readCursor(dir: string): Position | undefined {
  try {
    const raw = JSON.parse(readFileSync(join(dir, 'cursor'), 'utf8')) as { segment?: unknown; offset?: unknown };
    if (Number.isSafeInteger(raw.segment) && Number.isSafeInteger(raw.offset) && (raw.offset as number) >= 0) {
      return { segment: raw.segment as number, offset: raw.offset as number };
    }
  } catch {
    // missing or torn: start from the oldest segment; ids make the re-delivery harmless
  }
  return undefined;
}

/**
 * A producer's on-disk spool ({@link EventQueue}): every batch is one frame, appended and fsynced before `push`
 * resolves; frames are handed out oldest first and the cursor moves past them once delivered. Segments wholly behind
 * the cursor are deleted.
 *
 * Crash semantics: a frame whose write was cut off (kill -9, power loss) fails its length or checksum and is set aside
 * at the next open (its events had not been confirmed spooled); a batch delivered but not yet passed by the cursor is
 * sent again, and the server stores it once because the events keep their ids.
 */
export class DiskSpool implements EventQueue {
  /** The spool directory. */
  readonly dir: string;
  /** What the last open found on disk. */
  readonly recovery: SpoolRecovery;
  readonly #maxBytes: number;
  readonly #segmentBytes: number;
  readonly #overflow: OverflowPolicy;
  readonly #lockPath: string;
  // Waiting frames are #frames[#head..]; the batch in flight was taken off the front (see MemoryQueue).
  #frames: Frame[];
  #head = 0;
  #inFlight: Frame[] = [];
  #droppedDuringFlight = false;
  #bytes = 0;
  #events = 0;
  #tail: { segment: number; size: number; fd: number };
  readonly #readFds = new Map<number, number>();
  #cursorWriting: Promise<void> = Promise.resolve();
  #savedCursor: Position | undefined;
  #closed = false;

  private constructor(dir: string, config: DiskSpoolConfig, lockPath: string, frames: Frame[], tail: { segment: number; size: number; fd: number }, recovery: SpoolRecovery) {
    this.dir = dir;
    this.#maxBytes = config.maxBytes ?? 256 * 1024 * 1024;
    this.#segmentBytes = config.segmentBytes ?? Math.min(16 * 1024 * 1024, Math.max(64 * 1024, Math.floor(this.#maxBytes / 16)));
    this.#overflow = config.overflow ?? 'drop-oldest';
    this.#lockPath = lockPath;
    this.#frames = frames;
    for (const f of frames) {
      this.#bytes += f.size;
      this.#events += f.events;
    }
    this.#tail = tail;
    this.recovery = recovery;
  }

  /**
   * Opens (or creates) a spool directory: takes its lock, reads the cursor, checks every undelivered frame, sets aside
   * a torn last write and any corrupt frame, and deletes segments wholly delivered.
   *
   * @throws TamgaError `SPOOL_LOCKED` when another live process uses the directory.
   */
  static open(config: DiskSpoolConfig): DiskSpool {
    const dir = config.dir;
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const lockPath = acquireLock(dir);
    try {
      return DiskSpool.#recover(dir, config, lockPath);
    } catch (error) {
      unlinkSync(lockPath);
      throw error;
    }
  }

  static #recover(dir: string, config: DiskSpoolConfig, lockPath: string): DiskSpool {
    const segments = readdirSync(dir)
      .map((name) => SEGMENT_RE.exec(name))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => Number(m[1]))
      .sort((a, b) => a - b);
    const cursor = readCursor(dir) ?? { segment: segments[0] ?? 1, offset: 0 };
    for (const n of segments.filter((s) => s < cursor.segment)) unlinkSync(join(dir, segmentName(n)));
    const live = segments.filter((s) => s >= cursor.segment);
    const frames: Frame[] = [];
    const corrupt: SetAside[] = [];
    let torn: SetAside | undefined;
    const setAside = (kind: string, segment: number, buf: Buffer, offset: number, end: number): SetAside => {
      const keptAs = `${kind}-${String(segment).padStart(12, '0')}-${offset}.bin`;
      writeFileSync(join(dir, keptAs), buf.subarray(offset, end), { mode: 0o600 });
      return { segment: segmentName(segment), offset, bytes: end - offset, keptAs };
    };
    for (const [i, segment] of live.entries()) {
      const path = join(dir, segmentName(segment));
      const buf = readFileSync(path);
      const isLast = i === live.length - 1;
      let pos = segment === cursor.segment ? Math.min(cursor.offset, buf.length) : 0;
      while (pos < buf.length) {
        const found = frameAt(buf, pos);
        if (found !== undefined) {
          frames.push({ segment, offset: pos, ...found });
          pos += found.size;
          continue;
        }
        // Resynchronize at the next valid frame: only what lies between is lost.
        let next = buf.indexOf(MAGIC, pos + 1);
        while (next >= 0 && frameAt(buf, next) === undefined) next = buf.indexOf(MAGIC, next + 1);
        const end = next < 0 ? buf.length : next;
        if (next < 0 && isLast) {
          // Nothing valid follows in the newest segment: the last write was cut off.
          torn = setAside('torn', segment, buf, pos, end);
          const fd = openSync(path, 'r+');
          ftruncateSync(fd, pos);
          fsyncSync(fd);
          closeSync(fd);
        } else {
          corrupt.push(setAside('corrupt', segment, buf, pos, end));
        }
        pos = end;
      }
    }
    const tailSegment = live[live.length - 1] ?? Math.max(cursor.segment, 1);
    const tailPath = join(dir, segmentName(tailSegment));
    const fd = openSync(tailPath, 'a', 0o600);
    const size = live.length === 0 ? 0 : readFileSync(tailPath).length;
    if (live.length === 0) fsyncDir(dir);
    const events = frames.reduce((n, f) => n + f.events, 0);
    return new DiskSpool(dir, config, lockPath, frames, { segment: tailSegment, size, fd }, { events, frames: frames.length, torn, corrupt });
  }

  get events(): number {
    return this.#events;
  }

  get bytes(): number {
    return this.#bytes;
  }

  get inFlight(): boolean {
    return this.#inFlight.length > 0;
  }

  /** Most bytes of undelivered frames. */
  get maxBytes(): number {
    return this.#maxBytes;
  }

  async push(lines: readonly string[], options: { readonly collectDropped?: boolean } = {}): Promise<PushResult> {
    if (lines.length === 0) return { accepted: true, dropped: 0 };
    const { frame, events } = encodeFrame(lines);
    const first = this.#head;
    const dropped = this.#makeRoom(frame.length);
    if (dropped === undefined) return { accepted: false, dropped: 0 };
    const droppedLines = options.collectDropped === true && dropped > 0 ? this.#frames.slice(first, this.#head).flatMap((f) => this.#readSync(f)) : undefined;
    const at = this.#rollIfFull(frame.length);
    try {
      for (let done = 0; done < frame.length; ) done += (await writeAsync(at.fd, frame, done, frame.length - done)).bytesWritten;
      await fdatasyncAsync(at.fd);
    } catch (error) {
      // Disk full or failing: cut off what part of the frame got written, so the next frame starts where the index says.
      try {
        ftruncateSync(at.fd, at.size);
      } catch {
        // the recovery at the next open sets a partial frame aside anyway
      }
      throw error;
    }
    this.#added(at, frame.length, events);
    if (dropped > 0) await this.#saveCursor();
    return { accepted: true, dropped, ...(droppedLines !== undefined && { droppedLines }) };
  }

  /**
   * {@link push} done synchronously, for the process's `exit` handler (no asynchronous work runs there). Never blocks
   * for room: under `block` a full spool takes the batch anyway (the process is ending; the cap is exceeded once).
   */
  pushSync(lines: readonly string[]): void {
    if (lines.length === 0 || this.#closed) return;
    const { frame, events } = encodeFrame(lines);
    this.#makeRoom(frame.length);
    const at = this.#rollIfFull(frame.length);
    for (let done = 0; done < frame.length; ) done += writeSync(at.fd, frame, done, frame.length - done);
    fdatasyncSync(at.fd);
    this.#added(at, frame.length, events);
  }

  async take(maxEvents: number, maxBytes: number): Promise<string[]> {
    if (this.#inFlight.length === 0) this.#compact();
    const taken: Frame[] = [];
    let events = 0;
    let bytes = 0;
    while (this.#head < this.#frames.length) {
      const f = this.#frames[this.#head]!;
      if (taken.length > 0 && (events + f.events > maxEvents || bytes + f.size > maxBytes)) break;
      taken.push(f);
      events += f.events;
      bytes += f.size;
      this.#head++;
    }
    this.#inFlight = taken;
    const lines: string[] = [];
    for (const f of taken) {
      const payload = Buffer.allocUnsafe(f.size - HEADER_BYTES);
      await readAsync(this.#readFd(f.segment), payload, 0, payload.length, f.offset + HEADER_BYTES);
      splitLines(payload, lines);
    }
    return lines;
  }

  /** The lines of a frame, read at once (dropped frames whose events someone waits for). */
  #readSync(f: Frame): string[] {
    const payload = Buffer.allocUnsafe(f.size - HEADER_BYTES);
    readSync(this.#readFd(f.segment), payload, 0, payload.length, f.offset + HEADER_BYTES);
    return splitLines(payload, []);
  }

  async settle(delivered: boolean): Promise<number> {
    const frames = this.#inFlight;
    const events = frames.reduce((n, f) => n + f.events, 0);
    const dropped = !delivered && this.#droppedDuringFlight ? events : 0;
    if (delivered || dropped > 0) {
      for (const f of frames) this.#bytes -= f.size;
      this.#events -= events;
    } else {
      this.#head -= frames.length;
    }
    this.#inFlight = [];
    this.#droppedDuringFlight = false;
    if (delivered || dropped > 0) await this.#saveCursor();
    return dropped;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#cursorWriting;
    closeSync(this.#tail.fd);
    for (const fd of this.#readFds.values()) closeSync(fd);
    this.#readFds.clear();
    try {
      unlinkSync(this.#lockPath);
    } catch {
      // already gone
    }
  }

  /** Frees room for `size` more bytes: the events dropped (0 when it fits), or undefined under `block` when full. */
  #makeRoom(size: number): number | undefined {
    if (this.#bytes + size <= this.#maxBytes) return 0;
    if (this.#overflow === 'block') return undefined;
    let dropped = 0;
    while (this.#head < this.#frames.length && this.#bytes + size > this.#maxBytes) {
      const f = this.#frames[this.#head++]!;
      this.#bytes -= f.size;
      this.#events -= f.events;
      dropped += f.events;
    }
    if (dropped > 0 && this.#inFlight.length > 0) this.#droppedDuringFlight = true;
    return dropped;
  }

  /** The tail segment to append `size` bytes to, starting a new segment when the current one is full. */
  #rollIfFull(size: number): { segment: number; size: number; fd: number } {
    if (this.#tail.size > 0 && this.#tail.size + size > this.#segmentBytes) {
      closeSync(this.#tail.fd);
      const segment = this.#tail.segment + 1;
      this.#tail = { segment, size: 0, fd: openSync(join(this.dir, segmentName(segment)), 'a', 0o600) };
      // The new file's directory entry must survive a power loss like its contents.
      fsyncDir(this.dir);
    }
    return this.#tail;
  }

  #added(at: { segment: number; size: number }, size: number, events: number): void {
    this.#frames.push({ segment: at.segment, offset: at.size, size, events });
    this.#tail.size += size;
    this.#bytes += size;
    this.#events += events;
  }

  #readFd(segment: number): number {
    let fd = this.#readFds.get(segment);
    if (fd === undefined) {
      fd = openSync(join(this.dir, segmentName(segment)), 'r');
      this.#readFds.set(segment, fd);
    }
    return fd;
  }

  /** Where the first undelivered frame starts (the tail's end when none). */
  #cursor(): Position {
    const first = this.#inFlight[0] ?? this.#frames[this.#head];
    return first === undefined ? { segment: this.#tail.segment, offset: this.#tail.size } : { segment: first.segment, offset: first.offset };
  }

  /**
   * Saves the cursor (write a temporary file, rename it over: a reader sees the old or the new one, never a torn one)
   * and deletes segments wholly behind it. Not fsynced: a cursor lost to a power failure only sends delivered events
   * again, which their ids make harmless.
   */
  #saveCursor(): Promise<void> {
    const run = this.#cursorWriting.then(async () => {
      const cursor = this.#cursor();
      const saved = this.#savedCursor;
      if (saved?.segment === cursor.segment && saved.offset === cursor.offset) return;
      const tmp = join(this.dir, 'cursor.tmp');
      await writeFile(tmp, JSON.stringify(cursor), { mode: 0o600 });
      await rename(tmp, join(this.dir, 'cursor'));
      this.#savedCursor = cursor;
      if (saved !== undefined && saved.segment === cursor.segment) return;
      for (const [segment, fd] of this.#readFds) {
        if (segment >= cursor.segment) continue;
        closeSync(fd);
        this.#readFds.delete(segment);
      }
      const behind = readdirSync(this.dir)
        .map((name) => SEGMENT_RE.exec(name))
        .filter((m): m is RegExpExecArray => m !== null && Number(m[1]) < cursor.segment);
      for (const m of behind) await unlink(join(this.dir, m[0])).catch(() => undefined);
    });
    // A failed save is the caller's to hear about; the next save starts afresh.
    this.#cursorWriting = run.catch(() => undefined);
    return run;
  }

  #compact(): void {
    if (this.#head > 1024 && this.#head * 2 > this.#frames.length) {
      this.#frames = this.#frames.slice(this.#head);
      this.#head = 0;
    }
  }
}

/** Appends the lines of a frame's payload (each ends with a newline) to `into`. */
function splitLines(payload: Buffer, into: string[]): string[] {
  const text = payload.toString('utf8');
  for (let start = 0, end = text.indexOf('\n'); end >= 0; start = end + 1, end = text.indexOf('\n', start)) into.push(text.slice(start, end));
  return into;
}

function fsyncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
