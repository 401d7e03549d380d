import { useSignal } from '@preact/signals';
import { useEffect } from 'preact/hooks';
import { errorMessage } from '../i18n/error-text.js';
import { formatNumber, t } from '../i18n/i18n.js';
import { evidenceFileName, fetchEvidenceBundle } from '../export/evidence-bundle.js';
import { downloadBlob, downloadText, exportFileName, toCsv, toNdjson } from '../export/export-records.js';
import { filterParams, viewedLog } from '../state/journal-query.js';
import type { FilterUpdate, JournalFilter, SortOrder } from '../state/journal-query.js';
import {
  expanded,
  handleApiError,
  loadError,
  loadJournal,
  loadMore,
  nextCursor,
  rows,
  stats,
  statsLoading,
  status,
  toggleExpanded,
} from '../state/journal-data.js';
import { isLive, isLiveSupported, probeLive, setLive } from '../state/live-stream.js';
import { navigate } from '../state/router.js';
import { api } from '../state/session.js';
import { FilterBar } from './filter-bar.js';
import { Histogram } from './histogram.js';
import { IntegrityBadge } from './integrity-badge.js';
import { DownloadIcon } from './icons.js';
import { RecordTable } from './record-table.js';
import { ErrorPanel, LoadingPanel } from './state-panels.js';

function applyFilter(filter: JournalFilter): void {
  navigate({ kind: 'journal', filter });
}

let currentFilter: JournalFilter | null = null;

// Stable callbacks, so memoized rows do not re-render when the page does.
function onFilter(update: FilterUpdate): void {
  if (currentFilter !== null) applyFilter(update(currentFilter));
}
function onOrder(order: SortOrder): void {
  if (currentFilter !== null) applyFilter({ ...currentFilter, order });
}

/** The status line's text for a failed export, or null when the error was handled (signed out, aborted). */
function exportError(error: unknown): string | null {
  const shown = handleApiError(error);
  if (shown === null) return null;
  const detail = shown.code === 'BUNDLE_INCOMPLETE' ? t('bundleCut', { detail: shown.message }) : errorMessage(shown);
  return t('exportFailed', { detail });
}

/**
 * Export of exactly the current view (every page of the current filter, in its order) as CSV or NDJSON, and the
 * evidence bundle of the viewed tenant's log over the view's time range: a superset of a filtered view, but the
 * part that can be verified offline.
 */
function ExportButtons({ filter }: { readonly filter: JournalFilter }) {
  const progress = useSignal<string | null>(null);
  const busy = useSignal(false);
  const log = viewedLog(filter);
  const bundleNote = log.hasSeveralTenants ? t('bundleOneTenant') : t('bundleTitle', { tenant: log.tenant });

  const run = async (format: 'csv' | 'ndjson'): Promise<void> => {
    const client = api.value;
    if (client === null) return;
    progress.value = t('exporting', { n: 0 });
    busy.value = true;
    try {
      const records = await client.allEvents(
        filterParams(filter),
        (n) => (progress.value = t('exporting', { n: formatNumber(n) })),
      );
      if (format === 'csv') {
        // A byte-order mark lets spreadsheet programs read Cyrillic text as UTF-8.
        downloadText(
          `\uFEFF${toCsv(records)}`,
          exportFileName(filter.from, filter.to, 'csv'),
          'text/csv;charset=utf-8',
        );
      } else {
        downloadText(
          toNdjson(records),
          exportFileName(filter.from, filter.to, 'ndjson'),
          'application/x-ndjson',
        );
      }
      progress.value = t('exportDone', { n: formatNumber(records.length) });
    } catch (error) {
      progress.value = exportError(error);
    } finally {
      busy.value = false;
    }
  };

  const runBundle = async (): Promise<void> => {
    const client = api.value;
    if (client === null || log.hasSeveralTenants) return;
    progress.value = t('bundleDownloading', { n: 0 });
    busy.value = true;
    try {
      const bundle = await fetchEvidenceBundle(
        client,
        log.tenant,
        filter,
        (n) => (progress.value = t('bundleDownloading', { n: formatNumber(n) })),
      );
      // Saved only once the end line vouched for the count: a cut download never becomes a file.
      const file = evidenceFileName(log.tenant, filter.from, filter.to);
      downloadBlob(bundle.blob, file);
      progress.value = t('bundleSaved', { n: formatNumber(bundle.records), file });
    } catch (error) {
      progress.value = exportError(error);
    } finally {
      busy.value = false;
    }
  };

  return (
    <div class="export">
      <span class="export-status" role="status">
        {progress.value ?? ''}
      </span>
      <button type="button" class="btn btn-small" disabled={busy.value} onClick={() => void run('csv')}>
        <DownloadIcon /> {t('exportCsv')}
      </button>
      <button type="button" class="btn btn-small" disabled={busy.value} onClick={() => void run('ndjson')}>
        <DownloadIcon /> {t('exportNdjson')}
      </button>
      <button
        type="button"
        class="btn btn-small"
        disabled={busy.value || log.hasSeveralTenants}
        title={bundleNote}
        aria-describedby="bundle-note"
        onClick={() => void runBundle()}
      >
        <DownloadIcon /> {t('exportBundle')}
      </button>
      <span id="bundle-note" class="visually-hidden">
        {bundleNote}
      </span>
    </div>
  );
}

