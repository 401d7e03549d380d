import { useSignal } from '@preact/signals';
import { useEffect } from 'preact/hooks';
import type { JournalRecord } from '../api/journal-record.js';
import { integrityOf } from '../api/journal-record.js';
import type { ApiError } from '../api/tamga-api.js';
import { formatNumber, t } from '../i18n/i18n.js';
import { formatDateTime, formatDuration } from '../format/format-time.js';
import { handleApiError } from '../state/journal-data.js';
import { showOnly } from '../state/journal-query.js';
import type { JournalFilter } from '../state/journal-query.js';
import { navigate } from '../state/router.js';
import { api } from '../state/session.js';
import { AppLink } from './app-link.js';
import { ClassIcon } from './icons.js';
import { RecordDetail, SignatureBadge } from './record-detail.js';
import { ErrorPanel, LoadingPanel } from './state-panels.js';

function TimelineItem(props: {
  readonly record: JournalRecord;
  readonly startMs: number;
  readonly filter: JournalFilter;
}) {
  const { record: r } = props;
  const open = useSignal(false);
  const detailId = `op-detail-${r.id}`;
  const delta = Date.parse(r.createdAt) - props.startMs;
  return (
    <li class={`timeline-item cls-${r.classifiedEvent}`} data-id={r.id}>
      <span class="timeline-marker cls" aria-hidden="true">
        <ClassIcon value={r.classifiedEvent} />
      </span>
      <div class="timeline-body">
        <div class="timeline-head">
          <time dateTime={r.createdAt}>{formatDateTime(r.createdAt)}</time>
          <span class="timeline-delta">+{formatDuration(delta)}</span>
          <span class="visually-hidden">{t(`class_${r.classifiedEvent}`)}</span>
        </div>
        <div class="timeline-title">
          <strong>{r.eventName}</strong> <span class="code">{r.event}</span>
          {integrityOf(r) !== 'valid' && (
            <>
              {' '}
              <SignatureBadge record={r} />
            </>
          )}
          {r.userId !== null && <span class="muted"> · {r.userId}</span>}
          {r.ip !== null && <span class="muted mono"> · {r.ip}</span>}
        </div>
        {r.text !== null && r.text !== '' && <p class="timeline-text">{r.text}</p>}
        <button
          type="button"
          class="btn btn-small btn-ghost"
          aria-expanded={open.value}
          aria-controls={detailId}
          onClick={() => (open.value = !open.value)}
        >
          {open.value ? t('hideDetails') : t('showDetails')}
        </button>
        {open.value && (
          <RecordDetail record={r} filter={props.filter} id={detailId} showOperationLink={false} />
        )}
      </div>
    </li>
  );
}

/** One operation: every event with its operation key, oldest first, as a timeline. */
export function OperationPage(props: { readonly operationKey: string; readonly filter: JournalFilter }) {
  const records = useSignal<JournalRecord[] | null>(null);
  const error = useSignal<ApiError | null>(null);
  const attempt = useSignal(0);
  const client = api.value;

  useEffect(() => {
    if (client === null) return;
    const controller = new AbortController();
    records.value = null;
    error.value = null;
    client
      .allEvents(
        new URLSearchParams({ operationKey: props.operationKey, order: 'asc' }),
        undefined,
        controller.signal,
      )
      .then(
        (all) => (records.value = all),
        (caught: unknown) => (error.value = handleApiError(caught)),
      );
    return () => controller.abort();
  }, [props.operationKey, client, attempt.value]);

  const list = records.value;
  const first = list?.[0];
  const last = list?.[list.length - 1];
  const duration =
    first !== undefined && last !== undefined ? Date.parse(last.createdAt) - Date.parse(first.createdAt) : 0;

  return (
    <main id="main" class="page">
      <nav class="breadcrumbs">
        <AppLink view={{ kind: 'journal', filter: props.filter }}>← {t('backToJournal')}</AppLink>
      </nav>
      <section class="card padded operation" id="results" tabIndex={-1} aria-labelledby="operation-title">
        <h1 id="operation-title" class="operation-title">
          {t('operationTitle', { key: '' })}
          <code>{props.operationKey}</code>
        </h1>
        <p class="muted">
          {t('operationLead')}
          {list !== null && list.length > 0 && (
            <> {t('operationEvents', { n: formatNumber(list.length), duration: formatDuration(duration) })}</>
          )}
        </p>
        <div class="operation-actions">
          <button
            type="button"
            class="btn btn-small"
            onClick={() =>
              navigate({
                kind: 'journal',
                // showOnly also ends an exclusion of this operation key, which would hide every row.
                filter: showOnly(
                  { ...props.filter, ...(first && last ? rangeOf(first, last) : {}) },
                  { field: 'operationKey', value: props.operationKey },
                ),
              })
            }
          >
            {t('showInJournal')}
          </button>
        </div>
        {error.value !== null && <ErrorPanel error={error.value} onRetry={() => attempt.value++} />}
        {list === null && error.value === null && <LoadingPanel label={t('loading')} />}
        {list !== null && list.length === 0 && (
          <div class="state-panel state-empty">
            <h3>{t('emptyTitle')}</h3>
          </div>
        )}
        {list !== null && list.length > 0 && first !== undefined && (
          <ol class="timeline">
            {list.map((r) => (
              <TimelineItem
                key={r.id}
                record={r}
                startMs={Date.parse(first.createdAt)}
                filter={props.filter}
              />
            ))}
          </ol>
        )}
      </section>
    </main>
  );
}

/** The journal range covering an operation: from its first event to just after its last. */
function rangeOf(first: JournalRecord, last: JournalRecord): { from: string; to: string } {
  const from = new Date(Math.floor(Date.parse(first.createdAt) / 1000) * 1000)
    .toISOString()
    .replace('.000Z', 'Z');
  const to = new Date(Math.floor(Date.parse(last.createdAt) / 1000) * 1000 + 1000)
    .toISOString()
    .replace('.000Z', 'Z');
  return { from, to };
}
