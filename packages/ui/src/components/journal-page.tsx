import { useSignal } from '@preact/signals';
import { useEffect } from 'preact/hooks';
import { integrityOf } from '../api/journal-record.js';
import type { LogCoverage } from '../api/journal-record.js';
import type { TamgaApi } from '../api/tamga-api.js';
import { errorMessage } from '../i18n/error-text.js';
import { formatNumber, t, tn } from '../i18n/i18n.js';
import type { MessageKey } from '../i18n/messages.js';
import { evidenceFileName, fetchEvidenceBundle } from '../export/evidence-bundle.js';
import { downloadBlob, exportFileName, fetchRecordExport } from '../export/export-records.js';
import type { ExportFormat } from '../export/export-records.js';
import { formatShort } from '../format/format-time.js';
import { filterParams, viewedLog } from '../state/journal-query.js';
import type { FilterUpdate, JournalFilter, SortOrder } from '../state/journal-query.js';
import {
  expanded,
  handleApiError,
  loadError,
  loadJournal,
  loadMore,
  nextCursor,
  refreshStats,
  rows,
  searchIndex,
  stats,
  statsLoading,
  status,
  toggleExpanded,
} from '../state/journal-data.js';
import {
  isLive,
  isLiveSupported,
  liveBlocked,
  liveStopped,
  liveWindow,
  moveLiveWindow,
  probeLive,
  setLive,
} from '../state/live-stream.js';
import { navigate } from '../state/router.js';
import { api } from '../state/session.js';
import { missingRecords, offlineOutcome, viewIntegrity } from '../state/view-integrity.js';
import { FilterBar } from './filter-bar.js';
import { Histogram } from './histogram.js';
import { IntegrityBadge, IntegrityPanel, problemText } from './integrity-badge.js';
import { DownloadIcon } from './icons.js';
import { RecordTable } from './record-table.js';
import { ErrorPanel, LoadingPanel } from './state-panels.js';

/** How often a live rolling view moves with the clock, ms. */
const LIVE_TICK_MS = 10_000;

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

/** Expands the loaded row of `tenant`'s record at `seq` and moves focus to it; false when no such row is loaded. */
function showRecord(tenant: string, seq: number): boolean {
  const record = rows.value.find((r) => (r.tenantId ?? 'default') === tenant && r.seq === seq);
  if (record === undefined) return false;
  if (!expanded.value.has(record.id)) toggleExpanded(record.id);
  requestAnimationFrame(() => {
    const toggle = document.querySelector<HTMLElement>(
      `tr.row[data-id="${CSS.escape(record.id)}"] .row-toggle`,
    );
    toggle?.scrollIntoView({ block: 'center' });
    toggle?.focus({ preventScroll: true });
  });
  return true;
}

/** The status line's text for a failed export, or null when the error was handled (signed out, aborted). */
function exportError(error: unknown): string | null {
  const shown = handleApiError(error);
  if (shown === null) return null;
  const detail =
    shown.code === 'BUNDLE_INCOMPLETE' ? t('bundleCut', { detail: shown.message }) : errorMessage(shown);
  return t('exportFailed', { detail });
}

/**
 * What the server's check says an evidence bundle of `log` will show `tamga verify`, for the warnings before and after
 * the download; null when the log checked out (nothing to warn about) or was not checked.
 */
function bundleWarning(log: LogCoverage | undefined): string | null {
  const v = log?.verification;
  if (log === undefined || v === null || v === undefined || v.status === 'valid') return null;
  const found = v.problems.slice(0, 3).map(problemText).join('; ');
  const outcome = offlineOutcome(log);
  return outcome.status === 'tampered'
    ? t('bundleWarnTampered', { tenant: log.tenant, found, seq: String(outcome.firstBadSeq ?? '?') })
    : t('bundleWarnHidden', { tenant: log.tenant, found });
}

