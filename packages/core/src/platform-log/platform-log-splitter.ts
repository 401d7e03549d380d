import { createHash } from 'node:crypto';
import type { Hash } from 'node:crypto';

/**
 * The bytes of one log record as the {@link PlatformLogSplitter} cut them from a file: a record-start line and
 * every following line that does not start a record (seed 003's multi-line ERROR records, the start-up record,
 * adapter `data:` lines), or a run of lines with no record start before them.
 */
export interface PlatformLogChunk {
  /** Byte offset of the record's first byte in the file (after a leading BOM). */
  readonly offset: number;
  /** Byte offset just after the record's last byte (its last line end included). */
  readonly end: number;
  /** 1-based line number of the record's first line. */
  readonly line: number;
  /** Number of lines of the record. */
  readonly lineCount: number;
  /**
   * The record's bytes; only the first {@link PlatformLogSplitterOptions.maxRecordBytes} of them when the record is
   * longer (then {@link sha256} is set).
   */
  readonly bytes: Buffer;
  /** Whether the first line is a record start; false for lines found where a record start was expected. */
  readonly isRecordStart: boolean;
  /** Hex SHA-256 of the whole record's bytes, set only when {@link bytes} was cut to the limit. */
  readonly sha256?: string;
}

/** Settings of a {@link PlatformLogSplitter}. */
export interface PlatformLogSplitterOptions {
  /** Byte offset in the file of the first byte pushed. Default 0 (then a UTF-8 BOM there is skipped). */
  readonly offset?: number;
  /** Line number of the first line pushed. Default 1. */
  readonly line?: number;
  /**
   * Most bytes of one record kept in memory; the rest is only counted and hashed, so a 10 MB record or a file
   * without line ends cannot exhaust memory. Default 1 MiB (16 times the server's longest `text`).
   */
  readonly maxRecordBytes?: number;
}

/** The default {@link PlatformLogSplitterOptions.maxRecordBytes}: 1 MiB. */
export const DEFAULT_MAX_RECORD_BYTES = 1024 * 1024;

const LF = 0x0a;
const BOM = Buffer.from([0xef, 0xbb, 0xbf]);
/** Bytes of a line's start that decide whether it starts a record (a time stamp, a level and some slack). */
const HEAD_BYTES = 64;

/**
 * Whether a line (its first bytes, decoded as Latin-1 so no byte is lost) starts a record of the platform log:
 * `yyyy-MM-dd HH:mm:ss,SSS ` at the start of the line, or `[yyyy-MM-dd HH:mm:ss,SSS][` (the adapter format),
 * or something in their place that is clearly meant as a time stamp and broken (`-MM-dd HH:mm:ss,SSS INFO`,
 * `2023-11-30 14:34 INFO`, `[yyy-MM-dd HH:mm:ss,SSS][INFO][`) — those start a record too, which the parser
 * reports, rather than being glued to the record before them.
 */
export function isPlatformLogRecordStart(head: string): boolean {
  return STRICT_START.test(head) || BROKEN_START.test(head) || BROKEN_ADAPTER_START.test(head);
}

