import { extractSubject } from '@tamga/core';
import type { EntityData } from '@tamga/core';
import type { CatalogResolver } from '../catalog/tenant-catalog.js';
import type { JournalStore, SubjectOf } from './journal-store.js';

/** Records one slice of the backfill reads (by rid), in one transaction. */
export const SUBJECT_BACKFILL_SPAN = 5000;

/** The subject a stored record names by its tenant's catalogue rule, as the append extracts it. */
export function subjectByCatalogue(catalogs: CatalogResolver): SubjectOf {
  return ({ tenantId, event, entityData }) => {
    const rule = catalogs.forTenant(tenantId).set.byCode(event)?.subject;
    if (rule === undefined) return null;
    let parsed: EntityData;
    try {
      parsed = JSON.parse(entityData) as EntityData;
    } catch {
      return null;
    }
    return extractSubject(rule, parsed);
  };
}

/**
 * Fills `subject` of the records stored before the append did (docs/decisions/0028-text-search-and-subjects.md), in
 * the background after a start: a slice of {@link SUBJECT_BACKFILL_SPAN} records at a time, other requests served
 * between slices, until the store says none is left (then never again: the store keeps how far it got).
 */
export class SubjectBackfill {
  readonly #store: JournalStore;
  readonly #subjectOf: SubjectOf;
  readonly #span: number;
  readonly #onError: (error: unknown) => void;
  #running: Promise<void> | undefined;
  #stopped = false;

  constructor(
    store: JournalStore,
    catalogs: CatalogResolver,
    { span = SUBJECT_BACKFILL_SPAN, onError = (_error: unknown): void => undefined } = {},
  ) {
    this.#store = store;
    this.#subjectOf = subjectByCatalogue(catalogs);
    this.#span = span;
    this.#onError = onError;
  }

  start(): void {
    if (this.#store.backfillSubjects === undefined || this.#running !== undefined) return;
    this.#stopped = false;
    this.#running = this.run().then(
      () => undefined,
      (error: unknown) => this.#onError(error),
    );
  }

  /** Runs the slices until none is left or {@link stop}; resolves with the records filled. */
  async run(): Promise<number> {
    let filled = 0;
    while (!this.#stopped && this.#store.backfillSubjects !== undefined) {
      const slice = await this.#store.backfillSubjects(this.#subjectOf, this.#span);
      filled += slice.filled;
      if (slice.remaining === 0) break;
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    return filled;
  }

  /** Stops after the slice in progress. */
  async stop(): Promise<void> {
    this.#stopped = true;
    await this.#running;
    this.#running = undefined;
  }
}
