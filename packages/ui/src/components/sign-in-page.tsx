import { useSignal } from '@preact/signals';
import { useEffect, useRef } from 'preact/hooks';
import { TamgaApi } from '../api/tamga-api.js';
import { openSession } from '../api/session-api.js';
import { errorText } from '../i18n/error-text.js';
import { t } from '../i18n/i18n.js';
import { signIn, signInWithSession, signOutReason } from '../state/session.js';
import { SealIcon } from './icons.js';
import { PageTools } from './page-tools.js';

type Method = 'password' | 'key';


/**
 * Sign-in with a login and password (a server session in an HttpOnly cookie), or, as the secondary
 * tab, with an API key. A key is checked with one small read before it is kept, so a wrong key is
 * refused here (with the problem code) rather than showing an empty journal.
 */
export function SignInPage() {
  const method = useSignal<Method>('password');
  const login = useSignal('');
  const password = useSignal('');
  const key = useSignal('');
  const error = useSignal<string | null>(signOutReason.value);
  const busy = useSignal(false);
  const first = useRef<HTMLInputElement>(null);

  useEffect(() => first.current?.focus(), [method.value]);

  const fail = (message: string): void => {
    error.value = message;
    busy.value = false;
    first.current?.focus();
  };

  const submitPassword = async (e: Event): Promise<void> => {
    e.preventDefault();
    if (login.value.trim() === '' || password.value === '') return fail(t('loginRequired'));
    busy.value = true;
    error.value = null;
    try {
      const session = await openSession(login.value.trim(), password.value);
      password.value = '';
      signInWithSession(session);
    } catch (caught) {
      fail(errorText(caught, { UNAUTHENTICATED: 'errWrongPassword' }));
    }
  };

  const submitKey = async (e: Event): Promise<void> => {
    e.preventDefault();
    const value = key.value.trim();
    if (value === '') return fail(t('apiKeyRequired'));
    busy.value = true;
    error.value = null;
    try {
      await new TamgaApi(value).events(new URLSearchParams({ limit: '1' }));
      signIn(value);
    } catch (caught) {
      fail(errorText(caught, { UNAUTHENTICATED: 'errKeyRefused' }));
    }
  };

  const choose = (next: Method): void => {
    method.value = next;
    error.value = null;
  };

  const errorLine =
    error.value !== null ? (
      <p id="signin-error" class="form-error" role="alert">
        {error.value}
      </p>
    ) : null;
  const describedBy = error.value !== null ? 'signin-error' : undefined;

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
        <div class="signin-tabs" role="tablist" aria-label={t('signInMethod')}>
          {(['password', 'key'] as const).map((m) => (
            <button
              key={m}
              type="button"
              role="tab"
              id={`signin-tab-${m}`}
              aria-selected={method.value === m}
              aria-controls="signin-panel"
              class={`signin-tab${method.value === m ? ' is-active' : ''}`}
              onClick={() => choose(m)}
            >
              {m === 'password' ? t('signInWithPassword') : t('signInWithKey')}
            </button>
          ))}
        </div>
        <div id="signin-panel" role="tabpanel">
          {method.value === 'password' ? (
            <form onSubmit={(e) => void submitPassword(e)} noValidate>
              <p class="muted">{t('signInLeadPassword')}</p>
              <label for="login">{t('login')}</label>
              <input
                ref={first}
                id="login"
                name="username"
                autocomplete="username"
                spellcheck={false}
                value={login.value}
                onInput={(e) => (login.value = e.currentTarget.value)}
                aria-invalid={error.value !== null}
                aria-describedby={describedBy}
              />
              <label for="password">{t('password')}</label>
              <input
                id="password"
                name="password"
                type="password"
                autocomplete="current-password"
                value={password.value}
                onInput={(e) => (password.value = e.currentTarget.value)}
                aria-invalid={error.value !== null}
                aria-describedby={describedBy}
              />
              {errorLine}
              <button type="submit" class="btn btn-primary" disabled={busy.value}>
                {busy.value ? t('signingIn') : t('signIn')}
              </button>
            </form>
          ) : (
            <form onSubmit={(e) => void submitKey(e)} noValidate>
              <p class="muted">{t('signInLead')}</p>
              <label for="api-key">{t('apiKey')}</label>
              <input
                ref={first}
                id="api-key"
                name="api-key"
                type="password"
                autocomplete="off"
                spellcheck={false}
                value={key.value}
                onInput={(e) => (key.value = e.currentTarget.value)}
                aria-invalid={error.value !== null}
                aria-describedby={describedBy}
              />
              {errorLine}
              <button type="submit" class="btn btn-primary" disabled={busy.value}>
                {busy.value ? t('signingIn') : t('signIn')}
              </button>
            </form>
          )}
        </div>
      </main>
    </div>
  );
}
