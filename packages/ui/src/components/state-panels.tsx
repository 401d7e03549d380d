import type { ApiError } from '../api/tamga-api.js';
import { errorMessage } from '../i18n/error-text.js';
import { t } from '../i18n/i18n.js';

/** A failed load: "server unreachable" or what went wrong, with the problem code and a retry. */
export function ErrorPanel(props: {
  readonly error: ApiError;
  readonly onRetry: () => void;
  readonly title?: string;
}) {
  return (
    <div class="state-panel state-error" role="alert">
      <h3>{props.title ?? t('errorTitle')}</h3>
      <p>{errorMessage(props.error)}</p>
      {!props.error.isNetwork && <p class="muted mono">{props.error.code}</p>}
      <button type="button" class="btn" onClick={props.onRetry}>
        {t('retry')}
      </button>
    </div>
  );
}

/** Placeholder rows while the first page loads. */
export function LoadingPanel({ label }: { readonly label: string }) {
  return (
    <div class="state-panel state-loading" role="status">
      <span class="spinner" aria-hidden="true" />
      {label}
    </div>
  );
}
