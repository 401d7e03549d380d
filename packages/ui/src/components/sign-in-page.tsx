import { useSignal } from '@preact/signals';
import { useEffect, useRef } from 'preact/hooks';
import { TamgaApi } from '../api/tamga-api.js';
import { ApiError } from '../api/tamga-api.js';
import { t } from '../i18n/i18n.js';
import { signIn, signOutReason } from '../state/session.js';
import { SealIcon } from './icons.js';
import { PageTools } from './page-tools.js';

/**
 * Sign-in with an API key. The key is checked with one small read before it is kept, so a wrong key
 * shows the server's own problem detail here rather than an empty journal.
 */
export function SignInPage() {
  const key = useSignal('');
  const error = useSignal<string | null>(signOutReason.value);
  const busy = useSignal(false);
  const input = useRef<HTMLInputElement>(null);

  useEffect(() => input.current?.focus(), []);

  const submit = async (e: Event): Promise<void> => {
    e.preventDefault();
    const value = key.value.trim();
    if (value === '') {
      error.value = t('apiKeyRequired');
      input.current?.focus();
      return;
    }
    busy.value = true;
    error.value = null;
    try {
      await new TamgaApi(value).events(new URLSearchParams({ limit: '1' }));
      signIn(value);
    } catch (caught) {
      const apiError = caught instanceof ApiError ? caught : new ApiError('NETWORK', String(caught), 0);
      error.value = apiError.isNetwork ? t('serverUnreachable') : `${apiError.message} (${apiError.code})`;
      busy.value = false;
      input.current?.focus();
    }
  };

  return (
    <div class="signin-layout">
      <header class="signin-tools">
        <PageTools />
      </header>
      <main class="signin-card" aria-labelledby="signin-title">
        <div class="brand brand-large">
          <SealIcon />
          <span>Tamga</span>
        </div>
        <h1 id="signin-title">{t('signInTitle')}</h1>
        <p class="muted">{t('signInLead')}</p>
        <form onSubmit={(e) => void submit(e)} noValidate>
          <label for="api-key">{t('apiKey')}</label>
          <input
            ref={input}
            id="api-key"
            name="api-key"
            type="password"
            autocomplete="off"
            spellcheck={false}
            value={key.value}
            onInput={(e) => (key.value = e.currentTarget.value)}
            aria-invalid={error.value !== null}
            aria-describedby={error.value !== null ? 'signin-error' : undefined}
          />
          {error.value !== null && (
            <p id="signin-error" class="form-error" role="alert">
              {error.value}
            </p>
          )}
          <button type="submit" class="btn btn-primary" disabled={busy.value}>
            {busy.value ? t('signingIn') : t('signIn')}
          </button>
        </form>
      </main>
    </div>
  );
}
