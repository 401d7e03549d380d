import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { StoredCheckpoint } from '../journal/journal-store.js';

/** A place outside the database where signed checkpoints are published, so an insider cannot rewrite them. */
export interface CheckpointSink {
  /** Short description for logs, e.g. `dir:/var/lib/tamga/checkpoints`. */
  readonly name: string;
  /** Publishes one checkpoint of the log `origin`. */
  publish(checkpoint: StoredCheckpoint, origin: string): Promise<void>;
}

/** A published checkpoint read back. */
export interface PublishedCheckpoint {
  readonly size: number;
  readonly note: string;
}

/** A checkpoint file that already exists with other content: the same size was signed with another root. */
export class CheckpointConflictError extends Error {
  constructor(
    readonly origin: string,
    readonly size: number,
  ) {
    super(`A different checkpoint of ${origin} at size ${size} was already published`);
    this.name = 'CheckpointConflictError';
  }
}

const SIZE_DIGITS = 16;

/** The directory name of a log origin: every character outside `[A-Za-z0-9._-]` becomes `_`. */
export function originDirName(origin: string): string {
  return origin.replace(/[^A-Za-z0-9._-]/g, '_');
}

/**
 * Append-only checkpoint files: `<dir>/<origin>/<size, 16 digits>.note`, one per checkpoint, created with
 * `O_EXCL` and never overwritten. Publishing the same note again is a no-op; a different note for a size already
 * published throws {@link CheckpointConflictError} (the log forked).
 */
export class DirectoryCheckpointSink implements CheckpointSink {
  readonly name: string;
  readonly #dir: string;

  constructor(dir: string) {
    this.#dir = dir;
    this.name = `dir:${dir}`;
  }

  async publish(checkpoint: StoredCheckpoint, origin: string): Promise<void> {
    const dir = join(this.#dir, originDirName(origin));
    await mkdir(dir, { recursive: true, mode: 0o750 });
    const path = join(dir, `${String(checkpoint.size).padStart(SIZE_DIGITS, '0')}.note`);
    try {
      await writeFile(path, checkpoint.note, { flag: 'wx', mode: 0o440 });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      if ((await readFile(path, 'utf8')) !== checkpoint.note) throw new CheckpointConflictError(origin, checkpoint.size);
    }
  }

  /** The published checkpoint of `origin` with the largest size, if any. */
  async latest(origin: string): Promise<PublishedCheckpoint | undefined> {
    const dir = join(this.#dir, originDirName(origin));
    let names: string[];
    try {
      names = (await readdir(dir)).filter((n) => /^\d+\.note$/.test(n)).sort();
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
    const last = names[names.length - 1];
    if (last === undefined) return undefined;
    return { size: Number(last.slice(0, -'.note'.length)), note: await readFile(join(dir, last), 'utf8') };
  }
}

/** Options of {@link WebhookCheckpointSink}. */
export interface WebhookCheckpointSinkConfig {
  readonly url: string;
  /** Attempts per checkpoint. Default 5. */
  readonly attempts?: number;
  /** First retry delay, ms; doubles each time. Default 500. */
  readonly backoffMs?: number;
  /** Injectable fetch (tests). Default global fetch. */
  readonly fetch?: typeof fetch;
}

/**
 * POSTs each checkpoint note (`text/plain`, headers `x-tamga-origin` and `x-tamga-tree-size`) to a webhook, one
 * at a time in signing order, retrying with exponential backoff on network errors and non-2xx answers.
 */
export class WebhookCheckpointSink implements CheckpointSink {
  readonly name: string;
  readonly #config: WebhookCheckpointSinkConfig;
  #queue: Promise<unknown> = Promise.resolve();

  constructor(config: WebhookCheckpointSinkConfig) {
    this.#config = config;
    this.name = `webhook:${new URL(config.url).origin}`;
  }

  publish(checkpoint: StoredCheckpoint, origin: string): Promise<void> {
    const next = this.#queue.then(() => this.#send(checkpoint, origin));
    this.#queue = next.catch(() => undefined);
    return next;
  }

  async #send(checkpoint: StoredCheckpoint, origin: string): Promise<void> {
    const attempts = this.#config.attempts ?? 5;
    const doFetch = this.#config.fetch ?? fetch;
    let delay = this.#config.backoffMs ?? 500;
    let last: unknown;
    for (let attempt = 1; attempt <= attempts; attempt++) {
      try {
        const res = await doFetch(this.#config.url, {
          method: 'POST',
          headers: { 'content-type': 'text/plain; charset=utf-8', 'x-tamga-origin': origin, 'x-tamga-tree-size': String(checkpoint.size) },
          body: checkpoint.note,
          signal: AbortSignal.timeout(10_000),
        });
        await res.arrayBuffer().catch(() => undefined);
        if (res.ok) return;
        last = new Error(`webhook answered ${res.status}`);
      } catch (error) {
        last = error;
      }
      if (attempt < attempts) {
        await new Promise((resolve) => setTimeout(resolve, delay).unref());
        delay *= 2;
      }
    }
    throw new Error(`Checkpoint ${origin} ${checkpoint.size} not delivered to ${this.name} after ${attempts} attempts`, { cause: last });
  }
}
