import { signal } from '@preact/signals';
import type { ComponentChildren } from 'preact';
import { useEffect } from 'preact/hooks';
import type { LogCoverage, VerificationProblem } from '../api/journal-record.js';
import type { TamgaApi } from '../api/tamga-api.js';
import { errorMessage } from '../i18n/error-text.js';
import { t, tn } from '../i18n/i18n.js';
import type { MessageKey } from '../i18n/messages.js';
import { formatDateTime } from '../format/format-time.js';
import { status } from '../state/journal-data.js';
import type { JournalFilter } from '../state/journal-query.js';
import {
  brokenLogs,
  cancelViewIntegrity,
  checkViewIntegrity,
  integrityParams,
  isMissing,
  MAX_AGE_SECONDS,
  viewIntegrity,
} from '../state/view-integrity.js';
import { ChevronIcon, SignatureIcon } from './icons.js';

/** "Check again now" was asked for this view (its query): its checks skip the server's earlier findings. */
const freshFor = signal<string | null>(null);

/** How long a view must stay before the badge asks for its check, ms: clicking through filters sets nothing off. */
const SETTLE_MS = 700;

/** Most problems listed per log; the rest are counted. */
const LISTED_PROBLEMS = 20;

/** The page's words for the check that failed (`reason`), by reason and then by code. */
const REASONS: Readonly<Record<string, MessageKey>> = {
  gap: 'why_gap',
  truncated: 'why_truncated',
  'out-of-order': 'why_order',
  'beyond-range': 'why_order',
  'leaf-mismatch': 'why_leaf',
  'payload-mismatch': 'why_payload',
  'columns-mismatch': 'why_columns',
  'signature-invalid': 'why_hmac',
  'seq-mismatch': 'why_header',
  'log-mismatch': 'why_header',
  'sigkid-mismatch': 'why_header',
  'canonical-unreadable': 'why_unreadable',
  unreadable: 'why_unreadable',
  'bad-field': 'why_unreadable',
  'no-payload-digest': 'why_digest',
  'no-payload-salt': 'why_digest',
  'redacted-with-payload': 'why_digest',
  'root-mismatch': 'why_root',
  'no-newest-checkpoint': 'why_checkpoint',
  fork: 'why_root',
  rollback: 'why_rollback',
  SIGNATURE_INVALID: 'why_checkpoint',
  KEY_UNKNOWN: 'why_checkpoint',
  CHECKPOINT_INVALID: 'why_checkpoint',
  NOTE_MALFORMED: 'why_checkpoint',
};

/** A problem in the page's words: `seq 13–14: records missing from the log`, or the server's sentence. */
export function problemText(p: VerificationProblem): string {
  const key = REASONS[p.reason] ?? REASONS[p.code];
  const what = key === undefined ? p.message : t(key);
  if (p.seq === null) return what;
  const seqs =
    isMissing(p) && p.lastSeq !== undefined && p.lastSeq !== p.seq ? `${p.seq}–${p.lastSeq}` : String(p.seq);
  return `seq ${seqs}: ${what}`;
}

/** The badge's line: verified, broken (which log, from which seq), or how much it covers. */
function summary(logs: readonly LogCoverage[]): { text: string; tone: 'valid' | 'tampered' | 'partial' } {
  const broken = logs.filter((l) => l.verification?.status === 'tampered');
  if (broken.length > 0) {
    const first = broken[0]!;
    const text = t('integrityBroken', {
      tenant: first.tenant,
      seq: String(first.verification!.firstBadSeq ?? '?'),
    });
    return {
      text: broken.length > 1 ? `${text} ${tn('integrityMoreBroken', broken.length - 1)}` : text,
      tone: 'tampered',
    };
  }
  const verified = logs.filter((l) => l.coverage === 'verified');
  if (verified.length < logs.length) {
    return { text: t('integrityPartial', { verified: verified.length, logs: logs.length }), tone: 'partial' };
  }
  const records = verified.reduce((n, l) => n + (l.verification?.checked ?? 0), 0);
  const text =
    logs.length === 1
      ? t('integrityValidOne', { records: tn('nRecords', records), tenant: logs[0]!.tenant })
      : t('integrityValidMany', { records: tn('nRecords', records), logs: tn('nLogs', logs.length) });
  return { text, tone: 'valid' };
}

