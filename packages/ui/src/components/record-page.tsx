import { useSignal } from '@preact/signals';
import { useEffect } from 'preact/hooks';
import type { JournalRecord, RangeVerification } from '../api/journal-record.js';
import type { ApiError } from '../api/tamga-api.js';
import type { TamgaApi } from '../api/tamga-api.js';
import { errorMessage } from '../i18n/error-text.js';
import { t } from '../i18n/i18n.js';
import { formatDateTime } from '../format/format-time.js';
import { downloadBlob } from '../export/export-records.js';
import { handleApiError } from '../state/journal-data.js';
import type { JournalFilter } from '../state/journal-query.js';
import { navigate } from '../state/router.js';
import { api } from '../state/session.js';
import { AppLink } from './app-link.js';
import { ClassIcon, DownloadIcon, SignatureIcon, VerifyIcon } from './icons.js';
import { problemText } from './integrity-badge.js';
import { RecordDetail } from './record-detail.js';
import { ErrorPanel, LoadingPanel } from './state-panels.js';

/** The file name of a record's receipt: `tamga-receipt-<id>.json`. */
export function receiptFileName(id: string): string {
  return `tamga-receipt-${id}.json`;
}

/** What "Verify this record" found. */
type RecordCheck =
  | { readonly kind: 'idle' | 'checking' }
  | { readonly kind: 'done'; readonly verification: RangeVerification }
  | { readonly kind: 'failed'; readonly text: string };

/**
 * Asks the server to verify one record against its log (`GET /api/v1/logs/{tenant}/verify` over `[seq, seq + 1)`, not
 * from earlier findings): its HMAC signature and payload digest, its leaf in the Merkle log, and the root of the newest
 * signed checkpoint rebuilt through it.
 */
async function verifyRecord(client: TamgaApi, record: JournalRecord): Promise<RangeVerification> {
  const seq = record.seq ?? 0;
  const query = new URLSearchParams({ from: String(seq), to: String(seq + 1), maxAge: '0' });
  return client.getJson<RangeVerification>(
    `/api/v1/logs/${encodeURIComponent(record.tenantId ?? 'default')}/verify?${query.toString()}`,
  );
}

/** The receipt download and "Verify this record", with what each found. */
function RecordEvidence({ record }: { readonly record: JournalRecord }) {
  const check = useSignal<RecordCheck>({ kind: 'idle' });
  const saved = useSignal<string | null>(null);
  const client = api.value;

  const failText = (error: unknown): string | null => {
    const shown = handleApiError(error);
    return shown === null ? null : errorMessage(shown, { CHECKPOINT_PENDING: 'errCheckpointPending' });
  };

  const runCheck = async (): Promise<void> => {
    if (client === null) return;
    check.value = { kind: 'checking' };
    try {
      check.value = { kind: 'done', verification: await verifyRecord(client, record) };
    } catch (error) {
      const text = failText(error);
      check.value = text === null ? { kind: 'idle' } : { kind: 'failed', text };
    }
  };

  const saveReceipt = async (): Promise<void> => {
    if (client === null) return;
    saved.value = t('receiptDownloading');
    try {
      const response = await client.request(`/api/v1/events/${encodeURIComponent(record.id)}/receipt`);
      const file = receiptFileName(record.id);
      downloadBlob(new Blob([await response.text()], { type: 'application/json' }), file);
      saved.value = t('receiptSaved', { file });
    } catch (error) {
      saved.value = failText(error);
    }
  };

  const c = check.value;
  const v = c.kind === 'done' ? c.verification : null;
  // A record newer than the newest signed checkpoint is outside every range the server can check yet.
  const isPending = v !== null && v.checked === 0;
  return (
    <div class="record-evidence">
      <div class="detail-actions">
        <button
          type="button"
          class="btn btn-small"
          disabled={c.kind === 'checking'}
          onClick={() => void runCheck()}
        >
          <VerifyIcon /> {c.kind === 'checking' ? t('verifyingRecord') : t('verifyRecord')}
        </button>
        <button type="button" class="btn btn-small" onClick={() => void saveReceipt()}>
          <DownloadIcon /> {t('downloadReceipt')}
        </button>
      </div>
      <div role="status" class="record-evidence-result">
        {saved.value !== null && <p class="muted">{saved.value}</p>}
        {c.kind === 'failed' && <p class="form-error">{c.text}</p>}
        {v !== null && isPending && <p class="muted">{t('errCheckpointPending')}</p>}
        {v !== null && !isPending && v.status === 'valid' && (
          <p class="badge sig-valid record-verified">
            <SignatureIcon ok />
            {t('recordVerified', { seq: String(v.range.from), verifiedAt: formatDateTime(v.verifiedAt) })}
          </p>
        )}
        {v !== null && v.status === 'tampered' && (
          <div class="record-broken">
            <p class="badge sig-tampered">
              <SignatureIcon ok={false} />
              {t('recordBroken', { seq: String(v.firstBadSeq ?? v.range.from) })}
            </p>
            <ul>
              {v.problems.map((p, i) => (
                <li key={i}>
                  {problemText(p)} <span class="code">{`${p.code} · ${p.reason}`}</span>
                </li>
              ))}
            </ul>
          </div>
        )}
      </div>
    </div>
  );
}

/** A permalink target (`?id=`): one record, expanded, with its receipt and a check of it against its log. */
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
        {r !== null && <RecordEvidence record={r} />}
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