/**
 * Export of exactly the current view (every record of the current filter, in its order) as CSV or NDJSON, made and
 * journalled by the server, and the evidence bundle of the viewed tenant's log over the view's time range: a superset
 * of a filtered view, but the part that can be verified offline. A bundle of a range the server found broken is
 * downloaded only after a warning that says what `tamga verify` will report.
 */
function ExportButtons({ filter }: { readonly filter: JournalFilter }) {
  const progress = useSignal<string | null>(null);
  const busy = useSignal(false);
  const confirming = useSignal(false);
  const integrity = viewIntegrity.value;
  const logsInView = integrity.kind === 'done' ? integrity.answer.logs.map((l) => l.tenant) : null;
  const log = viewedLog(filter, logsInView);
  const coverage =
    integrity.kind === 'done' ? integrity.answer.logs.find((l) => l.tenant === log.tenant) : undefined;
  const warning = bundleWarning(coverage);
  const bundleNote =
    log.tenant === null
      ? t('bundleOneTenant', { tenants: log.several.join(', ') })
      : t('bundleTitle', { tenant: log.tenant });

  const run = async (format: ExportFormat): Promise<void> => {
    const client = api.value;
    if (client === null) return;
    progress.value = tn('exporting', 0);
    busy.value = true;
    try {
      const exported = await fetchRecordExport(
        client,
        filter,
        format,
        (n) => (progress.value = tn('exporting', n)),
      );
      downloadBlob(exported.blob, exportFileName(filter.from, filter.to, format));
      progress.value = tn('exportDone', exported.records);
    } catch (error) {
      progress.value = exportError(error);
    } finally {
      busy.value = false;
    }
  };

  const runBundle = async (): Promise<void> => {
    const client = api.value;
    const tenant = log.tenant;
    if (client === null || tenant === null) return;
    confirming.value = false;
    progress.value = tn('bundleDownloading', 0);
    busy.value = true;
    try {
      const bundle = await fetchEvidenceBundle(
        client,
        tenant,
        filter,
        (n) => (progress.value = tn('bundleDownloading', n)),
      );
      // Saved only once the end line vouched for the count: a cut download never becomes a file.
      const file = evidenceFileName(tenant, filter.from, filter.to);
      downloadBlob(bundle.blob, file);
      const saved = tn('bundleSaved', bundle.records, { file });
      progress.value = warning === null ? saved : `${saved} ${warning}`;
    } catch (error) {
      progress.value = exportError(error);
    } finally {
      busy.value = false;
    }
  };

  return (
    <div class="export">
      <span
        class={`export-status${warning !== null && !busy.value && progress.value?.includes(warning) ? ' is-warning' : ''}`}
        role="status"
      >
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
        disabled={busy.value}
        // Not disabled when the view spans several logs: it stays reachable and says why on a click.
        aria-disabled={log.tenant === null}
        title={bundleNote}
        aria-describedby="bundle-note"
        aria-expanded={warning !== null ? confirming.value : undefined}
        onClick={() => {
          if (log.tenant === null) progress.value = bundleNote;
          else if (warning === null) void runBundle();
          else confirming.value = true;
        }}
      >
        <DownloadIcon /> {t('exportBundle')}
      </button>
      <span id="bundle-note" class="visually-hidden">
        {bundleNote}
      </span>
      {confirming.value && warning !== null && (
        <div class="bundle-confirm" role="alertdialog" aria-labelledby="bundle-warning" aria-modal="false">
          <p id="bundle-warning">{warning}</p>
          <p class="muted">{t('bundleStillEvidence')}</p>
          <div class="bundle-confirm-actions">
            <button
              type="button"
              class="btn btn-small btn-primary"
              ref={(el) => el?.focus()}
              onClick={() => void runBundle()}
            >
              {t('bundleDownloadAnyway')}
            </button>
            <button type="button" class="btn btn-small" onClick={() => (confirming.value = false)}>
              {t('cancel')}
            </button>
          </div>
        </div>
      )}
    </div>
  );
}