function LiveToggle(props: {
  readonly on: boolean;
  readonly disabled: boolean;
  readonly onToggle: (on: boolean) => void;
}) {
  return (
    <button
      type="button"
      class={`btn btn-small live${props.on ? ' is-on' : ''}`}
      aria-pressed={props.on}
      disabled={props.disabled}
      onClick={() => props.onToggle(!props.on)}
    >
      <span class="live-dot" aria-hidden="true" />
      {props.on ? t('liveOn') : t('liveOff')}
    </button>
  );
}

/** The journal: filters, histogram, the table with "load more", export. */
export function JournalPage({ filter }: { readonly filter: JournalFilter }) {
  currentFilter = filter;
  const client = api.value;
  const key = filterParams(filter).toString();

  useEffect(() => {
    if (client === null) return;
    loadJournal(client, filter);
    probeLive(client);
    // A new filter ends following the old one.
    return () => setLive(client, filter, false);
  }, [key, client]);

  const s = status.value;
  const shown = rows.value.length;
  const total = stats.value?.count;
  const error = loadError.value;

  return (
    <main id="main" class="page">
      <h1 class="visually-hidden">{t('appTitle')}</h1>
      <FilterBar filter={filter} onApply={applyFilter} />
      <Histogram
        stats={stats.value}
        from={filter.from}
        to={filter.to}
        loading={s === 'loading' || statsLoading.value}
        onNarrow={(range) => applyFilter({ ...filter, ...range })}
      />
      <section
        class="results card"
        id="results"
        tabIndex={-1}
        aria-labelledby="results-title"
        aria-busy={s === 'loading'}
      >
        <div class="results-bar">
          <h2 id="results-title" class="results-count" aria-live="polite">
            {s === 'loading'
              ? t('loading')
              : total !== undefined
                ? t('countShown', { shown: formatNumber(shown), count: formatNumber(total) })
                : formatNumber(shown)}
          </h2>
          <div class="results-tools">
            {isLiveSupported.value === true && client !== null && (
              <LiveToggle
                on={isLive.value}
                // Live rows join a newest-first view whose range is still open.
                disabled={filter.order !== 'desc' || Date.parse(filter.to) <= Date.now()}
                onToggle={(on) => setLive(client, filter, on)}
              />
            )}
            {client !== null && <IntegrityBadge client={client} filter={filter} />}
            <ExportButtons filter={filter} />
          </div>
        </div>
        {s === 'loading' && <LoadingPanel label={t('loading')} />}
        {s === 'error' && error !== null && (
          <ErrorPanel
            error={error}
            onRetry={() => client !== null && loadJournal(client, filter, { force: true })}
          />
        )}
        {s !== 'loading' && s !== 'error' && shown === 0 && (
          <div class="state-panel state-empty">
            <h3>{t('emptyTitle')}</h3>
            <p class="muted">{t('emptyHint')}</p>
          </div>
        )}
        {s !== 'loading' && shown > 0 && (
          <RecordTable
            records={rows.value}
            expanded={expanded.value}
            filter={filter}
            onToggle={toggleExpanded}
            onFilter={onFilter}
            onOrder={onOrder}
          />
        )}
        {s !== 'loading' && s !== 'error' && shown > 0 && (
          <div class="load-more">
            {nextCursor.value !== null ? (
              <button
                type="button"
                class="btn"
                disabled={s === 'loading-more'}
                onClick={() => client !== null && loadMore(client, filter)}
              >
                {s === 'loading-more' ? t('loadingMore') : t('loadMore')}
              </button>
            ) : (
              <p class="muted">
                {t('allShown', { count: formatNumber(shown) })}
                {/* The count is taken after the rows: events that arrived in between (the journal records its own
                    reads, too) are counted but not listed. Say so, with the way to see them. */}
                {total !== undefined && total > shown && !isLive.value && (
                  <>
                    {' '}
                    {t('newerThanRows', { n: formatNumber(total - shown) })}{' '}
                    <button
                      type="button"
                      class="btn btn-small"
                      onClick={() => client !== null && loadJournal(client, filter, { force: true })}
                    >
                      {t('showNewer')}
                    </button>
                  </>
                )}
              </p>
            )}
            {error !== null && s === 'ready' && (
              <p class="form-error" role="alert">
                {errorMessage(error)}
              </p>
            )}
          </div>
        )}
      </section>
    </main>
  );
}
