import { closeSync, fsyncSync, openSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * Replaces a file so that a crash at any moment (kill -9, power cut) leaves the old content or the new one, never a
 * torn file: a temporary file beside it is written and fsynced, renamed over it, and the directory fsynced (so the
 * rename itself survives a power cut). The connectors' state files are written this way.
 *
 * @param mode - permissions of a new file; default 0600 (owner only).
 */
export function writeFileAtomic(path: string, text: string, mode = 0o600): void {
  const tmp = `${path}.tmp`;
  writeFileSync(tmp, text, { mode });
  const fd = openSync(tmp, 'r+');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
  const dir = openSync(dirname(path), 'r');
  try {
    fsyncSync(dir);
  } finally {
    closeSync(dir);
  }
}