/** The live switch. When live cannot follow the view it stays focusable and says why (a disabled button cannot). */
function LiveToggle(props: { readonly client: TamgaApi; readonly filter: JournalFilter }) {
  const on = isLive.value;
  const supported = isLiveSupported.value;
  const blocked: MessageKey | null = supported === false ? 'liveUnsupported' : liveBlocked(props.filter);
  const said = useSignal(false);
  const why = blocked ?? liveStopped.value;
  return (
    <span class="live-wrap">
      <button
        type="button"
        class={`btn btn-small live${on ? ' is-on' : ''}`}
        aria-pressed={on}
        aria-disabled={blocked !== null && !on}
        aria-describedby={why !== null ? 'live-why' : undefined}
        title={blocked !== null ? t(blocked) : undefined}
        onClick={() => {
          if (blocked !== null && !on) {
            said.value = true;
            return;
          }
          setLive(props.client, props.filter, !on);
        }}
      >
        <span class="live-dot" aria-hidden="true" />
        {on ? t('liveOn') : t('liveOff')}
      </button>
      <span
        id="live-why"
        class={said.value || liveStopped.value !== null ? 'live-why' : 'visually-hidden'}
        role="status"
      >
        {why === null ? '' : t(why)}
      </span>
    </span>
  );
}

/**
 * The note under the last row when the count holds more records than the rows: records missing from a log (an
 * integrity failure, with the seqs) when the server's check finds a gap, else records that arrived after the rows were
 * read, with a reload. Said only once a check made now (not an earlier finding) has answered.
 */
function CountNote(props: { readonly extra: number; readonly onReload: () => void }) {
  const integrity = viewIntegrity.value;
  const missing = integrity.kind === 'done' ? missingRecords(integrity.answer) : [];
  if (missing.length > 0) {
    return (
      <p class="count-note is-missing" role="alert">
        {t('recordsMissing', {
          where: missing
            .map((m) => `${m.tenant} seq ${m.from === m.to ? m.from : `${m.from}–${m.to}`}`)
            .join(', '),
        })}
      </p>
    );
  }
  if (integrity.kind === 'checking' || (integrity.kind === 'done' && !integrity.isFresh)) {
    return <p class="count-note muted">{tn('countChecking', props.extra)}</p>;
  }
  return (
    <p class="count-note muted">
      {tn('newerThanRows', props.extra)}{' '}
      <button type="button" class="btn btn-small" onClick={props.onReload}>
        {t('showNewer')}
      </button>
    </p>
  );
}

