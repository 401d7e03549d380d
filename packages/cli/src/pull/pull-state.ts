import { closeSync, fsyncSync, openSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { TamgaError } from '@tamga/core';

/** Where `tamga pull-events` is in a source's journal, kept in its state file between runs. */
export interface PullState {
  readonly version: 1;
  /** The source instance the ids are derived from: its URL unless `--source-instance` names it. */
  readonly instance: string;
  /** Tamga tenant the events go to (`default` for the default tenant). */
  readonly tenant: string;
  /**
   * Incarnation of the source: starts at 1 and grows each time its ids went backwards (a restored backup), so the
   * events it then numbers again get ids of their own.
   */
  readonly generation: number;
  /** Highest source `_id` copied (every lower one present at the source was copied too); 0 before the first. */
  readonly lastId: number;
  /** Digest of the source event `lastId` as copied: if the source later answers other content for it, it was reset. */
  readonly witness?: { readonly id: number; readonly digest: string };
}

/** Reads a state file; undefined when it does not exist. A file that is not a state is refused, never overwritten. */
export function readPullState(path: string): PullState | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new TamgaError('CONFIG_INVALID', `Cannot read the state file ${path}: ${(error as Error).message}`, { field: '--state' });
  }
  try {
    const state = JSON.parse(text) as PullState;
    if (state.version === 1 && typeof state.instance === 'string' && Number.isSafeInteger(state.lastId) && Number.isSafeInteger(state.generation)) {
      return state;
    }
  } catch {
    // refused below
  }
  throw new TamgaError('CONFIG_INVALID', `${path} is not a pull-events state file; give another --state`, { field: '--state' });
}

/**
 * Writes the state so that a crash at any moment (kill -9, power cut) leaves the old state or the new one, never a
 * torn file: a temporary file is written and fsynced, renamed over the state, and the directory fsynced.
 */
export function writePullState(path: string, state: PullState): void {
  const tmp = `${path}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
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
