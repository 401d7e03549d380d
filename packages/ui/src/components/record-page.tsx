import { useSignal } from '@preact/signals';
import { useEffect } from 'preact/hooks';
import type { JournalRecord } from '../api/journal-record.js';
import type { ApiError } from '../api/tamga-api.js';
import { t } from '../i18n/i18n.js';
import { formatDateTime } from '../format/format-time.js';
import { handleApiError } from '../state/journal-data.js';
import type { JournalFilter } from '../state/journal-query.js';
import { navigate } from '../state/router.js';
import { api } from '../state/session.js';
import { AppLink } from './app-link.js';
import { ClassIcon } from './icons.js';
import { RecordDetail } from './record-detail.js';
import { ErrorPanel, LoadingPanel } from './state-panels.js';

/** A permalink target (`?id=`): one record, expanded. */
export function RecordPage(props: { readonly id: string; readonly filter: JournalFilter }) {
  const record = useSignal<JournalRecord | null>(null);
  const error = useSignal<ApiError | null>(null);
  const attempt = useSignal(0);
  const client = api.value;

  useEffect(() => {
    if (client === null) return;
    const controller = new AbortController();
    record.value = null;
    error.value = null;
    client.event(props.id, controller.signal).then(
      (r) => (record.value = r),
      (caught: unknown) => (error.value = handleApiError(caught)),
    );
    return () => controller.abort();
  }, [props.id, client, attempt.value]);

  const r = record.value;
  return (
    <main id="main" class="page">
      <nav class="breadcrumbs">
        <AppLink view={{ kind: 'journal', filter: props.filter }}>← {t('backToJournal')}</AppLink>
      </nav>
      <section class="card padded" id="results" tabIndex={-1} aria-labelledby="record-title">
        <h1 id="record-title" class="record-title">
          {r !== null && (
            <span class={`cls cls-${r.classifiedEvent}`}>
              <ClassIcon value={r.classifiedEvent} />
              <span class="visually-hidden">{t(`class_${r.classifiedEvent}`)}: </span>
            </span>
          )}
          {r !== null ? `${r.eventName} ` : t('recordTitle')}
          {r !== null && <span class="code">{r.event}</span>}
        </h1>
        {r !== null && (
          <p class="muted">
            <time dateTime={r.createdAt}>{formatDateTime(r.createdAt)}</time>
          </p>
        )}
        {error.value !== null && (
          <ErrorPanel
            error={error.value}
            title={error.value.status === 404 ? t('recordNotFound') : t('errorTitle')}
            onRetry={() => attempt.value++}
          />
        )}
        {r === null && error.value === null && <LoadingPanel label={t('loading')} />}
        {r !== null && (
          <RecordDetail
            record={r}
            filter={props.filter}
            onFilter={(update) => navigate({ kind: 'journal', filter: update(props.filter) })}
          />
        )}
      </section>
    </main>
  );
}