/** The journal: filters, histogram, the table with "load more", live mode, integrity, export. */
export function JournalPage({ filter: viewFilter }: { readonly filter: JournalFilter }) {
  currentFilter = viewFilter;
  const client = api.value;
  const key = filterParams(viewFilter).toString();
  // A live rolling view moves with the clock; the URL (`range=15m`) stays.
  const window = liveWindow.value;
  const filter = window === null ? viewFilter : { ...viewFilter, ...window };

  useEffect(() => {
    if (client === null) return;
    loadJournal(client, viewFilter);
    probeLive(client);
    // A new filter ends following the old one.
    return () => setLive(client, viewFilter, false);
  }, [key, client]);

  const isIntegrityOpen = useSignal(false);
  const on = isLive.value;
  useEffect(() => {
    if (client === null || !on) return;
    if (viewFilter.rolling !== null) {
      const tick = setInterval(() => {
        const moved = moveLiveWindow(viewFilter);
        if (moved !== null) refreshStats(client, { ...viewFilter, ...moved });
      }, LIVE_TICK_MS);
      return () => clearInterval(tick);
    }
    // A fixed range ends: live stops there and says so (a timer cannot wait longer than 2^31 ms).
    const wait = Date.parse(viewFilter.to) - Date.now();
    if (wait > 2 ** 31 - 1) return;
    const end = setTimeout(() => setLive(client, viewFilter, false, 'liveRangeEnded'), wait);
    return () => clearTimeout(end);
  }, [on, key, client]);

  const s = status.value;
  const shown = rows.value.length;
  const total = stats.value?.count;
  const error = loadError.value;
  const isAllShown = s === 'ready' && nextCursor.value === null;
  const extra = isAllShown && total !== undefined && total > shown ? total - shown : 0;
  // A check now rather than the server's findings of the last minutes: a shown record is not valid, or records are
  // counted that the rows lack (arrived since, or missing from the log).
  const needsFresh = extra > 0 || rows.value.some((r) => integrityOf(r) === 'tampered');

  return (
    <main id="main" class="page">
      <h1 class="visually-hidden">{t('appTitle')}</h1>
      <FilterBar filter={viewFilter} onApply={applyFilter} />
      <Histogram
        stats={stats.value}
        from={filter.from}
        to={filter.to}
        loading={s === 'loading' || statsLoading.value}
        onNarrow={(range) => applyFilter({ ...viewFilter, ...range, rolling: null })}
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
          <SearchIndexNote />
          {filter.rolling !== null && on && (
            <span class="muted rolling-range">
              {t('rollingRange', { from: formatShort(filter.from), to: formatShort(filter.to) })}
            </span>
          )}
          <div class="results-tools">
            {isLiveSupported.value !== null && client !== null && (
              <LiveToggle client={client} filter={viewFilter} />
            )}
            {client !== null && (
              <IntegrityBadge
                client={client}
                filter={filter}
                needsFresh={needsFresh}
                isOpen={isIntegrityOpen.value}
                onToggle={() => (isIntegrityOpen.value = !isIntegrityOpen.value)}
              />
            )}
            <ExportButtons filter={filter} />
          </div>
        </div>
        {isIntegrityOpen.value && (
          <IntegrityPanel
            filter={filter}
            onClose={() => (isIntegrityOpen.value = false)}
            onShowRecord={showRecord}
          />
        )}
        {s === 'loading' && <LoadingPanel label={t('loading')} />}
        {s === 'error' && error !== null && (
          <ErrorPanel
            error={error}
            onRetry={() => client !== null && loadJournal(client, viewFilter, { force: true })}
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
            filter={viewFilter}
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
                onClick={() => client !== null && loadMore(client, viewFilter)}
              >
                {s === 'loading-more' ? t('loadingMore') : t('loadMore')}
              </button>
            ) : (
              <>
                <p class="muted">{t('allShown', { count: formatNumber(shown) })}</p>
                {/* The count is taken after the rows: records counted but not listed either arrived in between (the
                    journal records its own reads, too) or are missing from the log. The integrity check tells which. */}
                {extra > 0 && !on && (
                  <CountNote
                    extra={extra}
                    onReload={() => client !== null && loadJournal(client, viewFilter, { force: true })}
                  />
                )}
              </>
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

/** A lag in the largest unit that keeps it short: 45 s, 12 min, 3 h. */
function lagText(seconds: number): string {
  if (seconds < 120) return t('lagSeconds', { n: formatNumber(Math.round(seconds)) });
  if (seconds < 7200) return t('lagMinutes', { n: formatNumber(Math.round(seconds / 60)) });
  return t('lagHours', { n: formatNumber(Math.round(seconds / 3600)) });
}

/** Says when the text search ran ahead of the server's text index (the newest records were scanned instead). */
function SearchIndexNote() {
  const progress = searchIndex.value;
  if (progress === null || status.value !== 'ready') return null;
  if (progress.building) return <span class="muted search-index-note" role="status">{t('searchIndexBuilding')}</span>;
  // A second or so is the follower's ordinary pace: not worth a word.
  if (progress.pending === 0 || progress.behindSeconds < 2) return null;
  return (
    <span class="muted search-index-note" role="status">
      {tn('searchIndexBehind', progress.pending, { behind: lagText(progress.behindSeconds) })}
    </span>
  );
}
