import { createReadStream, readdirSync, statSync } from 'node:fs';
import type { Stats } from 'node:fs';
import { open } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { constants as zlibConstants, createGunzip, gunzipSync } from 'node:zlib';
import { PLATFORM_LOG_FILE_ID_BYTES, platformLogFileId } from '@tamga/core';

/** A file found under the paths given to `tamga ingest-log`. */
export interface FoundFile {
  readonly path: string;
  /** `dev:ino`: the file whatever its name (a renamed file keeps it). */
  readonly key: string;
  readonly size: number;
  readonly mtimeMs: number;
  /**
   * A rotated sibling of a file named on the command line (`web.log.1` of `web.log`): read only when it is the
   * continuation of content already being sent (copy-and-truncate, rename, compression).
   */
  readonly isRecoveryOnly: boolean;
}

/** A path that could not be used, for the report. */
export interface ScanProblem {
  readonly path: string;
  readonly message: string;
}

/**
 * The files to read: every file named, every file of a named directory whose name `matches` (not recursive), and
 * the rotated siblings of named files (`<name>.*`). Oldest first (by modification time, then name), so rotated
 * files are read before the current one and the journal keeps the log's order.
 */
export function scanLogFiles(paths: readonly string[], matches: (name: string) => boolean): { files: FoundFile[]; problems: ScanProblem[] } {
  const files = new Map<string, FoundFile>();
  const problems: ScanProblem[] = [];
  const add = (path: string, st: Stats, isRecoveryOnly: boolean): void => {
    if (!st.isFile()) return;
    const key = `${st.dev}:${st.ino}`;
    const known = files.get(key);
    if (known !== undefined && !known.isRecoveryOnly) return;
    files.set(key, { path, key, size: st.size, mtimeMs: st.mtimeMs, isRecoveryOnly });
  };
  const statOf = (path: string): Stats | undefined => {
    try {
      return statSync(path);
    } catch {
      return undefined; // gone between listing and stat: the next scan tells
    }
  };
  for (const path of paths) {
    let st: Stats;
    try {
      st = statSync(path);
    } catch (error) {
      problems.push({ path, message: (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or directory' : (error as Error).message });
      continue;
    }
    if (st.isDirectory()) {
      for (const name of listDir(path, problems)) {
        if (!matches(name)) continue;
        const child = join(path, name);
        const cst = statOf(child);
        if (cst !== undefined) add(child, cst, false);
      }
    } else if (st.isFile()) {
      add(path, st, false);
      const dir = dirname(path);
      const prefix = `${basename(path)}.`;
      for (const name of listDir(dir, problems)) {
        if (!name.startsWith(prefix)) continue;
        const sibling = join(dir, name);
        const sst = statOf(sibling);
        if (sst !== undefined) add(sibling, sst, true);
      }
    } else {
      problems.push({ path, message: 'not a file or a directory' });
    }
  }
  const list = [...files.values()].sort((a, b) => a.mtimeMs - b.mtimeMs || a.path.localeCompare(b.path));
  return { files: list, problems };
}

function listDir(dir: string, problems: ScanProblem[]): string[] {
  try {
    return readdirSync(dir);
  } catch (error) {
    problems.push({ path: dir, message: (error as Error).message });
    return [];
  }
}

/** What the first bytes of a file say about it. */
export interface FileHead {
  /** `gzip`: a compressed (rotated) log, read decompressed; `binary`: not a text log (a NUL byte early on). */
  readonly kind: 'text' | 'gzip' | 'binary';
  /** The content's identity ({@link platformLogFileId}); undefined while the first line is being written. */
  readonly fileId: string | undefined;
  /** Offset of the first NUL byte of a binary file. */
  readonly nulAt?: number;
}

/** Bytes of a file's start looked at for NUL bytes: a text log has none (git looks at the same amount). */
const SNIFF_BYTES = 8000;

/**
 * Reads the start of a file: whether it is gzip, text or binary, and its content identity.
 *
 * @param isComplete - the file is not being written (quiet for a while): a first line without a line end counts.
 * @param length - bytes to read; default 64 KiB (enough compressed bytes for the first line of a gzip file).
 */
export async function readFileHead(path: string, isComplete: boolean, length = 64 * 1024): Promise<FileHead> {
  const handle = await open(path, 'r');
  let bytes: Buffer;
  try {
    const buffer = Buffer.alloc(length);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
    bytes = buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
  let kind: FileHead['kind'] = 'text';
  if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) {
    kind = 'gzip';
    try {
      // Z_SYNC_FLUSH: decompress what this much of the file holds without asking for the rest.
      bytes = gunzipSync(bytes, { finishFlush: zlibConstants.Z_SYNC_FLUSH });
    } catch {
      return { kind: 'binary', fileId: undefined, nulAt: 0 };
    }
    isComplete = true;
  }
  const nulAt = bytes.subarray(0, SNIFF_BYTES).indexOf(0);
  if (nulAt !== -1) return { kind: 'binary', fileId: undefined, nulAt };
  return { kind, fileId: platformLogFileId(bytes.subarray(0, PLATFORM_LOG_FILE_ID_BYTES), isComplete) };
}

/** Reads a text file's first line again (a followed file may have been rewritten in place). */
export async function readFileId(path: string): Promise<string | undefined> {
  try {
    return (await readFileHead(path, false, PLATFORM_LOG_FILE_ID_BYTES)).fileId;
  } catch {
    return undefined;
  }
}

/**
 * The decompressed bytes of a gzip file from `offset` on, in chunks.
 */
export async function* readGzipFrom(path: string, offset: number): AsyncGenerator<Buffer> {
  let position = 0;
  const stream = createReadStream(path).pipe(createGunzip());
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    const end = position + chunk.length;
    if (end > offset) yield position >= offset ? chunk : chunk.subarray(offset - position);
    position = end;
  }
}
