import { closeSync, fsyncSync, linkSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { basename, dirname, join } from 'node:path';

/**
 * Makes a directory's entries durable: fsync of the directory itself. POSIX leaves a new or renamed name in the
 * directory's own blocks, which the file's fsync does not write (fsync(2): "an explicit fsync() on a file descriptor
 * for the directory is also needed"). Windows cannot open a directory for fsync and keeps names durable on its own.
 */
export function syncDirectory(dir: string): void {
  if (process.platform === 'win32') return;
  syncFile(dir);
}

/** fsync of a file another writer made (a SQLite `VACUUM INTO` copy, say), by its path. */
export function syncFile(path: string): void {
  const fd = openSync(path, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * Creates `dir` (and missing parents) with `mode`, each new directory's name made durable in its parent. Returns
 * whether anything was created.
 */
export function makeDirectoryDurably(dir: string, mode: number): boolean {
  const first = mkdirSync(dir, { recursive: true, mode });
  if (first === undefined) return false;
  // Every directory from the first one created down to `dir` is a new name in its parent.
  const created: string[] = [];
  for (let d = dir; ; d = dirname(d)) {
    created.push(d);
    if (d === first || dirname(d) === d) break;
  }
  for (const d of created.reverse()) syncDirectory(dirname(d));
  return true;
}

/** Writes `content` to a new temporary file beside `path` (a name readers ignore: a dot first, `.tmp` last), fsynced. */
function writeTemporaryFile(path: string, content: string, mode: number): string {
  const temp = join(dirname(path), `.${basename(path)}.${process.pid}-${randomBytes(4).toString('hex')}.tmp`);
  const fd = openSync(temp, 'wx', mode);
  try {
    const bytes = Buffer.from(content, 'utf8');
    for (let done = 0; done < bytes.length; ) done += writeSync(fd, bytes, done, bytes.length - done);
    fsyncSync(fd);
  } catch (error) {
    closeSync(fd);
    rmSync(temp, { force: true });
    throw error;
  }
  closeSync(fd);
  return temp;
}

/**
 * Writes a new file so that it exists either whole or not at all, even across a power cut, and is durable when this
 * returns: the content goes to a fsynced temporary file in the same directory, which is linked to `path` (atomic
 * within a file system, POSIX link(2)) and unlinked; then the directory is fsynced so the new name survives too. Fails
 * with EEXIST, leaving nothing behind, when `path` exists. A temporary file left by a crash is never read as a key:
 * nothing was signed with it.
 */
export function writeFileDurably(path: string, content: string, mode: number): void {
  const temp = writeTemporaryFile(path, content, mode);
  try {
    // link(2), not rename(2): it refuses an existing name (EEXIST) instead of replacing it, atomically.
    linkSync(temp, path);
  } finally {
    rmSync(temp, { force: true });
  }
  syncDirectory(dirname(path));
}

/**
 * Replaces `path` (or creates it) so that a crash at any moment (kill -9, power cut) leaves the old content or the
 * new one, never a torn file, and the new content is durable when this returns: a fsynced temporary file is renamed
 * over `path` (atomic, POSIX rename(2)) and the directory fsynced so the rename survives too. State files (a
 * witness's view of each log, the CLI's resumable cursors) are written this way.
 */
export function replaceFileDurably(path: string, content: string, mode = 0o600): void {
  const temp = writeTemporaryFile(path, content, mode);
  try {
    renameSync(temp, path);
  } catch (error) {
    rmSync(temp, { force: true });
    throw error;
  }
  syncDirectory(dirname(path));
}
