import { readFileSync } from 'node:fs';
import { TamgaError } from '@tamga/core';
import { replaceFileDurably } from '@tamga/server';

/** How far a file's content has been sent and acknowledged. */
export interface FileProgress {
  /** Byte offset just after the last acknowledged record. */
  readonly offset: number;
  /** Line number at {@link offset}. */
  readonly line: number;
  /** Where the content was last read (it may since have been renamed). */
  readonly path: string;
  /** When the progress last changed (RFC 3339). */
  readonly updatedAt: string;
  /** The content cannot grow (a compressed file read to its end): it is not read again. */
  readonly isComplete?: boolean;
}

/** What a state file belongs to: one tenant of one server. */
export interface IngestStateOwner {
  readonly url: string;
  readonly tenant: string;
}

interface StateDocument extends IngestStateOwner {
  readonly format: 'tamga-ingest-log-state';
  readonly version: 1;
  readonly files: Record<string, FileProgress>;
}

/** At most this many files are remembered; the least recently changed are forgotten first. */
const MAX_FILES = 10_000;

/**
 * The state file of `tamga ingest-log`: per file content (keyed by its identity, {@link platformLogFileId}, so a
 * renamed or copied file keeps its progress), the offset up to which the server has acknowledged its records.
 * Progress only ever moves forward, and only after an acknowledgement; the file is replaced atomically (written
 * beside, synced, renamed), so a crash leaves the old state or the new one, never half of one. A crash between an
 * acknowledgement and the write makes the next run send some records again, which the server recognises by
 * their ids and does not store twice. Forgetting a file (or losing the state file) costs the same: a re-send.
 */
export class IngestState {
  readonly path: string;
  readonly #owner: IngestStateOwner;
  readonly #files: Map<string, FileProgress>;
  #saving: Promise<void> | undefined;
  #isDirty = false;

  private constructor(path: string, owner: IngestStateOwner, files: Map<string, FileProgress>) {
    this.path = path;
    this.#owner = owner;
    this.#files = files;
  }

  /**
   * Reads the state file, or starts an empty state when there is none.
   *
   * @throws TamgaError `CONFIG_INVALID` when the file is not a state file, or belongs to another tenant or server.
   */
  static load(path: string, owner: IngestStateOwner): IngestState {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return new IngestState(path, owner, new Map());
      throw new TamgaError('CONFIG_INVALID', `Cannot read the state file ${path}: ${(error as Error).message}`, { field: '--state' });
    }
    let doc: StateDocument;
    try {
      doc = JSON.parse(text) as StateDocument;
    } catch {
      throw new TamgaError('CONFIG_INVALID', `${path} is not a state file of tamga ingest-log (not JSON)`, { field: '--state' });
    }
    if (doc?.format !== 'tamga-ingest-log-state' || doc.version !== 1 || typeof doc.files !== 'object' || doc.files === null) {
      throw new TamgaError('CONFIG_INVALID', `${path} is not a state file of tamga ingest-log`, { field: '--state' });
    }
    if (doc.tenant !== owner.tenant || doc.url !== owner.url) {
      throw new TamgaError(
        'CONFIG_INVALID',
        `${path} holds the progress of tenant "${doc.tenant}" at ${doc.url}, not of tenant "${owner.tenant}" at ${owner.url}: give another --state file (sending again is safe: the server recognises stored events by their ids)`,
        { field: '--state' },
      );
    }
    const files = new Map<string, FileProgress>();
    for (const [id, progress] of Object.entries(doc.files)) {
      if (Number.isSafeInteger(progress?.offset) && progress.offset >= 0 && Number.isSafeInteger(progress.line) && progress.line >= 1) files.set(id, progress);
    }
    return new IngestState(path, owner, files);
  }

  /** The progress of a file's content, or undefined for content never sent. */
  get(fileId: string): FileProgress | undefined {
    return this.#files.get(fileId);
  }

  /** Records that the server acknowledged the content up to `offset`; an older offset changes nothing. */
  advance(fileId: string, offset: number, line: number, path: string): void {
    const current = this.#files.get(fileId);
    if (current !== undefined && current.offset >= offset) return;
    this.#files.delete(fileId); // re-inserted last: the map's order is the order of change
    this.#files.set(fileId, { offset, line, path, updatedAt: new Date().toISOString(), ...(current?.isComplete === true && { isComplete: true }) });
    this.#isDirty = true;
  }

  /** Records that a content is read to its end and cannot grow. */
  markComplete(fileId: string): void {
    const current = this.#files.get(fileId);
    if (current === undefined || current.isComplete === true) return;
    this.#files.set(fileId, { ...current, isComplete: true });
    this.#isDirty = true;
  }

  /** Writes the state if it changed; concurrent calls are serialised and the last change is always written. */
  async save(): Promise<void> {
    while (this.#saving !== undefined) await this.#saving;
    if (!this.#isDirty) return;
    this.#isDirty = false;
    this.#saving = Promise.resolve().then(() => this.#write());
    try {
      await this.#saving;
    } finally {
      this.#saving = undefined;
    }
  }

  #write(): void {
    while (this.#files.size > MAX_FILES) this.#files.delete(this.#files.keys().next().value!);
    const doc: StateDocument = { format: 'tamga-ingest-log-state', version: 1, ...this.#owner, files: Object.fromEntries(this.#files) };
    replaceFileDurably(this.path, `${JSON.stringify(doc, null, 1)}\n`);
  }
}
