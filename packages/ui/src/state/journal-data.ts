import { batch, signal } from '@preact/signals';
import type { JournalRecord, RecordStats, SearchIndexProgress } from '../api/journal-record.js';
import { ApiError, isAbort } from '../api/tamga-api.js';
import type { TamgaApi } from '../api/tamga-api.js';
import { t } from '../i18n/i18n.js';
import { filterParams } from './journal-query.js';
import type { JournalFilter } from './journal-query.js';
import { signOut } from './session.js';

/** Rows per page of the table. */
export const PAGE_SIZE = 100;

/** Loading state of the table. */
export type LoadStatus = 'loading' | 'ready' | 'loading-more' | 'error';

export const rows = signal<readonly JournalRecord[]>([]);
export const nextCursor = signal<string | null>(null);
export const status = signal<LoadStatus>('loading');
export const loadError = signal<ApiError | null>(null);
export const stats = signal<RecordStats | null>(null);
/** The text index's progress of the shown text search; null without one. */
export const searchIndex = signal<SearchIndexProgress | null>(null);
/** True while the count and histogram of the shown filter are being fetched. */
export const statsLoading = signal(false);
/** Ids of the expanded rows. */
export const expanded = signal<ReadonlySet<string>>(new Set());

let controller: AbortController | null = null;
let loadedKey = '';

/** Handles an error of any API call: a refused key signs out, others are returned for display. */
export function handleApiError(error: unknown): ApiError | null {
  if (isAbort(error)) return null;
  const apiError = error instanceof ApiError ? error : new ApiError('INTERNAL', String(error), 0);
  if (apiError.status === 401) {
    signOut(t('sessionExpired'));
    return null;
  }
  return apiError;
}

/**
 * Loads the first page and then the stats of `filter`, replacing what is shown (no-op if already shown). The
 * stats wait for the rows: over a long range they are the slower query, and the rows must not queue behind them.
 */
export function loadJournal(api: TamgaApi, filter: JournalFilter, { force = false } = {}): void {
  const params = filterParams(filter);
  const key = params.toString();
  if (!force && key === loadedKey && status.value !== 'error') return;
  loadedKey = key;
  controller?.abort();
  const own = new AbortController();
  controller = own;
  batch(() => {
    status.value = 'loading';
    loadError.value = null;
    expanded.value = new Set();
    stats.value = null;
    statsLoading.value = true;
  });
  const page = new URLSearchParams(params);
  page.set('limit', String(PAGE_SIZE));
  const loadStats = (): void => {
    const statsParams = new URLSearchParams(params);
    statsParams.delete('order');
    void api.stats(statsParams, own.signal).then(
      (s) => {
        if (controller !== own) return;
        batch(() => {
          stats.value = s;
          statsLoading.value = false;
        });
      },
      (error: unknown) => {
        if (controller !== own) return;
        // The table still works without the histogram.
        statsLoading.value = false;
        handleApiError(error);
      },
    );
  };
  void api.events(page, own.signal).then(
    (result) => {
      if (controller !== own) return;
      batch(() => {
        rows.value = result.items;
        nextCursor.value = result.nextCursor;
        searchIndex.value = result.searchIndex ?? null;
        status.value = 'ready';
      });
      loadStats();
    },
    (error: unknown) => {
      if (controller !== own) return;
      const shown = handleApiError(error);
      statsLoading.value = false;
      if (shown === null) return;
      batch(() => {
        rows.value = [];
        nextCursor.value = null;
        loadError.value = shown;
        status.value = 'error';
      });
    },
  );
}

/** Appends the next page. */
export function loadMore(api: TamgaApi, filter: JournalFilter): void {
  const cursor = nextCursor.value;
  if (cursor === null || status.value !== 'ready') return;
  const own = controller ?? new AbortController();
  status.value = 'loading-more';
  const page = filterParams(filter);
  page.set('limit', String(PAGE_SIZE));
  page.set('cursor', cursor);
  void api.events(page, own.signal).then(
    (result) => {
      if (controller !== own) return;
      batch(() => {
        rows.value = [...rows.value, ...result.items];
        nextCursor.value = result.nextCursor;
        status.value = 'ready';
      });
    },
    (error: unknown) => {
      if (controller !== own) return;
      const shown = handleApiError(error);
      batch(() => {
        status.value = 'ready';
        if (shown !== null) loadError.value = shown;
      });
    },
  );
}

/** Expands or collapses one row. */
export function toggleExpanded(id: string): void {
  const next = new Set(expanded.value);
  if (next.has(id)) next.delete(id);
  else next.add(id);
  expanded.value = next;
}

let statsController: AbortController | null = null;

/**
 * Fetches the count and histogram of `filter` again without reloading the rows (a live rolling view moved): the
 * numbers shown stay until the new ones arrive.
 */
export function refreshStats(api: TamgaApi, filter: JournalFilter): void {
  statsController?.abort();
  const own = new AbortController();
  statsController = own;
  const params = filterParams(filter);
  params.delete('order');
  api.stats(params, own.signal).then(
    (s) => {
      if (statsController === own) stats.value = s;
    },
    (error: unknown) => {
      handleApiError(error);
    },
  );
}