/** What the check says about one log, beyond its problems. */
function coverageText(log: LogCoverage): string {
  const v = log.verification;
  if (log.coverage !== 'verified' || v === null) return t(`coverage_${log.coverage}`);
  const parts = [tn(v.status === 'valid' ? 'logVerified' : 'logChecked', v.checked)];
  if (v.counts.redacted > 0) parts.push(tn('logRedacted', v.counts.redacted));
  if (v.counts['unknown-key'] > 0) parts.push(tn('logUnknownKey', v.counts['unknown-key']));
  if (log.unsigned > 0) parts.push(tn('logUnsigned', log.unsigned));
  return parts.join('; ');
}

function LogItem(props: {
  readonly log: LogCoverage;
  readonly onShowRecord: (tenant: string, seq: number) => boolean;
}) {
  const { log } = props;
  const v = log.verification;
  const tone = v?.status === 'tampered' ? 'tampered' : log.coverage === 'verified' ? 'valid' : 'partial';
  const listed = v?.problems.slice(0, LISTED_PROBLEMS) ?? [];
  return (
    <li class={`integrity-log is-${tone}`} data-tenant={log.tenant}>
      <div class="integrity-log-head">
        <SignatureIcon ok={tone !== 'tampered'} />
        <strong>{log.tenant}</strong>
        <span class="mono muted">
          seq {log.range.from}–{Math.max(log.range.from, log.range.to - 1)}
        </span>
        <span class="integrity-log-state">{t(`logState_${tone}`)}</span>
      </div>
      <p class="integrity-log-detail">{coverageText(log)}</p>
      {listed.length > 0 && (
        <ul class="integrity-problems">
          {listed.map((p, i) => (
            <li key={i} data-reason={p.reason}>
              <span>{problemText(p)}</span> <span class="code">{`${p.code} · ${p.reason}`}</span>
              {p.seq !== null && !isMissing(p) && (
                <button
                  type="button"
                  class="btn btn-small btn-ghost"
                  onClick={(e) => {
                    if (!props.onShowRecord(log.tenant, p.seq!))
                      e.currentTarget.textContent = t('recordNotLoaded');
                  }}
                >
                  {t('showRecord')}
                </button>
              )}
            </li>
          ))}
          {v !== null && v.problemCount > listed.length && (
            <li>{tn('moreProblems', v.problemCount - listed.length)}</li>
          )}
        </ul>
      )}
    </li>
  );
}

/**
 * The journal page's integrity badge: the server verifies every tenant log of the view over the view's range
 * (`GET /api/v1/logs/verify`: signatures, contiguous seqs, the Merkle log against its signed checkpoints), and the
 * badge says "verified", which log is broken from which seq, or which logs it could not check. It opens a list of
 * what the server found, each problem with its seq and the check that failed. Hidden on a server without the check.
 *
 * @param needsFresh - ask for a check now instead of the server's findings of the last {@link MAX_AGE_SECONDS}: the
 *   rows show a record that is not valid, or the count holds records the rows lack.
 */
