import { useSignal } from '@preact/signals';
import { useEffect } from 'preact/hooks';
import { ApiError, isAbort } from '../api/tamga-api.js';
import type { TamgaApi } from '../api/tamga-api.js';
import { formatNumber, t } from '../i18n/i18n.js';
import { formatDateTime } from '../format/format-time.js';
import { status } from '../state/journal-data.js';
import { viewedLog } from '../state/journal-query.js';
import type { JournalFilter } from '../state/journal-query.js';

/** What `GET /api/v1/logs/{tenant}/verify` answers (the part the badge shows). */
interface VerifyAnswer {
  readonly status: 'valid' | 'tampered';
  readonly checked: number;
  readonly firstBadSeq: number | null;
  readonly counts: { readonly redacted: number };
  readonly verifiedAt?: string;
}

/**
 * The badge takes the server's earlier findings up to this old, seconds: a view shown again within five minutes
 * (or the current hour, grown) costs the server only its new records. The badge's title says when it was checked.
 */
const MAX_AGE_SECONDS = 300;

/** How long a view must stay before the badge asks for its check, ms. */
const SETTLE_MS = 700;

/**
 * The integrity badge of the journal page: runs the server-side verification of the viewed tenant's log over
 * the view's time range and shows "verified" or the first bad seq. Hidden when the server has no such route
 * (404, an older server) or the tenant has no log yet.
 */
export function IntegrityBadge({
  client,
  filter,
}: {
  readonly client: TamgaApi;
  readonly filter: JournalFilter;
}) {
  const answer = useSignal<VerifyAnswer | 'checking' | 'hidden' | 'too-large'>('checking');
  const { tenant } = viewedLog(filter);
  const query = new URLSearchParams({
    from: filter.from,
    to: filter.to,
    maxAge: String(MAX_AGE_SECONDS),
  }).toString();

  // Verification reads the whole range: it starts once the rows are shown, so it never delays them, and only when
  // the view stays a moment, so clicking through filters does not set the server checking views already left.
  const rowsShown = status.value !== 'loading';

  useEffect(() => {
    if (!rowsShown) return;
    const abort = new AbortController();
    answer.value = 'checking';
    const start = setTimeout(() => {
      client
        .getJson<VerifyAnswer>(`/api/v1/logs/${encodeURIComponent(tenant)}/verify?${query}`, abort.signal)
        .then((a) => (answer.value = a))
        .catch((error: unknown) => {
          if (isAbort(error)) return;
          // More records than one request checks (the server names `to`): say so rather than hide the badge.
          // Otherwise not available (404 on an older server, no log yet, no right): no badge rather than a false alarm.
          answer.value =
            error instanceof ApiError && error.status === 400 && error.field === 'to' ? 'too-large' : 'hidden';
        });
    }, SETTLE_MS);
    return () => {
      clearTimeout(start);
      abort.abort();
    };
  }, [client, tenant, query, rowsShown]);

  const a = answer.value;
  if (a === 'hidden') return null;
  if (a === 'too-large') {
    return (
      <span class="badge integrity" role="status" title={t('integrityTitle', { tenant })}>
        {t('integrityTooLarge')}
      </span>
    );
  }
  if (a === 'checking') {
    return (
      <span class="badge integrity" role="status">
        {t('integrityChecking')}
      </span>
    );
  }
  const valid = a.status === 'valid';
  return (
    <span
      class={`badge integrity ${valid ? 'sig-valid' : 'sig-tampered'}`}
      role="status"
      title={
        a.verifiedAt === undefined
          ? t('integrityTitle', { tenant })
          : `${t('integrityTitle', { tenant })}. ${t('integrityCheckedAt', { time: formatDateTime(a.verifiedAt) })}`
      }
    >
      {valid
        ? t('integrityValid', { count: formatNumber(a.checked) })
        : t('integrityTampered', { seq: a.firstBadSeq === null ? '?' : String(a.firstBadSeq) })}
    </span>
  );
}
