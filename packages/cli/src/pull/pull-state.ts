import { readFileSync } from 'node:fs';
import { TamgaError } from '@tamga/core';
import { replaceFileDurably } from '@tamga/server';

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

/** Writes the state atomically (see {@link replaceFileDurably}): a crash leaves the old state or the new one. */
export function writePullState(path: string, state: PullState): void {
  replaceFileDurably(path, `${JSON.stringify(state, null, 2)}\n`);
}