// \xc2\xa0 is a no-break space (UTF-8 read as Latin-1): seed 003 has one after a time stamp.
const STRICT_START = /^\[?\d{4}-\d\d-\d\d \d\d:\d\d:\d\d[,.]\d{3}(?:[ \]]|\xc2\xa0|$)/;
// A date-ish token, a time-ish token, then a level: what a broken time stamp leaves of a record start.
const BROKEN_START = /^\S*-\S* \S*:\S* (?:TRACE|DEBUG|INFO|WARN|WARNING|ERROR|FATAL)(?: |$)/;
const BROKEN_ADAPTER_START = /^\[[^\]]{0,40}\]\[(?:TRACE|DEBUG|INFO|WARN|WARNING|ERROR|FATAL)\]\[/;

/**
 * Cuts a platform log file (seed 003) into records, incrementally: bytes go in as they are read, in chunks of
 * any size, and out come the records known to be complete — a record is complete once the next record's first
 * line has been read in full, so a tailer never sends a multi-line ERROR record before its stack trace ends.
 * {@link flush} gives up waiting (end of a finished file, or a file quiet for a while).
 *
 * Works on bytes so that every record carries exact byte offsets (resuming, event ids) and line numbers; a line
 * ends at LF (a CR before it stays in the bytes and is dropped by the parser). No I/O.
 *
 * @example
 * const splitter = new PlatformLogSplitter();
 * for await (const chunk of stream) for (const record of splitter.push(chunk)) handle(record);
 * for (const record of splitter.flush(true)) handle(record);
 */
export class PlatformLogSplitter {
  readonly #maxRecordBytes: number;
  /** File offset of the next byte pushed. */
  #offset: number;
  /** Line number of the line being read. */
  #line: number;
  #bomChecked: boolean;

  // The record being collected: complete lines, and the line being read once it is known to belong to it.
  #isRecordActive = false;
  #parts: Buffer[] = [];
  #kept = 0;
  #size = 0;
  #hash: Hash | undefined;
  #recordOffset: number;
  #recordLine: number;
  #recordLines = 0;
  #recordIsStart = false;

  // The line being read: its first bytes wait here until they tell whether it starts a record.
  #head: Buffer[] = [];
  #headSize = 0;
  #isLineDecided = false;
  #lineOffset: number;

  constructor(options: PlatformLogSplitterOptions = {}) {
    this.#maxRecordBytes = options.maxRecordBytes ?? DEFAULT_MAX_RECORD_BYTES;
    this.#offset = options.offset ?? 0;
    this.#line = options.line ?? 1;
    this.#bomChecked = this.#offset !== 0;
    this.#recordOffset = this.#offset;
    this.#recordLine = this.#line;
    this.#lineOffset = this.#offset;
  }

  /** File offset just after the last byte pushed. */
  get offset(): number {
    return this.#offset;
  }

  /**
   * File offset where the records not yet returned begin: everything before it has been returned by
   * {@link push} or {@link flush}. Resuming a file from here loses and repeats nothing.
   */
  get pendingOffset(): number {
    return this.#isRecordActive ? this.#recordOffset : this.#lineOffset;
  }

  /** Line number at {@link pendingOffset}. */
  get pendingLine(): number {
    return this.#isRecordActive ? this.#recordLine : this.#line;
  }

  /** Bytes pushed and not yet returned in a record. */
  get pendingBytes(): number {
    return this.#offset - this.pendingOffset;
  }

  /** Takes the next bytes of the file; returns the records that are now known to be complete. */
  push(chunk: Uint8Array): PlatformLogChunk[] {
    let bytes = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    const out: PlatformLogChunk[] = [];
    if (!this.#bomChecked) bytes = this.#skipBom(bytes);
    let start = 0;
    while (start < bytes.length) {
      const lf = bytes.indexOf(LF, start);
      const end = lf === -1 ? bytes.length : lf + 1;
      this.#offset += end - start;
      this.#feed(bytes.subarray(start, end), out);
      if (lf !== -1) this.#endLine(out);
      start = end;
    }
    return out;
  }

  /**
   * Returns the record being collected without waiting for the next record start. With `includePartialLine`
   * (the end of a finished file) a last line without a line end belongs to it. Without (a followed file that has
   * been quiet for a while) nothing is returned while a line is still being written.
   */
  flush(includePartialLine: boolean): PlatformLogChunk[] {
    const out: PlatformLogChunk[] = [];
    if (this.#offset !== this.#lineOffset) {
      if (!includePartialLine) return out;
      this.#bomChecked = true;
      this.#endLine(out);
    }
    this.#emitRecord(out);
    return out;
  }

  /** Drops a UTF-8 BOM at the start of the file, which may arrive split across chunks. */
  #skipBom(bytes: Buffer): Buffer {
    const seen = this.#headSize;
    const prefix = Buffer.concat([...this.#head, bytes.subarray(0, 3 - seen)]);
    if (!BOM.subarray(0, prefix.length).equals(prefix)) {
      // Not a BOM: the bytes held back so far are the start of the first line.
      this.#bomChecked = true;
      return bytes;
    }
    if (prefix.length < 3) {
      this.#head.push(Buffer.from(bytes));
      this.#headSize += bytes.length;
      this.#offset += bytes.length;
      return bytes.subarray(bytes.length);
    }
    this.#bomChecked = true;
    this.#head = [];
    this.#headSize = 0;
    this.#offset += 3 - seen;
    this.#lineOffset = this.#offset;
    this.#recordOffset = this.#offset;
    return bytes.subarray(3 - seen);
  }

  /** Bytes of the line being read (up to and including its LF, if this is its end). */
  #feed(bytes: Buffer, out: PlatformLogChunk[]): void {
    if (this.#isLineDecided) {
      this.#addToRecord(bytes, false);
      return;
    }
    this.#head.push(Buffer.from(bytes)); // copied: the caller may reuse its read buffer
    this.#headSize += bytes.length;
    if (this.#headSize >= HEAD_BYTES || bytes.at(-1) === LF) this.#decideLine(out);
  }

  /** Decides from its first bytes whether the line being read starts a record, and moves it into one. */
  #decideLine(out: PlatformLogChunk[]): void {
    const line = this.#head.length === 1 ? this.#head[0]! : Buffer.concat(this.#head, this.#headSize);
    const isStart = isPlatformLogRecordStart(line.toString('latin1', 0, HEAD_BYTES));
    if (isStart || !this.#isRecordActive) {
      this.#emitRecord(out);
      this.#isRecordActive = true;
      this.#recordOffset = this.#lineOffset;
      this.#recordLine = this.#line;
      this.#recordIsStart = isStart;
    }
    this.#recordLines += 1;
    this.#head = [];
    this.#headSize = 0;
    this.#isLineDecided = true;
    this.#addToRecord(line, true);
  }

  #addToRecord(bytes: Buffer, isOwned: boolean): void {
    if (this.#hash === undefined && this.#size + bytes.length > this.#maxRecordBytes) {
      // The record outgrows the limit: until now every byte was kept, so the hash can start from them.
      this.#hash = createHash('sha256');
      for (const part of this.#parts) this.#hash.update(part);
    }
    this.#hash?.update(bytes);
    const room = this.#maxRecordBytes - this.#kept;
    if (room > 0) {
      const kept = bytes.length <= room ? bytes : bytes.subarray(0, room);
      this.#parts.push(isOwned ? kept : Buffer.from(kept));
      this.#kept += kept.length;
    }
    this.#size += bytes.length;
  }

  #endLine(out: PlatformLogChunk[]): void {
    if (!this.#isLineDecided) this.#decideLine(out);
    this.#isLineDecided = false;
    this.#line += 1;
    this.#lineOffset = this.#offset;
  }

  #emitRecord(out: PlatformLogChunk[]): void {
    if (!this.#isRecordActive) return;
    out.push({
      offset: this.#recordOffset,
      end: this.#recordOffset + this.#size,
      line: this.#recordLine,
      lineCount: this.#recordLines,
      bytes: this.#parts.length === 1 ? this.#parts[0]! : Buffer.concat(this.#parts, this.#kept),
      isRecordStart: this.#recordIsStart,
      ...(this.#hash !== undefined && { sha256: this.#hash.digest('hex') }),
    });
    this.#isRecordActive = false;
    this.#parts = [];
    this.#kept = 0;
    this.#size = 0;
    this.#hash = undefined;
    this.#recordLines = 0;
  }
}
