import { signal } from '@preact/signals';
import type { LogCoverage, VerificationProblem, ViewVerification } from '../api/journal-record.js';
import { ApiError, isAbort } from '../api/tamga-api.js';
import type { TamgaApi } from '../api/tamga-api.js';
import type { JournalFilter } from './journal-query.js';

/** What the page knows about the integrity of the logs in the view. */
export type ViewIntegrity =
  | { readonly kind: 'checking' }
  /** The server has no such check (an older server) or refuses it: the page shows no badge rather than a false alarm. */
  | { readonly kind: 'unavailable' }
  | { readonly kind: 'failed'; readonly error: ApiError }
  /** `isFresh`: checked now (`maxAge=0`), not taken from the server's earlier checks. */
  | { readonly kind: 'done'; readonly answer: ViewVerification; readonly isFresh: boolean };

/** The integrity of the logs in the shown view. */
export const viewIntegrity = signal<ViewIntegrity>({ kind: 'checking' });

/**
 * How old an earlier finding of the server may be, seconds: a view shown again within five minutes (or the current
 * hour, grown) costs the server only its new records. The badge says when its answer was checked, and asks for a
 * check now whenever the rows give a reason to doubt (see `journal-page.tsx`).
 */
export const MAX_AGE_SECONDS = 300;

/** The query of `GET /api/v1/logs/verify` for a view: its range and its tenant filters (the logs it shows). */
export function integrityParams(filter: JournalFilter): URLSearchParams {
  const params = new URLSearchParams({ from: filter.from, to: filter.to });
  for (const tenant of filter.tenantId) params.append('tenantId', tenant);
  for (const tenant of filter.not.tenantId) params.append('not.tenantId', tenant);
  return params;
}

let controller: AbortController | null = null;

/**
 * Asks the server to verify every log of the view (`GET /api/v1/logs/verify`), taking its findings of the last
 * `maxAgeSeconds`; the answer lands in {@link viewIntegrity}. A newer call cancels an older one.
 */
export function checkViewIntegrity(api: TamgaApi, params: URLSearchParams, maxAgeSeconds: number): void {
  controller?.abort();
  const own = new AbortController();
  controller = own;
  viewIntegrity.value = { kind: 'checking' };
  const query = new URLSearchParams(params);
  query.set('maxAge', String(maxAgeSeconds));
  api.getJson<ViewVerification>(`/api/v1/logs/verify?${query.toString()}`, own.signal).then(
    (answer) => {
      if (controller === own) viewIntegrity.value = { kind: 'done', answer, isFresh: maxAgeSeconds === 0 };
    },
    (error: unknown) => {
      if (isAbort(error) || controller !== own) return;
      const apiError = error instanceof ApiError ? error : new ApiError('INTERNAL', String(error), 0);
      // 404: a server without this route; 403: a key that may not read logs. Neither is a finding about integrity.
      viewIntegrity.value =
        apiError.status === 404 || apiError.status === 403
          ? { kind: 'unavailable' }
          : { kind: 'failed', error: apiError };
    },
  );
}

/** Stops a check in flight (the view was left). */
export function cancelViewIntegrity(): void {
  controller?.abort();
  controller = null;
}

/** Records missing from a log: a gap in its seqs or a cut end. */
export interface MissingRecords {
  readonly tenant: string;
  readonly from: number;
  /** The last missing seq. */
  readonly to: number;
}

/** Whether a problem is records missing from the log. */
export function isMissing(problem: VerificationProblem): boolean {
  return problem.reason === 'gap' || problem.reason === 'truncated';
}

/** Every run of records missing from the view's logs, log by log. */
export function missingRecords(answer: ViewVerification): MissingRecords[] {
  return answer.logs.flatMap((log) =>
    (log.verification?.problems ?? [])
      .filter((p) => isMissing(p) && p.seq !== null)
      .map((p) => ({ tenant: log.tenant, from: p.seq!, to: p.lastSeq ?? p.seq! })),
  );
}

/** The logs whose check found a problem. */
export function brokenLogs(answer: ViewVerification): LogCoverage[] {
  return answer.logs.filter((l) => l.verification?.status === 'tampered');
}

/**
 * Problems an evidence bundle carries evidence of: not a column edited outside the signed bytes (the bundle holds the
 * signed original), nor a bad HMAC signature (checked offline only with the HMAC key). docs/bundle-format.md,
 * "What a bundle cannot show".
 */
function isSeenOffline(problem: VerificationProblem): boolean {
  return problem.reason !== 'columns-mismatch' && problem.reason !== 'signature-invalid';
}

/**
 * What `npx tamga verify` will report for an evidence bundle of `log` over the view's range, from the server's check
 * of the same range: `tampered` from `firstBadSeq` (exit 1), or `valid` (exit 0) when the only problems are ones a
 * bundle does not show; `unknown` when the log was not checked.
 */
export function offlineOutcome(log: LogCoverage): {
  readonly status: 'valid' | 'tampered' | 'unknown';
  readonly firstBadSeq: number | null;
} {
  const v = log.verification;
  if (v === null) return { status: 'unknown', firstBadSeq: null };
  const seen = v.problems.filter(isSeenOffline);
  // Only the first 1,000 problems are listed: the rest may be of any kind.
  if (seen.length === 0 && v.problemCount <= v.problems.length) return { status: 'valid', firstBadSeq: null };
  const seqs = seen.map((p) => p.seq).filter((s): s is number => s !== null);
  return { status: 'tampered', firstBadSeq: seqs.length > 0 ? Math.min(...seqs) : v.firstBadSeq };
}