export function IntegrityBadge(props: {
  readonly client: TamgaApi;
  readonly filter: JournalFilter;
  readonly needsFresh: boolean;
  /** Whether the list of findings ({@link IntegrityPanel}) is open. */
  readonly isOpen: boolean;
  readonly onToggle: () => void;
}) {
  const { client, filter, needsFresh } = props;
  const params = integrityParams(filter).toString();
  // Verification reads the whole range: it starts once the rows are shown, so it never delays them.
  const rowsShown = status.value !== 'loading';
  const isFresh = needsFresh || freshFor.value === params;

  useEffect(() => {
    viewIntegrity.value = { kind: 'checking' };
    if (!rowsShown) return;
    const start = setTimeout(
      () => checkViewIntegrity(client, new URLSearchParams(params), isFresh ? 0 : MAX_AGE_SECONDS),
      SETTLE_MS,
    );
    return () => {
      clearTimeout(start);
      cancelViewIntegrity();
    };
  }, [client, params, rowsShown, isFresh]);

  const state = viewIntegrity.value;
  if (state.kind === 'unavailable' || (state.kind === 'done' && state.answer.logs.length === 0)) return null;
  // One live region for every state, so a screen reader hears the outcome of the check.
  const wrap = (badge: ComponentChildren, announced: string) => (
    <div class="integrity-wrap">
      <span class="visually-hidden" role="status">
        {announced}
      </span>
      {badge}
    </div>
  );
  if (state.kind === 'checking') {
    const text = t('integrityChecking');
    return wrap(<span class="badge integrity">{text}</span>, text);
  }
  if (state.kind === 'failed') {
    const text = t('integrityFailed', { detail: errorMessage(state.error) });
    return wrap(<span class="badge integrity sig-unknown-key">{text}</span>, text);
  }
  const { logs } = state.answer;
  const { text, tone } = summary(logs);
  const badge = (
    <button
      type="button"
      class={`badge integrity badge-button ${tone === 'valid' ? 'sig-valid' : tone === 'tampered' ? 'sig-tampered' : 'sig-unknown-key'}`}
      aria-expanded={props.isOpen}
      aria-controls="integrity-panel"
      data-tone={tone}
      onClick={props.onToggle}
    >
      <SignatureIcon ok={tone !== 'tampered'} />
      {text}
      <ChevronIcon />
    </button>
  );
  return wrap(badge, text);
}

/**
 * What the server found, log by log, under the results bar: each log's seq range and state, each problem with its seq
 * and the check that failed (a problem of a loaded record opens its row), and "Check again now". Escape closes it.
 */
export function IntegrityPanel(props: {
  readonly filter: JournalFilter;
  readonly onClose: () => void;
  readonly onShowRecord: (tenant: string, seq: number) => boolean;
}) {
  const state = viewIntegrity.value;
  if (state.kind !== 'done' || state.answer.logs.length === 0) return null;
  const { logs } = state.answer;
  const params = integrityParams(props.filter).toString();
  const checkedAt = logs
    .map((l) => l.verification?.verifiedAt)
    .filter((at): at is string => at !== undefined)
    .sort()[0];
  return (
    <section
      id="integrity-panel"
      class="integrity-panel"
      aria-label={t('integrityPanel')}
      onKeyDown={(e) => {
        if (e.key !== 'Escape') return;
        props.onClose();
        document.querySelector<HTMLElement>('.badge-button')?.focus();
      }}
    >
      <p class="integrity-when">
        {checkedAt !== undefined && t('integrityCheckedAt', { time: formatDateTime(checkedAt) })}{' '}
        {state.isFresh ? t('integrityCheckedNow') : t('integrityReused', { minutes: MAX_AGE_SECONDS / 60 })}{' '}
        <button
          type="button"
          class="btn btn-small"
          onClick={() => (freshFor.value = params)}
          disabled={state.isFresh}
        >
          {t('checkAgain')}
        </button>
      </p>
      <p class="muted integrity-scope">{t('integrityScope')}</p>
      <ul class="integrity-logs">
        {logs.map((log) => (
          <LogItem key={log.tenant} log={log} onShowRecord={props.onShowRecord} />
        ))}
      </ul>
      {brokenLogs(state.answer).length > 0 && <p class="integrity-advice">{t('integrityAdvice')}</p>}
    </section>
  );
}
